// SqlTx, part 2: group membership, the share ACL ("multiple ACLs", seed 003: a group grant is
// expanded into one row per member, so the effective level of a user on a share is the max over
// that user's rows of that share — one index range, no join), the access queries, and audit.
#include "agent/store/sql/acl_loaders.hpp"
#include "agent/store/sql/mapping.hpp"
#include "agent/store/sql/sql_tx.hpp"

namespace sharectl::store::sql {
namespace {

// The state a new row of (share, user) takes: that of the user's rows on the share, else the
// share's own `invitations` setting (pending / active), else `otherwise` (a placeholder holding
// 'pending' or 'active'). This is where the invariant "all
// rows of one (user, share) have one state" is kept: rows are only created through this
// expression, and set_acl_state changes all of a user's rows on a share at once. $share, $user
// and otherwise are placeholders.
std::string state_of(std::string_view share, std::string_view user, std::string_view otherwise) {
  const std::string s(share);
  return "COALESCE((SELECT MIN(a.state) FROM share_acl a WHERE a.share_id = " + s +
         " AND a.user_id = " + std::string(user) +
         "), (SELECT CASE WHEN x.invitations THEN 'pending' WHEN NOT x.invitations THEN 'active' "
         "END FROM shares x WHERE x.id = " +
         s + "), CAST(" + std::string(otherwise) + " AS TEXT))";
}

constexpr std::string_view k_acl_upsert =
    " ON CONFLICT (share_id, user_id, group_key) DO UPDATE SET level = excluded.level, "
    "revision = excluded.revision, updated_at = excluded.updated_at";

Result<AclEntry> load_acl_row(const Row& row) {
  AclEntry e;
  Loader l{row, 0, std::nullopt};
  l("share_id", e.share_id);
  l("user_id", e.user_id);
  l("group_id", e.group_id);
  l("level", e.level);
  l("state", e.state);
  l("revision", e.revision);
  l("created_at", e.created_at);
  l("updated_at", e.updated_at);
  if (l.error) {
    return std::unexpected(*l.error);
  }
  return e;
}

Result<UserAccess> load_access(const Row& row, std::size_t first) {
  UserAccess a;
  Loader l{row, first, std::nullopt};
  std::int64_t write = 0;
  auto w = cell_int(row, first);
  if (!w) {
    return std::unexpected(w.error());
  }
  write = w->value_or(0);
  l.i = first + 1;
  l("state", a.state);
  if (l.error) {
    return std::unexpected(*l.error);
  }
  a.level = write != 0 ? ShareLevel::write : ShareLevel::read;
  return a;
}

std::string level_name(ShareLevel level) {
  return std::string(model::to_string(level));
}

std::string state_name(AclState state) {
  return std::string(model::to_string(state));
}

} // namespace

Result<std::vector<AclEntry>> load_acl_rows(Result<Rows> r) {
  if (!r) {
    return std::unexpected(r.error());
  }
  std::vector<AclEntry> out;
  out.reserve(r->rows.size());
  for (const Row& row : r->rows) {
    auto e = load_acl_row(row);
    if (!e) {
      return std::unexpected(e.error());
    }
    out.push_back(std::move(*e));
  }
  return out;
}

Result<std::vector<GroupGrant>> load_group_grants(Result<Rows> r) {
  if (!r) {
    return std::unexpected(r.error());
  }
  std::vector<GroupGrant> out;
  out.reserve(r->rows.size());
  for (const Row& row : r->rows) {
    GroupGrant g;
    Loader l{row, 0, std::nullopt};
    l("share_id", g.share_id);
    l("group_id", g.group_id);
    l("level", g.level);
    l("revision", g.revision);
    l("created_at", g.created_at);
    l("updated_at", g.updated_at);
    if (l.error) {
      return std::unexpected(*l.error);
    }
    out.push_back(std::move(g));
  }
  return out;
}

Result<std::vector<GroupMember>> load_group_members(Result<Rows> r) {
  if (!r) {
    return std::unexpected(r.error());
  }
  std::vector<GroupMember> out;
  out.reserve(r->rows.size());
  for (const Row& row : r->rows) {
    GroupMember m;
    Loader l{row, 0, std::nullopt};
    l("group_id", m.group_id);
    l("user_id", m.user_id);
    l("revision", m.revision);
    l("created_at", m.created_at);
    if (l.error) {
      return std::unexpected(*l.error);
    }
    out.push_back(std::move(m));
  }
  return out;
}

Result<AclEntry> SqlTx::load_acl(const Id& share_id, const Id& user_id,
                                 const std::string& group_key) {
  auto rows = load_acl_rows(query("SELECT " + std::string(k_acl_columns) +
                                      " FROM share_acl WHERE share_id = $1 AND user_id = $2 AND "
                                      "group_key = $3",
                                  {share_id, user_id, group_key}, "read ACL"));
  if (!rows) {
    return std::unexpected(rows.error());
  }
  if (rows->empty()) {
    return fail(ErrorCode::internal, "store: ACL row vanished");
  }
  return std::move(rows->front());
}

Status SqlTx::upsert_acl_rows(std::string_view sql, const Params& params) {
  auto r = query_raw(sql, params);
  if (!r) {
    if (r.error().fault == Fault::foreign_key) {
      return fail(ErrorCode::not_found,
                  "grant: the share, user or group does not exist (" + r.error().message + ")");
    }
    return std::unexpected(to_error(r.error(), "grant"));
  }
  return {};
}

Result<GroupMember> SqlTx::add_group_member(const Id& group_id, const Id& user_id,
                                            AclState new_rows) {
  auto rev = write_rev("add group member");
  if (!rev) {
    return std::unexpected(rev.error());
  }
  auto when = model::to_micros(now());
  auto r = query_raw("INSERT INTO group_members (group_id, user_id, revision, created_at) "
                     "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                     {group_id, user_id, *rev, when});
  if (!r) {
    if (r.error().fault == Fault::foreign_key) {
      return fail(ErrorCode::not_found, "add group member: group " + group_id + " or user " +
                                            user_id + " does not exist");
    }
    return std::unexpected(to_error(r.error(), "add group member"));
  }
  if (r->affected == 0) {
    return fail(ErrorCode::conflict,
                "user " + user_id + " is already a member of group " + group_id);
  }
  // Operation 1 of seed 003: the new member gets a row for every share of the group.
  auto st = upsert_acl_rows(
      "INSERT INTO share_acl (share_id, user_id, group_id, group_key, level, state, revision, "
      "created_at, updated_at) SELECT g.share_id, CAST($2 AS TEXT), CAST($1 AS TEXT), "
      "CAST($1 AS TEXT), g.level, " +
          state_of("g.share_id", "$2", "$5") +
          ", CAST($3 AS BIGINT), CAST($4 AS BIGINT), CAST($4 AS BIGINT) "
          "FROM share_group_grants g WHERE g.group_id = $1" +
          std::string(k_acl_upsert),
      {group_id, user_id, *rev, when, state_name(new_rows)});
  if (!st) {
    return std::unexpected(st.error());
  }
  auto shares = ids("SELECT share_id FROM share_group_grants WHERE group_id = $1", {group_id});
  if (!shares) {
    return std::unexpected(shares.error());
  }
  if (auto t = touch_shares(*shares); !t) {
    return std::unexpected(t.error());
  }
  auto g = query("UPDATE groups SET revision = $2, updated_at = $3 WHERE id = $1",
                 {group_id, *rev, when}, "add group member");
  if (!g) {
    return std::unexpected(g.error());
  }
  record(Kind::group, group_id, false);
  return GroupMember{group_id, user_id, *rev, model::from_micros(when)};
}

Status SqlTx::remove_group_member(const Id& group_id, const Id& user_id) {
  auto rev = write_rev("remove group member");
  if (!rev) {
    return std::unexpected(rev.error());
  }
  // Operation 2 of seed 003: the member's rows from this group go first.
  auto shares = ids("SELECT share_id FROM share_acl WHERE group_id = $1 AND user_id = $2",
                    {group_id, user_id});
  if (!shares) {
    return std::unexpected(shares.error());
  }
  auto r = query("DELETE FROM share_acl WHERE group_id = $1 AND user_id = $2", {group_id, user_id},
                 "remove group member");
  if (r) {
    r = query("DELETE FROM group_members WHERE group_id = $1 AND user_id = $2", {group_id, user_id},
              "remove group member");
  }
  if (!r) {
    return std::unexpected(r.error());
  }
  if (r->affected == 0) {
    return fail(ErrorCode::not_found, "user " + user_id + " is not a member of group " + group_id);
  }
  if (auto t = touch_shares(*shares); !t) {
    return t;
  }
  auto g = query("UPDATE groups SET revision = $2, updated_at = $3 WHERE id = $1",
                 {group_id, *rev, model::to_micros(now())}, "remove group member");
  if (!g) {
    return std::unexpected(g.error());
  }
  record(Kind::group, group_id, false);
  return {};
}

Result<std::vector<GroupMember>> SqlTx::list_group_members(const Id& group_id) {
  return load_group_members(query("SELECT " + std::string(k_group_member_columns) +
                                      " FROM group_members WHERE group_id = $1 "
                                      "ORDER BY created_at, user_id",
                                  {group_id}, "list group members"));
}

Result<std::vector<Group>> SqlTx::list_user_groups(const Id& user_id) {
  static const std::string sql = "SELECT " + select_columns<Group>("g.") +
                                 " FROM groups g JOIN group_members m ON m.group_id = g.id "
                                 "WHERE m.user_id = $1 ORDER BY g.name";
  auto r = query(sql, {user_id}, "list groups of user");
  if (!r) {
    return std::unexpected(r.error());
  }
  std::vector<Group> out;
  for (const Row& row : r->rows) {
    auto g = load_row<Group>(row);
    if (!g) {
      return std::unexpected(g.error());
    }
    out.push_back(std::move(*g));
  }
  return out;
}

Result<AclEntry> SqlTx::grant_user(const Id& share_id, const Id& user_id, ShareLevel level,
                                   AclState new_rows) {
  auto rev = write_rev("grant user");
  if (!rev) {
    return std::unexpected(rev.error());
  }
  auto st = upsert_acl_rows(
      "INSERT INTO share_acl (share_id, user_id, group_id, group_key, level, state, revision, "
      "created_at, updated_at) VALUES ($1, $2, NULL, '', $3, " +
          state_of("$1", "$2", "$6") + ", $4, $5, $5)" + std::string(k_acl_upsert),
      {share_id, user_id, level_name(level), *rev, model::to_micros(now()), state_name(new_rows)});
  if (!st) {
    return std::unexpected(st.error());
  }
  if (auto t = touch_shares({share_id}); !t) {
    return std::unexpected(t.error());
  }
  return load_acl(share_id, user_id, "");
}

Status SqlTx::revoke_user(const Id& share_id, const Id& user_id) {
  auto rev = write_rev("revoke user");
  if (!rev) {
    return std::unexpected(rev.error());
  }
  auto r = query("DELETE FROM share_acl WHERE share_id = $1 AND user_id = $2 AND group_key = ''",
                 {share_id, user_id}, "revoke user");
  if (!r) {
    return std::unexpected(r.error());
  }
  if (r->affected == 0) {
    return fail(ErrorCode::not_found,
                "user " + user_id + " has no direct grant on share " + share_id);
  }
  return touch_shares({share_id});
}

Result<GroupGrant> SqlTx::grant_group(const Id& share_id, const Id& group_id, ShareLevel level,
                                      AclState new_rows) {
  auto rev = write_rev("grant group");
  if (!rev) {
    return std::unexpected(rev.error());
  }
  auto when = model::to_micros(now());
  // Operation 3 of seed 003: record the grant, then one row per member.
  auto st = upsert_acl_rows(
      "INSERT INTO share_group_grants (share_id, group_id, level, revision, created_at, "
      "updated_at) VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (share_id, group_id) DO UPDATE "
      "SET level = excluded.level, revision = excluded.revision, updated_at = excluded.updated_at",
      {share_id, group_id, level_name(level), *rev, when});
  if (st) {
    st = upsert_acl_rows(
        "INSERT INTO share_acl (share_id, user_id, group_id, group_key, level, state, revision, "
        "created_at, updated_at) SELECT CAST($1 AS TEXT), m.user_id, CAST($2 AS TEXT), "
        "CAST($2 AS TEXT), CAST($3 AS TEXT), " +
            state_of("$1", "m.user_id", "$6") +
            ", CAST($4 AS BIGINT), CAST($5 AS BIGINT), CAST($5 AS BIGINT) "
            "FROM group_members m WHERE m.group_id = $2" +
            std::string(k_acl_upsert),
        {share_id, group_id, level_name(level), *rev, when, state_name(new_rows)});
  }
  if (!st) {
    return std::unexpected(st.error());
  }
  if (auto t = touch_shares({share_id}); !t) {
    return std::unexpected(t.error());
  }
  auto r = query("SELECT created_at FROM share_group_grants WHERE share_id = $1 AND group_id = $2",
                 {share_id, group_id}, "grant group");
  if (!r) {
    return std::unexpected(r.error());
  }
  auto created =
      r->rows.empty() ? Result<std::optional<std::int64_t>>(when) : cell_int(r->rows[0], 0);
  return GroupGrant{share_id,
                    group_id,
                    level,
                    *rev,
                    model::from_micros(created && *created ? **created : when),
                    model::from_micros(when)};
}

Status SqlTx::revoke_group(const Id& share_id, const Id& group_id) {
  auto rev = write_rev("revoke group");
  if (!rev) {
    return std::unexpected(rev.error());
  }
  // Operation 4 of seed 003.
  auto r = query("DELETE FROM share_group_grants WHERE share_id = $1 AND group_id = $2",
                 {share_id, group_id}, "revoke group");
  if (!r) {
    return std::unexpected(r.error());
  }
  if (r->affected == 0) {
    return fail(ErrorCode::not_found, "group " + group_id + " has no grant on share " + share_id);
  }
  r = query("DELETE FROM share_acl WHERE share_id = $1 AND group_id = $2", {share_id, group_id},
            "revoke group");
  if (!r) {
    return std::unexpected(r.error());
  }
  return touch_shares({share_id});
}

Result<std::vector<AclEntry>> SqlTx::list_acl(const Id& share_id) {
  return load_acl_rows(query("SELECT " + std::string(k_acl_columns) +
                                 " FROM share_acl WHERE share_id = $1 ORDER BY user_id, group_key",
                             {share_id}, "list ACL"));
}

Result<std::vector<AclEntry>> SqlTx::list_user_acl(const Id& user_id) {
  return load_acl_rows(query("SELECT " + std::string(k_acl_columns) +
                                 " FROM share_acl WHERE user_id = $1 ORDER BY share_id, group_key",
                             {user_id}, "list ACL of user"));
}

Result<std::vector<GroupGrant>> SqlTx::list_group_grants(const Id& share_id) {
  return load_group_grants(query("SELECT " + std::string(k_group_grant_columns) +
                                     " FROM share_group_grants WHERE share_id = $1 "
                                     "ORDER BY group_id",
                                 {share_id}, "list group grants"));
}

Status SqlTx::set_acl_state(const Id& share_id, const Id& user_id, model::AclState state) {
  auto rev = write_rev("set ACL state");
  if (!rev) {
    return std::unexpected(rev.error());
  }
  // All rows of one (share, user) change together: they never differ in state.
  auto r = query(
      "UPDATE share_acl SET state = $3, revision = $4, updated_at = $5 "
      "WHERE share_id = $1 AND user_id = $2",
      {share_id, user_id, std::string(model::to_string(state)), *rev, model::to_micros(now())},
      "set ACL state");
  if (!r) {
    return std::unexpected(r.error());
  }
  if (r->affected == 0) {
    return fail(ErrorCode::not_found, "user " + user_id + " has no access to share " + share_id);
  }
  return touch_shares({share_id});
}

Status SqlTx::remove_user_acl(const Id& share_id, const Id& user_id) {
  auto rev = write_rev("remove user ACL");
  if (!rev) {
    return std::unexpected(rev.error());
  }
  auto r = query("DELETE FROM share_acl WHERE share_id = $1 AND user_id = $2", {share_id, user_id},
                 "remove user ACL");
  if (!r) {
    return std::unexpected(r.error());
  }
  if (r->affected == 0) {
    return fail(ErrorCode::not_found, "user " + user_id + " has no access to share " + share_id);
  }
  return touch_shares({share_id});
}

Result<std::optional<UserAccess>> SqlTx::effective_share_access(const Id& user_id,
                                                                const Id& share_id) {
  auto r = query("SELECT COUNT(*), MAX(CASE WHEN level = 'write' THEN 1 ELSE 0 END), "
                 "MIN(state) FROM share_acl WHERE share_id = $1 AND user_id = $2",
                 {share_id, user_id}, "effective access");
  if (!r) {
    return std::unexpected(r.error());
  }
  if (r->rows.empty() || r->rows[0].cells.empty() || r->rows[0].cells[0] == "0") {
    return std::optional<UserAccess>{};
  }
  auto a = load_access(r->rows[0], 1);
  if (!a) {
    return std::unexpected(a.error());
  }
  a->user_id = user_id;
  return std::optional<UserAccess>(std::move(*a));
}

Result<std::vector<UserAccess>> SqlTx::share_access(const Id& share_id) {
  auto r = query("SELECT user_id, MAX(CASE WHEN level = 'write' THEN 1 ELSE 0 END), MIN(state) "
                 "FROM share_acl WHERE share_id = $1 GROUP BY user_id ORDER BY user_id",
                 {share_id}, "share access");
  if (!r) {
    return std::unexpected(r.error());
  }
  std::vector<UserAccess> out;
  for (const Row& row : r->rows) {
    auto a = load_access(row, 1);
    if (!a) {
      return std::unexpected(a.error());
    }
    a->user_id = row.cells[0].value_or("");
    out.push_back(std::move(*a));
  }
  return out;
}

Result<std::vector<Binding>>
SqlTx::applicable_bindings(const Id& user_id, const std::vector<std::string>& external_groups,
                           const std::optional<Id>& space_id) {
  Params params{user_id, space_id.value_or("")};
  std::string tail = "WHERE scope_key IN ('', $2) AND (user_id = $1 OR group_id IN "
                     "(SELECT group_id FROM group_members WHERE user_id = $1)";
  if (!external_groups.empty()) {
    tail += " OR (subject_kind = 'external_group' AND subject IN (";
    for (std::size_t i = 0; i < external_groups.size(); ++i) {
      params.emplace_back(external_groups[i]);
      tail += (i ? ", $" : "$") + std::to_string(params.size());
    }
    tail += "))";
  }
  tail += ") ORDER BY created_at, id";
  return select_many<Binding>(tail, params);
}

Result<std::vector<AuditEvent>> SqlTx::list_audit(const AuditQuery& q) {
  Params params{q.since ? model::to_micros(*q.since) : std::int64_t{0}};
  std::string tail = "WHERE created_at >= $1";
  if (q.actor_id) {
    params.emplace_back(*q.actor_id);
    tail += " AND actor_id = $2";
  }
  tail += " ORDER BY created_at DESC, id DESC";
  if (q.limit > 0) {
    params.emplace_back(static_cast<std::int64_t>(q.limit));
    tail += " LIMIT $" + std::to_string(params.size());
  }
  return select_many<AuditEvent>(tail, params);
}

Result<std::vector<Id>> SqlTx::ids(std::string_view sql, const Params& params) {
  auto r = query(sql, params, "read ids");
  if (!r) {
    return std::unexpected(r.error());
  }
  std::vector<Id> out;
  out.reserve(r->rows.size());
  for (const Row& row : r->rows) {
    out.push_back(row.cells.empty() ? "" : row.cells[0].value_or(""));
  }
  return out;
}

Status SqlTx::touch_shares(const std::vector<Id>& share_ids) {
  if (share_ids.empty()) {
    return {};
  }
  auto rev = write_rev("mark shares for rendering");
  if (!rev) {
    return std::unexpected(rev.error());
  }
  for (const Id& id : share_ids) {
    auto r = query("UPDATE shares SET revision = $2, updated_at = $3, status = 'pending' "
                   "WHERE id = $1",
                   {id, *rev, model::to_micros(now())}, "mark share for rendering");
    if (!r) {
      return std::unexpected(r.error());
    }
    record(Kind::share, id, false);
  }
  return {};
}

} // namespace sharectl::store::sql
