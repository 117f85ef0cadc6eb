// Internal to the shared SQL layer: how share ACL rows, group grants and group members are
// selected and loaded, shared by the per-object reads (sql_tx_access.cpp) and the whole-store
// reads (sql_tx_bulk.cpp) so that both answer the same values. A malformed row is internal.
#pragma once

#include <string_view>
#include <vector>

#include "agent/store/sql/connection.hpp"
#include "agent/store/tx.hpp"

namespace sharectl::store::sql {

// The columns load_acl_rows reads, in order.
inline constexpr std::string_view k_acl_columns =
    "share_id, user_id, group_id, level, state, revision, created_at, updated_at";
// The columns load_group_grants reads, in order.
inline constexpr std::string_view k_group_grant_columns =
    "share_id, group_id, level, revision, created_at, updated_at";
// The columns load_group_members reads, in order.
inline constexpr std::string_view k_group_member_columns =
    "group_id, user_id, revision, created_at";

// The ACL rows of a query selecting k_acl_columns (its error passes through).
Result<std::vector<AclEntry>> load_acl_rows(Result<Rows> r);
// The group grants of a query selecting k_group_grant_columns (its error passes through).
Result<std::vector<GroupGrant>> load_group_grants(Result<Rows> r);
// The group members of a query selecting k_group_member_columns (its error passes through).
Result<std::vector<GroupMember>> load_group_members(Result<Rows> r);

} // namespace sharectl::store::sql
