// sharectl-dfree's logic (agent/dfree/dfree.hpp): the strict figures parser, Samba's answer,
// which file a run reads (a link NAME.dfree, or argv[1]), bounded and symlink-refusing reads,
// and whole runs over temporary files.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include <doctest/doctest.h>
#include <unistd.h>

#include "agent/dfree/dfree.hpp"
#include "common/util/process.hpp"
#include "tests/support/require.hpp"
#include "tests/support/temp_dir.hpp"

using namespace sharectl;
namespace dfree = sharectl::dfree;

namespace {

void write(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

} // namespace

TEST_SUITE("dfree") {

  TEST_CASE("dfree: figures are two plain numbers, nothing else") {
    auto figures = dfree::parse_figures("20971520 8388608\n");
    REQUIRE(figures.has_value());
    CHECK(figures->size_bytes == 20971520);
    CHECK(figures->used_bytes == 8388608);
    CHECK(dfree::parse_figures("1024 0")->used_bytes == 0); // the newline is optional
    CHECK(dfree::parse_figures("18446744073709551615 18446744073709551615\n").has_value());
    for (const char* bad :
         {"",         "\n",      "1024",       "1024 ",      " 1024 0",   "1024  0",
          "1024 0 0", "1024\t0", "-1024 0",    "+1024 0",    "1024 -1",   "01024 0",
          "1024 00",  "0 0",     "1024 0\n\n", "1024 0\r\n", "1024 0x10", "18446744073709551616 0",
          "abc def",  "1e6 0"}) {
      CAPTURE(std::string(bad));
      CHECK_FALSE(dfree::parse_figures(bad).has_value());
    }
    CHECK_FALSE(dfree::parse_figures(std::string(65, '1')).has_value()); // too long
  }

  TEST_CASE("dfree: the answer is the size and the room left, in 1 KiB blocks") {
    CHECK(dfree::format_answer({20971520, 0}) == "20480 20480 1024\n");
    CHECK(dfree::format_answer({20971520, 8388608}) == "20480 12288 1024\n");
    CHECK(dfree::format_answer({20971520, 30000000}) ==
          "20480 0 1024\n"); // over: no room, not negative
    CHECK(dfree::format_answer({20971520, 20971520}) == "20480 0 1024\n");
    CHECK(dfree::format_answer({1500, 0}) == "1 1 1024\n"); // rounded down, at least one block
    CHECK(dfree::format_answer({100, 0}) == "1 0 1024\n");
    // The disk has less room than the space: the disk's figure wins.
    CHECK(dfree::format_answer({20971520, 0}, 1048576) == "20480 1024 1024\n");
    CHECK(dfree::format_answer({20971520, 8388608}, std::uint64_t{1} << 40) ==
          "20480 12288 1024\n");
  }

  TEST_CASE("dfree: a link NAME.dfree reads NAME, else the first argument") {
    const char* samba[] = {"/etc/samba/sharectl-usage/0b5e.dfree", ".", nullptr};
    CHECK(dfree::figures_path(2, samba) == "/etc/samba/sharectl-usage/0b5e");
    const char* direct[] = {"/usr/bin/sharectl-dfree", "/var/lib/x/figures", "sub", nullptr};
    CHECK(dfree::figures_path(3, direct) == "/var/lib/x/figures");
    const char* bare[] = {"sharectl-dfree", "/abs", nullptr};
    CHECK(dfree::figures_path(2, bare) == "/abs");
    const char* relative[] = {"sharectl-dfree", "figures", nullptr};
    CHECK_FALSE(dfree::figures_path(2, relative).has_value());
    const char* relative_link[] = {"x.dfree", ".", nullptr};
    CHECK_FALSE(dfree::figures_path(2, relative_link).has_value());
    const char* only_suffix[] = {"/dir/.dfree", nullptr};
    CHECK_FALSE(dfree::figures_path(1, only_suffix).has_value());
    const char* none[] = {"/usr/bin/sharectl-dfree", nullptr};
    CHECK_FALSE(dfree::figures_path(1, none).has_value());
    CHECK_FALSE(dfree::figures_path(0, nullptr).has_value());
  }

  TEST_CASE("dfree: only a small regular file is read") {
    test::TempDir dir;
    const auto file = dir.path() / "figures";
    write(file, "1024 0\n");
    CHECK(dfree::read_figures_file(file.string()) == "1024 0\n");
    write(file, std::string(dfree::k_max_figures_bytes, '7'));
    CHECK(dfree::read_figures_file(file.string()).has_value());
    write(file, std::string(dfree::k_max_figures_bytes + 1, '7'));
    CHECK_FALSE(dfree::read_figures_file(file.string()).has_value());
    CHECK_FALSE(dfree::read_figures_file((dir.path() / "missing").string()).has_value());
    CHECK_FALSE(dfree::read_figures_file(dir.path().string()).has_value()); // a directory
    write(file, "1024 0\n");
    std::filesystem::create_symlink(file, dir.path() / "link");
    CHECK_FALSE(dfree::read_figures_file((dir.path() / "link").string()).has_value());
  }

  TEST_CASE("dfree: whole runs print the answer or nothing") {
    test::TempDir dir;
    const auto file = dir.path() / "0b5e";
    write(file, "20971520 8388608\n");
    const std::string link = file.string() + ".dfree";
    const char* samba[] = {link.c_str(), ".", nullptr};
    auto line = dfree::run(2, samba);
    REQUIRE(line.has_value());
    CHECK(line->rfind("20480 ", 0) == 0); // free is capped by the real disk, so only the total
    CHECK(line->ends_with(" 1024\n"));
    const std::string path = file.string();
    const char* direct[] = {"sharectl-dfree", path.c_str(), nullptr};
    CHECK(dfree::run(2, direct) == line);
    write(file, "garbage\n");
    CHECK_FALSE(dfree::run(2, samba).has_value());
    std::filesystem::remove(file);
    CHECK_FALSE(dfree::run(2, samba).has_value());
  }

  TEST_CASE("dfree: the built program prints the answer and exits 0, else nothing and 1") {
    const std::filesystem::path program =
        std::filesystem::path(SHARECTL_BINARY_DIR) / "agent" / "sharectl-dfree";
    if (!test::prerequisite(std::filesystem::exists(program),
                            "the sharectl-dfree binary (build all targets)")) {
      return;
    }
    test::TempDir dir;
    const auto file = dir.path() / "figures";
    write(file, "20971520 20971520\n");
    auto runner = make_process_runner();
    Command command;
    command.program = program.string();
    command.args = {file.string(), "."};
    command.timeout = std::chrono::seconds(10);
    auto ran = runner->run(command);
    REQUIRE(ran.has_value());
    CHECK(ran->exit_code == 0);
    CHECK(ran->out == "20480 0 1024\n");
    write(file, "20971520\n");
    ran = runner->run(command);
    REQUIRE(ran.has_value());
    CHECK(ran->exit_code == 1);
    CHECK(ran->out.empty());
  }
}
