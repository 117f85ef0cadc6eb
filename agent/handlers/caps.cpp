// Quotas of abuse; see caps.hpp.
#include "agent/handlers/caps.hpp"

#include <algorithm>

#include <fmt/core.h>

#include "common/validate/size.hpp"

namespace sharectl::agent::handlers {

namespace {

// conflict: `who` already has `count` `what`, the most `key` allows.
Status over(const model::User& who, std::size_t count, std::uint32_t cap, std::string_view what,
            std::string_view key, std::string_view advice) {
  return fail(ErrorCode::conflict,
              fmt::format("{} has {} {}, the most one user may have ({}: {}); {}", who.username,
                          count, what, key, cap, advice));
}

} // namespace

Status check_space_size(std::uint64_t size_bytes) {
  if (size_bytes < k_min_space_bytes) {
    return fail(ErrorCode::bad_request, fmt::format("size_bytes: a space has at least {}",
                                                    validate::format_size(k_min_space_bytes)));
  }
  return {};
}

Status check_space_cap(const AgentContext& context, store::Tx& tx, const model::User& owner,
                       bool by_admin) {
  const auto cap = context.config.spaces.max_per_user;
  if (!cap || by_admin || owner.is_admin) {
    return {};
  }
  auto spaces = tx.list<model::Space>(store::ListQuery{owner.id, 0});
  if (!spaces) {
    return std::unexpected(spaces.error());
  }
  if (spaces->size() >= *cap) {
    return over(owner, spaces->size(), *cap, "spaces", "spaces.max_per_user",
                "delete one or ask an admin");
  }
  return {};
}

Status check_share_cap(const AgentContext& context, store::Tx& tx, const model::User& owner,
                       bool by_admin, std::uint32_t adding) {
  const auto cap = context.config.shares.max_per_user;
  if (!cap || by_admin || owner.is_admin) {
    return {};
  }
  auto spaces = tx.list<model::Space>(store::ListQuery{owner.id, 0});
  if (!spaces) {
    return std::unexpected(spaces.error());
  }
  std::size_t shares = 0;
  for (const auto& space : *spaces) {
    auto listed = tx.list<model::Share>(store::ListQuery{space.id, 0});
    if (!listed) {
      return std::unexpected(listed.error());
    }
    shares += listed->size();
  }
  if (shares + adding > *cap) {
    return over(owner, shares, *cap, "shares", "shares.max_per_user", "delete one or ask an admin");
  }
  return {};
}

Status check_group_cap(const AgentContext& context, store::Tx& tx, const model::User& owner,
                       bool by_admin) {
  const auto cap = context.config.groups.max_per_user;
  if (!cap || by_admin || owner.is_admin) {
    return {};
  }
  auto groups = tx.list<model::Group>();
  if (!groups) {
    return std::unexpected(groups.error());
  }
  std::size_t owned = 0;
  for (const auto& group : *groups) {
    owned += group.owner_id == owner.id ? 1 : 0;
  }
  if (owned >= *cap) {
    return over(owner, owned, *cap, "groups", "groups.max_per_user", "delete one or ask an admin");
  }
  return {};
}

Status check_app_cap(const AgentContext& context, store::Tx& tx, const model::User& user,
                     model::Timestamp now) {
  const auto cap = context.config.apps.max_per_user;
  if (!cap || user.is_admin) {
    return {};
  }
  auto apps = tx.list<model::App>(store::ListQuery{user.id, 0});
  if (!apps) {
    return std::unexpected(apps.error());
  }
  const auto live = static_cast<std::size_t>(
      std::ranges::count_if(*apps, [&](const model::App& app) { return app.expires_at > now; }));
  if (live >= *cap) {
    return over(user, live, *cap, "apps (logins)", "apps.max_per_user",
                "log out of one (sharectl logout, or DELETE /api/v1/apps/{app_id}) first");
  }
  return {};
}

} // namespace sharectl::agent::handlers
