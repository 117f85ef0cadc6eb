// `sharectl space` without an agent: delete without --yes and without a terminal is refused
// (exit 2) before anything is looked up, and the command table says what delete does.
#include <doctest/doctest.h>

#include "tests/support/temp_dir.hpp"
#include "tests/unit/cli/cli_test_io.hpp"

using sharectl::test::run_sharectl;

TEST_CASE("space delete: without --yes and without a terminal, refused before any request") {
  sharectl::test::TempDir home;
  // The server does not exist: a request would fail with exit 8, the refusal comes first.
  const auto run =
      run_sharectl({"space", "delete", "projects"}, {{"HOME", home.path().string()},
                                                     {"SHARECTL_SERVER", "http://127.0.0.1:1"},
                                                     {"SHARECTL_TOKEN", "t"},
                                                     {"SHARECTL_USER_ID", "u"}});
  CHECK(run.rc == 2);
  CHECK(run.err.find("refusing to delete space projects without --yes") != std::string::npos);
  CHECK(run.out.empty());
}

TEST_CASE("space delete: its help says the shares go with it") {
  const auto run = run_sharectl({"space", "delete", "--help"});
  CHECK(run.rc == 0);
  CHECK((run.out + run.err).find("Delete a space and its shares") != std::string::npos);
}
