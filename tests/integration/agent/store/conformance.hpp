// The store conformance suite (DESIGN.md Convention 3): the same cases run against every
// backend. A backend type B provides
//   B()                                  a fresh, empty database (skips/fails per require.hpp
//                                        when its server cannot start: check b.ready())
//   bool ready()                         false when the backend is unavailable (already reported)
//   Result<std::unique_ptr<Store>> open(const OpenOptions& = {})   a store on that database
//   Status record_schema_version(int)    records a schema version behind the store's back, as a
//                                        newer build would (schema tests)
// and each test file instantiates the suite with SHARECTL_STORE_CONFORMANCE(B).
// Part 1: documents (CRUD of every kind), uniqueness, revisions, rollback, bound parameters,
// concurrency, migrations. Part 2 (conformance_access.hpp): ACL, access queries, change feed.
#pragma once

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

#include "agent/store/store.hpp"
#include "tests/support/require.hpp"

namespace sharectl::store::conformance {

using namespace sharectl::model;

// A small world: three users, a server with a filesystem, alice's space with a share.
struct World {
  User alice, bob, carol;
  Server server;
  FileSystem fs;
  Space space;
  Share share;
};

// A user with this name (and name@example.org).
inline User user_named(const std::string& name) {
  User u;
  u.username = name;
  u.email = name + "@example.org";
  return u;
}

// Creates the World in one transaction; REQUIREs success.
inline World make_world(Store& store) {
  World w;
  auto st = store.transact([&](Tx& tx) -> Status {
    for (auto* u : {&w.alice, &w.bob, &w.carol}) {
      auto name = u == &w.alice ? "alice" : u == &w.bob ? "bob" : "carol";
      auto r = tx.create(user_named(name));
      if (!r) {
        return std::unexpected(r.error());
      }
      *u = *r;
    }
    Server s;
    s.name = "storage1";
    s.address = "192.0.2.10";
    auto server = tx.create(s);
    if (!server) {
      return std::unexpected(server.error());
    }
    w.server = *server;
    FileSystem f;
    f.server_id = w.server.id;
    f.path = "/srv/sharectl";
    f.driver = FsDriver::btrfs;
    f.capacity_bytes = 1ull << 40;
    auto fs = tx.create(f);
    if (!fs) {
      return std::unexpected(fs.error());
    }
    w.fs = *fs;
    Space sp;
    sp.owner_id = w.alice.id;
    sp.name = "projects";
    sp.size_bytes = 20ull << 30;
    sp.filesystem_id = w.fs.id;
    auto space = tx.create(sp);
    if (!space) {
      return std::unexpected(space.error());
    }
    w.space = *space;
    Share sh;
    sh.name = "Projects";
    sh.space_id = w.space.id;
    sh.comment = "team files";
    auto share = tx.create(sh);
    if (!share) {
      return std::unexpected(share.error());
    }
    w.share = *share;
    return {};
  });
  SHARECTL_REQUIRE_OK(st);
  return w;
}

// Opens the backend's store, REQUIREs success.
template <typename B>
std::unique_ptr<Store> open_ok(B& b, const OpenOptions& options = {}) {
  auto s = b.open(options);
  SHARECTL_REQUIRE_OK(s);
  return std::move(*s);
}

// Creates one object in its own transaction.
template <typename E>
Result<E> create_one(Store& s, E e) {
  return s.transact_result([&](Tx& tx) { return tx.create(e); });
}

// Reads one object in its own transaction.
template <typename E>
Result<E> get_one(Store& s, const Id& id) {
  return s.view_result([&](Tx& tx) { return tx.get<E>(id); });
}

// create → get → list → update → stale update → remove → get: for any kind.
template <typename E, typename Mutate>
void check_crud(Store& store, E object, Mutate mutate) {
  CAPTURE(std::string(kind_name(E::k_kind)));
  auto created = create_one(store, object);
  SHARECTL_REQUIRE_OK(created);
  CHECK(created->id.size() == 36);
  CHECK(created->revision > 0);
  CHECK(created->created_at == created->updated_at);
  auto got = get_one<E>(store, created->id);
  SHARECTL_REQUIRE_OK(got);
  CHECK(got->revision == created->revision);
  CHECK(got->created_at == created->created_at);
  auto all = store.view_result([](Tx& tx) { return tx.list<E>(); });
  SHARECTL_REQUIRE_OK(all);
  CHECK(std::any_of(all->begin(), all->end(), [&](const E& e) { return e.id == created->id; }));

  E changed = *got;
  mutate(changed);
  auto updated = store.transact_result([&](Tx& tx) { return tx.update(changed); });
  SHARECTL_REQUIRE_OK(updated);
  CHECK(updated->revision > created->revision);
  CHECK(updated->created_at == created->created_at);
  auto reread = get_one<E>(store, created->id);
  SHARECTL_REQUIRE_OK(reread);
  CHECK(reread->revision == updated->revision);

  auto stale = store.transact_result([&](Tx& tx) { return tx.update(changed); }); // old revision
  REQUIRE_FALSE(stale);
  CHECK(stale.error().code == ErrorCode::conflict);
  auto stale_remove =
      store.transact([&](Tx& tx) { return tx.remove<E>(created->id, created->revision); });
  REQUIRE_FALSE(stale_remove);
  CHECK(stale_remove.error().code == ErrorCode::conflict);

  SHARECTL_REQUIRE_OK(
      store.transact([&](Tx& tx) { return tx.remove<E>(created->id, updated->revision); }));
  auto gone = get_one<E>(store, created->id);
  REQUIRE_FALSE(gone);
  CHECK(gone.error().code == ErrorCode::not_found);
  auto again = store.transact([&](Tx& tx) { return tx.remove<E>(created->id); });
  REQUIRE_FALSE(again);
  CHECK(again.error().code == ErrorCode::not_found);
}

// The code of a failed Status/Result (internal if it succeeded, which the caller CHECKs).
template <typename T>
ErrorCode code_of(const std::expected<T, Error>& r) {
  return r ? ErrorCode::internal : r.error().code;
}

TEST_CASE_TEMPLATE_DEFINE("store: a new store is at the latest schema, revision 0", B, store_open) {
  B b;
  if (!b.ready()) {
    return;
  }
  auto store = open_ok(b);
  auto version = store->schema_version();
  SHARECTL_REQUIRE_OK(version);
  CHECK(*version == store->latest_schema_version());
  CHECK(*version >= 2);
  auto rev = store->current_revision();
  SHARECTL_REQUIRE_OK(rev);
  CHECK(*rev == 0);
  // Opening again changes nothing.
  auto again = open_ok(b);
  CHECK(*again->schema_version() == *version);
}

TEST_CASE_TEMPLATE_DEFINE("store: CRUD of every kind", B, store_crud) {
  B b;
  if (!b.ready()) {
    return;
  }
  auto store = open_ok(b);
  World w = make_world(*store);

  check_crud(*store, user_named("dave"), [](User& u) {
    u.is_admin = true;
    u.allowance_bytes = 5ull << 30;
    u.last_login = now_utc();
    u.auth_source = AuthSource::ldap;
  });
  App app;
  app.user_id = w.alice.id;
  app.name = "laptop";
  app.token_sha256 = std::string(64, 'a');
  app.expires_at = now_utc() + std::chrono::hours(24 * 7);
  check_crud(*store, app, [](App& a) { a.name = "desktop"; });
  Role role;
  role.name = "maintainer";
  check_crud(*store, role, [](Role& r) { r.description = "manages spaces"; });
  Group group;
  group.name = "devs";
  check_crud(*store, group, [](Group& g) { g.external_id = "sha256:abc"; });
  Server server;
  server.name = "storage2";
  check_crud(*store, server, [](Server& s) {
    s.status = ServerStatus::up;
    s.load_average = 0.75;
    s.last_heartbeat = now_utc();
  });
  FileSystem fs;
  fs.server_id = w.server.id;
  fs.path = "/srv/other";
  check_crud(*store, fs, [](FileSystem& f) { f.allocated_bytes = 42; });
  Space space;
  space.owner_id = w.bob.id;
  space.name = "scratch";
  space.filesystem_id = w.fs.id;
  check_crud(*store, space, [](Space& s) { s.size_bytes = 1ull << 40; });
  Share share;
  share.name = "scratch";
  share.space_id = w.space.id;
  check_crud(*store, share, [](Share& s) {
    s.read_only = true;
    s.browseable = false;
  });
  IscsiTarget target;
  target.server_id = w.server.id;
  target.iqn = "iqn.2024-01.org.example:t1";
  target.allowed_initiators = {"iqn.a:1", "iqn.b:2"};
  check_crud(*store, target, [](IscsiTarget& t) { t.chap_user = "chap"; });
  NotifyMethod method;
  method.name = "ops-hook";
  method.target = "https://example.org/hook";
  check_crud(*store, method, [](NotifyMethod& m) { m.enabled = false; });
  JoinToken token;
  token.token_sha256 = std::string(64, 'b');
  token.expires_at = now_utc();
  check_crud(*store, token, [&](JoinToken& t) {
    t.used_at = now_utc();
    t.used_by_server_id = w.server.id;
  });

  // Children need their parents to stay.
  auto saved_role = create_one(*store, role);
  SHARECTL_REQUIRE_OK(saved_role);
  Rule rule;
  rule.role_id = saved_role->id;
  rule.resource_glob = "spaces/*";
  check_crud(*store, rule, [](Rule& r) { r.level = RoleLevel::modify; });
  Binding binding;
  binding.role_id = saved_role->id;
  binding.subject = w.alice.id;
  check_crud(*store, binding, [&](Binding& x) { x.space_id = w.space.id; });
  auto saved_target = create_one(*store, target);
  SHARECTL_REQUIRE_OK(saved_target);
  IscsiLun lun;
  lun.target_id = saved_target->id;
  lun.backing_path = "/srv/luns/1.img";
  check_crud(*store, lun, [](IscsiLun& l) { l.size_bytes = 1 << 20; });
  auto saved_method = create_one(*store, method);
  SHARECTL_REQUIRE_OK(saved_method);
  NotifyHook hook;
  hook.method_id = saved_method->id;
  check_crud(*store, hook, [](NotifyHook& h) { h.event = NotifyEvent::server_down; });

  // Round trip of every field of a rich object.
  auto t = get_one<IscsiTarget>(*store, saved_target->id);
  SHARECTL_REQUIRE_OK(t);
  CHECK(t->allowed_initiators == std::vector<std::string>{"iqn.a:1", "iqn.b:2"});
  CHECK(t->status == ObjectStatus::pending);
}

TEST_CASE_TEMPLATE_DEFINE("store: look-ups, lists by parent, status, secrets, audit", B,
                          store_lookups) {
  B b;
  if (!b.ready()) {
    return;
  }
  auto store = open_ok(b);
  World w = make_world(*store);
  SHARECTL_REQUIRE_OK(store->view([&](Tx& tx) -> Status {
    CHECK(tx.find_user("bob")->id == w.bob.id);
    CHECK(tx.find_user_by_email("carol@example.org")->id == w.carol.id);
    CHECK(tx.find_share("PROJECTS")->id == w.share.id); // any case
    CHECK(tx.find_space(w.alice.id, "projects")->id == w.space.id);
    CHECK(code_of(tx.find_space(w.bob.id, "projects")) == ErrorCode::not_found);
    CHECK(tx.find_server("storage1")->id == w.server.id);
    CHECK(tx.find_filesystem(w.server.id, "/srv/sharectl")->id == w.fs.id);
    CHECK(code_of(tx.find_user("nobody")) == ErrorCode::not_found);
    auto spaces = tx.list<Space>({w.alice.id, 0});
    CHECK(spaces->size() == 1);
    CHECK(tx.list<Space>({w.bob.id, 0})->empty());
    CHECK(code_of(tx.list<User>({w.bob.id, 0})) == ErrorCode::bad_request);
    CHECK(tx.list<User>({std::nullopt, 2})->size() == 2);
    return {};
  }));
  // A host reports what it applied.
  auto rev = store->transact_result([&](Tx& tx) {
    return tx.set_status(Kind::share, w.share.id, ObjectStatus::ready, "", w.share.revision);
  });
  SHARECTL_REQUIRE_OK(rev);
  auto share = get_one<Share>(*store, w.share.id);
  CHECK(share->status == ObjectStatus::ready);
  CHECK(share->observed_revision == w.share.revision);
  CHECK(share->revision == *rev);
  CHECK(code_of(store->transact_result([&](Tx& tx) {
          return tx.set_status(Kind::user, w.bob.id, ObjectStatus::ready, "", 1);
        })) == ErrorCode::bad_request);

  // Secrets live apart from the user object.
  SHARECTL_REQUIRE_OK(store->transact_result([&](Tx& tx) {
    return tx.set_user_secrets(w.bob.id, {"$argon2id$x", "ABCDEF"});
  }));
  auto secrets = store->view_result([&](Tx& tx) { return tx.get_user_secrets(w.bob.id); });
  SHARECTL_REQUIRE_OK(secrets);
  CHECK(secrets->password_hash == "$argon2id$x");
  CHECK(secrets->nt_hash == "ABCDEF");

  // touch_app is bookkeeping: no new revision.
  App app;
  app.user_id = w.bob.id;
  app.token_sha256 = std::string(64, 'c');
  auto saved = create_one(*store, app);
  SHARECTL_REQUIRE_OK(saved);
  auto before = store->current_revision();
  auto when = now_utc();
  SHARECTL_REQUIRE_OK(store->transact([&](Tx& tx) { return tx.touch_app(saved->id, when); }));
  CHECK(*store->current_revision() == *before);
  auto touched =
      store->view_result([&](Tx& tx) { return tx.find_app_by_token(std::string(64, 'c')); });
  CHECK(touched->last_used_at == when);
  CHECK(touched->revision == saved->revision);

  // Audit: append-only, newest first, filtered.
  for (int i = 0; i < 3; ++i) {
    AuditEvent e;
    e.actor_id = i == 0 ? w.alice.id : w.bob.id;
    e.action = "space.create";
    e.resource = "spaces/x/" + std::to_string(i);
    SHARECTL_REQUIRE_OK(create_one(*store, e));
  }
  auto events = store->view_result([&](Tx& tx) {
    return tx.list_audit({std::nullopt, w.bob.id, 10});
  });
  SHARECTL_REQUIRE_OK(events);
  REQUIRE(events->size() == 2);
  CHECK(events->front().created_at >= events->back().created_at);
  auto event = events->front();
  CHECK(code_of(store->transact_result([&](Tx& tx) { return tx.update(event); })) ==
        ErrorCode::bad_request);
  CHECK(code_of(store->transact([&](Tx& tx) { return tx.remove<AuditEvent>(event.id); })) ==
        ErrorCode::bad_request);

  // Share names of a list of spaces in one read: each space's first share, by owner or all.
  Share second;
  second.name = "projects-archive";
  second.space_id = w.space.id;
  SHARECTL_REQUIRE_OK(create_one(*store, second));
  Space bobs;
  bobs.owner_id = w.bob.id;
  bobs.name = "music";
  bobs.size_bytes = 1ull << 30;
  bobs.filesystem_id = w.fs.id;
  auto bob_space = create_one(*store, bobs);
  SHARECTL_REQUIRE_OK(bob_space);
  Share bob_share;
  bob_share.name = "music";
  bob_share.space_id = bob_space->id;
  SHARECTL_REQUIRE_OK(create_one(*store, bob_share));
  Space empty = bobs;
  empty.owner_id = w.carol.id;
  auto carol_space = create_one(*store, empty);
  SHARECTL_REQUIRE_OK(carol_space);
  auto of_alice = store->view_result([&](Tx& tx) { return tx.first_share_names(w.alice.id); });
  SHARECTL_REQUIRE_OK(of_alice);
  CHECK(*of_alice == std::map<Id, std::string>{{w.space.id, "Projects"}});
  auto of_all = store->view_result([&](Tx& tx) { return tx.first_share_names(std::nullopt); });
  SHARECTL_REQUIRE_OK(of_all);
  CHECK(*of_all == std::map<Id, std::string>{{w.space.id, "Projects"}, {bob_space->id, "music"}});
  auto of_carol = store->view_result([&](Tx& tx) { return tx.first_share_names(w.carol.id); });
  SHARECTL_REQUIRE_OK(of_carol);
  CHECK(of_carol->empty());
}

TEST_CASE_TEMPLATE_DEFINE("store: unique names conflict, the message names what is taken", B,
                          store_unique) {
  B b;
  if (!b.ready()) {
    return;
  }
  auto store = open_ok(b);
  World w = make_world(*store);
  auto dup_user = create_one(*store, user_named("alice"));
  REQUIRE_FALSE(dup_user);
  CHECK(dup_user.error().code == ErrorCode::conflict);
  CHECK(dup_user.error().message.find("'alice'") != std::string::npos);
  User same_mail = user_named("alice2");
  same_mail.email = "alice@example.org";
  auto dup_mail = create_one(*store, same_mail);
  REQUIRE_FALSE(dup_mail);
  CHECK(dup_mail.error().message.find("e-mail") != std::string::npos);
  User no_mail1 = user_named("x1"), no_mail2 = user_named("x2");
  no_mail1.email.reset();
  no_mail2.email.reset();
  SHARECTL_CHECK_OK(create_one(*store, no_mail1)); // NULLs never collide
  SHARECTL_CHECK_OK(create_one(*store, no_mail2));

  Share other;
  other.name = "pRoJeCtS";
  other.space_id = w.space.id;
  auto dup_share = create_one(*store, other);
  REQUIRE_FALSE(dup_share);
  CHECK(dup_share.error().code == ErrorCode::conflict);
  CHECK(dup_share.error().message.find("ignore case") != std::string::npos);

  Space same_name = w.space;
  same_name.id.clear();
  auto dup_space = create_one(*store, same_name);
  CHECK(code_of(dup_space) == ErrorCode::conflict);
  same_name.owner_id = w.bob.id; // unique per owner only
  SHARECTL_CHECK_OK(create_one(*store, same_name));

  // Renaming onto a taken name is a conflict too.
  Share renamed = w.share;
  renamed.id.clear();
  renamed.name = "x";
  auto x = create_one(*store, renamed);
  SHARECTL_REQUIRE_OK(x);
  Share onto = *x;
  onto.name = "PROJECTS";
  auto clash = store->transact_result([&](Tx& tx) { return tx.update(onto); });
  REQUIRE_FALSE(clash);
  CHECK(clash.error().code == ErrorCode::conflict);

  // A reference to a missing object is not_found; deleting a referenced one is a conflict.
  Space orphan;
  orphan.owner_id = "00000000-0000-4000-8000-000000000000";
  orphan.name = "orphan";
  orphan.filesystem_id = w.fs.id;
  CHECK(code_of(create_one(*store, orphan)) == ErrorCode::not_found);
  CHECK(code_of(store->transact([&](Tx& tx) { return tx.remove<User>(w.alice.id); })) ==
        ErrorCode::conflict);
}

TEST_CASE_TEMPLATE_DEFINE("store: revisions grow, a failed transaction leaves nothing", B,
                          store_revisions) {
  B b;
  if (!b.ready()) {
    return;
  }
  auto store = open_ok(b);
  World w = make_world(*store);
  auto r0 = store->current_revision();
  SHARECTL_REQUIRE_OK(r0);
  CHECK(*r0 == w.share.revision); // one transaction, one revision
  CHECK(w.alice.revision == w.share.revision);

  // Rollback: the first create is undone when a later step fails.
  auto st = store->transact([&](Tx& tx) -> Status {
    auto u = tx.create(user_named("temp"));
    REQUIRE(u);
    CHECK(tx.write_revision() == *r0 + 1);
    if (auto second = tx.create(user_named("alice")); !second) {
      return fail(ErrorCode::conflict, "second create failed");
    }
    return {};
  });
  REQUIRE_FALSE(st);
  CHECK(code_of(store->view_result([](Tx& tx) { return tx.find_user("temp"); })) ==
        ErrorCode::not_found);
  CHECK(*store->current_revision() == *r0);

  // A caller's own failure rolls back too.
  auto mine = store->transact([&](Tx& tx) -> Status {
    SHARECTL_CHECK_OK(tx.create(user_named("temp2")));
    return fail(ErrorCode::forbidden, "changed my mind");
  });
  CHECK(code_of(mine) == ErrorCode::forbidden);
  CHECK(code_of(store->view_result([](Tx& tx) { return tx.find_user("temp2"); })) ==
        ErrorCode::not_found);

  // Writes in a view fail.
  auto ro = store->view([](Tx& tx) -> Status {
    auto r = tx.create(user_named("ro"));
    return r ? Status{} : std::unexpected(r.error());
  });
  CHECK(code_of(ro) == ErrorCode::internal);

  // The next write gets the next revision.
  auto dave = create_one(*store, user_named("dave"));
  SHARECTL_REQUIRE_OK(dave);
  CHECK(dave->revision == *r0 + 1);
}

TEST_CASE_TEMPLATE_DEFINE("store: values travel as bound parameters, unchanged", B,
                          store_parameters) {
  B b;
  if (!b.ready()) {
    return;
  }
  auto store = open_ok(b);
  World w = make_world(*store);
  const std::vector<std::string> nasty = {
      "o'brien",    "a\"b",     "x'; DROP TABLE users; --", "-- comment",
      "semi;colon", "$1 $2 ?1", "Grüße 日本語 🚀",           "back\\slash",
  };
  for (const auto& name : nasty) {
    CAPTURE(name);
    Share s;
    s.name = name;
    s.space_id = w.space.id;
    s.comment = name;
    auto created = create_one(*store, s);
    SHARECTL_REQUIRE_OK(created);
    auto found = store->view_result([&](Tx& tx) { return tx.find_share(name); });
    SHARECTL_REQUIRE_OK(found);
    CHECK(found->name == name);
    CHECK(found->comment == name);
  }
  std::string big(4096, 'x');
  for (std::size_t i = 0; i < big.size(); i += 7) {
    big[i] = "';-\"\\%é"[i % 7];
  }
  Share s = w.share;
  s.comment = big;
  SHARECTL_REQUIRE_OK(store->transact_result([&](Tx& tx) { return tx.update(s); }));
  CHECK(get_one<Share>(*store, w.share.id)->comment == big);
  CHECK(store->view_result([](Tx& tx) { return tx.list<User>(); })->size() == 3); // still there
}

TEST_CASE_TEMPLATE_DEFINE("store: concurrent creators of one name, exactly one wins", B,
                          store_concurrency) {
  B b;
  if (!b.ready()) {
    return;
  }
  auto store = open_ok(b);
  World w = make_world(*store);
  constexpr int k_threads = 8;
  std::atomic<int> wins{0}, conflicts{0}, others{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < k_threads; ++i) {
    threads.emplace_back([&, i] {
      Share s;
      s.name = i % 2 ? "race" : "RACE";
      s.space_id = w.space.id;
      auto r = create_one(*store, s);
      (r ? wins : r.error().code == ErrorCode::conflict ? conflicts : others)++;
      auto u = create_one(*store, user_named("racer"));
      (u ? wins : u.error().code == ErrorCode::conflict ? conflicts : others)++;
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  CHECK(wins == 2);
  CHECK(conflicts == 2 * k_threads - 2);
  CHECK(others == 0);
}

TEST_CASE_TEMPLATE_DEFINE("store: migration from schema 1, and version checks", B,
                          store_migration) {
  B b;
  if (!b.ready()) {
    return;
  }
  Id alice;
  {
    OpenOptions v1;
    v1.schema_version = 1;
    auto old = open_ok(b, v1);
    CHECK(*old->schema_version() == 1);
    auto u = create_one(*old, user_named("alice"));
    SHARECTL_REQUIRE_OK(u);
    alice = u->id;
  }
  OpenOptions no_migrate;
  no_migrate.migrate = false;
  auto refused = b.open(no_migrate);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == ErrorCode::unavailable);
  CHECK(refused.error().message.find("migrate") != std::string::npos);

  auto store = open_ok(b);
  CHECK(*store->schema_version() == store->latest_schema_version());
  CHECK(get_one<User>(*store, alice)->username == "alice");
  auto again = store->migrate();
  SHARECTL_REQUIRE_OK(again);
  CHECK(*again == store->latest_schema_version());

  SHARECTL_REQUIRE_OK(b.record_schema_version(999));
  auto newer = b.open();
  REQUIRE_FALSE(newer);
  CHECK(newer.error().code == ErrorCode::unavailable);
  CHECK(newer.error().message.find("newer") != std::string::npos);
}

} // namespace sharectl::store::conformance
