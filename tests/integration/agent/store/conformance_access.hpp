// The store conformance suite, part 2: the share ACL ("multiple ACLs": the five operations of
// seed 003), the effective access queries, role bindings, and the change feed.
#pragma once

#include "tests/integration/agent/store/conformance.hpp"
#include "tests/integration/agent/store/conformance_bulk.hpp"
#include "tests/integration/agent/store/conformance_usage.hpp"

namespace sharectl::store::conformance {

// The effective access of a user on a share (nullopt: none), REQUIREs success.
inline std::optional<UserAccess> access_of(Store& s, const Id& user, const Id& share) {
  auto r = s.view_result([&](Tx& tx) { return tx.effective_share_access(user, share); });
  SHARECTL_REQUIRE_OK(r);
  return *r;
}

TEST_CASE_TEMPLATE_DEFINE("store: share ACL follows grants, groups and members", B, store_acl) {
  B b;
  if (!b.ready()) {
    return;
  }
  auto store = open_ok(b);
  World w = make_world(*store);
  Group g;
  g.name = "devs";
  auto devs = create_one(*store, g);
  SHARECTL_REQUIRE_OK(devs);

  // Direct grant: one row, pending until accepted.
  auto row = store->transact_result([&](Tx& tx) {
    return tx.grant_user(w.share.id, w.bob.id, ShareLevel::read, AclState::pending);
  });
  SHARECTL_REQUIRE_OK(row);
  CHECK_FALSE(row->group_id.has_value());
  CHECK(row->state == AclState::pending);
  auto a = access_of(*store, w.bob.id, w.share.id);
  REQUIRE(a);
  CHECK(a->level == ShareLevel::read);
  CHECK_FALSE(access_of(*store, w.carol.id, w.share.id));
  // A changed ACL marks the share pending at a new revision.
  auto share = get_one<Share>(*store, w.share.id);
  CHECK(share->revision == row->revision);
  CHECK(share->status == ObjectStatus::pending);
  SHARECTL_REQUIRE_OK(store->transact(
      [&](Tx& tx) { return tx.set_acl_state(w.share.id, w.bob.id, AclState::active); }));

  // Operation 1: a user added to a group; operation 3: group added to a share (write).
  SHARECTL_REQUIRE_OK(store->transact_result(
      [&](Tx& tx) { return tx.add_group_member(devs->id, w.bob.id, AclState::pending); }));
  auto grant = store->transact_result([&](Tx& tx) {
    return tx.grant_group(w.share.id, devs->id, ShareLevel::write, AclState::pending);
  });
  SHARECTL_REQUIRE_OK(grant);
  SHARECTL_REQUIRE_OK(store->transact_result(
      [&](Tx& tx) { return tx.add_group_member(devs->id, w.carol.id, AclState::pending); }));
  CHECK(code_of(store->transact_result([&](Tx& tx) {
          return tx.add_group_member(devs->id, w.carol.id, AclState::pending);
        })) == ErrorCode::conflict);

  auto acl = store->view_result([&](Tx& tx) { return tx.list_acl(w.share.id); });
  SHARECTL_REQUIRE_OK(acl);
  CHECK(acl->size() == 3); // bob direct, bob via devs, carol via devs
  a = access_of(*store, w.bob.id, w.share.id);
  REQUIRE(a);
  CHECK(a->level == ShareLevel::write); // max over his rows
  CHECK(a->state == AclState::active);  // his new row took the state of his existing one
  auto c = access_of(*store, w.carol.id, w.share.id);
  REQUIRE(c);
  CHECK(c->level == ShareLevel::write);
  CHECK(c->state == AclState::pending);
  auto everyone = store->view_result([&](Tx& tx) { return tx.share_access(w.share.id); });
  SHARECTL_REQUIRE_OK(everyone);
  CHECK(everyone->size() == 2);
  CHECK(store->view_result([&](Tx& tx) { return tx.list_user_acl(w.bob.id); })->size() == 2);
  CHECK(store->view_result([&](Tx& tx) { return tx.list_group_grants(w.share.id); })->size() == 1);
  CHECK(store->view_result([&](Tx& tx) { return tx.list_user_groups(w.carol.id); })->size() == 1);
  CHECK(store->view_result([&](Tx& tx) { return tx.list_group_members(devs->id); })->size() == 2);

  // Accepting changes every row of (share, user) together.
  SHARECTL_REQUIRE_OK(store->transact(
      [&](Tx& tx) { return tx.set_acl_state(w.share.id, w.carol.id, AclState::active); }));
  CHECK(access_of(*store, w.carol.id, w.share.id)->state == AclState::active);

  // Operation 2: removed from the group → only the group's rows go.
  SHARECTL_REQUIRE_OK(
      store->transact([&](Tx& tx) { return tx.remove_group_member(devs->id, w.bob.id); }));
  a = access_of(*store, w.bob.id, w.share.id);
  REQUIRE(a);
  CHECK(a->level == ShareLevel::read);
  CHECK(code_of(store->transact([&](Tx& tx) {
          return tx.remove_group_member(devs->id, w.bob.id);
        })) == ErrorCode::not_found);

  // Operation 4: group removed from the share.
  SHARECTL_REQUIRE_OK(
      store->transact([&](Tx& tx) { return tx.revoke_group(w.share.id, devs->id); }));
  CHECK_FALSE(access_of(*store, w.carol.id, w.share.id));
  CHECK(code_of(store->transact([&](Tx& tx) { return tx.revoke_group(w.share.id, devs->id); })) ==
        ErrorCode::not_found);

  // Operation 5: group deleted → its rows go, and the share is marked for rendering.
  SHARECTL_REQUIRE_OK(store->transact_result([&](Tx& tx) {
    return tx.grant_group(w.share.id, devs->id, ShareLevel::read, AclState::pending);
  }));
  CHECK(access_of(*store, w.carol.id, w.share.id));
  auto before = get_one<Share>(*store, w.share.id);
  SHARECTL_REQUIRE_OK(store->transact([&](Tx& tx) { return tx.remove<Group>(devs->id); }));
  CHECK_FALSE(access_of(*store, w.carol.id, w.share.id));
  CHECK(get_one<Share>(*store, w.share.id)->revision > before->revision);

  // Direct revoke; unknown share or user is not_found.
  SHARECTL_REQUIRE_OK(
      store->transact([&](Tx& tx) { return tx.revoke_user(w.share.id, w.bob.id); }));
  CHECK_FALSE(access_of(*store, w.bob.id, w.share.id));
  CHECK(code_of(store->transact_result([&](Tx& tx) {
          return tx.grant_user("00000000-0000-4000-8000-000000000000", w.bob.id, ShareLevel::read,
                               AclState::pending);
        })) == ErrorCode::not_found);
}

TEST_CASE_TEMPLATE_DEFINE("store: new ACL rows take the user's state, else the default", B,
                          store_acl_state) {
  B b;
  if (!b.ready()) {
    return;
  }
  auto store = open_ok(b);
  World w = make_world(*store);
  Group g1;
  g1.name = "devs";
  Group g2;
  g2.name = "ops";
  auto devs = create_one(*store, g1);
  auto ops = create_one(*store, g2);
  SHARECTL_REQUIRE_OK(devs);
  SHARECTL_REQUIRE_OK(ops);

  // Invitations off: a direct grant is active at once.
  SHARECTL_REQUIRE_OK(store->transact_result([&](Tx& tx) {
    return tx.grant_user(w.share.id, w.bob.id, ShareLevel::read, AclState::active);
  }));
  CHECK(access_of(*store, w.bob.id, w.share.id)->state == AclState::active);
  // carol was invited (pending); a group grant with the active default must not activate her
  // invitation, nor leave her with rows in two states.
  SHARECTL_REQUIRE_OK(store->transact_result([&](Tx& tx) {
    return tx.grant_user(w.share.id, w.carol.id, ShareLevel::read, AclState::pending);
  }));
  SHARECTL_REQUIRE_OK(store->transact_result(
      [&](Tx& tx) { return tx.add_group_member(devs->id, w.carol.id, AclState::active); }));
  SHARECTL_REQUIRE_OK(store->transact_result([&](Tx& tx) {
    return tx.grant_group(w.share.id, devs->id, ShareLevel::write, AclState::active);
  }));
  auto acl = store->view_result([&](Tx& tx) { return tx.list_acl(w.share.id); });
  SHARECTL_REQUIRE_OK(acl);
  for (const auto& row : *acl) {
    if (row.user_id == w.carol.id) {
      CHECK(row.state == AclState::pending);
    }
  }

  // bob in two groups granting the share, removed from one: the other group's level remains.
  SHARECTL_REQUIRE_OK(store->transact_result([&](Tx& tx) {
    return tx.grant_group(w.share.id, ops->id, ShareLevel::read, AclState::active);
  }));
  SHARECTL_REQUIRE_OK(
      store->transact([&](Tx& tx) { return tx.revoke_user(w.share.id, w.bob.id); }));
  SHARECTL_REQUIRE_OK(store->transact_result(
      [&](Tx& tx) { return tx.add_group_member(devs->id, w.bob.id, AclState::active); }));
  SHARECTL_REQUIRE_OK(store->transact_result(
      [&](Tx& tx) { return tx.add_group_member(ops->id, w.bob.id, AclState::active); }));
  auto a = access_of(*store, w.bob.id, w.share.id);
  REQUIRE(a);
  CHECK(a->level == ShareLevel::write);
  CHECK(a->state == AclState::active);
  SHARECTL_REQUIRE_OK(
      store->transact([&](Tx& tx) { return tx.remove_group_member(devs->id, w.bob.id); }));
  a = access_of(*store, w.bob.id, w.share.id);
  REQUIRE(a);
  CHECK(a->level == ShareLevel::read); // still in ops
  SHARECTL_REQUIRE_OK(
      store->transact([&](Tx& tx) { return tx.remove_group_member(ops->id, w.bob.id); }));
  CHECK_FALSE(access_of(*store, w.bob.id, w.share.id));

  // carol declines: every row of hers on the share goes (direct and via devs), she stays in devs.
  SHARECTL_REQUIRE_OK(
      store->transact([&](Tx& tx) { return tx.remove_user_acl(w.share.id, w.carol.id); }));
  CHECK_FALSE(access_of(*store, w.carol.id, w.share.id));
  CHECK(code_of(store->transact([&](Tx& tx) {
          return tx.remove_user_acl(w.share.id, w.carol.id);
        })) == ErrorCode::not_found);
  auto groups = store->view_result([&](Tx& tx) { return tx.list_user_groups(w.carol.id); });
  SHARECTL_REQUIRE_OK(groups);
  CHECK(groups->size() == 1);
}

TEST_CASE_TEMPLATE_DEFINE("store: bindings apply directly, via groups and external groups", B,
                          store_bindings) {
  B b;
  if (!b.ready()) {
    return;
  }
  auto store = open_ok(b);
  World w = make_world(*store);
  std::vector<Id> expected;
  auto st = store->transact([&](Tx& tx) -> Status {
    Role viewer;
    viewer.name = "viewer";
    auto role = tx.create(viewer);
    Group g;
    g.name = "ops";
    auto ops = tx.create(g);
    REQUIRE(role);
    REQUIRE(ops);
    REQUIRE(tx.add_group_member(ops->id, w.bob.id, AclState::pending));
    auto bind = [&](SubjectKind kind, const std::string& subject, std::optional<Id> space) {
      Binding x;
      x.role_id = role->id;
      x.subject_kind = kind;
      x.subject = subject;
      x.space_id = space;
      auto r = tx.create(x);
      REQUIRE(r);
      return r->id;
    };
    expected.push_back(bind(SubjectKind::user, w.bob.id, std::nullopt));
    expected.push_back(bind(SubjectKind::group, ops->id, w.space.id));
    expected.push_back(bind(SubjectKind::external_group, "cn=admins", std::nullopt));
    bind(SubjectKind::user, w.carol.id, std::nullopt);            // someone else
    bind(SubjectKind::external_group, "cn=others", std::nullopt); // a group bob is not in
    Binding dup;
    dup.role_id = role->id;
    dup.subject = w.bob.id;
    CHECK(code_of(tx.create(dup)) == ErrorCode::conflict);
    return {};
  });
  SHARECTL_REQUIRE_OK(st);
  auto ids_of = [](const std::vector<Binding>& v) {
    std::vector<Id> out;
    for (const auto& x : v) {
      out.push_back(x.id);
    }
    return out;
  };
  auto in_space = store->view_result([&](Tx& tx) {
    return tx.applicable_bindings(w.bob.id, {"cn=admins", "cn=nobody"}, w.space.id);
  });
  SHARECTL_REQUIRE_OK(in_space);
  CHECK(ids_of(*in_space) == expected);
  auto cluster = store->view_result(
      [&](Tx& tx) { return tx.applicable_bindings(w.bob.id, {}, std::nullopt); });
  SHARECTL_REQUIRE_OK(cluster);
  CHECK(ids_of(*cluster) == std::vector<Id>{expected[0]}); // the space binding does not apply
}

TEST_CASE_TEMPLATE_DEFINE("store: change feed lists changes and wakes waiters", B, store_feed) {
  B b;
  if (!b.ready()) {
    return;
  }
  auto store = open_ok(b);
  auto start = store->current_revision();
  SHARECTL_REQUIRE_OK(start);
  World w = make_world(*store);
  auto feed = store->changes_since(*start);
  SHARECTL_REQUIRE_OK(feed);
  CHECK_FALSE(feed->compacted);
  CHECK(feed->revision == w.share.revision);
  CHECK(feed->changes.size() == 7); // 3 users, server, filesystem, space, share
  for (const auto& c : feed->changes) {
    CHECK(c.revision == w.share.revision);
    CHECK_FALSE(c.deleted);
  }
  SHARECTL_REQUIRE_OK(store->transact([&](Tx& tx) { return tx.remove<User>(w.carol.id); }));
  feed = store->changes_since(w.share.revision);
  SHARECTL_REQUIRE_OK(feed);
  REQUIRE(feed->changes.size() == 1);
  CHECK(feed->changes[0].kind == Kind::user);
  CHECK(feed->changes[0].id == w.carol.id);
  CHECK(feed->changes[0].deleted);
  auto limited = store->changes_since(*start, 2); // never half a revision
  SHARECTL_REQUIRE_OK(limited);
  CHECK(limited->changes.size() == 7);
  CHECK(limited->revision == w.share.revision);

  // Nothing new: the wait times out and returns the same revision.
  auto now = *store->current_revision();
  auto t0 = std::chrono::steady_clock::now();
  auto same = store->wait_for_change(now, std::chrono::milliseconds(200));
  SHARECTL_REQUIRE_OK(same);
  CHECK(*same == now);
  CHECK(std::chrono::steady_clock::now() - t0 >= std::chrono::milliseconds(190));

  // A commit in this process, and one through a second store on the same database (another
  // agent), both wake a waiter well before its timeout.
  auto other = open_ok(b);
  for (Store* writer : {store.get(), other.get()}) {
    Revision base = *store->current_revision();
    std::thread t([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      SHARECTL_CHECK_OK(create_one(*writer, user_named(writer == store.get() ? "w1" : "w2")));
    });
    auto t1 = std::chrono::steady_clock::now();
    auto woke = store->wait_for_change(base, std::chrono::seconds(10));
    auto waited = std::chrono::steady_clock::now() - t1;
    t.join();
    SHARECTL_REQUIRE_OK(woke);
    CHECK(*woke == base + 1);
    CHECK(waited < std::chrono::seconds(3));
  }
}

} // namespace sharectl::store::conformance

// Instantiates every conformance case for backend type B; use inside namespace
// sharectl::store::conformance, once per binary.
#define SHARECTL_STORE_CONFORMANCE(B)                                                              \
  TEST_CASE_TEMPLATE_INVOKE(store_open, B);                                                        \
  TEST_CASE_TEMPLATE_INVOKE(store_crud, B);                                                        \
  TEST_CASE_TEMPLATE_INVOKE(store_lookups, B);                                                     \
  TEST_CASE_TEMPLATE_INVOKE(store_unique, B);                                                      \
  TEST_CASE_TEMPLATE_INVOKE(store_revisions, B);                                                   \
  TEST_CASE_TEMPLATE_INVOKE(store_parameters, B);                                                  \
  TEST_CASE_TEMPLATE_INVOKE(store_concurrency, B);                                                 \
  TEST_CASE_TEMPLATE_INVOKE(store_migration, B);                                                   \
  TEST_CASE_TEMPLATE_INVOKE(store_acl, B);                                                         \
  TEST_CASE_TEMPLATE_INVOKE(store_acl_state, B);                                                   \
  TEST_CASE_TEMPLATE_INVOKE(store_bindings, B);                                                    \
  TEST_CASE_TEMPLATE_INVOKE(store_feed, B);                                                        \
  TEST_CASE_TEMPLATE_INVOKE(store_usage, B);                                                       \
  TEST_CASE_TEMPLATE_INVOKE(store_bulk_reads, B)
