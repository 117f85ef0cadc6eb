// Quotas of abuse: what one user may hold, whatever their rights — spaces, shares on their
// spaces, groups they own and apps (logins) — capped by `spaces|shares|groups|apps.max_per_user`
// (common/config), and the smallest space. Users with the admin flag are exempt, and so is
// whatever an admin creates for someone. Each check runs inside the creating transaction, so
// concurrent creators cannot pass a cap together; over a cap is 409 naming the cap and its
// config key.
#pragma once

#include <cstdint>

#include "agent/handlers/context.hpp"
#include "agent/store/tx.hpp"

namespace sharectl::agent::handlers {

// The smallest space: 1 MiB (a btrfs qgroup or an XFS project below that is meaningless).
inline constexpr std::uint64_t k_min_space_bytes = 1024 * 1024;

// bad_request ("size_bytes: a space has at least 1 MiB") below k_min_space_bytes.
Status check_space_size(std::uint64_t size_bytes);

// Whether `owner` may own one more space (spaces.max_per_user). `by_admin`: an admin creates it.
Status check_space_cap(const AgentContext& context, store::Tx& tx, const model::User& owner,
                       bool by_admin);

// Whether the owner of a space may have `adding` more shares on their spaces
// (shares.max_per_user).
Status check_share_cap(const AgentContext& context, store::Tx& tx, const model::User& owner,
                       bool by_admin, std::uint32_t adding = 1);

// Whether `owner` may own one more group (groups.max_per_user).
Status check_group_cap(const AgentContext& context, store::Tx& tx, const model::User& owner,
                       bool by_admin);

// Whether `user` may hold one more app (apps.max_per_user; apps expired by `now` do not count).
Status check_app_cap(const AgentContext& context, store::Tx& tx, const model::User& user,
                     model::Timestamp now);

} // namespace sharectl::agent::handlers
