// The store conformance suite, part 4: the whole-store reads that load the read view
// (Tx::list_all_acl, list_all_group_grants, list_all_group_members, read_bookkeeping) answer
// exactly what the per-object reads they stand for answer, in one snapshot: ACL rows (an accepted
// and a declined invitation, a group of three granted on two shares, a deleted group's grant),
// group grants and members, and the bookkeeping figures.
#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "tests/integration/agent/store/conformance.hpp"

namespace sharectl::store::conformance {

// The fields of a row or figure as the store answers them (the model structs have no ==).
inline auto fields_of(const AclEntry& e) {
  return std::tie(e.share_id, e.user_id, e.group_id, e.level, e.state, e.revision, e.created_at,
                  e.updated_at);
}
inline auto fields_of(const GroupGrant& g) {
  return std::tie(g.share_id, g.group_id, g.level, g.revision, g.created_at, g.updated_at);
}
inline auto fields_of(const GroupMember& m) {
  return std::tie(m.group_id, m.user_id, m.revision, m.created_at);
}
inline auto fields_of(const Server& s) {
  return std::tie(s.id, s.revision, s.created_at, s.updated_at, s.name, s.address, s.role_samba,
                  s.role_iscsi, s.status, s.smb_port, s.last_heartbeat, s.observed_revision,
                  s.load_average, s.memory_total_bytes, s.memory_used_bytes, s.net_rx_bytes,
                  s.net_tx_bytes);
}
inline auto fields_of(const FileSystem& f) {
  return std::tie(f.id, f.revision, f.created_at, f.updated_at, f.status, f.status_message,
                  f.observed_revision, f.server_id, f.path, f.driver, f.capacity_bytes,
                  f.allocated_bytes, f.free_bytes, f.iscsi_lun_id);
}
inline auto fields_of(const Bookkeeping::SpaceUsage& s) {
  return std::tie(s.id, s.used_bytes, s.used_at);
}
inline auto fields_of(const Bookkeeping::AppUse& a) {
  return std::tie(a.id, a.last_used_at);
}

// CHECKs that two lists hold the same rows in the same order.
template <typename Row>
void check_same(const std::string& what, const std::vector<Row>& got,
                const std::vector<Row>& expected) {
  CAPTURE(what);
  REQUIRE(got.size() == expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    CAPTURE(i);
    CHECK(fields_of(got[i]) == fields_of(expected[i]));
  }
}

// CHECKs that a whole-store read is the per-parent reads concatenated: the rows of each parent
// (share, group) as read(parent) answers them, parent after parent in the order the parents first
// appear in `all` (it is grouped by parent; the order of the groups is the backend's), and no
// rows of other parents.
template <typename Row, typename ParentOf, typename Read>
void check_grouped(const std::string& what, const std::vector<Row>& all,
                   const std::vector<Id>& parents, ParentOf parent_of, Read read) {
  std::vector<Id> order;
  for (const Row& row : all) {
    if (std::ranges::find(order, parent_of(row)) == order.end()) {
      order.push_back(parent_of(row));
    }
  }
  for (const Id& parent : parents) {
    if (std::ranges::find(order, parent) == order.end()) {
      order.push_back(parent);
    }
  }
  std::vector<Row> expected;
  for (const Id& parent : order) {
    CHECK_MESSAGE(std::ranges::find(parents, parent) != parents.end(), what, ": ", parent);
    auto rows = read(parent);
    SHARECTL_REQUIRE_OK(rows);
    expected.insert(expected.end(), rows->begin(), rows->end());
  }
  check_same(what, all, expected);
}

// The list sorted by id (the order of bookkeeping figures is not part of the contract).
template <typename Row>
std::vector<Row> by_id(std::vector<Row> rows) {
  std::ranges::sort(rows, [](const Row& a, const Row& b) { return a.id < b.id; });
  return rows;
}

TEST_CASE_TEMPLATE_DEFINE("store: whole-store reads equal the per-object reads", B,
                          store_bulk_reads) {
  B b;
  if (!b.ready()) {
    return;
  }
  auto store = open_ok(b);
  World w = make_world(*store);
  auto ok = [&](auto fn) { SHARECTL_REQUIRE_OK(store->transact_result(fn)); };
  auto done = [&](auto fn) { SHARECTL_REQUIRE_OK(store->transact(fn)); };
  auto dave = create_one(*store, user_named("dave"));
  auto erin = create_one(*store, user_named("erin"));
  SHARECTL_REQUIRE_OK(dave);
  SHARECTL_REQUIRE_OK(erin);
  auto share_named = [&](const std::string& name, std::optional<bool> invitations) {
    Share sh;
    sh.name = name;
    sh.space_id = w.space.id;
    sh.subdir = name;
    sh.invitations = invitations;
    auto made = create_one(*store, sh);
    SHARECTL_REQUIRE_OK(made);
    return *made;
  };
  const Share docs = share_named("Docs", true);
  const Share media = share_named("Media", std::nullopt);
  const Share quiet = share_named("Quiet", false); // no grants at all
  auto group_named = [&](const std::string& name) {
    Group g;
    g.name = name;
    auto made = create_one(*store, g);
    SHARECTL_REQUIRE_OK(made);
    return *made;
  };
  const Group devs = group_named("devs");
  const Group ops = group_named("ops");
  const Group empty = group_named("empty");
  const Group temp = group_named("temp");

  // An accepted invitation (bob on Projects), then devs — three members — on two shares.
  ok([&](Tx& tx) {
    return tx.grant_user(w.share.id, w.bob.id, ShareLevel::read, AclState::pending);
  });
  done([&](Tx& tx) { return tx.set_acl_state(w.share.id, w.bob.id, AclState::active); });
  for (const Id& user : {w.bob.id, w.carol.id, dave->id}) {
    ok([&](Tx& tx) { return tx.add_group_member(devs.id, user, AclState::pending); });
  }
  ok([&](Tx& tx) {
    return tx.grant_group(w.share.id, devs.id, ShareLevel::write, AclState::pending);
  });
  ok([&](Tx& tx) { return tx.grant_group(docs.id, devs.id, ShareLevel::read, AclState::active); });
  // A declined invitation: carol's direct row and her devs row on Docs go.
  ok([&](Tx& tx) {
    return tx.grant_user(docs.id, w.carol.id, ShareLevel::write, AclState::active);
  });
  done([&](Tx& tx) { return tx.remove_user_acl(docs.id, w.carol.id); });
  // erin directly and through ops on Media; a group granted there and deleted.
  ok([&](Tx& tx) { return tx.grant_user(media.id, erin->id, ShareLevel::read, AclState::active); });
  ok([&](Tx& tx) { return tx.add_group_member(ops.id, erin->id, AclState::active); });
  ok([&](Tx& tx) { return tx.grant_group(media.id, ops.id, ShareLevel::write, AclState::active); });
  ok([&](Tx& tx) { return tx.add_group_member(temp.id, dave->id, AclState::active); });
  ok([&](Tx& tx) {
    return tx.grant_group(media.id, temp.id, ShareLevel::write, AclState::active);
  });
  done([&](Tx& tx) { return tx.remove<Group>(temp.id); });

  // Bookkeeping: a measured space beside an unmeasured one, a touched app beside an untouched
  // one, a heartbeat with the observed revision, a filesystem's free bytes.
  Space scratch;
  scratch.owner_id = w.bob.id;
  scratch.name = "scratch";
  scratch.size_bytes = 1ull << 30;
  scratch.filesystem_id = w.fs.id;
  SHARECTL_REQUIRE_OK(create_one(*store, scratch));
  const Timestamp when = from_micros(to_micros(now_utc())); // microsecond precision, as stored
  done([&](Tx& tx) { return tx.touch_space_usage(w.space.id, 8ull << 20, when); });
  std::vector<Id> apps;
  for (const char c : {'d', 'e'}) {
    App app;
    app.user_id = c == 'd' ? w.alice.id : w.bob.id;
    app.name = std::string("laptop-") + c;
    app.token_sha256 = std::string(64, c);
    app.expires_at = from_micros(to_micros(now_utc())) + std::chrono::hours(24);
    auto saved = create_one(*store, app);
    SHARECTL_REQUIRE_OK(saved);
    apps.push_back(saved->id);
  }
  done([&](Tx& tx) { return tx.touch_app(apps.front(), when); });
  Server beat;
  beat.id = w.server.id;
  beat.last_heartbeat = when;
  beat.load_average = 0.75;
  beat.memory_total_bytes = 8ull << 30;
  beat.memory_used_bytes = 3ull << 30;
  beat.net_rx_bytes = 12345;
  beat.net_tx_bytes = 67890;
  done([&](Tx& tx) { return tx.touch_server(beat); });
  const Revision applied = *store->current_revision();
  done([&](Tx& tx) { return tx.touch_server_observed(w.server.id, applied); });
  FileSystem fs_figures = w.fs;
  fs_figures.free_bytes = 512ull << 30;
  done([&](Tx& tx) { return tx.touch_filesystem(fs_figures); });

  // Everything in one snapshot: the whole-store reads and the per-object reads side by side.
  auto viewed = store->view([&](Tx& tx) -> Status {
    auto shares = tx.list<Share>();
    auto groups = tx.list<Group>();
    SHARECTL_REQUIRE_OK(shares);
    SHARECTL_REQUIRE_OK(groups);
    std::vector<Id> share_ids, group_ids;
    for (const auto& s : *shares) {
      share_ids.push_back(s.id);
    }
    for (const auto& g : *groups) {
      group_ids.push_back(g.id);
    }
    CHECK(share_ids.size() == 4);
    CHECK(group_ids.size() == 3);

    auto acl = tx.list_all_acl();
    SHARECTL_REQUIRE_OK(acl);
    // Projects: bob direct and via devs, carol and dave via devs; Docs: bob and dave via devs;
    // Media: erin direct and via ops; Quiet: none.
    CHECK(acl->size() == 8);
    check_grouped(
        "ACL", *acl, share_ids, [](const AclEntry& e) { return e.share_id; },
        [&](const Id& id) { return tx.list_acl(id); });
    for (const auto& row : *acl) {
      CHECK((row.user_id != w.carol.id || row.share_id != docs.id)); // declined
      if (row.user_id == w.bob.id && row.share_id == w.share.id) {
        CHECK(row.state == AclState::active); // accepted, on both of his rows
      }
    }

    auto grants = tx.list_all_group_grants();
    SHARECTL_REQUIRE_OK(grants);
    CHECK(grants->size() == 3); // devs on Projects and Docs, ops on Media (temp is gone)
    check_grouped(
        "group grants", *grants, share_ids, [](const GroupGrant& g) { return g.share_id; },
        [&](const Id& id) { return tx.list_group_grants(id); });

    auto members = tx.list_all_group_members();
    SHARECTL_REQUIRE_OK(members);
    CHECK(members->size() == 4); // devs: bob, carol, dave; ops: erin; empty: none
    check_grouped(
        "group members", *members, group_ids, [](const GroupMember& m) { return m.group_id; },
        [&](const Id& id) { return tx.list_group_members(id); });

    auto figures = tx.read_bookkeeping();
    SHARECTL_REQUIRE_OK(figures);
    auto servers = tx.list<Server>();
    auto filesystems = tx.list<FileSystem>();
    auto spaces = tx.list<Space>();
    auto all_apps = tx.list<App>();
    SHARECTL_REQUIRE_OK(servers);
    SHARECTL_REQUIRE_OK(filesystems);
    SHARECTL_REQUIRE_OK(spaces);
    SHARECTL_REQUIRE_OK(all_apps);
    check_same("servers", by_id(figures->servers), by_id(*servers));
    check_same("filesystems", by_id(figures->filesystems), by_id(*filesystems));
    std::vector<Bookkeeping::SpaceUsage> usage;
    for (const auto& s : *spaces) {
      usage.push_back({s.id, s.used_bytes, s.used_at});
    }
    check_same("spaces", by_id(figures->spaces), by_id(usage));
    std::vector<Bookkeeping::AppUse> uses;
    for (const auto& a : *all_apps) {
      uses.push_back({a.id, a.last_used_at});
    }
    check_same("apps", by_id(figures->apps), by_id(uses));
    // The figures written above are there.
    REQUIRE(figures->servers.size() == 1);
    CHECK(figures->servers[0].last_heartbeat == when);
    CHECK(figures->servers[0].load_average == 0.75);
    CHECK(figures->servers[0].net_tx_bytes == 67890);
    CHECK(figures->servers[0].observed_revision == applied);
    REQUIRE(figures->filesystems.size() == 1);
    CHECK(figures->filesystems[0].free_bytes == 512ull << 30);
    REQUIRE(figures->spaces.size() == 2);
    for (const auto& s : figures->spaces) {
      CHECK(s.used_bytes == (s.id == w.space.id ? 8ull << 20 : 0));
      CHECK(s.used_at == (s.id == w.space.id ? std::optional<Timestamp>(when) : std::nullopt));
    }
    REQUIRE(figures->apps.size() == 2);
    for (const auto& a : figures->apps) {
      if (a.id == apps.front()) {
        CHECK(a.last_used_at == when);
      }
    }
    return {};
  });
  SHARECTL_REQUIRE_OK(viewed);
}

} // namespace sharectl::store::conformance
