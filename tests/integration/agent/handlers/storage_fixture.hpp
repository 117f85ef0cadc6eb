// The in-process agent of the space, share, server and heartbeat tests: harness.hpp's
// InProcessAgent whose host ("testhost") has one registered dir-driver filesystem in a temp
// dir, plus signed-in users as credential headers, JSON requests as one of them, and groups
// stored directly. Everything is removed with the temp dirs.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "agent/reconcile/register.hpp"
#include "tests/integration/agent/handlers/harness.hpp"
#include "tests/support/temp_dir.hpp"

namespace sharectl::test {

inline constexpr std::uint64_t k_mib = 1024 * 1024;

// The root of the host's filesystem (a base, so it exists before the agent's config is made).
struct FilesystemRoot {
  TempDir root;
};

class StorageAgent : private FilesystemRoot, public InProcessAgent {
public:
  // `clock` (optional, must outlive the agent) drives the context and the store; `store_url`
  // (optional) names the store, else a SQLite file in a temp dir.
  explicit StorageAgent(const agent::auth::Clock* clock = nullptr, std::string store_url = {})
      : InProcessAgent(host_config(root.path() / "fs"), clock, {}, std::move(store_url)) {
    auto registered = agent::reconcile::register_host(store(), context().config);
    REQUIRE_MESSAGE(registered.has_value(), test::error_text(registered));
    REQUIRE(registered->filesystems.size() == 1);
    m_filesystem = registered->filesystems.front();
  }

  static config::AgentConfig host_config(const std::filesystem::path& fs) {
    config::AgentConfig cfg;
    cfg.server.name = "testhost";
    cfg.filesystems = {{fs, config::FilesystemDriver::dir}};
    return cfg;
  }

  // A stored user (`allowance`: their own allowance), signed in: their credential headers.
  http::HttpHeaders user(const std::string& name,
                         std::optional<std::uint64_t> allowance = std::nullopt,
                         bool admin = false) {
    auto stored = add_user(name, admin);
    if (allowance) {
      stored.allowance_bytes = allowance;
      auto updated = store().transact_result([&](store::Tx& tx) { return tx.update(stored); });
      REQUIRE_MESSAGE(updated.has_value(), test::error_text(updated));
    }
    return login(name);
  }

  // The stored user `name`.
  model::User stored_user(const std::string& name) {
    auto found = store().view_result([&](store::Tx& tx) { return tx.find_user(name); });
    REQUIRE_MESSAGE(found.has_value(), test::error_text(found));
    return *found;
  }

  // A JSON request as `who` (empty: anonymous); `body` null sends none.
  http::HttpResponse as(const http::HttpHeaders& who, const std::string& method,
                        const std::string& path, const nlohmann::json& body = nullptr,
                        http::HttpHeaders extra = {}) {
    extra.insert(extra.end(), who.begin(), who.end());
    return call(method, path, body.is_null() ? std::string() : body.dump(), extra);
  }

  // A local group with these members (their rows become active), stored directly.
  model::Group add_group(const std::string& name, const std::vector<std::string>& members) {
    auto group = store().transact_result([&](store::Tx& tx) -> Result<model::Group> {
      model::Group g;
      g.name = name;
      auto created = tx.create(g);
      if (!created) {
        return created;
      }
      for (const auto& member : members) {
        auto user = tx.find_user(member);
        if (!user) {
          return std::unexpected(user.error());
        }
        if (auto added = tx.add_group_member(created->id, user->id, model::AclState::active);
            !added) {
          return std::unexpected(added.error());
        }
      }
      return created;
    });
    REQUIRE_MESSAGE(group.has_value(), test::error_text(group));
    return *group;
  }

  // The registered filesystem row, as it is now.
  model::FileSystem filesystem() {
    auto fs = store().view_result(
        [&](store::Tx& tx) { return tx.get<model::FileSystem>(m_filesystem.id); });
    REQUIRE_MESSAGE(fs.has_value(), test::error_text(fs));
    return *fs;
  }

  // This host's server row, as it is now.
  model::Server server() {
    auto found = store().view_result([](store::Tx& tx) { return tx.find_server("testhost"); });
    REQUIRE_MESSAGE(found.has_value(), test::error_text(found));
    return *found;
  }

  std::uint64_t capacity() const { return m_filesystem.capacity_bytes; }

private:
  model::FileSystem m_filesystem;
};

// The "error.message" of an error answer ("" when it has none).
inline std::string message_of(const http::HttpResponse& answer) {
  const auto body = nlohmann::json::parse(answer.body, nullptr, false);
  if (body.is_discarded() || !body.contains("error")) {
    return "";
  }
  return body["error"]["message"].get<std::string>();
}

} // namespace sharectl::test
