// The store conformance suite, part 3: a space's usage is bookkeeping (Tx::touch_space_usage:
// no revision, no change-feed entry; create and update never write it, so a resize keeps it),
// and a server's smb_port is desired state that round-trips.
#pragma once

#include "tests/integration/agent/store/conformance.hpp"

namespace sharectl::store::conformance {

TEST_CASE_TEMPLATE_DEFINE("store: space usage is bookkeeping, smb_port round-trips", B,
                          store_usage) {
  B b;
  if (!b.ready()) {
    return;
  }
  auto store = open_ok(b);
  World w = make_world(*store);
  CHECK(w.space.used_bytes == 0);
  CHECK_FALSE(w.space.used_at.has_value());
  auto fresh = get_one<Space>(*store, w.space.id);
  SHARECTL_REQUIRE_OK(fresh);
  CHECK(fresh->used_bytes == 0);
  CHECK_FALSE(fresh->used_at.has_value());

  // Measured: the figures are there, the revision and the feed did not move.
  const auto before = store->current_revision();
  SHARECTL_REQUIRE_OK(before);
  const Timestamp when = from_micros(to_micros(now_utc())); // microsecond precision, as stored
  const std::uint64_t eight_mib = 8ull << 20;
  SHARECTL_REQUIRE_OK(
      store->transact([&](Tx& tx) { return tx.touch_space_usage(w.space.id, eight_mib, when); }));
  CHECK(*store->current_revision() == *before);
  auto feed = store->changes_since(*before);
  SHARECTL_REQUIRE_OK(feed);
  CHECK(feed->changes.empty());
  auto measured = get_one<Space>(*store, w.space.id);
  SHARECTL_REQUIRE_OK(measured);
  CHECK(measured->used_bytes == eight_mib);
  REQUIRE(measured->used_at.has_value());
  CHECK(*measured->used_at == when);
  CHECK(measured->revision == w.space.revision);
  auto listed = store->view_result([&](Tx& tx) { return tx.list<Space>({w.alice.id, 0}); });
  SHARECTL_REQUIRE_OK(listed);
  REQUIRE(listed->size() == 1);
  CHECK(listed->front().used_bytes == eight_mib);
  auto found = store->view_result([&](Tx& tx) { return tx.find_space(w.alice.id, "projects"); });
  SHARECTL_REQUIRE_OK(found);
  CHECK(found->used_at == measured->used_at);

  // A resize from a copy read before the measure keeps the measured figures (and says so).
  Space resized = w.space; // used_bytes 0, used_at unset: stale
  resized.size_bytes = 40ull << 30;
  auto updated = store->transact_result([&](Tx& tx) { return tx.update(resized); });
  SHARECTL_REQUIRE_OK(updated);
  CHECK(updated->used_bytes == eight_mib);
  CHECK(updated->used_at == measured->used_at);
  auto after = get_one<Space>(*store, w.space.id);
  SHARECTL_REQUIRE_OK(after);
  CHECK(after->size_bytes == 40ull << 30);
  CHECK(after->used_bytes == eight_mib);
  CHECK(after->used_at == measured->used_at);
  auto status = store->transact_result([&](Tx& tx) {
    return tx.set_status(Kind::space, w.space.id, ObjectStatus::ready, "", after->revision);
  });
  SHARECTL_REQUIRE_OK(status);
  CHECK(get_one<Space>(*store, w.space.id)->used_bytes == eight_mib);

  // A caller's figures on create are ignored: a new space starts unmeasured.
  Space other;
  other.owner_id = w.bob.id;
  other.name = "scratch";
  other.size_bytes = 1ull << 30;
  other.filesystem_id = w.fs.id;
  other.used_bytes = 12345;
  other.used_at = when;
  auto created = create_one(*store, other);
  SHARECTL_REQUIRE_OK(created);
  CHECK(created->used_bytes == 0);
  CHECK_FALSE(created->used_at.has_value());
  auto stored = get_one<Space>(*store, created->id);
  CHECK(stored->used_bytes == 0);
  CHECK_FALSE(stored->used_at.has_value());

  // Errors: a gone space, a figure the store cannot hold, a read-only transaction.
  auto gone = store->transact([&](Tx& tx) {
    return tx.touch_space_usage("00000000-0000-4000-8000-000000000000", 1, when);
  });
  CHECK(code_of(gone) == ErrorCode::not_found);
  auto huge = store->transact(
      [&](Tx& tx) { return tx.touch_space_usage(w.space.id, std::uint64_t{1} << 63, when); });
  CHECK(code_of(huge) == ErrorCode::bad_request);
  auto read_only = store->view([&](Tx& tx) { return tx.touch_space_usage(w.space.id, 1, when); });
  CHECK(code_of(read_only) == ErrorCode::internal);
  CHECK(get_one<Space>(*store, w.space.id)->used_bytes == eight_mib);

  // smb_port: 445 by default, written by create and update like any desired state.
  CHECK(w.server.smb_port == 445);
  CHECK(get_one<Server>(*store, w.server.id)->smb_port == 445);
  Server server = *get_one<Server>(*store, w.server.id);
  server.smb_port = 4450;
  auto moved = store->transact_result([&](Tx& tx) { return tx.update(server); });
  SHARECTL_REQUIRE_OK(moved);
  CHECK(moved->revision > server.revision);
  CHECK(get_one<Server>(*store, w.server.id)->smb_port == 4450);
  CHECK(store->view_result([](Tx& tx) { return tx.find_server("storage1"); })->smb_port == 4450);
  Server second;
  second.name = "storage2";
  second.smb_port = 10445;
  auto made = create_one(*store, second);
  SHARECTL_REQUIRE_OK(made);
  CHECK(get_one<Server>(*store, made->id)->smb_port == 10445);
  Server bad = *get_one<Server>(*store, made->id);
  bad.smb_port = 70000;
  CHECK(code_of(store->transact_result([&](Tx& tx) { return tx.update(bad); })) ==
        ErrorCode::bad_request);
}

} // namespace sharectl::store::conformance
