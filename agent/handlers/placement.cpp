#include "agent/handlers/placement.hpp"

#include <algorithm>

#include <fmt/core.h>

#include "agent/reconcile/heartbeat.hpp"
#include "common/validate/size.hpp"

namespace sharectl::agent::handlers {

namespace {

// The most bytes `owner` may own in total: their own allowance, else the config's (which does
// not bind admins).
std::optional<std::uint64_t> allowance_of(const AgentContext& context, const model::User& owner) {
  if (owner.allowance_bytes) {
    return owner.allowance_bytes;
  }
  return owner.is_admin ? std::nullopt : context.config.spaces.user_allowance;
}

} // namespace

Status check_allowance(const AgentContext& context, store::Tx& tx, const model::User& owner,
                       std::uint64_t extra, const std::optional<model::Id>& except) {
  const auto limit = allowance_of(context, owner);
  if (!limit) {
    return {};
  }
  auto spaces = tx.list<model::Space>(store::ListQuery{owner.id, 0});
  if (!spaces) {
    return std::unexpected(spaces.error());
  }
  std::uint64_t total = extra;
  for (const auto& s : *spaces) {
    if (!except || s.id != *except) {
      total += s.size_bytes;
    }
  }
  if (total > *limit) {
    return fail(ErrorCode::conflict,
                fmt::format("{} may own {} in total ({}); this would make {}", owner.username,
                            validate::format_size(*limit),
                            owner.allowance_bytes ? "their allowance: sharectl user set-allowance"
                                                  : "spaces.user_allowance",
                            validate::format_size(total)));
  }
  return {};
}

Result<std::map<model::Id, std::uint64_t>> allocated(store::Tx& tx,
                                                     const std::optional<model::Id>& except) {
  auto spaces = tx.list<model::Space>();
  if (!spaces) {
    return std::unexpected(spaces.error());
  }
  std::map<model::Id, std::uint64_t> out;
  for (const auto& s : *spaces) {
    if (!except || s.id != *except) {
      out[s.filesystem_id] += s.size_bytes;
    }
  }
  return out;
}

std::uint64_t free_room(const model::FileSystem& fs,
                        const std::map<model::Id, std::uint64_t>& used) {
  const auto it = used.find(fs.id);
  const std::uint64_t taken = it == used.end() ? 0 : it->second;
  return taken >= fs.capacity_bytes ? 0 : fs.capacity_bytes - taken;
}

Result<model::FileSystem> place(store::Tx& tx, std::uint64_t size,
                                const std::optional<std::string>& server_name,
                                model::Timestamp now) {
  auto servers = tx.list<model::Server>();
  auto used = allocated(tx, std::nullopt);
  if (!servers || !used) {
    return std::unexpected(!servers ? servers.error() : used.error());
  }
  std::optional<model::FileSystem> best;
  std::uint64_t best_room = 0;
  std::uint64_t largest = 0;
  bool any = false;
  for (const auto& server : *servers) {
    if (!server.role_samba || (server_name && server.name != *server_name)) {
      continue;
    }
    if (!reconcile::server_up(server, now)) {
      if (server_name) {
        return fail(ErrorCode::conflict,
                    fmt::format("server {} is down (its agent missed {} heartbeats)", server.name,
                                reconcile::k_missed_heartbeats));
      }
      continue;
    }
    auto filesystems = tx.list<model::FileSystem>(store::ListQuery{server.id, 0});
    if (!filesystems) {
      return std::unexpected(filesystems.error());
    }
    for (const auto& fs : *filesystems) {
      any = true;
      const auto room = free_room(fs, *used);
      largest = std::max(largest, room);
      if (room >= size && (!best || room > best_room)) {
        best = fs;
        best_room = room;
      }
    }
  }
  if (!any) {
    return fail(ErrorCode::conflict,
                server_name ? fmt::format("server {} is not an up samba server with filesystems",
                                          *server_name)
                            : std::string("no samba server with filesystems is up"));
  }
  if (!best) {
    return fail(ErrorCode::conflict,
                fmt::format("no filesystem has room for {}; the largest free room is {}",
                            validate::format_size(size), validate::format_size(largest)));
  }
  return *best;
}

} // namespace sharectl::agent::handlers
