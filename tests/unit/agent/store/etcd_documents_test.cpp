// Entities as etcd documents (agent/store/etcd/documents.hpp): every field round-trips (strings
// with quotes and Unicode, optionals, enums, times, lists, numbers), the revision is the store's
// (written in the document, not etcd's mod_revision), bookkeeping fields stay out, a document of an
// older layout (a field missing) reads with the default, and a malformed one names the field.
#include <string>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "agent/store/etcd/documents.hpp"

using namespace sharectl;
using namespace sharectl::store::etcd;

namespace {

KeyValue stored(std::string value, std::int64_t mod_revision = 42) {
  KeyValue kv;
  kv.key = "/sharectl/d/x/1";
  kv.value = std::move(value);
  kv.create_revision = 7;
  kv.mod_revision = mod_revision;
  kv.version = 3;
  return kv;
}

template <typename E>
E round_trip(const E& e) {
  auto back = decode_document<E>(stored(encode_document(e)));
  REQUIRE_MESSAGE(back.has_value(), back.error().message);
  CHECK(encode_document(*back) == encode_document(e)); // nothing lost, nothing added
  return *back;
}

} // namespace

TEST_CASE("etcd documents: a space round-trips with the store revision, usage is bookkeeping") {
  model::Space space;
  space.id = "11111111-2222-4333-8444-555555555555";
  space.revision = 9; // the store's revision, not the key's mod_revision (42 below)
  space.created_at = model::Timestamp{std::chrono::microseconds{1'700'000'000'123'456}};
  space.updated_at = space.created_at + std::chrono::microseconds{5};
  space.owner_id = "owner";
  space.name = "Projekt \"Ä\" ; --";
  space.size_bytes = (1ULL << 62) + 3;
  space.filesystem_id = "fs";
  space.path = "/srv/sharectl/owner/projekt";
  space.status = model::ObjectStatus::error;
  space.status_message = "SPACE-SHRINK-BELOW-USAGE: no";
  space.observed_revision = 40;
  space.used_bytes = 777; // bookkeeping: not in the document
  const auto json = nlohmann::json::parse(encode_document(space));
  CHECK(json["revision"] == 9);
  CHECK_FALSE(json.contains("used_bytes"));
  CHECK(json["status"] == "error");
  const model::Space back = round_trip(space);
  CHECK(back.revision == 9);
  CHECK(back.name == space.name);
  CHECK(back.size_bytes == space.size_bytes);
  CHECK(back.created_at == space.created_at);
  CHECK(back.status == model::ObjectStatus::error);
  CHECK(back.status_message == space.status_message);
  CHECK(back.observed_revision == 40);
  CHECK(back.used_bytes == 0);
}

TEST_CASE("etcd documents: users, servers, shares and audit events keep every field") {
  model::User user;
  user.id = "u1";
  user.username = "alice";
  user.email = "alice@example.org";
  user.is_admin = true;
  user.allowance_bytes = 5;
  const auto u = round_trip(user);
  CHECK(u.email == std::optional<std::string>("alice@example.org"));
  CHECK(u.is_admin);
  CHECK(u.allowance_bytes == std::optional<std::uint64_t>(5));
  user.email.reset();
  user.allowance_bytes.reset();
  CHECK_FALSE(round_trip(user).email.has_value());

  model::Server server;
  server.name = "storage1";
  server.status = model::ServerStatus::up;
  server.smb_port = 4450;
  server.load_average = 1.25;
  server.last_heartbeat = model::Timestamp{std::chrono::microseconds{99}};
  const auto s = round_trip(server);
  CHECK(s.status == model::ServerStatus::up);
  CHECK(s.smb_port == 4450);

  model::Share share;
  share.name = "Docs";
  share.comment = "日本語 \"quoted\"";
  share.read_only = true;
  share.invitations = false;
  const auto sh = round_trip(share);
  CHECK(sh.comment == share.comment);
  CHECK(sh.read_only);
  CHECK(sh.invitations == std::optional<bool>(false));

  model::AuditEvent event;
  event.action = "spaces.create";
  event.outcome = model::AuditOutcome::denied;
  event.detail = "line\nbreak";
  CHECK(round_trip(event).detail == "line\nbreak");
}

TEST_CASE("etcd documents: an older document reads with defaults, a malformed one names why") {
  auto old = decode_document<model::Share>(stored(R"({"id":"s","name":"docs"})"));
  REQUIRE(old.has_value());
  CHECK(old->name == "docs");
  CHECK(old->browseable); // the default
  CHECK(old->status == model::ObjectStatus::pending);

  auto bad_type = decode_document<model::Share>(stored(R"({"id":"s","read_only":"yes"})"));
  REQUIRE_FALSE(bad_type.has_value());
  CHECK(bad_type.error().code == ErrorCode::internal);
  CHECK(bad_type.error().message.find("read_only: not a boolean") != std::string::npos);
  CHECK(bad_type.error().message.find("/sharectl/d/x/1 (share)") != std::string::npos);
  auto bad_enum = decode_document<model::Space>(stored(R"({"id":"s","status":"sleeping"})"));
  REQUIRE_FALSE(bad_enum.has_value());
  CHECK(bad_enum.error().message.find("status") != std::string::npos);
  CHECK_FALSE(decode_document<model::User>(stored("[1,2]")).has_value());
  CHECK_FALSE(decode_document<model::User>(stored("not json")).has_value());
}
