#include <fstream>

#include <doctest/doctest.h>

#include "cli/app.hpp"
#include "cli/command.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/unit/cli/cli_test_io.hpp"

using sharectl::test::run_sharectl;

TEST_CASE("an unknown command exits 2 with a suggestion") {
  const auto run = run_sharectl({"space", "creat", "x"});
  CHECK(run.rc == 2);
  CHECK(run.out.empty());
  CHECK(run.err.find("unknown command \"creat\" for \"sharectl space\"; did you mean "
                     "\"create\"?") != std::string::npos);
  CHECK(run.err.find("Run 'sharectl space --help'") != std::string::npos);

  const auto top = run_sharectl({"spcae", "list"});
  CHECK(top.rc == 2);
  CHECK(top.err.find("did you mean \"space\"?") != std::string::npos);

  const auto nothing_close = run_sharectl({"frobnicate"});
  CHECK(nothing_close.rc == 2);
  CHECK(nothing_close.err.find("unknown command \"frobnicate\"") != std::string::npos);
  CHECK(nothing_close.err.find("did you mean") == std::string::npos);
}

TEST_CASE("an unknown flag exits 2 with a suggestion among the command's and global flags") {
  const auto run = run_sharectl({"space", "create", "x", "--szie", "3G"});
  CHECK(run.rc == 2);
  CHECK(run.err.find("unknown flag \"--szie\" for \"sharectl space create\"; did you mean "
                     "\"--size\"?") != std::string::npos);
  const auto global = run_sharectl({"--servr", "http://x", "whoami"});
  CHECK(global.rc == 2);
  CHECK(global.err.find("did you mean \"--server\"?") != std::string::npos);
}

TEST_CASE("a group without a command and missing arguments are usage errors") {
  const auto run = run_sharectl({"space"});
  CHECK(run.rc == 2);
  CHECK(run.err.find("\"sharectl space\" needs a command: create, list, show, resize, delete") !=
        std::string::npos);
  CHECK(run_sharectl({}).rc == 2);
  CHECK(run_sharectl({"space", "create", "x"}).rc == 2); // --size is required
  CHECK(run_sharectl({"share", "grant", "s", "--user", "u", "--level", "admin"}).rc == 2);
}

TEST_CASE("every command and group of the table has --help") {
  const auto& table = sharectl::cli::command_table();
  for (const auto& spec : table.commands) {
    auto args = spec.path;
    args.push_back("--help");
    const auto run = run_sharectl(args);
    INFO(sharectl::cli::command_name(spec));
    CHECK(run.rc == 0);
    CHECK(!spec.help.empty());
    CHECK(run.out.find(spec.help) != std::string::npos);
    CHECK(run.out.find("Usage: sharectl " + sharectl::cli::command_name(spec)) !=
          std::string::npos);
  }
  for (const auto& group : table.groups) {
    auto args = group.path;
    args.push_back("--help");
    INFO(group.help);
    CHECK(run_sharectl(args).rc == 0);
  }
  CHECK(run_sharectl({"--help"}).out.find("space") != std::string::npos);
}

TEST_CASE("version and --version print the version on stdout") {
  const auto run = run_sharectl({"version"});
  CHECK(run.rc == 0);
  CHECK(run.out.rfind("sharectl ", 0) == 0);
  CHECK(run.err.empty());
  CHECK(run_sharectl({"--version"}).out == run.out);
  CHECK(run_sharectl({"-o", "json", "version"}).out.find("\"version\"") != std::string::npos);
}

TEST_CASE("no server configured: exit 2 saying how to set one") {
  sharectl::test::TempDir home;
  const auto run = run_sharectl({"whoami"}, {{"HOME", home.path().string()}});
  CHECK(run.rc == 2);
  CHECK(run.err.find("no server configured; use --server URL or set SHARECTL_SERVER") !=
        std::string::npos);
}

TEST_CASE("global options fall back to the environment") {
  sharectl::test::TempDir home;
  const std::map<std::string, std::string> env{{"HOME", home.path().string()},
                                               {"SHARECTL_SERVER", "http://127.0.0.1:1"}};
  // The server comes from SHARECTL_SERVER; with no credentials stored that is exit 3.
  const auto run = run_sharectl({"whoami"}, env);
  CHECK(run.rc == 3);
  CHECK(run.err.find("not logged in to http://127.0.0.1:1 (profile default)") != std::string::npos);

  auto with_profile = env;
  with_profile["SHARECTL_PROFILE"] = "lab";
  CHECK(run_sharectl({"whoami"}, with_profile).err.find("(profile lab)") != std::string::npos);
  // The flag wins over the environment.
  CHECK(run_sharectl({"--profile", "work", "whoami"}, with_profile).err.find("(profile work)") !=
        std::string::npos);

  auto bad_output = env;
  bad_output["SHARECTL_OUTPUT"] = "jsn";
  CHECK(run_sharectl({"whoami"}, bad_output).rc == 2);

  auto token_only = env;
  token_only["SHARECTL_TOKEN"] = "t";
  const auto half = run_sharectl({"whoami"}, token_only);
  CHECK(half.rc == 2);
  CHECK(half.err.find("SHARECTL_TOKEN and SHARECTL_USER_ID must be set together") !=
        std::string::npos);

  // With both, the credentials are used: the unreachable agent is exit 8.
  auto tokens = token_only;
  tokens["SHARECTL_USER_ID"] = "u";
  CHECK(run_sharectl({"--timeout", "5s", "whoami"}, tokens).rc == 8);

  auto config_env = env;
  config_env["SHARECTL_CONFIG"] = (home.path() / "nope" / "c.yaml").string();
  CHECK(run_sharectl({"config", "use-profile", "x"}, config_env).err.find("nope/c.yaml") !=
        std::string::npos);
}

TEST_CASE("--password-stdin without a line on stdin is a usage error") {
  sharectl::test::TempDir home;
  const auto run =
      run_sharectl({"--server", "http://127.0.0.1:1", "login", "alice", "--password-stdin"},
                   {{"HOME", home.path().string()}}, "");
  CHECK(run.rc == 2);
  CHECK(run.err.find("no password on standard input") != std::string::npos);
}

TEST_CASE("deleting without --yes and without a terminal is refused") {
  sharectl::test::TempDir home;
  const auto run =
      run_sharectl({"share", "delete", "s"}, {{"HOME", home.path().string()},
                                              {"SHARECTL_SERVER", "http://127.0.0.1:1"},
                                              {"SHARECTL_TOKEN", "t"},
                                              {"SHARECTL_USER_ID", "u"}});
  CHECK(run.rc == 2);
  CHECK(run.err.find("without --yes") != std::string::npos);
}

TEST_CASE("config view and use-profile") {
  sharectl::test::TempDir home;
  const auto config = home.path() / "config.yaml";
  {
    std::ofstream file(config);
    file << "current_profile: default\nprofiles:\n  default:\n    server: https://a:7443\n"
            "  lab:\n    server: https://lab:7443\n";
  }
  const std::map<std::string, std::string> env{{"HOME", home.path().string()},
                                               {"SHARECTL_CONFIG", config.string()}};
  const auto names = run_sharectl({"config", "view", "-o", "name"}, env);
  CHECK(names.rc == 0);
  CHECK(names.out == "default\nlab\n");
  const auto json = run_sharectl({"config", "view", "-o", "json"}, env);
  CHECK(json.out.find("\"current_profile\": \"default\"") != std::string::npos);

  CHECK(run_sharectl({"config", "use-profile", "missing"}, env).rc == 5);
  const auto use = run_sharectl({"config", "use-profile", "lab"}, env);
  CHECK(use.rc == 0);
  CHECK(run_sharectl({"config", "view"}, env).out.find("current_profile: lab") !=
        std::string::npos);
  // The current profile's server is used without --server.
  const auto whoami = run_sharectl({"whoami"}, env);
  CHECK(whoami.rc == 3);
  CHECK(whoami.err.find("https://lab:7443") != std::string::npos);
}
