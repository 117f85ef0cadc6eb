// `sharectl-agent init`, `migrate` and `check-config` on an etcd store (a private 3-member
// cluster on loopback): init creates the schema marker and the built-in roles once, even when two
// hosts run it at the same moment; migrate says the schema is current; check-config answers ok
// while the cluster is up and, once it is gone, exit 8 naming the store — never its password.
#include <fstream>
#include <future>

#include <doctest/doctest.h>

#include "agent/store/store.hpp"
#include "common/util/process.hpp"
#include "tests/support/agent_process.hpp"
#include "tests/support/etcd_fixture.hpp"
#include "tests/support/require.hpp"
#include "tests/support/temp_dir.hpp"

using namespace sharectl;
namespace fs = std::filesystem;

namespace {

ProcessResult agent_command(const std::vector<std::string>& args, std::string input = {}) {
  Command cmd;
  cmd.program = test::agent_binary();
  cmd.args = args;
  cmd.env = std::map<std::string, std::string>{{"PATH", "/usr/sbin:/usr/bin:/sbin:/bin"},
                                               {"LANG", "C.UTF-8"}};
  if (!input.empty()) {
    cmd.stdin_data = std::move(input);
  }
  cmd.timeout = std::chrono::seconds(120);
  auto ran = make_process_runner()->run(cmd);
  REQUIRE_MESSAGE(ran.has_value(), test::error_text(ran));
  return *ran;
}

// A config for a host named `name` on `store`, plain HTTP on a loopback port (no TLS files).
fs::path write_config(const fs::path& dir, const std::string& name, const std::string& store) {
  fs::create_directories(dir);
  const fs::path path = dir / "agent.yaml";
  std::ofstream(path) << "listen: 127.0.0.1:7999\n"
                      << "tls:\n  enabled: false\n"
                      << "store: " << store << "\n"
                      << "server:\n  name: " << name << "\n  address: 127.0.0.1\n";
  return path;
}

} // namespace

TEST_SUITE("agent.commands") {

  TEST_CASE("etcd store: init from two hosts at once seeds once, check-config reports the "
            "cluster's loss with exit 8") {
    if (!test::programs_available({"etcd"}) ||
        !test::prerequisite(fs::exists(test::agent_binary()),
                            "the sharectl-agent binary (build all targets)")) {
      return;
    }
    test::EtcdCluster cluster;
    SHARECTL_REQUIRE_OK(cluster.start());
    test::TempDir dir;
    const std::string store = "etcd://" + cluster.endpoints() + "/init-test";
    const fs::path one = write_config(dir.path() / "one", "host1", store);
    const fs::path two = write_config(dir.path() / "two", "host2", store);

    // Two hosts initialise the same new store at the same moment.
    auto first = std::async(std::launch::async, [&] {
      return agent_command({"init", "--config", one.string()});
    });
    auto second = std::async(std::launch::async, [&] {
      return agent_command({"init", "--config", two.string()});
    });
    const auto a = first.get();
    const auto b = second.get();
    CHECK_MESSAGE(a.exit_code == 0, a.err);
    CHECK_MESSAGE(b.exit_code == 0, b.err);
    store::OpenOptions no_migrate;
    no_migrate.migrate = false;
    auto opened = store::open_store(store, no_migrate);
    SHARECTL_REQUIRE_OK(opened);
    auto roles = (*opened)->view_result([](store::Tx& tx) { return tx.list<model::Role>(); });
    SHARECTL_REQUIRE_OK(roles);
    CHECK(roles->size() == 4); // admin, maintainer, viewer, client: once
    CHECK(*(*opened)->schema_version() == (*opened)->latest_schema_version());

    const auto again = agent_command({"init", "--config", one.string()});
    CHECK(again.exit_code == 0);
    CHECK(again.out.find("Created") == std::string::npos); // nothing left to do
    const auto migrated = agent_command({"migrate", "--config", one.string()});
    CHECK_MESSAGE(migrated.exit_code == 0, migrated.err);
    CHECK(migrated.out.find("up to date") != std::string::npos);
    CHECK(agent_command({"check-config", "--config", one.string()}).exit_code == 0);
    opened->reset();

    // The cluster goes away: check-config says so with the unavailable exit code and the URL,
    // credentials redacted.
    const fs::path secret =
        write_config(dir.path() / "secret", "host3",
                     "etcd://sharectl:s3cret-pw@" + cluster.endpoints() + "/init-test");
    for (int i = 0; i < 3; ++i) {
      SHARECTL_REQUIRE_OK(cluster.kill(i));
    }
    const auto down = agent_command({"check-config", "--config", secret.string()});
    CHECK(down.exit_code == 8);
    CHECK_MESSAGE(down.err.find("etcd://sharectl:***@") != std::string::npos, down.err);
    CHECK(down.err.find("no etcd member answered") != std::string::npos);
    CHECK(down.err.find("s3cret-pw") == std::string::npos);
  }
}
