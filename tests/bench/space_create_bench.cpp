// Benchmark: `sharectl space create NAME --size 20M` (waits) until smbclient connects to the new
// share, against the same bare steps done by hand: btrfs subvolume create + qgroup limit +
// write the include file (temp file, testparm -s, fsync, rename, fsync dir) + smbcontrol
// reload-config + smbclient connect. Both run on one loop-mounted btrfs (quota enabled) and one
// private smbd that includes both include files; the pairs alternate which side goes first.
// Prints every pair, both medians and the ratio (goal: agent/by hand <= 1.5).
// Usage: space_create_bench [PAIRS=10]. Needs root, btrfs-progs, losetup and Samba.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <vector>

#include <fmt/core.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/host/command.hpp"
#include "common/util/atomic_file.hpp"
#include "tests/bench/bench_support.hpp"
#include "tests/integration/agent/host/btrfs_fixture.hpp"
#include "tests/integration/e2e/fault_host.hpp"

using namespace sharectl;
using namespace std::chrono_literals;
namespace fault = sharectl::test::fault;
using Clock = std::chrono::steady_clock;
using bench::die;
using bench::median;
using bench::ms_since;
using bench::must;

namespace {

void run_checked(ProcessRunner& runner, std::string program, std::vector<std::string> args) {
  const Command command = agent::host::host_command(std::move(program), std::move(args));
  auto result = must(runner.run(command), command.program);
  must(check_exit(command, result), command.program);
}

// smbclient `ls` on share until it works (a new share may take a moment to be seen).
void connect(test::SmbdServer& smbd, const std::string& share, const std::string& user,
             const std::string& password) {
  std::string last;
  const bool ok = fault::poll_until(
      [&] {
        last = must(smbd.smbclient(share, user, password, "ls"), "smbclient");
        return last.find("NT_STATUS_") == std::string::npos;
      },
      30s, 10ms);
  if (!ok) {
    die("smbclient never reached //" + share + ": " + last);
  }
}

} // namespace

int run(int pairs) {
  auto runner = make_process_runner();
  auto btrfs = must(test::LoopBtrfs::create(2048), "btrfs loop image");
  run_checked(*runner, "btrfs", {"quota", "enable", btrfs->mount_point().string()});
  const auto agent_root = btrfs->mount_point() / "agent";
  const auto manual_root = btrfs->mount_point() / "manual";
  for (const auto& dir : {agent_root, manual_root}) {
    std::filesystem::create_directory(dir);
    ::chmod(dir.c_str(), 0755);
  }

  fault::HostAccounts accounts;
  test::SmbdServer smbd;
  const auto include = smbd.dir() / "sharectl.conf";
  const auto manual_include = smbd.dir() / "manual.conf";
  must(smbd.add_include(include), "include");
  must(smbd.add_include(manual_include), "include");
  must(smbd.start(), "smbd");
  test::AgentOptions options;
  options.samba_config = smbd.config_path();
  options.samba_include = include;
  options.filesystems = {{agent_root, "btrfs"}};
  auto agent = must(test::AgentProcess::start(options), "agent");

  const std::string owner = fault::owner_name("bench");
  const std::string password = "bench password 1";
  accounts.add(owner);
  test::CliUser shell;
  must(shell.register_and_login(agent->url(), owner, password), "register");
  auto sharectl = [&](const std::vector<std::string>& args) {
    auto ran = must(shell.run(args), "sharectl");
    if (!ran.ok()) {
      die(fmt::format("sharectl {} exited {}: {}\n{}", args.front(), ran.exit_code, ran.err,
                      agent->log_tail()));
    }
  };
  // Warm-up: the agent makes the owner's Unix account; the SMB password is set once for both.
  sharectl({"space", "create", "warmup", "--size", "20M"});
  must(smbd.set_smb_password(owner, password), "smbpasswd");
  connect(smbd, "warmup", owner, password);
  const struct passwd* pw = ::getpwnam(owner.c_str());
  if (pw == nullptr) {
    die("the agent made no account " + owner);
  }
  const uid_t uid = pw->pw_uid;
  const gid_t gid = pw->pw_gid;

  std::string manual_text = "# written by hand\n";
  auto by_hand = [&](const std::string& name) {
    const auto path = manual_root / name;
    run_checked(*runner, "btrfs", {"subvolume", "create", path.string()});
    if (::chown(path.c_str(), uid, gid) != 0 || ::chmod(path.c_str(), 0750) != 0) {
      die("chown/chmod " + path.string());
    }
    run_checked(*runner, "btrfs", {"qgroup", "limit", "20M", path.string()});
    manual_text += fmt::format(
        "\n[{0}]\n\tpath = {1}\n\tread only = no\n\tbrowseable = yes\n\tvalid users = {2}\n"
        "\twrite list = {2}\n\tforce user = {2}\n\tforce group = {2}\n\tcreate mask = 0640\n"
        "\tdirectory mask = 0750\n",
        name, path.string(), owner);
    AtomicWriteOptions write;
    write.validate = [&](const std::filesystem::path& temp) -> Status {
      run_checked(*runner, "testparm", {"-s", "--suppress-prompt", temp.string()});
      return {};
    };
    must(write_file_atomic(manual_include, manual_text, write), "write config");
    must(smbd.smbcontrol({"smbd", "reload-config"}), "reload");
    connect(smbd, name, owner, password);
  };
  auto by_agent = [&](const std::string& name) {
    sharectl({"space", "create", name, "--size", "20M"});
    connect(smbd, name, owner, password);
  };

  std::vector<double> agent_ms;
  std::vector<double> manual_ms;
  fmt::print("pair  agent_ms  by_hand_ms\n");
  for (int i = 0; i < pairs; ++i) {
    const std::string a = fmt::format("a{}", i);
    const std::string m = fmt::format("m{}", i);
    double ta = 0;
    double tm = 0;
    for (int side = 0; side < 2; ++side) {
      const auto start = Clock::now();
      if ((side == 0) == (i % 2 == 0)) {
        by_agent(a);
        ta = ms_since(start);
      } else {
        by_hand(m);
        tm = ms_since(start);
      }
    }
    agent_ms.push_back(ta);
    manual_ms.push_back(tm);
    fmt::print("{:4}  {:8.1f}  {:10.1f}\n", i, ta, tm);
    std::fflush(stdout);
  }
  const double ma = median(agent_ms);
  const double mm = median(manual_ms);
  fmt::print("median: agent {:.1f} ms, by hand {:.1f} ms, ratio {:.2f} (goal <= 1.5)\n", ma, mm,
             ma / mm);
  (void)agent->stop();
  return 0;
}

int main(int argc, char** argv) {
  const int pairs = argc > 1 ? std::atoi(argv[1]) : 10;
  if (::geteuid() != 0) {
    std::fprintf(stderr, "space_create_bench: needs root (loop device, btrfs, accounts)\n");
    return 1;
  }
  try {
    return run(pairs);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "space_create_bench: %s\n", e.what());
    return 1;
  }
}
