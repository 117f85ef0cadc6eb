// EtcdTx, part 2: the share ACL — grants, revokes, accept and decline, and the access queries —
// over the derived rows of acl_rows.hpp, so that a group of 500 granted on a share is one key.
#include <algorithm>

#include "agent/store/etcd/acl_rows.hpp"
#include "agent/store/etcd/etcd_tx.hpp"

namespace sharectl::store::etcd {

using namespace acl;

namespace {

// Writes the grant of a user or a group on a share at revision rev, with its reverse hint, and
// marks the share for rendering: a new grant takes its first-row state from the share's
// invitations setting, else new_rows; an existing one keeps its birth and changes its level.
Result<Grant> put_grant(EtcdTx& tx, Revision rev, const Id& share_id, Kind grantee_kind,
                        const Id& grantee, ShareLevel level, AclState new_rows) {
  const Layout& l = tx.keys();
  auto share = tx.load<Share>(share_id);
  if (!share) {
    return fail(ErrorCode::not_found, "grant: share " + share_id + " does not exist");
  }
  if (auto st = tx.ensure_exists(grantee_kind, grantee, "grant"); !st) {
    return std::unexpected(st.error());
  }
  const bool user = grantee_kind == Kind::user;
  const std::string key = user ? l.direct(share_id, grantee) : l.grant(share_id, grantee);
  auto existing = tx.kv().get(key);
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
    g.rev0 = rev;
    g.created_at = tx.now();
  }
  g.level = level;
  g.revision = rev;
  g.updated_at = tx.now();
  tx.kv().put(key, to_json(g));
  tx.kv().put(user ? l.user_direct(grantee, share_id) : l.group_share(grantee, share_id), "");
  if (auto st = tx.touch_shares({share_id}); !st) {
    return std::unexpected(st.error());
  }
  return g;
}

// The rows of one user on a share; not_found when they have none visible (accept and decline
// need something to act on).
Result<ShareRows> rows_with_access(EtcdTx& tx, const Id& share_id, const Id& user_id) {
  auto rows = read_share_rows(tx, share_id, user_id);
  if (rows && resolve_user(*rows, user_id).rows.empty()) {
    return fail(ErrorCode::not_found, "user " + user_id + " has no access to share " + share_id);
  }
  return rows;
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

Result<AclEntry> EtcdTx::grant_user(const Id& share_id, const Id& user_id, ShareLevel level,
                                    AclState new_rows) {
  auto rev = write_rev("grant user");
  if (!rev) {
    return std::unexpected(rev.error());
  }
  auto granted = put_grant(*this, *rev, share_id, Kind::user, user_id, level, new_rows);
  if (!granted) {
    return std::unexpected(granted.error());
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
  auto g = put_grant(*this, *rev, share_id, Kind::group, group_id, level, new_rows);
  if (!g) {
    return std::unexpected(g.error());
  }
  return GroupGrant{share_id, group_id, level, *rev, g->created_at, g->updated_at};
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
  append_entries(share_id, *rows, out);
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
  auto rows = rows_with_access(*this, share_id, user_id);
  if (!rows) {
    return std::unexpected(rows.error());
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
  auto rows = rows_with_access(*this, share_id, user_id);
  if (!rows) {
    return std::unexpected(rows.error());
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

} // namespace sharectl::store::etcd
