// Benchmark: the read view (agent/store/view) at scale on one store backend (not a test: it
// prints figures, no thresholds). Seeds S spaces (default 100,000) owned by S/100 users, one
// share each, S/10 groups of 10 members, each share granted to one group: S × 10 ACL rows
// (1,000,000 at the default). Then, side by side:
//   reads alone   the backend reading everything the view loads (one read transaction);
//   view load     ViewStore::open: the same reads plus building the view; heap (mallinfo2)
//                 and RSS it took, bytes per document and per ACL row;
//   bookkeeping   one refresh of the bookkeeping figures (what the follower does every second);
//   a read        one user's spaces (100) listed from the view against the backend, median.
// Usage: view_load_bench [--store sqlite|postgres|etcd] [--spaces 100000]
#include <fstream>
#include <string>
#include <vector>

#include <malloc.h>

#include "agent/store/view/view_store.hpp"
#include "tests/bench/bench_stores.hpp"
#include "tests/support/temp_dir.hpp"

using namespace sharectl;
using bench::Clock;
using bench::die;
using bench::median;
using bench::ms_since;
using bench::must;

namespace {

std::size_t rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * 4096;
}

// Runs fn(i) for i in [0, n) in transactions of `batch` calls each.
template <typename F>
void in_batches(store::Store& store, int n, int batch, const char* what, F&& fn) {
  for (int begin = 0; begin < n; begin += batch) {
    const int end = std::min(n, begin + batch);
    bench::must(store.transact([&](store::Tx& tx) -> Status {
      for (int i = begin; i < end; ++i) {
        if (auto st = fn(tx, i); !st) {
          return st;
        }
      }
      return {};
    }),
                what);
  }
}

template <typename R>
Status ok(R&& r) {
  return r ? Status{} : std::unexpected(r.error());
}

int run(int argc, char** argv) {
  std::string backend = "sqlite";
  int spaces = 100000;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--store") {
      backend = argv[i + 1];
    } else if (flag == "--spaces") {
      spaces = std::stoi(argv[i + 1]);
    } else {
      die("unknown option " + flag);
    }
  }
  const int users = std::max(10, spaces / 100);
  const int groups = std::max(1, spaces / 10);
  bench::BenchStore where(backend, "/viewbench");
  test::TempDir dir;
  const std::string url =
      where.url.empty() ? "sqlite://" + (dir.path() / "state.db").string() : where.url;
  auto store = must(store::open_store(url), "cannot open the store");
  // Batches that fit each backend (etcd: 128 operations per txn).
  const int batch = backend == "etcd" ? 10 : backend == "postgres" ? 500 : 5000;

  const auto seeding = Clock::now();
  const auto host = bench::seed_host(*store, "viewhost");
  const auto fs =
      must(store->view_result([&](store::Tx& tx) { return tx.list<model::FileSystem>({host.id}); }),
           "filesystem")
          .at(0);
  std::vector<model::Id> user_ids(users), group_ids(groups), space_ids(spaces);
  in_batches(*store, users, batch, "seed users", [&](store::Tx& tx, int i) -> Status {
    model::User u;
    u.username = "viewuser" + std::to_string(i);
    auto made = tx.create(u);
    if (made) {
      user_ids[i] = made->id;
    }
    return ok(made);
  });
  in_batches(*store, groups, batch, "seed groups", [&](store::Tx& tx, int i) -> Status {
    model::Group g;
    g.name = "viewgroup" + std::to_string(i);
    auto made = tx.create(g);
    if (made) {
      group_ids[i] = made->id;
    }
    return ok(made);
  });
  in_batches(*store, groups * 10, batch, "seed members", [&](store::Tx& tx, int i) -> Status {
    return ok(tx.add_group_member(group_ids[i / 10], user_ids[(i / 10 * 7 + i % 10) % users],
                                  model::AclState::active));
  });
  in_batches(*store, spaces, batch / 2 + 1, "seed spaces", [&](store::Tx& tx, int i) -> Status {
    model::Space sp;
    sp.owner_id = user_ids[i % users];
    sp.name = "space" + std::to_string(i);
    sp.size_bytes = 1 << 30;
    sp.filesystem_id = fs.id;
    auto made = tx.create(sp);
    if (!made) {
      return ok(made);
    }
    space_ids[i] = made->id;
    model::Share sh;
    sh.name = "viewshare" + std::to_string(i);
    sh.space_id = made->id;
    auto share = tx.create(sh);
    if (!share) {
      return ok(share);
    }
    return ok(tx.grant_group(share->id, group_ids[i % groups], model::ShareLevel::write,
                             model::AclState::active));
  });
  std::printf("seeded %d spaces, %d shares, %d users, %d groups of 10 on %s in %.1f s\n", spaces,
              spaces, users, groups, backend.c_str(), ms_since(seeding) / 1000);

  // Reads alone: what the load reads, without building anything; the slowest parts named.
  std::size_t rows = 0;
  std::vector<std::pair<double, std::string>> parts;
  const auto reading = Clock::now();
  must(store->view([&](store::Tx& tx) -> Status {
    for (int k = 0; k <= static_cast<int>(model::Kind::join_token); ++k) {
      const auto kind = static_cast<model::Kind>(k);
      if (kind == model::Kind::audit_event) {
        continue;
      }
      const auto t = Clock::now();
      auto docs = tx.list_entities(kind, {});
      if (!docs) {
        return std::unexpected(docs.error());
      }
      parts.emplace_back(ms_since(t), "list " + std::string(model::kind_name(kind)));
    }
    auto t = Clock::now();
    auto acl = tx.list_all_acl();
    parts.emplace_back(ms_since(t), "list_all_acl");
    t = Clock::now();
    auto grants = tx.list_all_group_grants();
    parts.emplace_back(ms_since(t), "list_all_group_grants");
    t = Clock::now();
    auto members = tx.list_all_group_members();
    parts.emplace_back(ms_since(t), "list_all_group_members");
    if (!acl || !grants || !members) {
      return std::unexpected(Error{ErrorCode::internal, "whole-store read failed"});
    }
    rows = acl->size();
    return {};
  }),
       "reads alone");
  const double read_ms = ms_since(reading);

  malloc_trim(0);
  const auto rss_before = rss_bytes();
  store::view::ViewOptions options;
  options.follow = false;
  auto view =
      must(store::view::ViewStore::open(must(store::open_store(url), "second handle"), options),
           "view load");
  const auto stats = view->stats();
  malloc_trim(0); // what the load read and freed goes back: RSS then holds the view
  const auto rss_after = rss_bytes();
  const double docs = static_cast<double>(stats.counts.documents);
  std::printf("ACL rows: %zu (view: %zu), documents: %zu, members: %zu, grants: %zu\n", rows,
              stats.counts.acl_rows, stats.counts.documents, stats.counts.members,
              stats.counts.grants);
  std::ranges::sort(parts, std::greater<>());
  std::printf("slowest reads:");
  for (std::size_t i = 0; i < std::min<std::size_t>(4, parts.size()); ++i) {
    std::printf(" %s %.0f ms;", parts[i].second.c_str(), parts[i].first);
  }
  std::printf("\n");
  std::printf("reads alone: %.0f ms | view load: %lld ms (%.2fx the reads)\n", read_ms,
              static_cast<long long>(stats.load_time.count()),
              static_cast<double>(stats.load_time.count()) / read_ms);
  std::printf("view heap: %.1f MiB (mallinfo2), RSS +%.1f MiB; %.0f bytes per document+row "
              "unit (heap / (documents + ACL rows / 4))\n",
              static_cast<double>(stats.load_bytes) / (1 << 20),
              static_cast<double>(rss_after - rss_before) / (1 << 20),
              static_cast<double>(stats.load_bytes) /
                  (docs + static_cast<double>(stats.counts.acl_rows) / 4));

  std::vector<double> refresh, from_view, from_store;
  for (int i = 0; i < 5; ++i) {
    const auto t = Clock::now();
    must(store->view_result([](store::Tx& tx) { return tx.read_bookkeeping(); }), "bookkeeping");
    refresh.push_back(ms_since(t));
  }
  const model::Id owner = user_ids[users / 2];
  for (int i = 0; i < 21; ++i) {
    auto t = Clock::now();
    must(view->view_result([&](store::Tx& tx) {
      return tx.list<model::Space>(store::ListQuery{owner, 0});
    }),
         "list from the view");
    from_view.push_back(ms_since(t));
    t = Clock::now();
    must(store->view_result([&](store::Tx& tx) {
      return tx.list<model::Space>(store::ListQuery{owner, 0});
    }),
         "list from the store");
    from_store.push_back(ms_since(t));
  }
  std::printf("bookkeeping refresh: %.0f ms median (the follower waits max(1 s, 20x that) "
              "between refreshes)\n",
              median(refresh));
  std::printf("one user's %d spaces: view %.3f ms, store %.3f ms (%.0fx)\n", spaces / users,
              median(from_view), median(from_store), median(from_store) / median(from_view));
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  return bench::guarded_main("view_load_bench", run, argc, argv);
}
