// The real ProcessRunner against real programs (true, false, sh, cat, sleep, env, printf, pwd),
// plus Command::display(), check_exit() and the FakeProcessRunner used by other unit tests.
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/util/process.hpp"
#include "tests/support/fake_process_runner.hpp"
#include "tests/support/temp_dir.hpp"

using namespace sharectl;
using namespace std::chrono_literals;

namespace {

Command sh(std::string script, std::vector<std::string> extra = {}) {
  Command c;
  c.program = "sh";
  c.args = {"-c", std::move(script), "sh"};
  c.args.insert(c.args.end(), extra.begin(), extra.end());
  return c;
}

Command cmd(std::string program, std::vector<std::string> args = {}) {
  Command c;
  c.program = std::move(program);
  c.args = std::move(args);
  return c;
}

ProcessResult run_ok(const Command& c) {
  auto runner = make_process_runner();
  auto r = runner->run(c);
  if (!r) {
    FAIL("run failed: " << to_string(r.error()));
  }
  return *r;
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// True once pid is gone or a zombie (an orphan waiting for init to reap it).
bool process_gone(pid_t pid) {
  for (int i = 0; i < 100; ++i) {
    const std::string stat = slurp("/proc/" + std::to_string(pid) + "/stat");
    const auto paren = stat.rfind(')');
    if (stat.empty() || (paren != std::string::npos && paren + 2 < stat.size() &&
                         (stat[paren + 2] == 'Z' || stat[paren + 2] == 'X'))) {
      return true;
    }
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

// No child of ours was left unreaped by the runner.
void check_no_zombie_children() {
  const pid_t reaped = ::waitpid(-1, nullptr, WNOHANG);
  CHECK(reaped <= 0);
}

} // namespace

TEST_SUITE("util") {

  TEST_CASE("process: exit codes of true and false are results, not errors") {
    auto ok = run_ok(cmd("true"));
    CHECK(ok.exit_code == 0);
    CHECK(ok.ok());
    CHECK(ok.out.empty());
    CHECK(ok.err.empty());
    auto bad = run_ok(cmd("false"));
    CHECK(bad.exit_code == 1);
    CHECK_FALSE(bad.ok());
    CHECK(run_ok(sh("exit 42")).exit_code == 42);
    check_no_zombie_children();
  }

  TEST_CASE("process: arguments reach the program unchanged, no shell involved") {
    const std::vector<std::string> args = {"a b",         "",           "$HOME", "'quoted'",
                                           "\"dq\"",      "; rm -rf /", "`id`",  "*",
                                           "line\nbreak", "ünï",        "-n",    "\\"};
    std::vector<std::string> printf_args = {"[%s]"};
    printf_args.insert(printf_args.end(), args.begin(), args.end());
    auto r = run_ok(cmd("printf", printf_args));
    std::string expected;
    for (const auto& a : args) {
      expected += "[" + a + "]";
    }
    CHECK(r.out == expected);
    CHECK(r.exit_code == 0);
  }

  TEST_CASE("process: stdout and stderr are captured separately") {
    auto r = run_ok(sh("echo out; echo err >&2; echo more; exit 3"));
    CHECK(r.out == "out\nmore\n");
    CHECK(r.err == "err\n");
    CHECK(r.exit_code == 3);
  }

  TEST_CASE("process: megabytes on both stdout and stderr do not deadlock") {
    auto r = run_ok(sh("head -c 5000000 /dev/zero; head -c 5000000 /dev/zero >&2; echo done >&2"));
    CHECK(r.exit_code == 0);
    CHECK(r.out.size() == 5000000);
    CHECK(r.err.size() == 5000005);
    CHECK(r.err.ends_with("done\n"));
    // Interleaved writers too: both pipes fill while the child alternates.
    auto r2 = run_ok(sh("for i in 1 2 3 4 5 6 7 8; do head -c 300000 /dev/zero; "
                        "head -c 300000 /dev/zero >&2; done"));
    CHECK(r2.out.size() == 2400000);
    CHECK(r2.err.size() == 2400000);
  }

  TEST_CASE("process: output beyond k_max_capture is truncated while the child keeps running") {
    const std::size_t more = k_max_capture + 1024 * 1024;
    auto r = run_ok(sh("head -c " + std::to_string(more) + " /dev/zero; echo finished >&2"));
    CHECK(r.exit_code == 0);
    CHECK(r.out.size() == k_max_capture);
    CHECK(r.err == "finished\n");
  }

  TEST_CASE("process: stdin is fed from stdin_data, or is /dev/null") {
    Command c = cmd("cat");
    c.stdin_data = "hello\nworld";
    CHECK(run_ok(c).out == "hello\nworld");

    std::string big(3 * 1024 * 1024, 'x');
    for (std::size_t i = 0; i < big.size(); i += 4096) {
      big[i] = static_cast<char>('a' + (i / 4096) % 26);
    }
    c.stdin_data = big;
    auto r = run_ok(c);
    CHECK(r.out.size() == big.size());
    CHECK(r.out == big);

    c.stdin_data = std::string();
    CHECK(run_ok(c).out.empty());

    c.stdin_data.reset();
    c.timeout = 20s;
    auto devnull = run_ok(c); // cat reads /dev/null: EOF at once, no hang
    CHECK(devnull.out.empty());
    CHECK(run_ok(sh("readlink /proc/self/fd/0")).out == "/dev/null\n");
  }

  TEST_CASE("process: a child that ignores its stdin does not kill us with SIGPIPE") {
    Command c = cmd("true");
    c.stdin_data = std::string(4 * 1024 * 1024, 'y');
    auto r = run_ok(c);
    CHECK(r.exit_code == 0);
    Command c2 = sh("head -c 10 >/dev/null; echo read");
    c2.stdin_data = std::string(4 * 1024 * 1024, 'y');
    CHECK(run_ok(c2).out == "read\n");
  }

  TEST_CASE("process: a missing program is not_found and named") {
    auto runner = make_process_runner();
    auto r = runner->run(cmd("sharectl-no-such-program-xyz", {"--help"}));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == ErrorCode::not_found);
    CHECK(r.error().message.find("sharectl-no-such-program-xyz") != std::string::npos);

    auto abs = runner->run(cmd("/nonexistent/dir/tool"));
    REQUIRE_FALSE(abs.has_value());
    CHECK(abs.error().code == ErrorCode::not_found);
    CHECK(abs.error().message.find("/nonexistent/dir/tool") != std::string::npos);
    check_no_zombie_children();
  }

  TEST_CASE("process: exec failures are reported and leave no zombie") {
    test::TempDir dir;
    const auto plain = dir.path() / "not-executable";
    std::ofstream(plain) << "#!/bin/sh\necho hi\n";
    ::chmod(plain.c_str(), 0644);
    const auto bad_interp = dir.path() / "bad-interpreter";
    std::ofstream(bad_interp) << "#!/nonexistent/interpreter\n";
    ::chmod(bad_interp.c_str(), 0755);
    const auto script = dir.path() / "script";
    std::ofstream(script) << "#!/bin/sh\necho \"hi $1\"\n";
    ::chmod(script.c_str(), 0755);

    auto runner = make_process_runner();
    auto r = runner->run(cmd(plain.string())); // EACCES, even for root: no x bit at all
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == ErrorCode::internal);
    CHECK(r.error().message.find(plain.string()) != std::string::npos);
    auto r2 = runner->run(cmd(bad_interp.string()));
    REQUIRE_FALSE(r2.has_value());
    CHECK(r2.error().code == ErrorCode::not_found);
    CHECK(r2.error().message.find("bad-interpreter") != std::string::npos);
    check_no_zombie_children();

    auto ok = runner->run(cmd(script.string(), {"there"}));
    REQUIRE(ok.has_value());
    CHECK(ok->out == "hi there\n");
  }

  TEST_CASE("process: a bare name is looked up on the child's PATH, absolute entries only") {
    test::TempDir dir;
    const auto tool = dir.path() / "sharectl-test-tool";
    std::ofstream(tool) << "#!/bin/sh\necho found\n";
    ::chmod(tool.c_str(), 0755);

    auto runner = make_process_runner();
    Command c = cmd("sharectl-test-tool");
    c.env_overrides["PATH"] = "/nonexistent:" + dir.path().string() + ":/usr/bin:/bin";
    auto r = runner->run(c);
    REQUIRE(r.has_value());
    CHECK(r->out == "found\n");

    // A relative PATH entry is never searched, even when it would match.
    Command rel = cmd("sharectl-test-tool");
    rel.env_overrides["PATH"] = "relative/dir:.";
    rel.working_dir = dir.path();
    auto r2 = runner->run(rel);
    REQUIRE_FALSE(r2.has_value());
    CHECK(r2.error().code == ErrorCode::not_found);
  }

  TEST_CASE("process: env replaces the environment exactly, env_overrides add to it") {
    setenv("SHARECTL_PROCESS_TEST_INHERITED", "yes", 1);
    Command exact = cmd("env");
    exact.env = std::map<std::string, std::string>{{"FOO", "bar"}, {"EMPTY", ""}};
    CHECK(run_ok(exact).out == "EMPTY=\nFOO=bar\n");

    exact.env_overrides = {{"FOO", "replaced"}, {"EXTRA", "1"}};
    CHECK(run_ok(exact).out == "EMPTY=\nEXTRA=1\nFOO=replaced\n");

    Command inherit = cmd("env");
    auto inherited = run_ok(inherit).out;
    CHECK(inherited.find("SHARECTL_PROCESS_TEST_INHERITED=yes\n") != std::string::npos);

    inherit.env_overrides = {{"SHARECTL_PROCESS_TEST_INHERITED", "overridden"},
                             {"SHARECTL_PROCESS_TEST_ADDED", "value with spaces"}};
    auto overridden = run_ok(inherit).out;
    CHECK(overridden.find("SHARECTL_PROCESS_TEST_INHERITED=overridden\n") != std::string::npos);
    CHECK(overridden.find("SHARECTL_PROCESS_TEST_ADDED=value with spaces\n") != std::string::npos);
    CHECK(overridden.find("PATH=") != std::string::npos);
    unsetenv("SHARECTL_PROCESS_TEST_INHERITED");

    auto runner = make_process_runner();
    Command bad = cmd("env");
    bad.env_overrides = {{"A=B", "x"}};
    auto r = runner->run(bad);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == ErrorCode::bad_request);
  }

  TEST_CASE("process: working_dir sets the child's directory, a missing one is not_found") {
    test::TempDir dir;
    Command c = cmd("pwd");
    c.working_dir = dir.path();
    CHECK(run_ok(c).out == std::filesystem::canonical(dir.path()).string() + "\n");

    auto runner = make_process_runner();
    c.working_dir = dir.path() / "missing";
    auto r = runner->run(c);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == ErrorCode::not_found);
    CHECK(r.error().message.find("missing") != std::string::npos);
  }

  TEST_CASE("process: a timeout kills the child and returns unavailable quickly") {
    auto runner = make_process_runner();
    Command c = cmd("sleep", {"30"});
    c.timeout = 200ms;
    const auto start = std::chrono::steady_clock::now();
    auto r = runner->run(c);
    const auto elapsed = std::chrono::steady_clock::now() - start;
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == ErrorCode::unavailable);
    CHECK(r.error().message == "\"sleep\" timed out after 0.2s");
    CHECK(elapsed < 15s); // generous: "quickly" means not the 30 s of the sleep
    check_no_zombie_children();
  }

  TEST_CASE("process: a zero timeout kills at once") {
    auto runner = make_process_runner();
    Command c = cmd("sleep", {"30"});
    c.timeout = 0ms;
    auto r = runner->run(c);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == ErrorCode::unavailable);
    CHECK(r.error().message == "\"sleep\" timed out after 0s");
    c.timeout = 1500ms;
    c.args = {"0.01"};
    CHECK(runner->run(c).has_value());
  }

  TEST_CASE("process: a timeout kills the child's whole process group") {
    test::TempDir dir;
    const auto pid_file = dir.path() / "pid";
    auto runner = make_process_runner();
    Command c = sh("sleep 30 & echo $! > \"$1\"; wait", {pid_file.string()});
    c.timeout = 300ms;
    auto r = runner->run(c);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == ErrorCode::unavailable);
    const std::string pid_text = slurp(pid_file);
    REQUIRE_FALSE(pid_text.empty());
    const pid_t grandchild = std::stoi(pid_text);
    CHECK(process_gone(grandchild));
  }

  TEST_CASE("process: a timeout also ends a child that ignores SIGTERM and closes its output") {
    auto runner = make_process_runner();
    Command c = sh("trap '' TERM INT; exec >&- 2>&-; sleep 30");
    c.timeout = 200ms;
    auto r = runner->run(c);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == ErrorCode::unavailable);
  }

  TEST_CASE("process: death by signal is exit code 128 + signal") {
    CHECK(run_ok(sh("kill -TERM $$")).exit_code == 128 + SIGTERM);
    CHECK(run_ok(sh("kill -KILL $$")).exit_code == 128 + SIGKILL);
  }

  TEST_CASE("process: signal state of the parent does not leak into the child") {
    // The runner blocks SIGPIPE in this thread while it runs; the child must start clean.
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    struct sigaction old {};
    ::sigaction(SIGUSR1, &ignore, &old);
    auto r = run_ok(sh("grep -E '^(SigBlk|SigIgn)' /proc/self/status"));
    ::sigaction(SIGUSR1, &old, nullptr);
    CHECK(r.out.find("SigBlk:\t0000000000000000") != std::string::npos);
    // SIGUSR1 is bit 10 (value 0x200); it must not be ignored in the child.
    const auto ign = r.out.find("SigIgn:\t");
    REQUIRE(ign != std::string::npos);
    const auto mask = std::stoull(r.out.substr(ign + 8, 16), nullptr, 16);
    CHECK((mask & (1ULL << (SIGUSR1 - 1))) == 0);
  }

  TEST_CASE("process: the child runs in its own process group") {
    auto r = run_ok(sh("cut -d' ' -f5 /proc/$$/stat; echo $$"));
    // Output: the pgid, then the pid; they are equal for a group leader.
    std::istringstream in(r.out);
    long pgid = 0;
    long pid = 0;
    in >> pgid >> pid;
    CHECK(pgid == pid);
    CHECK(pgid != ::getpgrp());
  }

  TEST_CASE("process: the parent's descriptors do not leak into the child") {
    // Deliberately without O_CLOEXEC: the runner must close it anyway, low or high.
    const int low = ::open("/dev/null", O_RDONLY);
    REQUIRE(low >= 0);
    const int high = ::fcntl(low, F_DUPFD, 200);
    REQUIRE(high >= 200);
    const std::string script = "for fd in " + std::to_string(low) + " " + std::to_string(high) +
                               "; do [ -e /proc/$$/fd/$fd ] && echo \"leaked $fd\"; done; "
                               "ls /proc/$$/fd"; // no pipeline: sh itself holds no pipes

    auto r = run_ok(sh(script));
    ::close(low);
    ::close(high);
    CHECK(r.out.find("leaked") == std::string::npos);
    std::istringstream listing(r.out);
    std::set<int> open_fds;
    for (int fd = 0; listing >> fd;) {
      open_fds.insert(fd);
    }
    CHECK(open_fds == std::set<int>{0, 1, 2});
  }

  TEST_CASE("process: a descendant holding stdout open does not block the result") {
    test::TempDir dir;
    const auto pid_file = dir.path() / "pid";
    auto runner = make_process_runner();
    Command c = sh("sleep 5 & echo $! > \"$1\"; echo started", {pid_file.string()});
    c.timeout = 20s;
    const auto start = std::chrono::steady_clock::now();
    auto r = runner->run(c);
    const auto elapsed = std::chrono::steady_clock::now() - start;
    REQUIRE(r.has_value());
    CHECK(r->exit_code == 0);
    CHECK(r->out == "started\n");
    CHECK(elapsed < 4s); // returned before the sleep ended (generous bound)
    const std::string pid_text = slurp(pid_file);
    if (!pid_text.empty()) {
      ::kill(std::stoi(pid_text), SIGKILL);
    }
  }

  TEST_CASE("process: NUL bytes in arguments are refused, not truncated") {
    auto runner = make_process_runner();
    auto r = runner->run(cmd("echo", {std::string("a\0b", 3)}));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == ErrorCode::bad_request);
    auto empty = runner->run(cmd(""));
    REQUIRE_FALSE(empty.has_value());
    CHECK(empty.error().code == ErrorCode::bad_request);
  }

  TEST_CASE("process: one runner is safe to use from many threads at once") {
    auto runner = make_process_runner();
    constexpr int k_threads = 8;
    constexpr int k_runs = 12;
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < k_threads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < k_runs; ++i) {
          const std::string token = std::to_string(t) + "-" + std::to_string(i);
          Command c = cmd("cat");
          c.stdin_data = token + std::string(100000, '.');
          c.timeout = 30s;
          auto r = runner->run(c);
          if (!r || r->out != *c.stdin_data || r->exit_code != 0) {
            ++failures;
          }
          auto e = runner->run(sh("echo \"$1\" >&2; exit 7", {token}));
          if (!e || e->err != token + "\n" || e->exit_code != 7) {
            ++failures;
          }
        }
      });
    }
    for (auto& thread : threads) {
      thread.join();
    }
    CHECK(failures.load() == 0);
    check_no_zombie_children();
  }

  TEST_CASE("process: display() quotes like a shell, for reading only") {
    CHECK(cmd("testparm", {"-s", "/etc/samba/smb.conf"}).display() ==
          "testparm -s /etc/samba/smb.conf");
    CHECK(
        cmd("smbcontrol", {"--configfile=/tmp/a b/smb.conf", "smbd", "reload-config"}).display() ==
        "smbcontrol '--configfile=/tmp/a b/smb.conf' smbd reload-config");
    CHECK(cmd("echo", {""}).display() == "echo ''");
    CHECK(cmd("echo", {"it's"}).display() == "echo 'it'\\''s'");
    CHECK(cmd("echo", {"$HOME", "a;b", "*"}).display() == "echo '$HOME' 'a;b' '*'");
    CHECK(cmd("net", {"conf", "setparm", "share", "valid users", "@g,u"}).display() ==
          "net conf setparm share 'valid users' @g,u");
    Command secret = cmd("tool", {"x"});
    secret.env_overrides["PASSWORD"] = "hunter2";
    secret.stdin_data = "hunter2";
    CHECK(secret.display() == "tool x"); // never the environment or stdin
  }

  TEST_CASE("process: check_exit turns a failed run into an Error with the tool's message") {
    const Command c = cmd("testparm", {"-s", "x.conf"});
    ProcessResult ok;
    CHECK(check_exit(c, ok).has_value());

    ProcessResult failed;
    failed.exit_code = 1;
    failed.out = "Loaded services file OK.\n";
    failed.err = "Load smb config files from x.conf\n  Error loading services.  \r\n\n\n";
    auto e = check_exit(c, failed);
    REQUIRE_FALSE(e.has_value());
    CHECK(e.error().code == ErrorCode::internal);
    CHECK(e.error().message == "\"testparm\" exited with status 1: Error loading services.");

    failed.err = "  \n";
    CHECK(check_exit(c, failed).error().message ==
          "\"testparm\" exited with status 1: Loaded services file OK.");

    failed.out.clear();
    failed.err.clear();
    failed.exit_code = 143;
    CHECK(check_exit(c, failed).error().message == "\"testparm\" exited with status 143");

    failed.err = std::string(5000, 'e');
    const auto long_message = check_exit(c, failed).error().message;
    CHECK(long_message.size() < 1100);
    CHECK(long_message.ends_with("..."));
  }

  TEST_CASE("process: check_exit on a real failing run") {
    const Command c = sh("echo 'first problem' >&2; echo 'ERROR: last problem' >&2; exit 2");
    auto r = run_ok(c);
    auto e = check_exit(c, r);
    REQUIRE_FALSE(e.has_value());
    CHECK(e.error().message == "\"sh\" exited with status 2: ERROR: last problem");
  }

  TEST_CASE("fake process runner: records commands and answers from its script") {
    test::FakeProcessRunner fake;
    Command first = cmd("testparm", {"-s", "/tmp/x"});
    first.stdin_data = "input";
    fake.push_exit(1, "", "bad config");
    fake.push_error(ErrorCode::unavailable, "\"smbcontrol\" timed out after 1s");

    auto r1 = fake.run(first);
    REQUIRE(r1.has_value());
    CHECK(r1->exit_code == 1);
    CHECK(r1->err == "bad config");
    auto r2 = fake.run(cmd("smbcontrol", {"smbd", "reload-config"}));
    REQUIRE_FALSE(r2.has_value());
    CHECK(r2.error().code == ErrorCode::unavailable);
    auto r3 = fake.run(cmd("true")); // default: success, no output
    REQUIRE(r3.has_value());
    CHECK(r3->ok());
    CHECK(fake.pending_replies() == 0);

    REQUIRE(fake.count() == 3);
    CHECK(fake.commands()[0].stdin_data == "input");
    CHECK(fake.argvs()[1] == std::vector<std::string>{"smbcontrol", "smbd", "reload-config"});
    CHECK(fake.command_lines()[0] == "testparm -s /tmp/x");
    CHECK(fake.last().program == "true");

    fake.set_handler([](const Command& c) -> Result<ProcessResult> {
      ProcessResult r;
      r.out = c.program + " handled";
      return r;
    });
    CHECK(fake.run(cmd("btrfs"))->out == "btrfs handled");
    fake.push_ok("queued first");
    CHECK(fake.run(cmd("btrfs"))->out == "queued first");
    fake.set_handler({});
    fake.set_default(fail(ErrorCode::not_found, "nothing scripted"));
    CHECK(fake.run(cmd("x")).error().code == ErrorCode::not_found);

    fake.clear();
    CHECK(fake.count() == 0);
    CHECK_THROWS_AS(fake.last(), std::logic_error);
    CHECK(test::argv_of(cmd("a", {"b", "c"})) == std::vector<std::string>{"a", "b", "c"});
  }

  TEST_CASE("fake process runner: safe from many threads") {
    test::FakeProcessRunner fake;
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&] {
        for (int i = 0; i < 250; ++i) {
          (void)fake.run(cmd("x"));
        }
      });
    }
    for (auto& thread : threads) {
      thread.join();
    }
    CHECK(fake.count() == 1000);
  }

} // TEST_SUITE("util")
