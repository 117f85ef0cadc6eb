// EtcdTx, part 2: group membership, the share ACL, access queries, bindings and audit. ACL rows
// are derived, not stored (../README.md "Mapping to etcd"): a user's rows on a share are their
// direct grant plus one row per grant of a group they are in. So a member added to a group
// granted on 1,000 shares, a group of 500 granted on a share, or a group deleted with its 500
// members is each a handful of etcd operations. All rows of one (user, share) share one state:
// that of the oldest visible row, unless an explicit state key (accept) covers it; a decline
// hides the rows that existed then.
#include <algorithm>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "agent/store/etcd/codec.hpp"
#include "agent/store/etcd/documents.hpp"
#include "agent/store/etcd/etcd_tx.hpp"

namespace sharectl::store::etcd {

namespace {

using nlohmann::json;

// A direct grant or a group grant: P/acl/<share>/u/<user>, P/acl/<share>/g/<group>.
struct Grant {
  ShareLevel level = ShareLevel::read;
  AclState state0 = AclState::pending; // the state of its rows when they are a user's first
  Revision rev0 = 0;                   // the store revision that created it
  Revision revision = 0;               // the last one that changed it
  Timestamp created_at{}, updated_at{};
};

// A membership: P/m/<group>/<user>.
struct Membership {
  AclState state0 = AclState::pending; // the caller's default when it was made
  Revision rev0 = 0;
  Timestamp created_at{};
};

// An explicit state of a user's rows on a share: P/st/<share>/<user>.
struct Explicit {
  Revision hidden_through = 0;   // rows not refreshed since this revision are declined
  std::optional<AclState> state; // accept/set: the state of rows at least as old as `since`
  Revision since = 0;
};

std::string to_json(const Grant& g) {
  return json{{"level", model::to_string(g.level)},
              {"state0", model::to_string(g.state0)},
              {"rev0", g.rev0},
              {"revision", g.revision},
              {"created_at", model::to_micros(g.created_at)},
              {"updated_at", model::to_micros(g.updated_at)}}
      .dump();
}
std::string to_json(const Membership& m) {
  return json{{"state0", model::to_string(m.state0)},
              {"rev0", m.rev0},
              {"created_at", model::to_micros(m.created_at)}}
      .dump();
}
std::string to_json(const Explicit& e) {
  return json{{"hidden_through", e.hidden_through},
              {"state", e.state ? json(model::to_string(*e.state)) : json(nullptr)},
              {"since", e.since}}
      .dump();
}

Result<json> object_of(const KeyValue& kv) {
  auto j = json::parse(kv.value, nullptr, false);
  if (!j.is_object()) {
    return fail(ErrorCode::internal, "store: the etcd key " + kv.key + " is not a JSON object");
  }
  return j;
}

template <typename E>
E enum_of(const json& j, const char* name, E fallback) {
  const auto it = j.find(name);
  if (it == j.end() || !it->is_string()) {
    return fallback;
  }
  return model::parse_enum<E>(it->get<std::string>()).value_or(fallback);
}

Timestamp time_of(const json& j, const char* name) {
  return model::from_micros(j.value<std::int64_t>(name, 0));
}

Result<Grant> grant_of(const KeyValue& kv) {
  auto j = object_of(kv);
  if (!j) {
    return std::unexpected(j.error());
  }
  return Grant{enum_of(*j, "level", ShareLevel::read),
               enum_of(*j, "state0", AclState::pending),
               j->value<Revision>("rev0", 0),
               j->value<Revision>("revision", 0),
               time_of(*j, "created_at"),
               time_of(*j, "updated_at")};
}
Result<Membership> membership_of(const KeyValue& kv) {
  auto j = object_of(kv);
  if (!j) {
    return std::unexpected(j.error());
  }
  return Membership{enum_of(*j, "state0", AclState::pending), j->value<Revision>("rev0", 0),
                    time_of(*j, "created_at")};
}
Result<Explicit> explicit_of(const std::optional<KeyValue>& kv) {
  if (!kv) {
    return Explicit{};
  }
  auto j = object_of(*kv);
  if (!j) {
    return std::unexpected(j.error());
  }
  Explicit e;
  e.hidden_through = j->value<Revision>("hidden_through", 0);
  if (const auto it = j->find("state"); it != j->end() && it->is_string()) {
    e.state = model::parse_enum<AclState>(it->get<std::string>());
  }
  e.since = j->value<Revision>("since", 0);
  return e;
}

// The state a first row takes: the share's own invitations setting, else the caller's default.
AclState first_state(const std::optional<bool>& invitations, AclState fallback) {
  if (invitations) {
    return *invitations ? AclState::pending : AclState::active;
  }
  return fallback;
}

// One derived row, before its state is resolved.
struct Row {
  std::optional<Id> group;
  ShareLevel level = ShareLevel::read;
  Revision created = 0;   // when the row came to be (orders rows: the oldest gives the state)
  Revision refreshed = 0; // when it was last granted again (a decline hides rows up to then)
  AclState initial = AclState::pending;
  Revision revision = 0;
  Timestamp created_at{}, updated_at{};
};

Row direct_row(const Grant& d) {
  return Row{std::nullopt, d.level,    d.rev0,       d.revision,
             d.state0,     d.revision, d.created_at, d.updated_at};
}

Row group_row(const Id& group, const Grant& g, const Membership& m,
              const std::optional<bool>& invitations) {
  Row r;
  r.group = group;
  r.level = g.level;
  r.created = std::max(g.rev0, m.rev0);
  r.refreshed = std::max(g.revision, m.rev0);
  r.initial = m.rev0 > g.rev0 ? first_state(invitations, m.state0) : g.state0;
  r.revision = std::max(g.revision, m.rev0);
  r.created_at = std::max(g.created_at, m.created_at);
  r.updated_at = std::max(g.updated_at, m.created_at);
  return r;
}

// The visible rows of one (user, share), sorted direct first then by group, and their state.
struct Resolved {
  std::vector<Row> rows;
  AclState state = AclState::pending;
};

Resolved resolve(std::vector<Row> rows, const Explicit& e) {
  Resolved out;
  for (auto& r : rows) {
    if (e.hidden_through == 0 || r.refreshed > e.hidden_through) {
      out.rows.push_back(std::move(r));
    }
  }
  if (out.rows.empty()) {
    return out;
  }
  const auto oldest = std::ranges::min_element(out.rows, [](const Row& a, const Row& b) {
    return std::tuple(a.created, a.group.has_value(), a.group.value_or("")) <
           std::tuple(b.created, b.group.has_value(), b.group.value_or(""));
  });
  out.state = e.state && oldest->created <= e.since ? *e.state : oldest->initial;
  std::ranges::sort(out.rows, [](const Row& a, const Row& b) {
    return std::pair(a.group.has_value(), a.group.value_or("")) <
           std::pair(b.group.has_value(), b.group.value_or(""));
  });
  return out;
}

AclEntry entry_of(const Id& share, const Id& user, const Row& r, AclState state) {
  return AclEntry{share, user, r.group, r.level, state, r.revision, r.created_at, r.updated_at};
}

std::string tail(const std::string& key, const std::string& prefix) {
  return key.substr(prefix.size());
}

// The rows of users on one share, per user (everything the share's ACL needs).
struct ShareRows {
  std::map<Id, std::vector<Row>> rows;
  std::map<Id, Explicit> explicit_states;
};

// Reads every source of a share's rows: direct grants, group grants and their members, explicit
// states. Only users in `only` when it is set.
Result<ShareRows> read_share_rows(EtcdTx& tx, const Id& share_id,
                                  const std::optional<Id>& only = std::nullopt) {
  const Layout& l = tx.keys();
  ShareRows out;
  auto share = tx.load<Share>(share_id);
  if (!share) {
    return share.error().code == ErrorCode::not_found ? Result<ShareRows>(std::move(out))
                                                      : std::unexpected(share.error());
  }
  auto sources = tx.kv().range(l.acl(share_id));
  if (!sources) {
    return std::unexpected(sources.error());
  }
  std::vector<std::pair<Id, Grant>> group_grants;
  for (const auto& kv : *sources) {
    auto grant = grant_of(kv);
    if (!grant) {
      return std::unexpected(grant.error());
    }
    if (kv.key.starts_with(l.directs(share_id))) {
      Id user = tail(kv.key, l.directs(share_id));
      if (!only || *only == user) {
        out.rows[user].push_back(direct_row(*grant));
      }
    } else if (kv.key.starts_with(l.grants(share_id))) {
      group_grants.emplace_back(tail(kv.key, l.grants(share_id)), *grant);
    }
  }
  for (const auto& [group, grant] : group_grants) {
    std::vector<KeyValue> members;
    if (only) {
      auto m = tx.kv().get(l.member(group, *only));
      if (!m) {
        return std::unexpected(m.error());
      }
      if (*m) {
        members.push_back(std::move(**m));
      }
    } else {
      auto m = tx.kv().range(l.members(group));
      if (!m) {
        return std::unexpected(m.error());
      }
      members = std::move(*m);
    }
    for (const auto& kv : members) {
      auto membership = membership_of(kv);
      if (!membership) {
        return std::unexpected(membership.error());
      }
      out.rows[tail(kv.key, l.members(group))].push_back(
          group_row(group, grant, *membership, share->invitations));
    }
  }
  std::vector<KeyValue> states;
  if (only) {
    auto st = tx.kv().get(l.state(share_id, *only));
    if (!st) {
      return std::unexpected(st.error());
    }
    if (*st) {
      states.push_back(std::move(**st));
    }
  } else {
    auto st = tx.kv().range(l.states(share_id));
    if (!st) {
      return std::unexpected(st.error());
    }
    states = std::move(*st);
  }
  for (const auto& kv : states) {
    auto e = explicit_of(kv);
    if (!e) {
      return std::unexpected(e.error());
    }
    out.explicit_states[tail(kv.key, l.states(share_id))] = *e;
  }
  return out;
}

Resolved resolve_user(const ShareRows& rows, const Id& user) {
  const auto it = rows.rows.find(user);
  const auto e = rows.explicit_states.find(user);
  return resolve(it == rows.rows.end() ? std::vector<Row>{} : it->second,
                 e == rows.explicit_states.end() ? Explicit{} : e->second);
}

} // namespace

Status EtcdTx::touch_shares(const std::set<Id>& shares) {
  if (shares.empty()) {
    return {};
  }
  auto rev = write_rev("mark shares for rendering");
  if (!rev) {
    return std::unexpected(rev.error());
  }
  auto loaded = load_many<Share>(std::vector<Id>(shares.begin(), shares.end()));
  if (!loaded) {
    return std::unexpected(loaded.error());
  }
  for (auto& share : *loaded) {
    share.revision = *rev;
    share.updated_at = now();
    share.status = ObjectStatus::pending;
    if (auto st = put_document(share); !st) {
      return st;
    }
    record(Kind::share, share.id, false);
  }
  return {};
}

// The shares granted to a group (verified), at most `budget` of them; more = nullopt.
static Result<std::optional<std::set<Id>>> shares_of_group(EtcdTx& tx, const Id& group,
                                                           std::size_t budget) {
  const Layout& l = tx.keys();
  auto hints = tx.kv().range(l.group_shares(group));
  if (!hints) {
    return std::unexpected(hints.error());
  }
  if (hints->size() > budget) {
    return std::optional<std::set<Id>>();
  }
  std::vector<std::string> keys;
  std::vector<Id> ids;
  for (const auto& kv : *hints) {
    ids.push_back(tail(kv.key, l.group_shares(group)));
    keys.push_back(l.grant(ids.back(), group));
  }
  auto grants = tx.kv().get_many(keys);
  if (!grants) {
    return std::unexpected(grants.error());
  }
  std::set<Id> out;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if ((*grants)[i]) {
      out.insert(ids[i]);
    }
  }
  return std::optional<std::set<Id>>(std::move(out));
}

Result<GroupMember> EtcdTx::add_group_member(const Id& group_id, const Id& user_id,
                                             AclState new_rows) {
  auto rev = write_rev("add group member");
  if (!rev) {
    return std::unexpected(rev.error());
  }
  auto got = m_kv.get_many({m_layout.doc(Kind::group, group_id), m_layout.doc(Kind::user, user_id),
                            m_layout.member(group_id, user_id)});
  if (!got) {
    return std::unexpected(got.error());
  }
  if (!(*got)[0] || !(*got)[1]) {
    return fail(ErrorCode::not_found,
                "add group member: group " + group_id + " or user " + user_id + " does not exist");
  }
  if ((*got)[2]) {
    return fail(ErrorCode::conflict,
                "user " + user_id + " is already a member of group " + group_id);
  }
  const Membership m{new_rows, *rev, now()};
  m_kv.put(m_layout.member(group_id, user_id), to_json(m));
  m_kv.put(m_layout.user_group(user_id, group_id), "");
  auto shares = shares_of_group(*this, group_id, k_cleanup_budget);
  if (!shares) {
    return std::unexpected(shares.error());
  }
  if (*shares) {
    if (auto st = touch_shares(**shares); !st) {
      return std::unexpected(st.error());
    }
  }
  auto group = load<Group>(group_id);
  if (!group) {
    return std::unexpected(group.error());
  }
  group->revision = *rev;
  group->updated_at = m.created_at;
  (void)put_document(*group);
  record(Kind::group, group_id, false);
  return GroupMember{group_id, user_id, *rev, m.created_at};
}

Status EtcdTx::remove_group_member(const Id& group_id, const Id& user_id) {
  auto rev = write_rev("remove group member");
  if (!rev) {
    return std::unexpected(rev.error());
  }
  auto member = m_kv.get(m_layout.member(group_id, user_id));
  if (!member) {
    return std::unexpected(member.error());
  }
  if (!*member) {
    return fail(ErrorCode::not_found, "user " + user_id + " is not a member of group " + group_id);
  }
  m_kv.erase(m_layout.member(group_id, user_id));
  m_kv.erase(m_layout.user_group(user_id, group_id));
  auto shares = shares_of_group(*this, group_id, k_cleanup_budget);
  if (!shares) {
    return std::unexpected(shares.error());
  }
  if (*shares) {
    if (auto st = touch_shares(**shares); !st) {
      return st;
    }
  }
  auto group = load<Group>(group_id);
  if (!group) {
    return std::unexpected(group.error());
  }
  group->revision = *rev;
  group->updated_at = now();
  (void)put_document(*group);
  record(Kind::group, group_id, false);
  return {};
}

Result<std::vector<GroupMember>> EtcdTx::list_group_members(const Id& group_id) {
  auto members = m_kv.range(m_layout.members(group_id));
  if (!members) {
    return std::unexpected(members.error());
  }
  std::vector<GroupMember> out;
  for (const auto& kv : *members) {
    auto m = membership_of(kv);
    if (!m) {
      return std::unexpected(m.error());
    }
    out.push_back(
        GroupMember{group_id, tail(kv.key, m_layout.members(group_id)), m->rev0, m->created_at});
  }
  std::ranges::sort(out, [](const GroupMember& a, const GroupMember& b) {
    return std::tie(a.created_at, a.user_id) < std::tie(b.created_at, b.user_id);
  });
  return out;
}

// The groups a user is in (verified against the memberships).
static Result<std::vector<Id>> groups_of_user(EtcdTx& tx, const Id& user_id) {
  const Layout& l = tx.keys();
  auto hints = tx.kv().range(l.user_groups(user_id));
  if (!hints) {
    return std::unexpected(hints.error());
  }
  std::vector<Id> ids;
  std::vector<std::string> keys;
  for (const auto& kv : *hints) {
    ids.push_back(tail(kv.key, l.user_groups(user_id)));
    keys.push_back(l.member(ids.back(), user_id));
  }
  auto members = tx.kv().get_many(keys);
  if (!members) {
    return std::unexpected(members.error());
  }
  std::vector<Id> out;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if ((*members)[i]) {
      out.push_back(ids[i]);
    }
  }
  return out;
}

Result<std::vector<Group>> EtcdTx::list_user_groups(const Id& user_id) {
  auto ids = groups_of_user(*this, user_id);
  if (!ids) {
    return std::unexpected(ids.error());
  }
  auto groups = load_many<Group>(*ids);
  if (!groups) {
    return groups;
  }
  std::ranges::sort(*groups, [](const Group& a, const Group& b) { return a.name < b.name; });
  return groups;
}

Result<AclEntry> EtcdTx::grant_user(const Id& share_id, const Id& user_id, ShareLevel level,
                                    AclState new_rows) {
  auto rev = write_rev("grant user");
  if (!rev) {
    return std::unexpected(rev.error());
  }
  auto share = load<Share>(share_id);
  if (!share) {
    return fail(ErrorCode::not_found, "grant: share " + share_id + " does not exist");
  }
  if (auto st = ensure_exists(Kind::user, user_id, "grant"); !st) {
    return std::unexpected(st.error());
  }
  auto existing = m_kv.get(m_layout.direct(share_id, user_id));
  if (!existing) {
    return std::unexpected(existing.error());
  }
  Grant d;
  if (*existing) {
    auto old = grant_of(**existing);
    if (!old) {
      return std::unexpected(old.error());
    }
    d = *old;
  } else {
    d.state0 = first_state(share->invitations, new_rows);
    d.rev0 = *rev;
    d.created_at = now();
  }
  d.level = level;
  d.revision = *rev;
  d.updated_at = now();
  m_kv.put(m_layout.direct(share_id, user_id), to_json(d));
  m_kv.put(m_layout.user_direct(user_id, share_id), "");
  if (auto st = touch_shares({share_id}); !st) {
    return std::unexpected(st.error());
  }
  auto rows = read_share_rows(*this, share_id, user_id);
  if (!rows) {
    return std::unexpected(rows.error());
  }
  const Resolved r = resolve_user(*rows, user_id);
  for (const auto& row : r.rows) {
    if (!row.group) {
      return entry_of(share_id, user_id, row, r.state);
    }
  }
  return fail(ErrorCode::internal, "store: a direct grant vanished");
}

Status EtcdTx::revoke_user(const Id& share_id, const Id& user_id) {
  auto rev = write_rev("revoke user");
  if (!rev) {
    return std::unexpected(rev.error());
  }
  auto before = read_share_rows(*this, share_id, user_id);
  if (!before) {
    return std::unexpected(before.error());
  }
  auto existing = m_kv.get(m_layout.direct(share_id, user_id));
  if (!existing) {
    return std::unexpected(existing.error());
  }
  if (!*existing) {
    return fail(ErrorCode::not_found,
                "user " + user_id + " has no direct grant on share " + share_id);
  }
  const Resolved was = resolve_user(*before, user_id);
  m_kv.erase(m_layout.direct(share_id, user_id));
  m_kv.erase(m_layout.user_direct(user_id, share_id));
  auto after = read_share_rows(*this, share_id, user_id);
  if (!after) {
    return std::unexpected(after.error());
  }
  const Resolved now_rows = resolve_user(*after, user_id);
  if (!now_rows.rows.empty() && now_rows.state != was.state) {
    // The oldest row went and the next one was made with another default: keep the state the
    // user's remaining rows had (as SQL, where every row carries it).
    Explicit e = before->explicit_states[user_id];
    e.state = was.state;
    e.since = *rev;
    m_kv.put(m_layout.state(share_id, user_id), to_json(e));
  }
  return touch_shares({share_id});
}

Result<GroupGrant> EtcdTx::grant_group(const Id& share_id, const Id& group_id, ShareLevel level,
                                       AclState new_rows) {
  auto rev = write_rev("grant group");
  if (!rev) {
    return std::unexpected(rev.error());
  }
  auto share = load<Share>(share_id);
  if (!share) {
    return fail(ErrorCode::not_found, "grant: share " + share_id + " does not exist");
  }
  if (auto st = ensure_exists(Kind::group, group_id, "grant"); !st) {
    return std::unexpected(st.error());
  }
  auto existing = m_kv.get(m_layout.grant(share_id, group_id));
  if (!existing) {
    return std::unexpected(existing.error());
  }
  Grant g;
  if (*existing) {
    auto old = grant_of(**existing);
    if (!old) {
      return std::unexpected(old.error());
    }
    g = *old;
  } else {
    g.state0 = first_state(share->invitations, new_rows);
    g.rev0 = *rev;
    g.created_at = now();
  }
  g.level = level;
  g.revision = *rev;
  g.updated_at = now();
  m_kv.put(m_layout.grant(share_id, group_id), to_json(g));
  m_kv.put(m_layout.group_share(group_id, share_id), "");
  if (auto st = touch_shares({share_id}); !st) {
    return std::unexpected(st.error());
  }
  return GroupGrant{share_id, group_id, level, *rev, g.created_at, g.updated_at};
}

Status EtcdTx::revoke_group(const Id& share_id, const Id& group_id) {
  auto rev = write_rev("revoke group");
  if (!rev) {
    return std::unexpected(rev.error());
  }
  auto existing = m_kv.get(m_layout.grant(share_id, group_id));
  if (!existing) {
    return std::unexpected(existing.error());
  }
  if (!*existing) {
    return fail(ErrorCode::not_found, "group " + group_id + " has no grant on share " + share_id);
  }
  m_kv.erase(m_layout.grant(share_id, group_id));
  m_kv.erase(m_layout.group_share(group_id, share_id));
  return touch_shares({share_id});
}

Result<std::vector<AclEntry>> EtcdTx::list_acl(const Id& share_id) {
  auto rows = read_share_rows(*this, share_id);
  if (!rows) {
    return std::unexpected(rows.error());
  }
  std::vector<AclEntry> out;
  for (const auto& [user, ignored] : rows->rows) {
    const Resolved r = resolve_user(*rows, user);
    for (const auto& row : r.rows) {
      out.push_back(entry_of(share_id, user, row, r.state));
    }
  }
  return out;
}

Result<std::vector<GroupGrant>> EtcdTx::list_group_grants(const Id& share_id) {
  auto grants = m_kv.range(m_layout.grants(share_id));
  if (!grants) {
    return std::unexpected(grants.error());
  }
  std::vector<Id> groups;
  std::vector<std::string> docs;
  for (const auto& kv : *grants) {
    groups.push_back(tail(kv.key, m_layout.grants(share_id)));
    docs.push_back(m_layout.doc(Kind::group, groups.back()));
  }
  auto exists = m_kv.get_many(docs); // a grant of a deleted group may outlive it: skip it
  if (!exists) {
    return std::unexpected(exists.error());
  }
  std::vector<GroupGrant> out;
  for (std::size_t i = 0; i < groups.size(); ++i) {
    if (!(*exists)[i]) {
      continue;
    }
    auto g = grant_of((*grants)[i]);
    if (!g) {
      return std::unexpected(g.error());
    }
    out.push_back(
        GroupGrant{share_id, groups[i], g->level, g->revision, g->created_at, g->updated_at});
  }
  return out;
}

Result<std::vector<AclEntry>> EtcdTx::list_user_acl(const Id& user_id) {
  std::set<Id> shares;
  auto directs = m_kv.range(m_layout.user_directs(user_id));
  if (!directs) {
    return std::unexpected(directs.error());
  }
  for (const auto& kv : *directs) {
    shares.insert(tail(kv.key, m_layout.user_directs(user_id)));
  }
  auto groups = groups_of_user(*this, user_id);
  if (!groups) {
    return std::unexpected(groups.error());
  }
  for (const auto& group : *groups) {
    auto hints = m_kv.range(m_layout.group_shares(group));
    if (!hints) {
      return std::unexpected(hints.error());
    }
    for (const auto& kv : *hints) {
      shares.insert(tail(kv.key, m_layout.group_shares(group)));
    }
  }
  std::vector<AclEntry> out;
  for (const auto& share : shares) {
    auto rows = read_share_rows(*this, share, user_id);
    if (!rows) {
      return std::unexpected(rows.error());
    }
    const Resolved r = resolve_user(*rows, user_id);
    for (const auto& row : r.rows) {
      out.push_back(entry_of(share, user_id, row, r.state));
    }
  }
  return out;
}

Status EtcdTx::set_acl_state(const Id& share_id, const Id& user_id, AclState state) {
  auto rev = write_rev("set ACL state");
  if (!rev) {
    return std::unexpected(rev.error());
  }
  auto rows = read_share_rows(*this, share_id, user_id);
  if (!rows) {
    return std::unexpected(rows.error());
  }
  if (resolve_user(*rows, user_id).rows.empty()) {
    return fail(ErrorCode::not_found, "user " + user_id + " has no access to share " + share_id);
  }
  Explicit e = rows->explicit_states[user_id];
  e.state = state;
  e.since = *rev;
  m_kv.put(m_layout.state(share_id, user_id), to_json(e));
  return touch_shares({share_id});
}

Status EtcdTx::remove_user_acl(const Id& share_id, const Id& user_id) {
  auto rev = write_rev("remove user ACL");
  if (!rev) {
    return std::unexpected(rev.error());
  }
  auto rows = read_share_rows(*this, share_id, user_id);
  if (!rows) {
    return std::unexpected(rows.error());
  }
  if (resolve_user(*rows, user_id).rows.empty()) {
    return fail(ErrorCode::not_found, "user " + user_id + " has no access to share " + share_id);
  }
  // The direct grant goes (as on SQL); rows from groups are hidden until granted again.
  m_kv.erase(m_layout.direct(share_id, user_id));
  m_kv.erase(m_layout.user_direct(user_id, share_id));
  m_kv.put(m_layout.state(share_id, user_id), to_json(Explicit{*rev, std::nullopt, 0}));
  return touch_shares({share_id});
}

Result<std::optional<UserAccess>> EtcdTx::effective_share_access(const Id& user_id,
                                                                 const Id& share_id) {
  auto rows = read_share_rows(*this, share_id, user_id);
  if (!rows) {
    return std::unexpected(rows.error());
  }
  const Resolved r = resolve_user(*rows, user_id);
  if (r.rows.empty()) {
    return std::optional<UserAccess>{};
  }
  UserAccess a{user_id, ShareLevel::read, r.state};
  for (const auto& row : r.rows) {
    a.level = std::max(a.level, row.level);
  }
  return std::optional<UserAccess>(a);
}

Result<std::vector<UserAccess>> EtcdTx::share_access(const Id& share_id) {
  auto rows = read_share_rows(*this, share_id);
  if (!rows) {
    return std::unexpected(rows.error());
  }
  std::vector<UserAccess> out;
  for (const auto& [user, ignored] : rows->rows) {
    const Resolved r = resolve_user(*rows, user);
    if (r.rows.empty()) {
      continue;
    }
    UserAccess a{user, ShareLevel::read, r.state};
    for (const auto& row : r.rows) {
      a.level = std::max(a.level, row.level);
    }
    out.push_back(a);
  }
  return out;
}

Result<std::vector<Binding>>
EtcdTx::applicable_bindings(const Id& user_id, const std::vector<std::string>& external_groups,
                            const std::optional<Id>& space_id) {
  std::vector<std::string> prefixes{m_layout.bindings_of(model::SubjectKind::user, user_id)};
  auto groups = groups_of_user(*this, user_id);
  if (!groups) {
    return std::unexpected(groups.error());
  }
  for (const auto& g : *groups) {
    prefixes.push_back(m_layout.bindings_of(model::SubjectKind::group, g));
  }
  for (const auto& name : external_groups) {
    prefixes.push_back(m_layout.bindings_of(model::SubjectKind::external_group, name));
  }
  std::set<Id> ids;
  for (const auto& prefix : prefixes) {
    auto found = m_kv.range(prefix);
    if (!found) {
      return std::unexpected(found.error());
    }
    for (const auto& kv : *found) {
      ids.insert(tail(kv.key, prefix));
    }
  }
  auto bindings = load_many<Binding>(std::vector<Id>(ids.begin(), ids.end()));
  if (!bindings) {
    return bindings;
  }
  std::erase_if(*bindings, [&](const Binding& b) { return b.space_id && b.space_id != space_id; });
  std::ranges::sort(*bindings, [](const Binding& a, const Binding& b) {
    return std::tie(a.created_at, a.id) < std::tie(b.created_at, b.id);
  });
  return bindings;
}

Result<std::vector<AuditEvent>> EtcdTx::list_audit(const AuditQuery& q) {
  const std::string prefix =
      q.actor_id ? m_layout.actor_audit_all(*q.actor_id) : m_layout.audit_all();
  RangeRequest request = RangeRequest::of_prefix(prefix);
  if (q.since) {
    request.key = prefix + fmt::format("{:020d}", model::to_micros(*q.since));
  }
  request.sort_order = SortOrder::descend;
  request.sort_target = SortTarget::key;
  request.limit = static_cast<std::int64_t>(q.limit);
  auto found = m_kv.scan(request);
  if (!found) {
    return std::unexpected(found.error());
  }
  std::vector<AuditEvent> out;
  out.reserve(found->kvs.size());
  for (const auto& kv : found->kvs) {
    auto e = decode_document<AuditEvent>(kv);
    if (!e) {
      return std::unexpected(e.error());
    }
    out.push_back(std::move(*e));
  }
  return out;
}

} // namespace sharectl::store::etcd
