// End to end, the real `sharectl` against a real `sharectl-agent`: what scripts rely on. A
// cluster viewer creating a space for someone else exits 4 with the agent's message; `-o json`
// prints exactly the API object (compared with a direct GET); `-o name` one name a line;
// `--quiet` nothing at all.
#include <algorithm>
#include <sstream>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "cli/credentials/credentials.hpp"
#include "common/http/client.hpp"
#include "tests/integration/e2e/cli_e2e.hpp"

using namespace sharectl;
using test::e2e::Cluster;

namespace {

// GET path straight from the agent with the credentials `sharectl login` stored for `person`.
nlohmann::json api_get(Cluster& cluster, test::e2e::Person& person, const std::string& path) {
  auto file = cli::default_credentials_path(std::nullopt, person.shell.home().string());
  REQUIRE(file.has_value());
  auto stored = cli::make_file_store(*file)->load(cluster.agent->url(), "default");
  REQUIRE_MESSAGE(stored.has_value(), test::error_text(stored));
  REQUIRE(stored->has_value());
  http::HttpClient client;
  auto answer = client.request("GET", cluster.agent->url() + path,
                               {{"Accept", "application/json"},
                                {"X-User-ID", (*stored)->user_id},
                                {"Authorization", "Bearer " + (*stored)->token}});
  REQUIRE_MESSAGE(answer.has_value(), test::error_text(answer));
  REQUIRE_MESSAGE(answer->status == 200, answer->body);
  return nlohmann::json::parse(answer->body);
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
  }
  return lines;
}

} // namespace

TEST_CASE("e2e cli: a cluster viewer creating a space exits 4 with the agent's message") {
  if (!test::e2e::ready_for_spaces()) {
    return;
  }
  Cluster cluster;
  auto alice = cluster.person("alice");
  auto vera = cluster.person("vera");
  cluster.bind_cluster_role(vera->name(), "viewer");

  const auto denied = vera->run(
      {"space", "create", "proj", "--size", "1M", "--no-share", "--owner", alice->name()});
  CHECK(denied.exit_code == 4);
  CHECK(denied.out.empty());
  CHECK_MESSAGE(denied.err.rfind("sharectl: error: viewer role cannot create spaces", 0) == 0,
                denied.err);
  // The viewer still sees (view level): listing everyone's spaces works.
  const auto listed = vera->run({"space", "list", "--all"});
  CHECK_MESSAGE(listed.exit_code == 0, listed.err);
  // Nothing was created.
  const auto mine = alice->run({"space", "list", "-o", "name"});
  CHECK_MESSAGE(mine.exit_code == 0, mine.err);
  CHECK(mine.out.empty());
}

TEST_CASE("e2e cli: -o json is the API object, -o name one name a line, --quiet prints nothing") {
  if (!test::e2e::ready_for_spaces()) {
    return;
  }
  Cluster cluster;
  auto alice = cluster.person("alice");
  for (const char* name : {"alpha", "beta"}) {
    const auto made = alice->run({"space", "create", name, "--size", "1M", "--no-share"});
    REQUIRE_MESSAGE(made.exit_code == 0, made.err);
  }

  const auto shown = alice->run({"space", "show", "alpha", "-o", "json"});
  REQUIRE_MESSAGE(shown.exit_code == 0, shown.err);
  const auto printed = nlohmann::json::parse(shown.out); // all of stdout is the one document
  CHECK(printed == api_get(cluster, *alice, "/api/v1/spaces/" + alice->name() + "/alpha"));
  CHECK(printed["size_bytes"] == 1024 * 1024); // bytes, not "1 MiB"
  CHECK(printed["status"] == "ready");

  const auto listed = alice->run({"space", "list", "--output", "json"});
  REQUIRE_MESSAGE(listed.exit_code == 0, listed.err);
  const auto list = nlohmann::json::parse(listed.out);
  REQUIRE(list.is_array()); // a list prints as an array
  auto api_list = api_get(cluster, *alice, "/api/v1/spaces");
  if (api_list.is_object() && api_list.contains("items")) {
    api_list = api_list["items"];
  }
  CHECK(list == api_list);

  const auto names = alice->run({"space", "list", "-o", "name"});
  REQUIRE_MESSAGE(names.exit_code == 0, names.err);
  auto got = lines_of(names.out);
  std::sort(got.begin(), got.end());
  CHECK(got == std::vector<std::string>{"alpha", "beta"});
  CHECK(names.out.back() == '\n');
  const auto one = alice->run({"space", "show", "beta", "-o", "name"});
  CHECK(one.out == "beta\n");

  // --quiet: nothing on stdout or stderr, success told by the exit code alone; also for a change.
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--quiet", "space", "list"},
        std::vector<std::string>{"space", "create", "gamma", "--size", "1M", "--no-share", "-q"},
        std::vector<std::string>{"-q", "space", "delete", "gamma", "--yes"},
        std::vector<std::string>{"-q", "whoami", "-o", "json"}}) {
    const auto quiet = alice->run(args);
    CHECK_MESSAGE(quiet.exit_code == 0, quiet.err);
    CHECK(quiet.out.empty());
    CHECK(quiet.err.empty());
  }
  // The quiet create and delete did happen.
  const auto after = alice->run({"space", "list", "-o", "name"});
  CHECK(lines_of(after.out).size() == 2);
}
