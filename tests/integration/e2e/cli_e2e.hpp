// What the end-to-end tests of the real `sharectl` against a real `sharectl-agent` share: an
// agent with a dir filesystem in its temp dir, a person registered and logged in (their Unix and
// passdb accounts made by the agent, as on a real host, and removed when the cluster goes),
// running `sharectl` with argv only, and the state the API cannot make yet (role bindings, a
// second server) written straight into the agent's SQLite store. Failures are doctest REQUIREs.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

#include "agent/store/store.hpp"
#include "agent/store/tx.hpp"
#include "common/http/client.hpp"
#include "common/model/entities.hpp"
#include "tests/integration/agent/host/accounts_guard.hpp"
#include "tests/support/agent_process.hpp"
#include "tests/support/require.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_user.hpp"

namespace sharectl::test::e2e {

inline constexpr const char* k_password = "e2e password 1";

// True when both binaries are built and we may create Unix accounts; skips loudly otherwise.
inline bool ready_for_spaces() {
  return prerequisite(std::filesystem::exists(agent_binary()) &&
                          std::filesystem::exists(sharectl_binary()),
                      "the sharectl-agent and sharectl binaries (build all targets)") &&
         prerequisite(running_as_root(), "root (the agent chowns space directories)");
}

// A sharectl user with their own shell (the agent makes their Unix account when it needs one).
struct Person {
  std::string username;
  CliUser shell;

  const std::string& name() const { return username; }

  // `sharectl args…` as this person; REQUIREs that it could run.
  ProcessResult run(const std::vector<std::string>& args,
                    std::optional<std::string> input = std::nullopt,
                    const std::map<std::string, std::string>& env = {}) {
    auto ran = shell.run(args, std::move(input), env);
    REQUIRE_MESSAGE(ran.has_value(), error_text(ran));
    return *ran;
  }
};

// A running agent whose filesystem is a directory of `spaces`, and its store.
struct Cluster {
  TempDir spaces;
  std::unique_ptr<AgentProcess> agent;
  std::unique_ptr<store::Store> db;
  std::unique_ptr<SmbAccountsGuard> accounts; // the persons' accounts, removed before the agent's
                                              // smb.conf goes

  explicit Cluster(AgentOptions options = {}) {
    options.filesystems = {AgentFilesystem{spaces.path() / "fs", "dir"}};
    std::filesystem::create_directories(spaces.path() / "fs");
    auto started = AgentProcess::start(std::move(options));
    REQUIRE_MESSAGE(started.has_value(), error_text(started));
    agent = std::move(*started);
    auto opened = store::open_store(agent->store_url());
    REQUIRE_MESSAGE(opened.has_value(), error_text(opened));
    db = std::move(*opened);
    accounts =
        std::make_unique<SmbAccountsGuard>(SmbAccountsGuard{agent->options().samba_config, {}});
  }
  ~Cluster() {
    if (agent) {
      (void)agent->stop(); // nothing re-creates an account while they are removed
    }
    accounts.reset();
  }

  std::filesystem::path fs_path() const { return spaces.path() / "fs"; }

  // A new person (label: [a-z0-9], ≤ 8 characters) registered and logged in to this agent.
  std::unique_ptr<Person> person(std::string_view label) {
    std::unique_ptr<Person> person(new Person{test_user_name(label), {}});
    accounts->names.push_back(person->name());
    const auto done = person->shell.register_and_login(agent->url(), person->name(), k_password);
    REQUIRE_MESSAGE(done.has_value(), error_text(done));
    return person;
  }

  // Binds the built-in role `role` to `username` on the whole cluster (no role API yet).
  void bind_cluster_role(const std::string& username, const std::string& role) {
    const auto done = db->transact([&](store::Tx& tx) -> Status {
      auto user = tx.find_user(username);
      auto found = tx.find_role(role);
      if (!user || !found) {
        return std::unexpected(!user ? user.error() : found.error());
      }
      model::Binding binding;
      binding.role_id = found->id;
      binding.subject = user->id;
      auto bound = tx.create(binding);
      return bound ? Status{} : Status(std::unexpected(bound.error()));
    });
    REQUIRE_MESSAGE(done.has_value(), error_text(done));
    settle();
  }

  // Registers a second samba server (up, one 1 TiB dir filesystem) whose agent never runs:
  // what is placed there stays pending.
  void add_silent_server(const std::string& name) {
    const auto done = db->transact([&](store::Tx& tx) -> Status {
      model::Server server;
      server.name = name;
      server.address = "127.0.0.2";
      server.status = model::ServerStatus::up;
      server.last_heartbeat = model::now_utc();
      auto stored = tx.create(server);
      if (!stored) {
        return std::unexpected(stored.error());
      }
      model::FileSystem fs;
      fs.server_id = stored->id;
      fs.path = "/srv/" + name;
      fs.driver = model::FsDriver::dir;
      fs.capacity_bytes = std::uint64_t{1} << 40;
      fs.free_bytes = fs.capacity_bytes;
      fs.status = model::ObjectStatus::ready;
      auto made = tx.create(fs);
      return made ? Status{} : Status(std::unexpected(made.error()));
    });
    REQUIRE_MESSAGE(done.has_value(), error_text(done));
    settle();
  }

  // Waits until the agent's read view has what was written behind its back through `db` (its
  // sharectl_view_revision in /metrics reaches the store's revision), as another agent's write
  // reaches it through the change feed.
  void settle() {
    const auto revision = db->current_revision();
    REQUIRE_MESSAGE(revision.has_value(), error_text(revision));
    http::HttpClient client;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      auto got = client.request("GET", agent->url() + "/metrics", {}, "", std::chrono::seconds(5));
      if (got && got->status == 200) {
        const auto at = got->body.find("\nsharectl_view_revision ");
        if (at != std::string::npos &&
            std::stoll(got->body.substr(at + 24)) >= static_cast<long long>(*revision)) {
          return;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    FAIL("the agent's read view did not reach revision " << *revision);
  }
};

} // namespace sharectl::test::e2e
