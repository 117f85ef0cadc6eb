// SpaceUsage (agent/reconcile/space_usage.hpp) on dir spaces in a temp dir: only ready spaces of
// the given filesystems are measured, a walk cut short still counts and is logged once (not at
// every beat), a space that cannot be measured is logged once until it recovers, and a btrfs
// filesystem gets one `btrfs filesystem sync` before its spaces are read.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "agent/reconcile/space_usage.hpp"
#include "tests/support/fake_process_runner.hpp"
#include "tests/support/temp_dir.hpp"

using namespace sharectl;
namespace reconcile = sharectl::agent::reconcile;
namespace fs = std::filesystem;

namespace {

model::Space space_at(const fs::path& path, const std::string& id, const std::string& fs_id,
                      model::ObjectStatus status = model::ObjectStatus::ready) {
  model::Space space;
  space.id = id;
  space.path = path.string();
  space.filesystem_id = fs_id;
  space.size_bytes = 1 << 20;
  space.status = status;
  return space;
}

void fill(const fs::path& dir, int files) {
  fs::create_directories(dir);
  for (int i = 0; i < files; ++i) {
    std::ofstream(dir / ("f" + std::to_string(i))) << std::string(100, 'x');
  }
}

} // namespace

TEST_SUITE("reconcile") {

  TEST_CASE("space usage: ready spaces measured, a cut-short walk logged once") {
    test::TempDir root;
    model::FileSystem dir_fs;
    dir_fs.id = "fs-1";
    dir_fs.path = root.path().string();
    dir_fs.driver = model::FsDriver::dir;
    fill(root.path() / "alice" / "small", 3);
    fill(root.path() / "alice" / "big", 40);
    const std::vector<model::Space> spaces{
        space_at(root.path() / "alice" / "small", "s-small", "fs-1"),
        space_at(root.path() / "alice" / "big", "s-big", "fs-1"),
        space_at(root.path() / "alice" / "pending", "s-pending", "fs-1",
                 model::ObjectStatus::pending),
        space_at(root.path() / "elsewhere", "s-other", "fs-2")};
    test::FakeProcessRunner runner;
    std::vector<std::string> lines;
    reconcile::SpaceUsage usage(
        runner, {}, [&](std::string_view, std::string_view line) { lines.emplace_back(line); },
        agent::host::WalkLimits{10, std::chrono::seconds(60)});

    auto measured = usage.measure({dir_fs}, spaces);
    REQUIRE(measured.size() == 2); // not the pending one, not the other filesystem's
    CHECK(measured[0].id == "s-small");
    CHECK(measured[0].used_bytes == 300);
    CHECK(measured[1].id == "s-big");
    REQUIRE(measured[1].used_bytes.has_value());
    CHECK(*measured[1].used_bytes > 0);
    CHECK(*measured[1].used_bytes < 4000); // a lower bound
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].rfind("HEARTBEAT-W002 ", 0) == 0);
    CHECK(lines[0].find("big") != std::string::npos);
    CHECK(runner.commands().empty()); // no tool runs for dir spaces

    // The next beats say nothing new; a vanished space is logged once.
    usage.measure({dir_fs}, spaces);
    fs::remove_all(root.path() / "alice" / "small");
    auto again = usage.measure({dir_fs}, spaces);
    usage.measure({dir_fs}, spaces);
    REQUIRE(lines.size() == 2);
    CHECK(lines[1].rfind("HEARTBEAT-W001 ", 0) == 0);
    CHECK_FALSE(again[0].used_bytes.has_value());
    // Back: measured again, and a later problem would be logged again.
    fill(root.path() / "alice" / "small", 1);
    CHECK(usage.measure({dir_fs}, spaces)[0].used_bytes == 100);
    CHECK(lines.size() == 2);
  }

  TEST_CASE("space usage: one btrfs filesystem sync per filesystem before its spaces") {
    test::TempDir root;
    model::FileSystem btrfs_fs;
    btrfs_fs.id = "fs-b";
    btrfs_fs.path = root.path().string();
    btrfs_fs.driver = model::FsDriver::btrfs;
    test::FakeProcessRunner runner;
    std::vector<std::string> lines;
    reconcile::SpaceUsage usage(
        runner, {}, [&](std::string_view, std::string_view l) { lines.emplace_back(l); });
    // No ready space: nothing runs.
    usage.measure({btrfs_fs},
                  {space_at(root.path() / "a" / "x", "s-x", "fs-b", model::ObjectStatus::pending)});
    CHECK(runner.commands().empty());
    // Two ready spaces (missing on disk here): one sync, then each is looked at.
    usage.measure({btrfs_fs}, {space_at(root.path() / "a" / "x", "s-x", "fs-b"),
                               space_at(root.path() / "a" / "y", "s-y", "fs-b")});
    REQUIRE_FALSE(runner.commands().empty());
    CHECK(runner.commands()[0].program == "btrfs");
    CHECK(runner.commands()[0].args ==
          std::vector<std::string>{"filesystem", "sync", root.path().string()});
    std::size_t syncs = 0;
    for (const auto& command : runner.commands()) {
      syncs += !command.args.empty() && command.args[0] == "filesystem";
    }
    CHECK(syncs == 1);
    CHECK(lines.size() == 2); // both spaces: not found (W001)
  }
}
