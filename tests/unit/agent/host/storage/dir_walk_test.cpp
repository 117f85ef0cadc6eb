// The dir driver's bounded usage walk (agent/host/storage/dir_driver.hpp): complete figures for a
// small tree, a walk cut short by its entry limit or time budget reports what it counted, and
// DirDriver::measure says whether its figure is complete.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include <doctest/doctest.h>

#include "agent/host/storage/dir_driver.hpp"
#include "tests/support/fake_process_runner.hpp"
#include "tests/support/require.hpp"
#include "tests/support/temp_dir.hpp"

using namespace sharectl;
using namespace sharectl::agent::host;
namespace fs = std::filesystem;

namespace {

// 3 directories of 20 files of 100 bytes each below `root`.
void make_tree(const fs::path& root) {
  for (int d = 0; d < 3; ++d) {
    const auto sub = root / ("d" + std::to_string(d));
    fs::create_directories(sub);
    for (int f = 0; f < 20; ++f) {
      std::ofstream(sub / ("f" + std::to_string(f))) << std::string(100, 'x');
    }
  }
}

} // namespace

TEST_SUITE("host") {

  TEST_CASE("dir walk: complete below its limits") {
    test::TempDir dir;
    make_tree(dir.path());
    auto measured = measure_directory(dir.path());
    SHARECTL_REQUIRE_OK(measured);
    CHECK(measured->complete);
    CHECK(measured->bytes == 6000);
    CHECK(measured->entries == 63); // 3 directories + 60 files
    CHECK(*directory_usage(dir.path()) == 6000);
    CHECK(measure_directory(dir.path() / "missing").error().code == ErrorCode::not_found);
  }

  TEST_CASE("dir walk: cut short by the entry limit or the time budget, counting what it saw") {
    test::TempDir dir;
    make_tree(dir.path());
    auto limited = measure_directory(dir.path(), WalkLimits{10, std::chrono::seconds(60)});
    SHARECTL_REQUIRE_OK(limited);
    CHECK_FALSE(limited->complete);
    CHECK(limited->entries == 10);
    CHECK(limited->bytes <= 1000); // at most the 10 entries seen, some of them directories
    CHECK(limited->bytes > 0);
    auto timed = measure_directory(dir.path(), WalkLimits{100000, std::chrono::milliseconds(0)});
    SHARECTL_REQUIRE_OK(timed);
    CHECK_FALSE(timed->complete);
    CHECK(timed->bytes == 0);
  }

  TEST_CASE("dir walk: DirDriver::measure says when its figure is a lower bound") {
    test::TempDir dir;
    const auto space = dir.path() / "alice" / "projects";
    make_tree(space);
    test::FakeProcessRunner runner;
    DirDriver complete(runner, dir.path());
    auto whole = complete.measure(space);
    SHARECTL_REQUIRE_OK(whole);
    CHECK(whole->complete);
    CHECK(whole->bytes == 6000);
    DirDriver bounded(runner, dir.path(), WalkLimits{5, std::chrono::seconds(60)});
    auto part = bounded.measure(space);
    SHARECTL_REQUIRE_OK(part);
    CHECK_FALSE(part->complete);
    CHECK(part->bytes < 6000);
    CHECK(*bounded.usage(space) == part->bytes);
    CHECK(bounded.measure(dir.path() / "alice" / "none").error().code == ErrorCode::not_found);
    CHECK(bounded.measure("/etc").error().code == ErrorCode::bad_request); // outside the root
  }
}
