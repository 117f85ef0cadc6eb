// PATCH /api/v1/shares/{name} and group grants against the in-process agent with a registered
// dir filesystem (storage_fixture.hpp): comment/read_only/browseable changes take a new
// revision and mark the share pending; If-Match mismatches are 412; hostile comments are 400
// with the share unchanged; only callers who may change the share may patch it; group grants
// give one row per member, show as group rows beside direct ones, 404 for unknown groups, and
// are audited.
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "tests/integration/agent/handlers/storage_fixture.hpp"

namespace {

using namespace sharectl;
using nlohmann::json;
using test::k_mib;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// An agent where alice owns the space and share "projects".
struct WithShare {
  test::StorageAgent agent;
  http::HttpHeaders alice = agent.user("alice");

  WithShare() {
    const auto created = agent.as(alice, "POST", "/api/v1/spaces",
                                  json{{"name", "projects"}, {"size_bytes", k_mib}});
    REQUIRE_MESSAGE(created.status == 201, created.body);
  }

  model::Share share() {
    auto found = agent.store().view_result([](store::Tx& tx) { return tx.find_share("projects"); });
    REQUIRE_MESSAGE(found.has_value(), test::error_text(found));
    return *found;
  }

  // The ACL answer's rows.
  json acl() {
    const auto answer = agent.as(alice, "GET", "/api/v1/shares/projects/acl");
    REQUIRE_MESSAGE(answer.status == 200, answer.body);
    return json::parse(answer.body);
  }
};

// The rows of `acl` for `user`.
std::vector<json> rows_of(const json& acl, const std::string& user) {
  std::vector<json> out;
  for (const auto& row : acl) {
    if (row["user"] == user) {
      out.push_back(row);
    }
  }
  return out;
}

} // namespace

TEST_CASE("share PATCH: changes comment, read_only, browseable at a new revision, pending") {
  WithShare w;
  const auto before = w.share();
  const auto patched = w.agent.as(w.alice, "PATCH", "/api/v1/shares/projects",
                                  json{{"comment", "Team files"}, {"read_only", true}});
  REQUIRE_MESSAGE(patched.status == 200, patched.body);
  const auto body = json::parse(patched.body);
  CHECK(body["comment"] == "Team files");
  CHECK(body["read_only"] == true);
  CHECK(body["browseable"] == true);
  CHECK(body["status"] == "pending");
  const auto after = w.share();
  CHECK(after.revision > before.revision);
  CHECK(after.comment == "Team files");
  CHECK(after.read_only);
  CHECK(contains(w.agent.audit_text(), "allowed shares.update shares/projects comment, read_only"));

  // The same values again: nothing to render, no new revision.
  const auto same =
      w.agent.as(w.alice, "PATCH", "/api/v1/shares/projects", json{{"comment", "Team files"}});
  REQUIRE(same.status == 200);
  CHECK(w.share().revision == after.revision);

  const auto hidden =
      w.agent.as(w.alice, "PATCH", "/api/v1/shares/PROJECTS", json{{"browseable", false}});
  REQUIRE_MESSAGE(hidden.status == 200, hidden.body);
  CHECK(json::parse(hidden.body)["browseable"] == false);
}

TEST_CASE("share PATCH: If-Match mismatch is 412, a match applies") {
  WithShare w;
  const auto revision = w.share().revision;
  const auto stale = w.agent.as(w.alice, "PATCH", "/api/v1/shares/projects", json{{"comment", "x"}},
                                {{"If-Match", std::to_string(revision - 1)}});
  CHECK(stale.status == 412);
  CHECK(w.share().comment.empty());
  CHECK(w.share().revision == revision);
  const auto fresh = w.agent.as(w.alice, "PATCH", "/api/v1/shares/projects", json{{"comment", "x"}},
                                {{"If-Match", "\"" + std::to_string(revision) + "\""}});
  CHECK(fresh.status == 200);
  CHECK(w.share().comment == "x");
  CHECK(w.agent
            .as(w.alice, "PATCH", "/api/v1/shares/projects", json{{"comment", "y"}},
                {{"If-Match", "abc"}})
            .status == 400);
}

TEST_CASE("share PATCH: hostile comments and bad bodies are 400 and change nothing") {
  WithShare w;
  const auto before = w.share();
  for (const char* comment : {"100%", "back\\slash", ";starts", "#starts", "line\nbreak",
                              "tab\there", "nul\x01", "[global]\n", "x\r\ninclude = /etc/passwd"}) {
    CAPTURE(comment);
    const auto answer =
        w.agent.as(w.alice, "PATCH", "/api/v1/shares/projects", json{{"comment", comment}});
    CHECK(answer.status == 400);
    CHECK(contains(test::message_of(answer), "comment"));
  }
  CHECK(w.agent.as(w.alice, "PATCH", "/api/v1/shares/projects", json::object()).status == 400);
  CHECK(w.agent.as(w.alice, "PATCH", "/api/v1/shares/projects", json{{"path", "/etc"}}).status ==
        400);
  CHECK(
      w.agent.as(w.alice, "PATCH", "/api/v1/shares/projects", json{{"read_only", "yes"}}).status ==
      400);
  const auto after = w.share();
  CHECK(after.revision == before.revision);
  CHECK(after.comment == before.comment);
  CHECK(after.read_only == before.read_only);
}

TEST_CASE("share PATCH: others get 404, viewers 403, admins may") {
  WithShare w;
  const auto bob = w.agent.user("bob");
  const auto vera = w.agent.user("vera");
  w.agent.bind("viewer", w.agent.stored_user("vera"));
  const auto root = w.agent.user("root", std::nullopt, true);
  CHECK(w.agent.as(bob, "PATCH", "/api/v1/shares/projects", json{{"comment", "b"}}).status == 404);
  const auto viewer = w.agent.as(vera, "PATCH", "/api/v1/shares/projects", json{{"comment", "v"}});
  CHECK(viewer.status == 403);
  CHECK(contains(w.agent.audit_text(), "denied shares.update shares/projects"));
  CHECK(w.share().comment.empty());
  CHECK(w.agent.as(root, "PATCH", "/api/v1/shares/projects", json{{"comment", "r"}}).status == 200);
  CHECK(w.agent.as(w.alice, "PATCH", "/api/v1/shares/nosuch", json{{"comment", "r"}}).status ==
        404);
}

TEST_CASE("group grants: one row per member, max level, distinguishable, revocable, audited") {
  WithShare w;
  w.agent.user("bob");
  w.agent.user("carol");
  w.agent.add_group("eng", {"bob", "carol"});
  w.agent.add_group("empty", {});

  const auto granted =
      w.agent.as(w.alice, "PUT", "/api/v1/shares/projects/acl/group:eng", json{{"level", "read"}});
  REQUIRE_MESSAGE(granted.status == 200, granted.body);
  CHECK(w.agent.as(w.alice, "PUT", "/api/v1/shares/projects/acl/user:bob", json{{"level", "write"}})
            .status == 200);
  CHECK(
      w.agent.as(w.alice, "PUT", "/api/v1/shares/projects/acl/group:empty", json{{"level", "read"}})
          .status == 200);

  const auto acl = w.acl();
  const auto bob_rows = rows_of(acl, "bob");
  REQUIRE(bob_rows.size() == 2);
  int direct = 0;
  int via_group = 0;
  for (const auto& row : bob_rows) {
    if (row["group"] == "") {
      ++direct;
      CHECK(row["level"] == "write");
      CHECK(row["via"] == json::array({"direct"}));
      CHECK(row["grant"] == "user:bob");
    } else {
      ++via_group;
      CHECK(row["group"] == "eng");
      CHECK(row["level"] == "read");
      CHECK(row["via"] == json::array({"group eng"}));
      CHECK(row["grant"] == "group:eng");
    }
  }
  CHECK(direct == 1);
  CHECK(via_group == 1);
  const auto carol_rows = rows_of(acl, "carol");
  REQUIRE(carol_rows.size() == 1);
  CHECK(carol_rows[0]["group"] == "eng");
  const auto empty_rows = rows_of(acl, "");
  REQUIRE(empty_rows.size() == 1);
  CHECK(empty_rows[0]["grant"] == "group:empty");

  // The effective level is the max of a user's rows.
  const auto effective = w.agent.store().view_result([&](store::Tx& tx) {
    return tx.effective_share_access(w.agent.stored_user("bob").id, w.share().id);
  });
  REQUIRE(effective.has_value());
  REQUIRE(effective->has_value());
  CHECK((*effective)->level == model::ShareLevel::write);

  // Revoking the group leaves bob's direct row and removes carol's.
  const auto revoked = w.agent.as(w.alice, "DELETE", "/api/v1/shares/projects/acl/group:eng");
  REQUIRE_MESSAGE(revoked.status == 200, revoked.body);
  const auto after = w.acl();
  CHECK(rows_of(after, "bob").size() == 1);
  CHECK(rows_of(after, "carol").empty());
  CHECK(w.agent.as(w.alice, "DELETE", "/api/v1/shares/projects/acl/group:eng").status == 404);

  const std::string audit = w.agent.audit_text();
  CHECK(contains(audit, "allowed shares.acl.write shares/projects grant group eng read"));
  CHECK(contains(audit, "allowed shares.acl.write shares/projects revoke group eng"));
}

TEST_CASE("group grants: unknown group 404, bad subjects 400, non-owners refused") {
  WithShare w;
  const auto bob = w.agent.user("bob");
  w.agent.add_group("eng", {"bob"});
  const auto unknown = w.agent.as(w.alice, "PUT", "/api/v1/shares/projects/acl/group:nosuch",
                                  json{{"level", "read"}});
  CHECK(unknown.status == 404);
  CHECK(contains(test::message_of(unknown), "no group nosuch"));
  for (const char* subject : {"group:Bad;Name", "group:", "team:eng", "eng", "group:a%20b"}) {
    CAPTURE(subject);
    CHECK(w.agent
              .as(w.alice, "PUT", std::string("/api/v1/shares/projects/acl/") + subject,
                  json{{"level", "read"}})
              .status == 400);
  }
  CHECK(
      w.agent.as(w.alice, "PUT", "/api/v1/shares/projects/acl/group:eng", json{{"level", "admin"}})
          .status == 400);
  // bob cannot see alice's share, so he cannot grant on it either.
  CHECK(w.agent.as(bob, "PUT", "/api/v1/shares/projects/acl/group:eng", json{{"level", "write"}})
            .status == 404);
  CHECK(w.acl().empty());
}
