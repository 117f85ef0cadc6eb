// Benchmark: adding a member to a group that is granted on 1,000 shares. A private smbd (tests/
// support SmbdServer), a SQLite store and the real reconciler with the real tools (testparm,
// smbcontrol), counted by a wrapping ProcessRunner. Prints the store transaction (1,000 ACL rows
// written in one transaction) and the reconcile pass that follows, with the programs it ran (one
// include rewrite: one testparm, one reload — not 1,000), against an idle pass over the same
// 1,000 shares as the baseline, with the ratio. Figures only, no thresholds.
// Needs root, smbd, testparm and smbcontrol.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "agent/reconcile/reconciler.hpp"
#include "agent/reconcile/register.hpp"
#include "agent/store/store.hpp"
#include "tests/bench/bench_support.hpp"
#include "tests/support/smbd_fixture.hpp"
#include "tests/support/temp_dir.hpp"

using namespace sharectl;
using Clock = std::chrono::steady_clock;
using bench::median;
using bench::ms_since;

namespace {

constexpr int k_shares = 1000;
constexpr int k_adds = 5;

// The real runner, counting runs per program (smbcontrol per its command).
class CountingRunner : public ProcessRunner {
public:
  explicit CountingRunner(ProcessRunner& inner) : m_inner(inner) {}

  Result<ProcessResult> run(const Command& command) override {
    std::string key = std::filesystem::path(command.program).filename().string();
    for (const auto& arg : command.args) {
      if (arg == "reload-config" || arg == "close-share") {
        key += " " + arg;
      }
    }
    {
      std::lock_guard lock(m_mutex);
      ++m_counts[key];
    }
    return m_inner.run(command);
  }

  std::map<std::string, int> take() {
    std::lock_guard lock(m_mutex);
    return std::exchange(m_counts, {});
  }

private:
  ProcessRunner& m_inner;
  std::mutex m_mutex;
  std::map<std::string, int> m_counts;
};

std::string counts_text(const std::map<std::string, int>& counts) {
  std::string out;
  for (const auto& [program, n] : counts) {
    out += (out.empty() ? "" : ", ") + program + " ×" + std::to_string(n);
  }
  return out.empty() ? "none" : out;
}

int fail_with(const std::string& what, const Error& error) {
  std::fprintf(stderr, "group_member_bench: %s: %s\n", what.c_str(), to_string(error).c_str());
  return 1;
}

} // namespace

int main() {
  test::SmbdServer smbd;
  test::TempDir dir;
  const auto include = dir.path() / "sharectl.conf";
  if (auto s = smbd.add_include(include); !s) {
    return fail_with("include", s.error());
  }
  auto owner = smbd.add_user("owner", "Bench-pw-1");
  auto root = smbd.make_directory("fs");
  if (!owner || !root) {
    return fail_with("fixture", !owner ? owner.error() : root.error());
  }
  if (auto s = smbd.start(); !s) {
    return fail_with("smbd", s.error());
  }
  auto opened = store::open_store("sqlite://" + (dir.path() / "state.db").string());
  if (!opened) {
    return fail_with("store", opened.error());
  }
  auto& store = **opened;
  config::AgentConfig cfg;
  cfg.server.name = "benchhost";
  cfg.samba.config = smbd.config_path();
  cfg.samba.include = include;
  cfg.samba.accounts = config::SambaAccounts::external; // members need no Unix accounts here
  cfg.filesystems = {{*root, config::FilesystemDriver::dir}};
  auto registered = agent::reconcile::register_host(store, cfg);
  if (!registered) {
    return fail_with("register", registered.error());
  }

  // 1,000 spaces with a share each, all granted (read) to group eng; members come later.
  model::Id group_id;
  std::vector<model::Id> members;
  const auto seeded_at = Clock::now();
  auto seeded = store.transact([&](store::Tx& tx) -> Status {
    model::User user;
    user.username = (*owner)->name();
    auto stored_owner = tx.create(user);
    if (!stored_owner) {
      return std::unexpected(stored_owner.error());
    }
    model::Group group;
    group.name = "eng";
    auto stored_group = tx.create(group);
    if (!stored_group) {
      return std::unexpected(stored_group.error());
    }
    group_id = stored_group->id;
    for (int i = 0; i < k_adds; ++i) {
      model::User member;
      member.username = "member" + std::to_string(i);
      auto stored = tx.create(member);
      if (!stored) {
        return std::unexpected(stored.error());
      }
      members.push_back(stored->id);
    }
    for (int i = 0; i < k_shares; ++i) {
      model::Space space;
      space.owner_id = stored_owner->id;
      space.name = "s" + std::to_string(i);
      space.size_bytes = 1024 * 1024;
      space.filesystem_id = registered->filesystems.front().id;
      space.path = (*root / user.username / space.name).string();
      auto stored_space = tx.create(space);
      if (!stored_space) {
        return std::unexpected(stored_space.error());
      }
      model::Share share;
      share.name = "share" + std::to_string(i);
      share.space_id = stored_space->id;
      auto stored_share = tx.create(share);
      if (!stored_share) {
        return std::unexpected(stored_share.error());
      }
      auto granted = tx.grant_group(stored_share->id, group_id, model::ShareLevel::read,
                                    model::AclState::active);
      if (!granted) {
        return std::unexpected(granted.error());
      }
    }
    return {};
  });
  if (!seeded) {
    return fail_with("seed", seeded.error());
  }
  std::printf("seeded %d spaces + shares granted to one group in %.0f ms\n", k_shares,
              ms_since(seeded_at));

  auto real = make_process_runner();
  CountingRunner runner(*real);
  agent::reconcile::Reconciler reconciler(store, cfg, runner);
  if (auto s = reconciler.prepare(); !s) {
    return fail_with("prepare", s.error());
  }
  auto first_at = Clock::now();
  if (auto s = reconciler.run_once(); !s) {
    return fail_with("first pass", s.error());
  }
  const double first_ms = ms_since(first_at);
  std::printf("first pass (create %d directories, render %d shares): %.0f ms; runs: %s\n", k_shares,
              k_shares, first_ms, counts_text(runner.take()).c_str());

  std::vector<double> tx_ms, pass_ms, idle_ms;
  std::map<std::string, int> pass_counts;
  std::size_t rows = 0;
  for (int i = 0; i < k_adds; ++i) {
    const auto tx_at = Clock::now();
    auto added = store.transact_result([&](store::Tx& tx) {
      return tx.add_group_member(group_id, members[static_cast<std::size_t>(i)],
                                 model::AclState::active);
    });
    if (!added) {
      return fail_with("add member", added.error());
    }
    tx_ms.push_back(ms_since(tx_at));
    auto acl = store.view_result(
        [&](store::Tx& tx) { return tx.list_user_acl(members[static_cast<std::size_t>(i)]); });
    if (!acl) {
      return fail_with("list acl", acl.error());
    }
    rows = acl->size();
    const auto pass_at = Clock::now();
    if (auto s = reconciler.run_once(); !s) {
      return fail_with("pass", s.error());
    }
    pass_ms.push_back(ms_since(pass_at));
    pass_counts = runner.take();
    const auto idle_at = Clock::now();
    if (auto s = reconciler.run_once(); !s) {
      return fail_with("idle pass", s.error());
    }
    idle_ms.push_back(ms_since(idle_at));
    runner.take();
  }
  const auto include_text_size = std::filesystem::file_size(include);
  const double one_rewrite = median(pass_ms);
  std::printf("\nadd one member to a group granted on %d shares (%d adds, medians):\n", k_shares,
              k_adds);
  std::printf("  store transaction (%zu ACL rows written)      %8.1f ms\n", rows, median(tx_ms));
  std::printf("  reconcile pass (include %ju bytes)           %8.1f ms; runs: %s\n",
              static_cast<std::uintmax_t>(include_text_size), one_rewrite,
              counts_text(pass_counts).c_str());
  const double idle = median(idle_ms);
  std::printf("  baseline: idle pass, nothing changed         %8.1f ms\n", idle);
  std::printf("  ratio pass / idle pass                       %8.2f\n",
              idle > 0 ? one_rewrite / idle : 0.0);
  return 0;
}
