// The read view (agent/store/view): the store conformance suite unchanged over a ViewStore on
// SQLite (every read of the suite then comes from memory), and what only a view has: a write
// through another handle arrives by the change feed, bookkeeping by the refresh, deletions take
// what the store deletes with them, and after any sequence of changes every read of the view
// equals the backend's.
#include <random>
#include <thread>

#include <sqlite3.h>

#include "agent/store/view/view_store.hpp"
#include "tests/integration/agent/store/conformance_access.hpp"
#include "tests/support/temp_dir.hpp"

namespace sharectl::store::conformance {

// A ViewStore over a fresh SQLite database file.
struct ViewOverSqlite {
  test::TempDir dir;
  std::string path = (dir.path() / "state.db").string();

  bool ready() const { return true; }
  Result<std::unique_ptr<Store>> open(const OpenOptions& options = {}) {
    auto backend = open_store("sqlite://" + path, options);
    if (!backend || options.schema_version) {
      // A view holds a store at this build's schema; the migration case, which opens it at an
      // older one, exercises the backend itself.
      return backend;
    }
    return view::with_read_view(std::move(*backend));
  }
  Status record_schema_version(int version) {
    sqlite3* db = nullptr;
    int rc = sqlite3_open(path.c_str(), &db);
    const std::string sql = "INSERT INTO schema_migrations (version, name, applied_at) VALUES (" +
                            std::to_string(version) + ", 'future', 0)";
    if (rc == SQLITE_OK) {
      rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
    }
    std::string message = db ? sqlite3_errmsg(db) : "cannot open";
    sqlite3_close(db);
    return rc == SQLITE_OK ? Status{} : fail(ErrorCode::internal, message);
  }
};

} // namespace sharectl::store::conformance

TYPE_TO_STRING(sharectl::store::conformance::ViewOverSqlite);

TEST_SUITE_BEGIN("store");

namespace sharectl::store::conformance {
SHARECTL_STORE_CONFORMANCE(ViewOverSqlite);
} // namespace sharectl::store::conformance

namespace sharectl::store {

namespace {

using namespace sharectl::model;
using Clock = std::chrono::steady_clock;

// The value of r; ends the test when it holds an error.
template <typename T>
T must(Result<T> r) {
  REQUIRE_MESSAGE(r.has_value(), test::error_text(r));
  return std::move(*r);
}

// A view (without its follower when follow is false) and a plain handle on one SQLite file.
struct TwoHandles {
  test::TempDir dir;
  std::string url = "sqlite://" + (dir.path() / "state.db").string();
  std::unique_ptr<Store> backend = must(open_store(url));
  std::unique_ptr<view::ViewStore> view;

  explicit TwoHandles(bool follow = true) {
    view::ViewOptions options;
    options.follow = follow;
    options.bookkeeping_interval = std::chrono::milliseconds{200};
    view = must(view::ViewStore::open(must(open_store(url)), options));
  }
};

template <typename E>
std::vector<E> all(Store& store, ListQuery q = {}) {
  return must(store.view_result([&](Tx& tx) { return tx.list<E>(q); }));
}

// Polls `seen` every 20 ms for up to 10 s; returns how long it took (nullopt: never).
template <typename F>
std::optional<std::chrono::milliseconds> within(F&& seen) {
  const auto start = Clock::now();
  while (Clock::now() - start < std::chrono::seconds{10}) {
    if (seen()) {
      return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  }
  return std::nullopt;
}

std::string describe(const AclEntry& r) {
  return r.share_id + "/" + r.user_id + "/" + r.group_id.value_or("-") + "/" +
         std::string(to_string(r.level)) + "/" + std::string(to_string(r.state)) + "/" +
         std::to_string(r.revision);
}

template <typename E>
std::vector<std::string> ids_and_revisions(Store& store) {
  std::vector<std::string> out;
  for (const E& e : all<E>(store)) {
    out.push_back(e.id + "@" + std::to_string(e.revision));
  }
  return out;
}

// Every read the handlers make, answered by the view and by the backend, compared.
void require_same(Store& view, Store& backend) {
  CHECK(ids_and_revisions<User>(view) == ids_and_revisions<User>(backend));
  CHECK(ids_and_revisions<App>(view) == ids_and_revisions<App>(backend));
  CHECK(ids_and_revisions<Group>(view) == ids_and_revisions<Group>(backend));
  CHECK(ids_and_revisions<Binding>(view) == ids_and_revisions<Binding>(backend));
  CHECK(ids_and_revisions<Share>(view) == ids_and_revisions<Share>(backend));
  CHECK(ids_and_revisions<Space>(view) == ids_and_revisions<Space>(backend));
  auto users = all<User>(backend);
  auto shares = all<Share>(backend);
  auto groups = all<Group>(backend);
  auto read = [](Store& store, auto&& fn) { return must(store.view_result(fn)); };
  for (const Share& share : shares) {
    auto rows = [&](Store& store) {
      std::vector<std::string> out;
      for (const auto& r : read(store, [&](Tx& tx) { return tx.list_acl(share.id); })) {
        out.push_back(describe(r));
      }
      for (const auto& g : read(store, [&](Tx& tx) { return tx.list_group_grants(share.id); })) {
        out.push_back("grant " + g.group_id + " " + std::string(to_string(g.level)) + " " +
                      std::to_string(g.revision));
      }
      for (const auto& a : read(store, [&](Tx& tx) { return tx.share_access(share.id); })) {
        out.push_back("access " + a.user_id + " " + std::string(to_string(a.level)) + " " +
                      std::string(to_string(a.state)));
      }
      return out;
    };
    CHECK(rows(view) == rows(backend));
  }
  for (const Group& group : groups) {
    auto members = [&](Store& store) {
      std::vector<std::string> out;
      for (const auto& m : read(store, [&](Tx& tx) { return tx.list_group_members(group.id); })) {
        out.push_back(m.user_id + "@" + std::to_string(m.revision));
      }
      return out;
    };
    CHECK(members(view) == members(backend));
  }
  for (const User& user : users) {
    auto of_user = [&](Store& store) {
      std::vector<std::string> out;
      for (const auto& r : read(store, [&](Tx& tx) { return tx.list_user_acl(user.id); })) {
        out.push_back(describe(r));
      }
      for (const auto& g : read(store, [&](Tx& tx) { return tx.list_user_groups(user.id); })) {
        out.push_back("group " + g.id);
      }
      for (const auto& b : read(store, [&](Tx& tx) {
             return tx.applicable_bindings(user.id, {"cn=ops"}, std::nullopt);
           })) {
        out.push_back("binding " + b.id);
      }
      for (const Share& share : shares) {
        auto a = read(store, [&](Tx& tx) { return tx.effective_share_access(user.id, share.id); });
        out.push_back(a ? std::string(to_string(a->level)) + std::string(to_string(a->state))
                        : "none");
      }
      auto names = read(store, [&](Tx& tx) { return tx.first_share_names(user.id); });
      for (const auto& [space, name] : names) {
        out.push_back("first " + space + " " + name);
      }
      return out;
    };
    CHECK(of_user(view) == of_user(backend));
  }
  CHECK(read(view, [](Tx& tx) { return tx.first_share_names(std::nullopt); }) ==
        read(backend, [](Tx& tx) { return tx.first_share_names(std::nullopt); }));
}

} // namespace

TEST_CASE("view: a write through another handle arrives by the change feed") {
  TwoHandles h;
  const auto world = conformance::make_world(*h.backend);
  auto seen = within([&] { return all<Share>(*h.view).size() == 1; });
  REQUIRE(seen);
  MESSAGE("another handle's write reached the view after " << seen->count() << " ms");
  // A change and a deletion arrive the same way.
  must(h.backend->transact_result([&](Tx& tx) {
    Share share = world.share;
    share.comment = "changed elsewhere";
    return tx.update(share);
  }));
  REQUIRE(within([&] { return all<Share>(*h.view).at(0).comment == "changed elsewhere"; }));
  must(h.backend->transact_result([&](Tx& tx) {
    return tx.grant_user(world.share.id, world.bob.id, ShareLevel::write, AclState::active);
  }));
  REQUIRE(within([&] {
    auto a = h.view->view_result(
        [&](Tx& tx) { return tx.effective_share_access(world.bob.id, world.share.id); });
    return a && *a && (*a)->level == ShareLevel::write;
  }));
}

TEST_CASE("view: a write through the view is in its next read") {
  TwoHandles h(false); // no follower: only the write itself can bring the view up to date
  const auto world = conformance::make_world(*h.view);
  CHECK(all<Share>(*h.view).size() == 1);
  for (int i = 0; i < 20; ++i) {
    auto user = must(h.view->transact_result(
        [&](Tx& tx) { return tx.create(conformance::user_named("u" + std::to_string(i))); }));
    auto users = all<User>(*h.view);
    CHECK(users.back().id == user.id);
    must(h.view->transact_result([&](Tx& tx) {
      return tx.grant_user(world.share.id, user.id, ShareLevel::read, AclState::pending);
    }));
    auto a = must(h.view->view_result(
        [&](Tx& tx) { return tx.effective_share_access(user.id, world.share.id); }));
    CHECK(a.has_value());
  }
  require_same(*h.view, *h.backend);
}

TEST_CASE("view: a read after current_revision sees at least that revision") {
  // The reconciler records what it applied by the revision read before its pass: the view must
  // have reached it by then, or a change would be recorded as applied and never be.
  TwoHandles h(false); // no follower: only current_revision can bring the view up
  const auto world = conformance::make_world(*h.backend);
  const auto revision = must(h.view->current_revision());
  CHECK(revision == must(h.backend->current_revision()));
  CHECK(h.view->seen_revision() >= revision);
  CHECK(all<Share>(*h.view).size() == 1);
  CHECK(all<Space>(*h.view).at(0).id == world.space.id);
}

TEST_CASE("view: bookkeeping written elsewhere shows after the refresh") {
  TwoHandles h;
  const auto world = conformance::make_world(*h.backend);
  REQUIRE(within([&] { return all<Space>(*h.view).size() == 1; }));
  SHARECTL_REQUIRE_OK(h.backend->transact(
      [&](Tx& tx) { return tx.touch_space_usage(world.space.id, 12345, now_utc()); }));
  auto seen = within([&] { return all<Space>(*h.view).at(0).used_bytes == 12345; });
  REQUIRE(seen);
  MESSAGE("another handle's usage figure reached the view after " << seen->count() << " ms");
  // Through the view itself: at once.
  SHARECTL_REQUIRE_OK(h.view->transact(
      [&](Tx& tx) { return tx.touch_space_usage(world.space.id, 777, now_utc()); }));
  CHECK(all<Space>(*h.view).at(0).used_bytes == 777);
}

TEST_CASE("view: a feed pruned past the view loads the whole store again") {
  TwoHandles h(false);
  const auto world = conformance::make_world(*h.backend);
  for (int i = 0; i < 5; ++i) {
    must(h.backend->transact_result(
        [&](Tx& tx) { return tx.create(conformance::user_named("late" + std::to_string(i))); }));
  }
  // Prune the whole feed behind the view's back, as a long-stopped agent would find it.
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open((h.dir.path() / "state.db").c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db,
                       "DELETE FROM changes; UPDATE store_meta SET compacted_revision = revision",
                       nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  CHECK(h.view->stats().full_loads == 1);
  SHARECTL_REQUIRE_OK(h.view->sync());
  CHECK(h.view->stats().full_loads == 2);
  CHECK(all<User>(*h.view).size() == 8);
  require_same(*h.view, *h.backend);
}

TEST_CASE("view: after any sequence of changes every read equals the backend's") {
  TwoHandles h(false);
  const auto world = conformance::make_world(*h.backend);
  std::mt19937 rng(20261208);
  auto pick = [&](std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
  };
  std::vector<Id> users{world.alice.id, world.bob.id, world.carol.id};
  std::vector<Id> groups;
  std::vector<Id> shares{world.share.id};
  auto role = must(h.backend->transact_result([](Tx& tx) {
    Role r;
    r.name = "helpers";
    return tx.create(r);
  }));
  int applied = 0;
  for (int step = 0; step < 400; ++step) {
    // Alternate the two handles: the view's own writes take the read-your-writes path.
    Store& through = pick(3) == 0 ? static_cast<Store&>(*h.view) : *h.backend;
    const auto op = pick(14);
    auto done = through.transact([&](Tx& tx) -> Status {
      auto ok = [](auto&& r) -> Status { return r ? Status{} : std::unexpected(r.error()); };
      const Id& user = users[pick(users.size())];
      const Id& share = shares[pick(shares.size())];
      switch (op) {
      case 0:
        return ok(tx.create(conformance::user_named("u" + std::to_string(step))));
      case 1: {
        Group g;
        g.name = "g" + std::to_string(step);
        if (pick(2) == 0) {
          g.owner_id = user;
        }
        return ok(tx.create(g));
      }
      case 2:
      case 3:
        return groups.empty()
                   ? Status{}
                   : ok(tx.add_group_member(groups[pick(groups.size())], user,
                                            pick(2) ? AclState::active : AclState::pending));
      case 4:
        return groups.empty() ? Status{}
                              : tx.remove_group_member(groups[pick(groups.size())], user);
      case 5:
        return ok(tx.grant_user(share, user, pick(2) ? ShareLevel::write : ShareLevel::read,
                                pick(2) ? AclState::active : AclState::pending));
      case 6:
        return tx.revoke_user(share, user);
      case 7:
        return groups.empty() ? Status{}
                              : ok(tx.grant_group(share, groups[pick(groups.size())],
                                                  pick(2) ? ShareLevel::write : ShareLevel::read,
                                                  AclState::pending));
      case 8:
        return groups.empty() ? Status{} : tx.revoke_group(share, groups[pick(groups.size())]);
      case 9:
        return pick(2) ? tx.set_acl_state(share, user, AclState::active)
                       : tx.remove_user_acl(share, user);
      case 10: {
        Share s;
        s.name = "Share" + std::to_string(step);
        s.space_id = world.space.id;
        return ok(tx.create(s));
      }
      case 11: {
        Binding b;
        b.role_id = role.id;
        const auto kind = pick(3);
        b.subject_kind = kind == 0   ? SubjectKind::user
                         : kind == 1 ? SubjectKind::external_group
                                     : SubjectKind::group;
        b.subject = kind == 0 ? user : kind == 1 ? "cn=ops" : (groups.empty() ? user : groups[0]);
        if (kind == 2 && groups.empty()) {
          b.subject_kind = SubjectKind::user;
        }
        return ok(tx.create(b));
      }
      case 12: {
        App a;
        a.user_id = user;
        a.name = "app" + std::to_string(step);
        a.token_sha256 = std::string(64, "0123456789abcdef"[step % 16]) + std::to_string(step);
        return ok(tx.create(a));
      }
      default: { // delete something: a group, a user without spaces, or a share
        const auto what = pick(3);
        if (what == 0 && !groups.empty()) {
          return tx.remove<Group>(groups[pick(groups.size())]);
        }
        if (what == 1 && users.size() > 3) {
          return tx.remove<User>(users[3 + pick(users.size() - 3)]);
        }
        if (what == 2 && shares.size() > 1) {
          return tx.remove<Share>(shares[1 + pick(shares.size() - 1)]);
        }
        return Status{};
      }
      }
    });
    applied += done ? 1 : 0;
    // Keep the id lists current from the backend.
    users.clear();
    for (const User& u : all<User>(*h.backend)) {
      users.push_back(u.id);
    }
    groups.clear();
    for (const Group& g : all<Group>(*h.backend)) {
      groups.push_back(g.id);
    }
    shares.clear();
    for (const Share& s : all<Share>(*h.backend)) {
      shares.push_back(s.id);
    }
    if (step % 40 == 39) {
      SHARECTL_REQUIRE_OK(h.view->sync());
      require_same(*h.view, *h.backend);
    }
  }
  MESSAGE(applied << " of 400 random changes applied");
  CHECK(applied > 150);
  // A view loaded afresh from what the changes left (a restart) equals the backend too.
  view::ViewOptions options;
  options.follow = false;
  auto reopened = must(view::ViewStore::open(must(open_store(h.url)), options));
  CHECK(reopened->stats().counts.acl_rows > 0);
  CHECK(reopened->stats().counts.members > 0);
  require_same(*reopened, *h.backend);
}

} // namespace sharectl::store

TEST_SUITE_END();
