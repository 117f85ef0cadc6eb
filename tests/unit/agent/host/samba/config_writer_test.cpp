// The include-file writer with a fake runner: no-op writes, testparm's verdicts, exact
// smbcontrol command lines, close-share on shrinking access, and the include line edit.
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "agent/host/samba/config_writer.hpp"
#include "common/util/atomic_file.hpp"
#include "tests/support/fake_process_runner.hpp"
#include "tests/support/require.hpp"
#include "tests/support/temp_dir.hpp"

using namespace sharectl;
using namespace sharectl::agent::host;
using sharectl::test::FakeProcessRunner;

namespace {

namespace fs = std::filesystem;

constexpr std::string_view k_header = "# managed by sharectl-agent; edits are overwritten\n";

std::string section(std::string_view name, std::string_view valid, std::string_view readers,
                    std::string_view writers, std::string_view extra = "") {
  std::string out = "\n[" + std::string(name) + "]\n\tpath = /srv/" + std::string(name) + "\n";
  out += std::string(extra);
  out += "\tvalid users = " + std::string(valid) + "\n";
  if (!readers.empty()) {
    out += "\tread list = " + std::string(readers) + "\n";
  }
  out += "\twrite list = " + std::string(writers) + "\n\tforce user = alice\n";
  return out;
}

std::string read_all(const fs::path& path) {
  auto text = read_file(path, 1 << 20);
  return text ? *text : std::string("<missing>");
}

// testparm echoes the file it is given (as `testparm -s` dumps what it read).
void echo_testparm(FakeProcessRunner& runner) {
  runner.set_handler([](const Command& command) -> Result<ProcessResult> {
    if (command.program == "testparm") {
      return ProcessResult{0, read_all(command.args.back()), "Loaded services file OK.\n"};
    }
    return ProcessResult{};
  });
}

} // namespace

TEST_SUITE("host") {

  TEST_CASE("shares_to_close: removal and shrinking access close, growth does not") {
    const std::string before =
        std::string(k_header) + section("a", "alice, bob", "bob", "alice") +
        section("b", "alice", "", "alice") + section("c", "alice, bob", "", "alice, bob") +
        section("d", "alice", "", "alice") + section("e", "alice", "", "alice");
    const std::string after = std::string(k_header) +
                              section("a", "alice", "", "alice") +             // bob revoked
                              section("b", "alice, carol", "carol", "alice") + // carol added
                              section("c", "alice, bob", "bob", "alice") +     // bob write→read
                              section("d", "alice", "", "alice", "\tcomment = new\n");
    // e removed
    CHECK(shares_to_close(before, after) == std::vector<std::string>{"a", "c", "e"});
    CHECK(shares_to_close(before, before).empty());
    CHECK(shares_to_close("", after).empty());
    // a changed path or a flip to read-only closes; a hostile section name never reaches argv
    CHECK(shares_to_close("[x]\n\tpath = /a\n", "[x]\n\tpath = /b\n") ==
          std::vector<std::string>{"x"});
    CHECK(shares_to_close("[x]\n\tread only = no\n", "[x]\n\tread only = yes\n") ==
          std::vector<std::string>{"x"});
    CHECK(shares_to_close("[-x]\n\tpath = /a\n[a b]\n", "").empty());
    // free-space reporting grants nothing: adding or changing it keeps sessions open
    CHECK(
        shares_to_close("[x]\n\tpath = /a\n",
                        "[x]\n\tpath = /a\n\tdfree command = /u/1.dfree\n\tdfree cache time = 10\n")
            .empty());
  }

  TEST_CASE("check_testparm: exit status, warnings on stderr and the section count") {
    const std::string dump = "[global]\n\tx = 1\n\n[a]\n\tcomment = error warning\n[b]\n";
    SHARECTL_CHECK_OK(check_testparm(ProcessResult{0, dump, "Loaded services file OK.\n"}, 2));
    auto unknown =
        check_testparm(ProcessResult{0, dump,
                                     "Unknown parameter encountered: \"bogus\"\nIgnoring unknown "
                                     "parameter \"bogus\"\n"},
                       2);
    REQUIRE_FALSE(unknown.has_value());
    CHECK(unknown.error().message.find("bogus") != std::string::npos);
    CHECK_FALSE(check_testparm(ProcessResult{1, "", "Error loading services.\n"}, 0).has_value());
    CHECK_FALSE(check_testparm(ProcessResult{0, dump, ""}, 3).has_value()); // a section got lost
    CHECK(count_sections("[global]\n[a]\n [b]\n\t[c]\nx = [d]\n") == 3);
  }

  TEST_CASE("SambaConfigWriter: write, reload, then a no-op for the same text") {
    test::TempDir dir;
    FakeProcessRunner runner;
    echo_testparm(runner);
    SambaConfigWriter writer(runner, {dir.path() / "smb.conf", dir.path() / "sharectl.conf"});
    const std::string text = std::string(k_header) + section("a", "alice", "", "alice");

    auto report = writer.apply(text);
    SHARECTL_REQUIRE_OK(report);
    CHECK(report->written);
    CHECK(report->reloaded);
    CHECK(report->closed.empty());
    CHECK(read_all(dir.path() / "sharectl.conf") == text);
    const auto argvs = runner.argvs();
    REQUIRE(argvs.size() == 2);
    CHECK(argvs[0][0] == "testparm");
    CHECK(argvs[0][1] == "-s");
    CHECK(argvs[0][2] == "--suppress-prompt");
    CHECK(fs::path(argvs[0][3]).parent_path() == dir.path()); // the temp file beside the target
    CHECK(argvs[1] == std::vector<std::string>{"smbcontrol",
                                               "--configfile=" + (dir.path() / "smb.conf").string(),
                                               "smbd", "reload-config"});
    runner.clear();
    auto again = writer.apply(text);
    SHARECTL_REQUIRE_OK(again);
    CHECK_FALSE(again->written);
    CHECK_FALSE(again->reloaded);
    CHECK(runner.count() == 0);
  }

  TEST_CASE("SambaConfigWriter: temporaries a killed writer left are removed once") {
    test::TempDir dir;
    FakeProcessRunner runner;
    echo_testparm(runner);
    const auto stale = dir.path() / ".sharectl.conf.tmp-0123abcd";
    const auto other = dir.path() / ".smb.conf.tmp-0123abcd"; // not ours
    std::ofstream(stale) << "[half";
    std::ofstream(other) << "[admin";
    const std::string text = std::string(k_header) + section("a", "alice", "", "alice");
    std::ofstream(dir.path() / "sharectl.conf") << text;
    SambaConfigWriter writer(runner, {dir.path() / "smb.conf", dir.path() / "sharectl.conf"});
    auto report = writer.apply(text);
    SHARECTL_REQUIRE_OK(report);
    CHECK_FALSE(report->written);
    CHECK_FALSE(fs::exists(stale));
    CHECK(fs::exists(other));
    CHECK(runner.count() == 0);
  }

  TEST_CASE("SambaConfigWriter: a revoke reloads, then closes the share") {
    test::TempDir dir;
    FakeProcessRunner runner;
    echo_testparm(runner);
    SambaConfigWriter writer(runner, {dir.path() / "smb.conf", dir.path() / "sharectl.conf"});
    SHARECTL_REQUIRE_OK(
        writer.apply(std::string(k_header) + section("a", "alice, bob", "bob", "alice")));
    runner.clear();
    auto report = writer.apply(std::string(k_header) + section("a", "alice", "", "alice"));
    SHARECTL_REQUIRE_OK(report);
    CHECK(report->closed == std::vector<std::string>{"a"});
    const auto lines = runner.argvs();
    REQUIRE(lines.size() == 3);
    CHECK(lines[1].back() == "reload-config");
    CHECK(lines[2] == std::vector<std::string>{"smbcontrol",
                                               "--configfile=" + (dir.path() / "smb.conf").string(),
                                               "smbd", "close-share", "a"});
  }

  TEST_CASE("SambaConfigWriter: testparm refusal leaves the old file, nothing reloaded") {
    test::TempDir dir;
    FakeProcessRunner runner;
    echo_testparm(runner);
    SambaConfigWriter writer(runner, {dir.path() / "smb.conf", dir.path() / "sharectl.conf"});
    const std::string good = std::string(k_header) + section("a", "alice", "", "alice");
    SHARECTL_REQUIRE_OK(writer.apply(good));
    runner.clear();
    runner.push_exit(0, "[global]\n[b]\n", "Ignoring unknown parameter \"bogus\"\n");
    auto refused = writer.apply(good + "\n[b]\n\tbogus = 1\n");
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().code == ErrorCode::bad_request);
    CHECK(refused.error().message.find("SAMBA-TESTPARM-FAILED") != std::string::npos);
    CHECK(read_all(dir.path() / "sharectl.conf") == good);
    CHECK(runner.count() == 1);
    for (const auto& entry : fs::directory_iterator(dir.path())) {
      CHECK(entry.path().filename() == "sharectl.conf"); // no temporary file left
    }
  }

  TEST_CASE("SambaConfigWriter: a failed reload is retried by the next apply, with its closes") {
    test::TempDir dir;
    FakeProcessRunner runner;
    echo_testparm(runner);
    SambaConfigWriter writer(runner, {dir.path() / "smb.conf", dir.path() / "sharectl.conf"});
    SHARECTL_REQUIRE_OK(writer.apply(std::string(k_header) + section("a", "alice", "", "alice")));
    runner.clear();
    runner.set_handler([](const Command& command) -> Result<ProcessResult> {
      if (command.program == "testparm") {
        return ProcessResult{0, read_all(command.args.back()), ""};
      }
      return ProcessResult{1, "", "Can't find pid for destination 'smbd'\n"};
    });
    const std::string removed = std::string(k_header);
    auto failed = writer.apply(removed);
    REQUIRE_FALSE(failed.has_value());
    CHECK(failed.error().code == ErrorCode::unavailable);
    CHECK(failed.error().message.find("Can't find pid") != std::string::npos);
    CHECK(read_all(dir.path() / "sharectl.conf") == removed); // the new file is in place
    echo_testparm(runner);
    runner.clear();
    auto retried = writer.apply(removed);
    SHARECTL_REQUIRE_OK(retried);
    CHECK_FALSE(retried->written);
    CHECK(retried->reloaded);
    CHECK(retried->closed == std::vector<std::string>{"a"});
  }

  TEST_CASE(
      "SambaConfigWriter: a reload and closes owed by a crashed writer are done by the next") {
    test::TempDir dir;
    const SambaPaths paths{dir.path() / "smb.conf", dir.path() / "sharectl.conf"};
    const std::string before = std::string(k_header) + section("a", "alice, bob", "bob", "alice");
    const std::string after = std::string(k_header) + section("a", "alice", "", "alice");
    {
      // smbd is down: the new file is in place, the reload and the close are owed.
      FakeProcessRunner runner;
      echo_testparm(runner);
      SambaConfigWriter writer(runner, paths);
      SHARECTL_REQUIRE_OK(writer.apply(before));
      runner.set_handler([](const Command& command) -> Result<ProcessResult> {
        if (command.program == "testparm") {
          return ProcessResult{0, read_all(command.args.back()), ""};
        }
        return ProcessResult{1, "", "Can't find pid for destination 'smbd'\n"};
      });
      REQUIRE_FALSE(writer.apply(after).has_value());
    } // the agent dies here, before any retry
    CHECK(fs::exists(dir.path() / ".sharectl.conf.pending"));
    FakeProcessRunner runner;
    echo_testparm(runner);
    SambaConfigWriter restarted(runner, paths);
    auto report = restarted.apply(after); // same text: only what was owed
    SHARECTL_REQUIRE_OK(report);
    CHECK_FALSE(report->written);
    CHECK(report->reloaded);
    CHECK(report->closed == std::vector<std::string>{"a"});
    CHECK_FALSE(fs::exists(dir.path() / ".sharectl.conf.pending"));
    runner.clear();
    auto idle = restarted.apply(after);
    SHARECTL_REQUIRE_OK(idle);
    CHECK_FALSE(idle->reloaded);
    CHECK(runner.count() == 0);
  }

  TEST_CASE("with_include_line: inserted once at the end of [global], idempotent") {
    const fs::path include = "/etc/samba/sharectl.conf";
    const std::string admin = "# admin's file\n[global]\n\tworkgroup = X\n\n# shares\n[homes]\n"
                              "\tbrowseable = no\n";
    const auto updated = with_include_line(admin, include);
    REQUIRE(updated.has_value());
    CHECK(*updated == "# admin's file\n[global]\n\tworkgroup = X\n\tinclude = "
                      "/etc/samba/sharectl.conf\n\n# shares\n[homes]\n\tbrowseable = no\n");
    CHECK_FALSE(with_include_line(*updated, include).has_value());
    // spelled differently by hand: still ours
    CHECK_FALSE(with_include_line("[Global]\n  INCLUDE=/etc/samba/sharectl.conf\n", include));
    // a copy in a share section or a second copy is removed
    CHECK(with_include_line("[global]\ninclude = /etc/samba/sharectl.conf\n[x]\ninclude = "
                            "/etc/samba/sharectl.conf\n",
                            include) == "[global]\ninclude = /etc/samba/sharectl.conf\n[x]\n");
    // no [global] header: parameters before any section are global
    CHECK(with_include_line("workgroup = X\n", include) ==
          "workgroup = X\n\n[global]\n\tinclude = /etc/samba/sharectl.conf\n");
    CHECK(with_include_line("[x]\npath = /a", include) ==
          "[x]\npath = /a\n\n[global]\n\tinclude = /etc/samba/sharectl.conf\n");
    // a different include is left alone
    CHECK(with_include_line("[global]\ninclude = /etc/other.conf\n", include) ==
          "[global]\ninclude = /etc/other.conf\n\tinclude = /etc/samba/sharectl.conf\n");
    // a dangling continuation does not swallow our line
    CHECK(with_include_line("[global]\nworkgroup = X \\\n[x]\n", include) ==
          "[global]\nworkgroup = X \\\n[x]\n\tinclude = /etc/samba/sharectl.conf\n");
    CHECK(with_include_line("[global]\nworkgroup = X \\\n", include) ==
          "[global]\nworkgroup = X \\\n\n\tinclude = /etc/samba/sharectl.conf\n");
    CHECK(with_include_line("[global]\nworkgroup = X \\\n\n[y]\n", include) ==
          "[global]\nworkgroup = X \\\n\n\tinclude = /etc/samba/sharectl.conf\n\n[y]\n");
  }

  TEST_CASE("ensure_include: keeps mode, writes once, validates with testparm") {
    test::TempDir dir;
    FakeProcessRunner runner;
    const fs::path conf = dir.path() / "smb.conf";
    {
      std::ofstream out(conf);
      out << "[global]\n\tworkgroup = X\n";
    }
    fs::permissions(conf, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
    auto written = ensure_include(runner, conf, "/etc/samba/sharectl.conf");
    SHARECTL_REQUIRE_OK(written);
    CHECK(*written);
    CHECK(runner.count() == 1);
    CHECK(runner.last().program == "testparm");
    CHECK((fs::status(conf).permissions() & fs::perms::all) ==
          (fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read));
    auto again = ensure_include(runner, conf, "/etc/samba/sharectl.conf");
    SHARECTL_REQUIRE_OK(again);
    CHECK_FALSE(*again);
    CHECK(runner.count() == 1);
    CHECK_FALSE(ensure_include(runner, conf, "relative.conf").has_value());
    auto missing = ensure_include(runner, dir.path() / "nope.conf", "/etc/samba/sharectl.conf");
    REQUIRE_FALSE(missing.has_value());
    CHECK(missing.error().code == ErrorCode::not_found);
    runner.push_exit(1, "", "Error loading services.");
    std::ofstream(conf) << "[global]\n";
    auto refused = ensure_include(runner, conf, "/etc/samba/sharectl.conf");
    REQUIRE_FALSE(refused.has_value());
    CHECK(read_all(conf) == "[global]\n");
  }

} // TEST_SUITE
