// The join-token routes against the in-process agent on a FakeClock: an admin creates a token
// (shown once, 256 bits, stored only as its SHA-256), lists them (never the token nor its hash),
// sees the state follow the clock and a host's use, and revokes (204, then 404); other callers
// are 403 and audited; bad bodies are 400 and store nothing.
#include <chrono>
#include <string>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "agent/auth/clock.hpp"
#include "common/util/hash.hpp"
#include "tests/integration/agent/handlers/harness.hpp"
#include "tests/support/require.hpp"

namespace {

using namespace sharectl;
using nlohmann::json;

// An agent on a FakeClock with an admin (root), a cluster viewer (vera) and a plain user.
struct TokenAgent {
  agent::auth::FakeClock clock;
  test::InProcessAgent agent{{}, &clock};
  http::HttpHeaders root;
  http::HttpHeaders vera;
  http::HttpHeaders alice;

  TokenAgent() {
    agent.add_user("root", true);
    agent.bind("viewer", agent.add_user("vera"));
    agent.add_user("alice");
    root = agent.login("root");
    vera = agent.login("vera");
    alice = agent.login("alice");
  }

  http::HttpResponse call(const http::HttpHeaders& who, const std::string& method,
                          const std::string& path, const std::string& body = {}) {
    return agent.call(method, path, body, who);
  }

  std::vector<model::JoinToken> stored() {
    auto all = agent.store().view_result([](store::Tx& tx) { return tx.list<model::JoinToken>(); });
    REQUIRE_MESSAGE(all.has_value(), test::error_text(all));
    return *all;
  }
};

} // namespace

TEST_CASE("join token: an admin creates one, shown once, stored only as its SHA-256") {
  TokenAgent t;
  const auto created = t.call(
      t.root, "POST", "/api/v1/join-tokens",
      json{{"ttl_seconds", 600}, {"roles", {"samba", "iscsi"}}, {"description", "host 2"}}.dump());
  REQUIRE_MESSAGE(created.status == 201, created.body);
  const auto token = json::parse(created.body);
  const std::string secret = token["token"];
  CHECK(secret.size() >= 43); // 32 bytes of base64url: 256 bits
  CHECK(token["roles"] == json::array({"samba", "iscsi"}));
  CHECK(token["state"] == "active");
  CHECK(token["created_by"] == "root");
  CHECK(token["used_by"].is_null());
  CHECK(token["used_at"].is_null());
  CHECK(token["description"] == "host 2");
  CHECK(token["revision"].is_number());
  CHECK_FALSE(token.contains("token_sha256"));

  const auto rows = t.stored();
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].token_sha256 == sha256_hex(secret));
  CHECK(rows[0].role_samba);
  CHECK(rows[0].role_iscsi);
  CHECK(rows[0].expires_at == t.clock.now() + std::chrono::seconds(600));

  // The default: one hour, samba only.
  const auto plain = t.call(t.root, "POST", "/api/v1/join-tokens", "{}");
  REQUIRE_MESSAGE(plain.status == 201, plain.body);
  CHECK(json::parse(plain.body)["roles"] == json::array({"samba"}));
  CHECK(json::parse(plain.body)["token"] != secret);

  const auto listed = t.call(t.root, "GET", "/api/v1/join-tokens");
  REQUIRE_MESSAGE(listed.status == 200, listed.body);
  const auto list = json::parse(listed.body);
  REQUIRE(list.size() == 2);
  CHECK(list[0]["id"] == token["id"]);
  CHECK(list[0]["state"] == "active");
  CHECK(list[0]["created_by"] == "root");
  for (const auto& item : list) {
    CHECK_FALSE(item.contains("token"));
    CHECK_FALSE(item.contains("token_sha256"));
  }
  CHECK(listed.body.find(secret) == std::string::npos);
  CHECK(listed.body.find(rows[0].token_sha256) == std::string::npos);

  // Audited, without the secret or its hash.
  const auto audit = t.agent.audit_text();
  CHECK(audit.find("allowed join-tokens.create servers/join-tokens/" +
                   token["id"].get<std::string>()) != std::string::npos);
  CHECK(audit.find(secret) == std::string::npos);
  CHECK(audit.find(rows[0].token_sha256) == std::string::npos);
}

TEST_CASE("join token: only admins create, list or revoke (403, audited)") {
  TokenAgent t;
  const auto made = t.call(t.root, "POST", "/api/v1/join-tokens", "{}");
  REQUIRE(made.status == 201);
  const std::string id = json::parse(made.body)["id"];
  for (const auto* who : {&t.vera, &t.alice}) {
    CHECK(t.call(*who, "POST", "/api/v1/join-tokens", "{}").status == 403);
    CHECK(t.call(*who, "GET", "/api/v1/join-tokens").status == 403);
    const auto revoked = t.call(*who, "DELETE", "/api/v1/join-tokens/" + id);
    CHECK(revoked.status == 403);
    CHECK(json::parse(revoked.body)["error"]["code"] == "forbidden");
    // Not even whether an id exists.
    CHECK(
        t.call(*who, "DELETE", "/api/v1/join-tokens/00000000-0000-4000-8000-000000000000").status ==
        403);
  }
  CHECK(t.call({}, "GET", "/api/v1/join-tokens").status == 401);
  CHECK(t.stored().size() == 1);
  CHECK(t.agent.audit_text().find("denied servers.manage servers/join-tokens") !=
        std::string::npos);
}

TEST_CASE("join token: revoke answers 204 then 404, and the token is gone") {
  TokenAgent t;
  const auto made = t.call(t.root, "POST", "/api/v1/join-tokens", "{}");
  REQUIRE(made.status == 201);
  const std::string id = json::parse(made.body)["id"];
  const auto revoked = t.call(t.root, "DELETE", "/api/v1/join-tokens/" + id);
  CHECK_MESSAGE(revoked.status == 204, revoked.body);
  CHECK(t.stored().empty());
  CHECK(json::parse(t.call(t.root, "GET", "/api/v1/join-tokens").body).empty());
  const auto again = t.call(t.root, "DELETE", "/api/v1/join-tokens/" + id);
  CHECK(again.status == 404);
  CHECK(json::parse(again.body)["error"]["code"] == "not_found");
  CHECK(t.call(t.root, "DELETE", "/api/v1/join-tokens/not-an-id").status == 404);
  CHECK(t.agent.audit_text().find("allowed join-tokens.revoke servers/join-tokens/" + id) !=
        std::string::npos);
}

TEST_CASE("join token: bad ttl, roles or fields are 400 and store nothing") {
  TokenAgent t;
  for (const auto& [body, says] : std::vector<std::pair<std::string, std::string>>{
           {R"({"ttl_seconds":59})", "ttl_seconds: 59 is out of range"},
           {R"({"ttl_seconds":604801})", "ttl_seconds: 604801 is out of range"},
           {R"({"ttl_seconds":-5})", "ttl_seconds"},
           {R"({"ttl_seconds":"1h"})", "ttl_seconds"},
           {R"({"roles":["nfs"]})", "roles/0: \"nfs\" is not a server role"},
           {R"({"roles":["samba","samba"]})", "roles/1: \"samba\" is repeated"},
           {R"({"roles":[]})", "roles: give at least one"},
           {R"({"roles":"samba"})", "roles"},
           {R"({"colour":"blue"})", "colour"},
           {R"({"ttl_seconds":600,"ttl_seconds":700})", "duplicate"},
           {"not json", ""},
       }) {
    CAPTURE(body);
    const auto answer = t.call(t.root, "POST", "/api/v1/join-tokens", body);
    CHECK(answer.status == 400);
    const auto error = json::parse(answer.body)["error"];
    CHECK(error["code"] == "bad_request");
    CHECK_MESSAGE(error["message"].get<std::string>().find(says) != std::string::npos,
                  error["message"]);
  }
  CHECK(t.stored().empty());
  CHECK(t.agent.audit_text().find("join-tokens.create") == std::string::npos);
}

TEST_CASE("join token: the state follows the clock and a host's use") {
  TokenAgent t;
  const auto soon = t.call(t.root, "POST", "/api/v1/join-tokens", R"({"ttl_seconds":60})");
  const auto later = t.call(t.root, "POST", "/api/v1/join-tokens", R"({"ttl_seconds":7200})");
  REQUIRE(soon.status == 201);
  REQUIRE(later.status == 201);
  const std::string soon_id = json::parse(soon.body)["id"];
  const std::string later_id = json::parse(later.body)["id"];
  // A host joined with the second token (what `init --join` will record).
  const auto used = t.agent.store().transact_result([&](store::Tx& tx) -> Result<model::JoinToken> {
    model::Server server;
    server.name = "host2";
    server.address = "127.0.0.2";
    auto stored = tx.create(server);
    if (!stored) {
      return std::unexpected(stored.error());
    }
    auto token = tx.get<model::JoinToken>(later_id);
    if (!token) {
      return token;
    }
    token->used_at = t.clock.now();
    token->used_by_server_id = stored->id;
    return tx.update(*token);
  });
  REQUIRE_MESSAGE(used.has_value(), test::error_text(used));
  t.clock.advance(std::chrono::seconds(61));
  const auto listed = t.call(t.root, "GET", "/api/v1/join-tokens", {});
  REQUIRE_MESSAGE(listed.status == 200, listed.body);
  std::map<std::string, json> by_id;
  for (const auto& item : json::parse(listed.body)) {
    by_id[item["id"]] = item;
  }
  CHECK(by_id[soon_id]["state"] == "expired");
  CHECK(by_id[soon_id]["used_by"].is_null());
  CHECK(by_id[later_id]["state"] == "used");
  CHECK(by_id[later_id]["used_by"] == "host2");
  CHECK(by_id[later_id]["used_at"].is_string());
}
