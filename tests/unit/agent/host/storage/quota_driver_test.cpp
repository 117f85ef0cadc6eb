// The quota drivers with a fake runner: exact btrfs command lines, qgroup output parsing, the
// shrink refusal, paths outside the root and symlinks refused before anything runs, and the dir
// driver's owner, mode and usage on a real temporary directory.
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/host/storage/btrfs_driver.hpp"
#include "agent/host/storage/dir_driver.hpp"
#include "tests/support/fake_process_runner.hpp"
#include "tests/support/require.hpp"
#include "tests/support/temp_dir.hpp"

using namespace sharectl;
using namespace sharectl::agent::host;
using sharectl::test::FakeProcessRunner;
using Argv = std::vector<std::string>;

namespace {

namespace fs = std::filesystem;

constexpr std::string_view k_qgroup_show_62 =
    "Qgroupid    Referenced    Exclusive  Max referenced  Max exclusive   Path \n"
    "--------    ----------    ---------  --------------  -------------   ---- \n"
    "0/256          8388608      8388608        10485760           none   s1\n";

// An owner the test can chown to: nobody when root, ourselves otherwise.
SpaceSpec spec_for(const fs::path& path, std::uint64_t size) {
  const bool root = ::geteuid() == 0;
  return SpaceSpec{path, root ? 65534u : ::geteuid(), root ? 65534u : ::getegid(), size};
}

// A runner whose `btrfs subvolume create` makes the directory, as the real one would.
void fake_subvolume_create(FakeProcessRunner& runner) {
  runner.set_handler([](const Command& command) -> Result<ProcessResult> {
    if (command.args.size() == 3 && command.args[0] == "subvolume" && command.args[1] == "create") {
      fs::create_directory(command.args[2]);
    }
    return ProcessResult{};
  });
}

} // namespace

TEST_SUITE("host") {

  TEST_CASE("btrfs: parsing qgroup show and subvolume show") {
    auto used = parse_qgroup_referenced(k_qgroup_show_62);
    SHARECTL_REQUIRE_OK(used);
    CHECK(*used == 8388608);
    auto old_format = parse_qgroup_referenced("qgroupid         rfer         excl     max_rfer\n"
                                              "--------         ----         ----     --------\n"
                                              "1/100            9            9        none\n"
                                              "0/257        16384        16384     10485760\n");
    SHARECTL_REQUIRE_OK(old_format);
    CHECK(*old_format == 16384);
    CHECK_FALSE(parse_qgroup_referenced("").has_value());
    CHECK_FALSE(parse_qgroup_referenced("Qgroupid Referenced\n-- --\n0/5 lots\n").has_value());
    auto id = parse_subvolume_id("s1\n\tName: \t\t\ts1\n\tSubvolume ID: \t\t257\n");
    SHARECTL_REQUIRE_OK(id);
    CHECK(*id == 257);
    CHECK_FALSE(parse_subvolume_id("ERROR: not a subvolume").has_value());
  }

  TEST_CASE("btrfs: create runs quota enable, subvolume create, then the limit") {
    test::TempDir root;
    FakeProcessRunner runner;
    fake_subvolume_create(runner);
    BtrfsDriver driver(runner, root.path());
    const fs::path space = root.path() / "alice" / "projects";
    SHARECTL_REQUIRE_OK(driver.create(spec_for(space, 10 * 1024 * 1024)));
    CHECK(runner.argvs() == std::vector<Argv>{
                                {"btrfs", "quota", "enable", root.path().string()},
                                {"btrfs", "subvolume", "create", space.string()},
                                {"btrfs", "qgroup", "limit", "10485760", space.string()},
                            });
    struct stat st {};
    REQUIRE(::lstat(space.c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0750);
    CHECK(st.st_uid == spec_for(space, 1).owner_uid);
    REQUIRE(::lstat(space.parent_path().c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0711);

    // Again: an existing subvolume is checked and adjusted; quota is enabled once per driver.
    runner.clear();
    runner.push_ok("projects\n\tSubvolume ID:\t\t256\n");
    SHARECTL_REQUIRE_OK(driver.create(spec_for(space, 20 * 1024 * 1024)));
    CHECK(runner.argvs() == std::vector<Argv>{
                                {"btrfs", "subvolume", "show", space.string()},
                                {"btrfs", "qgroup", "limit", "20971520", space.string()},
                            });
  }

  TEST_CASE("btrfs: a failed limit removes the fresh subvolume") {
    test::TempDir root;
    FakeProcessRunner runner;
    runner.set_handler([](const Command& command) -> Result<ProcessResult> {
      if (command.args.at(0) == "subvolume" && command.args.at(1) == "create") {
        fs::create_directory(command.args.at(2));
      }
      if (command.args.at(0) == "qgroup") {
        return ProcessResult{1, "",
                             "ERROR: unable to limit requested quota group: Invalid argument"};
      }
      return ProcessResult{};
    });
    BtrfsDriver driver(runner, root.path());
    const fs::path space = root.path() / "s";
    auto status = driver.create(spec_for(space, 1024));
    REQUIRE_FALSE(status.has_value());
    CHECK(status.error().message.find("Invalid argument") != std::string::npos);
    CHECK(runner.last().args == Argv{"subvolume", "delete", space.string()});
  }

  TEST_CASE("btrfs: shrinking below usage is refused, stating the usage") {
    test::TempDir root;
    FakeProcessRunner runner;
    BtrfsDriver driver(runner, root.path());
    const fs::path space = root.path() / "s1";
    fs::create_directory(space);
    runner.push_ok();                              // filesystem sync
    runner.push_ok(std::string(k_qgroup_show_62)); // 8 MiB used
    auto refused = driver.resize(space, 5 * 1024 * 1024);
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().code == ErrorCode::conflict);
    CHECK(refused.error().message ==
          "SPACE-SHRINK-BELOW-USAGE: the space uses 8388608 bytes (8.0 MiB); it cannot shrink to "
          "5242880 bytes (5.0 MiB)");
    CHECK(runner.argvs() == std::vector<Argv>{
                                {"btrfs", "filesystem", "sync", root.path().string()},
                                {"btrfs", "qgroup", "show", "-reF", "--raw", space.string()},
                            });
    runner.clear();
    runner.push_ok();
    runner.push_ok(std::string(k_qgroup_show_62));
    SHARECTL_REQUIRE_OK(driver.resize(space, 20 * 1024 * 1024));
    CHECK(runner.argvs().back() == Argv{"btrfs", "qgroup", "limit", "20971520", space.string()});
    auto missing = driver.resize(root.path() / "nope", 1024);
    REQUIRE_FALSE(missing.has_value());
    CHECK(missing.error().code == ErrorCode::not_found);
  }

  TEST_CASE("btrfs: remove deletes the subvolume, waits and destroys its qgroup") {
    test::TempDir root;
    FakeProcessRunner runner;
    BtrfsDriver driver(runner, root.path());
    const fs::path space = root.path() / "s1";
    fs::create_directory(space);
    runner.push_ok("s1\n\tSubvolume ID:\t\t258\n");
    runner.push_ok();
    runner.push_ok();
    runner.push_exit(1, "", "ERROR: unable to destroy quota group: No such file or directory");
    SHARECTL_REQUIRE_OK(driver.remove(space));
    CHECK(runner.argvs() == std::vector<Argv>{
                                {"btrfs", "subvolume", "show", space.string()},
                                {"btrfs", "subvolume", "delete", space.string()},
                                {"btrfs", "subvolume", "sync", root.path().string(), "258"},
                                {"btrfs", "qgroup", "destroy", "0/258", root.path().string()},
                            });
    runner.clear();
    fs::remove(space);
    SHARECTL_REQUIRE_OK(driver.remove(space)); // already gone: fine, nothing run
    CHECK(runner.count() == 0);
    // a plain directory where a subvolume should be is not deleted
    fs::create_directory(space);
    runner.push_exit(1, "", "ERROR: Not a Btrfs subvolume");
    auto refused = driver.remove(space);
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().code == ErrorCode::conflict);
    CHECK(runner.count() == 1);
  }

  TEST_CASE("drivers: paths outside the root, the root itself and symlinks are refused") {
    test::TempDir root;
    test::TempDir elsewhere;
    FakeProcessRunner runner;
    fs::create_directory_symlink(elsewhere.path(), root.path() / "link");
    BtrfsDriver btrfs(runner, root.path());
    DirDriver dir(runner, root.path());
    for (QuotaDriver* driver :
         {static_cast<QuotaDriver*>(&btrfs), static_cast<QuotaDriver*>(&dir)}) {
      CAPTURE(model::to_string(driver->kind()));
      for (const fs::path& path :
           {elsewhere.path() / "x", root.path(), root.path() / ".." / "x", fs::path("relative")}) {
        auto status = driver->create(spec_for(path, 1024));
        REQUIRE_FALSE(status.has_value());
        CHECK(status.error().code == ErrorCode::bad_request);
      }
      for (const fs::path& path : {root.path() / "link", root.path() / "link" / "x"}) {
        auto created = driver->create(spec_for(path, 1024));
        REQUIRE_FALSE(created.has_value());
        CHECK(created.error().code == ErrorCode::conflict);
        CHECK(created.error().message.find("symlink") != std::string::npos);
        auto removed = driver->remove(path);
        REQUIRE_FALSE(removed.has_value());
        CHECK(removed.error().code == ErrorCode::conflict);
      }
      CHECK_FALSE(driver->create(SpaceSpec{root.path() / "z", 0, 0, 1024}).has_value()); // uid 0
      CHECK_FALSE(driver->create(spec_for(root.path() / "z", 0)).has_value());           // size 0
    }
    CHECK(runner.count() == 0);
    CHECK(fs::is_empty(elsewhere.path()));
  }

  TEST_CASE("dir: create, usage, resize and remove") {
    test::TempDir root;
    FakeProcessRunner runner;
    DirDriver driver(runner, root.path());
    const fs::path space = root.path() / "bob" / "docs";
    SHARECTL_REQUIRE_OK(driver.create(spec_for(space, 4096)));
    SHARECTL_REQUIRE_OK(driver.create(spec_for(space, 4096))); // idempotent
    struct stat st {};
    REQUIRE(::lstat(space.c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0750);
    CHECK(st.st_uid == spec_for(space, 1).owner_uid);
    std::ofstream(space / "a") << std::string(3000, 'x');
    fs::create_directory(space / "sub");
    std::ofstream(space / "sub" / "b") << std::string(500, 'y');
    fs::create_hard_link(space / "a", space / "sub" / "a-again");     // counted once
    fs::create_symlink("/etc/passwd", space / "sub" / "passwd-link"); // not followed
    auto used = driver.usage(space);
    SHARECTL_REQUIRE_OK(used);
    CHECK(*used == 3500);
    auto refused = driver.resize(space, 3000);
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().code == ErrorCode::conflict);
    SHARECTL_CHECK_OK(driver.resize(space, 3500));
    CHECK(runner.count() == 0);
    SHARECTL_REQUIRE_OK(driver.remove(space));
    CHECK(runner.argvs() ==
          std::vector<Argv>{{"rm", "-r", "-f", "--one-file-system", "--", space.string()}});
  }

  TEST_CASE("make_quota_driver: by kind, xfs not yet") {
    FakeProcessRunner runner;
    auto btrfs = make_quota_driver(model::FsDriver::btrfs, runner, "/srv/sharectl");
    SHARECTL_REQUIRE_OK(btrfs);
    CHECK((*btrfs)->kind() == model::FsDriver::btrfs);
    auto dir = make_quota_driver(model::FsDriver::dir, runner, "/srv/sharectl");
    SHARECTL_REQUIRE_OK(dir);
    CHECK((*dir)->root() == "/srv/sharectl");
    CHECK_FALSE(make_quota_driver(model::FsDriver::xfs, runner, "/srv/sharectl").has_value());
    CHECK_FALSE(make_quota_driver(model::FsDriver::dir, runner, "srv").has_value());
  }

} // TEST_SUITE
