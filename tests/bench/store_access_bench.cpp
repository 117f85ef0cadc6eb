// Benchmark of the effective access query (Tx::effective_share_access) on SQLite and PostgreSQL
// side by side: one user in 200 groups, 100,000 ACL rows (every group granted on one hot share,
// where the user has 200 rows, and on 9 other shares each). Prints median and p99 per query,
// and as a baseline a naive scan (all rows of the share, max in C++) with the ratio. No
// thresholds: the figures are for reading. PostgreSQL runs on a private server from
// tests/support when it can start here (root, server binaries), else its row says why not.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "agent/store/store.hpp"
#include "tests/support/postgres_fixture.hpp"
#include "tests/support/temp_dir.hpp"

using namespace sharectl;
using namespace sharectl::store;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int k_groups = 200;
constexpr int k_members_per_group = 50; // the user plus 49 others
constexpr int k_other_users = 2000;
constexpr int k_shares = 1000;
constexpr int k_cold_shares_per_group = 9;
constexpr int k_samples = 2000;
constexpr int k_baseline_samples = 40; // the baseline is slow

struct Fixture {
  model::Id user;
  model::Id hot_share;
};

struct Figures {
  double median_us = 0;
  double p99_us = 0;
};

Figures summarize(std::vector<double> us) {
  std::sort(us.begin(), us.end());
  return {us[us.size() / 2], us[us.size() * 99 / 100]};
}

Result<Fixture> populate(Store& store) {
  Fixture f;
  std::vector<model::Id> users, groups, shares;
  auto st = store.transact([&](Tx& tx) -> Status {
    for (int i = 0; i <= k_other_users; ++i) {
      model::User u;
      u.username = "u" + std::to_string(i);
      u.email.reset();
      auto r = tx.create(u);
      if (!r) {
        return std::unexpected(r.error());
      }
      users.push_back(r->id);
    }
    model::Server s;
    s.name = "bench";
    auto server = tx.create(s);
    model::FileSystem fs;
    fs.server_id = server->id;
    fs.path = "/srv";
    auto filesystem = tx.create(fs);
    model::Space sp;
    sp.owner_id = users[0];
    sp.name = "bench";
    sp.filesystem_id = filesystem->id;
    auto space = tx.create(sp);
    if (!space) {
      return std::unexpected(space.error());
    }
    for (int i = 0; i < k_shares; ++i) {
      model::Share sh;
      sh.name = "share" + std::to_string(i);
      sh.space_id = space->id;
      auto r = tx.create(sh);
      if (!r) {
        return std::unexpected(r.error());
      }
      shares.push_back(r->id);
    }
    for (int g = 0; g < k_groups; ++g) {
      model::Group group;
      group.name = "g" + std::to_string(g);
      auto r = tx.create(group);
      if (!r) {
        return std::unexpected(r.error());
      }
      groups.push_back(r->id);
      if (auto m = tx.add_group_member(r->id, users[0], model::AclState::active); !m) {
        return std::unexpected(m.error());
      }
      for (int j = 1; j < k_members_per_group; ++j) {
        auto other = users[1 + static_cast<std::size_t>((g * 49 + j) % k_other_users)];
        if (auto m = tx.add_group_member(r->id, other, model::AclState::active); !m) {
          return std::unexpected(m.error());
        }
      }
    }
    return {};
  });
  if (!st) {
    return std::unexpected(st.error());
  }
  // Grants in batches, one transaction each (each expands into 50 rows).
  for (int g = 0; g < k_groups; ++g) {
    st = store.transact([&](Tx& tx) -> Status {
      for (int k = 0; k <= k_cold_shares_per_group; ++k) {
        auto share =
            k == 0 ? shares[0] : shares[1 + static_cast<std::size_t>((g * 9 + k) % (k_shares - 1))];
        auto level = (g + k) % 2 ? model::ShareLevel::write : model::ShareLevel::read;
        if (auto r = tx.grant_group(share, groups[static_cast<std::size_t>(g)], level,
                                    model::AclState::active);
            !r) {
          return std::unexpected(r.error());
        }
      }
      return {};
    });
    if (!st) {
      return std::unexpected(st.error());
    }
  }
  f.user = users[0];
  f.hot_share = shares[0];
  return f;
}

// Times `query` `samples` times inside one read transaction (the query alone).
Result<Figures> measure(Store& store, const std::function<Status(Tx&)>& query, int samples) {
  std::vector<double> us;
  us.reserve(static_cast<std::size_t>(samples));
  auto st = store.view([&](Tx& tx) -> Status {
    for (int i = 0; i < samples; ++i) {
      auto t0 = Clock::now();
      if (auto r = query(tx); !r) {
        return r;
      }
      us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
    }
    return {};
  });
  if (!st) {
    return std::unexpected(st.error());
  }
  return summarize(std::move(us));
}

void run(const std::string& backend, const std::string& url) {
  auto store = open_store(url);
  if (!store) {
    std::printf("%-9s cannot open store: %s\n", backend.c_str(), to_string(store.error()).c_str());
    return;
  }
  auto t0 = Clock::now();
  auto f = populate(**store);
  if (!f) {
    std::printf("%-9s populate failed: %s\n", backend.c_str(), to_string(f.error()).c_str());
    return;
  }
  auto rows = (*store)->view_result([&](Tx& tx) { return tx.list_user_acl(f->user); });
  std::printf("%-9s populated in %.1f s; the user has %zu rows\n", backend.c_str(),
              std::chrono::duration<double>(Clock::now() - t0).count(), rows ? rows->size() : 0);
  auto indexed = measure(
      **store,
      [&](Tx& tx) -> Status {
        auto a = tx.effective_share_access(f->user, f->hot_share);
        if (!a) {
          return std::unexpected(a.error());
        }
        return (*a && (*a)->level == model::ShareLevel::write)
                   ? Status{}
                   : fail(ErrorCode::internal, "wrong level");
      },
      k_samples);
  auto naive = measure(
      **store,
      [&](Tx& tx) -> Status {
        auto all = tx.list_acl(f->hot_share);
        if (!all) {
          return std::unexpected(all.error());
        }
        bool write = std::any_of(all->begin(), all->end(), [&](const model::AclEntry& e) {
          return e.user_id == f->user && e.level == model::ShareLevel::write;
        });
        return write ? Status{} : fail(ErrorCode::internal, "wrong level");
      },
      k_baseline_samples);
  // The same query as an API handler pays for it: one read transaction per call.
  std::vector<double> per_tx;
  for (int i = 0; i < k_samples / 4; ++i) {
    auto t1 = Clock::now();
    (void)(*store)->view_result(
        [&](Tx& tx) { return tx.effective_share_access(f->user, f->hot_share); });
    per_tx.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t1).count());
  }
  auto tx_figures = summarize(per_tx);
  if (!indexed || !naive) {
    std::printf("%-9s query failed: %s\n", backend.c_str(),
                to_string(!indexed ? indexed.error() : naive.error()).c_str());
    return;
  }
  std::printf("%-9s %-44s %10.1f %10.1f\n", backend.c_str(), "effective_share_access (indexed)",
              indexed->median_us, indexed->p99_us);
  std::printf("%-9s %-44s %10.1f %10.1f\n", backend.c_str(), "  same, own read transaction each",
              tx_figures.median_us, tx_figures.p99_us);
  std::printf("%-9s %-44s %10.1f %10.1f   (%.0fx the indexed median)\n", backend.c_str(),
              "baseline: naive scan of the share's rows", naive->median_us, naive->p99_us,
              naive->median_us / indexed->median_us);
}

} // namespace

int main() {
  std::printf("effective access: 1 user in %d groups, %d ACL rows, %d samples; times in us\n",
              k_groups, k_groups * k_members_per_group * (k_cold_shares_per_group + 1), k_samples);
  std::printf("%-9s %-44s %10s %10s\n", "backend", "query", "median", "p99");
  test::TempDir dir;
  run("sqlite", "sqlite://" + (dir.path() / "bench.db").string());
  try {
    if (!test::find_postgres_bindir()) {
      std::printf("postgres  skipped: no PostgreSQL server binaries\n");
      return 0;
    }
    test::PostgresServer server;
    if (auto st = server.start(); !st) {
      std::printf("postgres  skipped: %s\n", to_string(st.error()).c_str());
      return 0;
    }
    run("postgres", server.url());
  } catch (const std::exception& e) {
    std::printf("postgres  skipped: %s\n", e.what());
  }
  return 0;
}
