// SqlTx, part 5: the whole-store reads that load and refresh the read view — every ACL row,
// group grant and group member in one SELECT each (ordered as the per-object reads order them
// within a share or group), and the bookkeeping figures: servers and filesystems whole, through
// the same list as list<E>(), and spaces' and apps' figures from narrow SELECTs.
#include "agent/store/liveness.hpp"
#include "agent/store/sql/acl_loaders.hpp"
#include "agent/store/sql/mapping.hpp"
#include "agent/store/sql/sql_tx.hpp"

namespace sharectl::store::sql {

Result<std::vector<AclEntry>> SqlTx::list_all_acl() {
  static const std::string sql = "SELECT " + std::string(k_acl_columns) +
                                 " FROM share_acl ORDER BY share_id, user_id, group_key";
  return load_acl_rows(query(sql, {}, "list every ACL row"));
}

Result<std::vector<GroupGrant>> SqlTx::list_all_group_grants() {
  static const std::string sql = "SELECT " + std::string(k_group_grant_columns) +
                                 " FROM share_group_grants ORDER BY share_id, group_id";
  return load_group_grants(query(sql, {}, "list every group grant"));
}

Result<std::vector<GroupMember>> SqlTx::list_all_group_members() {
  static const std::string sql = "SELECT " + std::string(k_group_member_columns) +
                                 " FROM group_members ORDER BY group_id, created_at, user_id";
  return load_group_members(query(sql, {}, "list every group member"));
}

Result<Bookkeeping> SqlTx::read_bookkeeping() {
  auto whole = read_liveness(*this);
  if (!whole) {
    return whole;
  }
  Bookkeeping out = std::move(*whole);

  auto spaces = query("SELECT id, used_bytes, used_at FROM spaces ORDER BY id", {},
                      "read the usage of spaces");
  if (!spaces) {
    return std::unexpected(spaces.error());
  }
  out.spaces.reserve(spaces->rows.size());
  for (const Row& row : spaces->rows) {
    Bookkeeping::SpaceUsage s;
    Loader l{row, 0, std::nullopt};
    l("id", s.id);
    l("used_bytes", s.used_bytes);
    l("used_at", s.used_at);
    if (l.error) {
      return std::unexpected(*l.error);
    }
    out.spaces.push_back(std::move(s));
  }

  auto apps = query("SELECT id, last_used_at FROM apps ORDER BY id", {}, "read the use of apps");
  if (!apps) {
    return std::unexpected(apps.error());
  }
  out.apps.reserve(apps->rows.size());
  for (const Row& row : apps->rows) {
    Bookkeeping::AppUse a;
    Loader l{row, 0, std::nullopt};
    l("id", a.id);
    l("last_used_at", a.last_used_at);
    if (l.error) {
      return std::unexpected(*l.error);
    }
    out.apps.push_back(std::move(a));
  }
  return out;
}

} // namespace sharectl::store::sql
