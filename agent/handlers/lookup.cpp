#include "agent/handlers/lookup.hpp"

#include <fmt/core.h>

#include "agent/authz/resources.hpp"
#include "agent/handlers/render.hpp"
#include "agent/handlers/space_authz.hpp"

namespace sharectl::agent::handlers {

Result<SpaceNames> names_of(store::Tx& tx, const model::Space& space, NameCache* cache) {
  NameCache local;
  NameCache& names = cache != nullptr ? *cache : local;
  SpaceNames out;
  if (auto it = names.owners.find(space.owner_id); it != names.owners.end()) {
    out.owner = it->second;
  } else {
    auto owner = tx.get<model::User>(space.owner_id);
    if (!owner) {
      return std::unexpected(owner.error());
    }
    out.owner = names.owners[space.owner_id] = owner->username;
  }
  if (auto it = names.servers.find(space.filesystem_id); it != names.servers.end()) {
    out.at = it->second;
  } else {
    out.at = names.servers[space.filesystem_id] = endpoint_of(tx, space.filesystem_id);
  }
  out.server = out.at.server;
  if (names.shares) {
    if (auto it = names.shares->find(space.id); it != names.shares->end()) {
      out.share = it->second;
    }
    return out;
  }
  auto shares = tx.list<model::Share>(store::ListQuery{space.id, 0});
  if (shares && !shares->empty()) {
    out.share = shares->front().name;
  }
  return out;
}

Result<std::string> render_space(store::Tx& tx, const model::Space& space) {
  auto names = names_of(tx, space);
  if (!names) {
    return std::unexpected(names.error());
  }
  return space_json(space, names->owner, names->server, names->share, names->at);
}

Result<model::User> owner_named(AgentContext& context, const Caller& caller,
                                std::string_view name) {
  if (name == caller.user.username) {
    return caller.user;
  }
  auto user =
      context.store.view_result([&](store::Tx& tx) { return tx.find_user(std::string(name)); });
  if (!user && user.error().code == ErrorCode::not_found) {
    return fail(ErrorCode::not_found, fmt::format("no user {}", name));
  }
  return user;
}

Result<model::Space> readable_space(AgentContext& context, api::Request& request,
                                    const Caller& caller) {
  const std::string owner_name(request.param("owner"));
  const std::string name(request.param("name"));
  auto space = context.store.view_result([&](store::Tx& tx) -> Result<model::Space> {
    auto owner = tx.find_user(owner_name);
    if (!owner) {
      return std::unexpected(owner.error());
    }
    return tx.find_space(owner->id, name);
  });
  const auto missing = [&] {
    return fail(ErrorCode::not_found, fmt::format("no space {}/{}", owner_name, name));
  };
  if (!space) {
    if (space.error().code == ErrorCode::not_found) {
      return missing();
    }
    return std::unexpected(space.error());
  }
  if (!authorize_in_space(context, request, caller, "spaces.read",
                          authz::space_resource(owner_name, name),
                          authz::SpaceContext{space->id, space->owner_id})) {
    return missing();
  }
  return space;
}

Result<LocatedShare> locate_share(store::Tx& tx, const std::string& name) {
  auto share = tx.find_share(name);
  if (!share) {
    if (share.error().code == ErrorCode::not_found) {
      return fail(ErrorCode::not_found, fmt::format("no share {}", name));
    }
    return std::unexpected(share.error());
  }
  auto space = tx.get<model::Space>(share->space_id);
  if (!space) {
    return std::unexpected(space.error());
  }
  auto owner = tx.get<model::User>(space->owner_id);
  if (!owner) {
    return std::unexpected(owner.error());
  }
  SmbEndpoint at = endpoint_of(tx, space->filesystem_id);
  return LocatedShare{std::move(*share), std::move(*space), std::move(*owner), std::move(at)};
}

authz::SpaceContext context_of(const LocatedShare& at) {
  return authz::SpaceContext{at.space.id, at.space.owner_id};
}

SmbEndpoint endpoint_of(store::Tx& tx, const model::Id& filesystem_id) {
  if (auto fs = tx.get<model::FileSystem>(filesystem_id)) {
    if (auto server = tx.get<model::Server>(fs->server_id)) {
      return SmbEndpoint{server->name, server->address, server->smb_port};
    }
  }
  return {};
}

std::string render_share(const LocatedShare& at, const ShareRelation* mine) {
  return share_json(at.share, at.space.name, at.owner.username, at.at, mine);
}

Result<LocatedShare> readable_share(AgentContext& context, api::Request& request,
                                    const Caller& caller) {
  const std::string name(request.param("name"));
  auto at = context.store.view_result([&](store::Tx& tx) { return locate_share(tx, name); });
  if (!at) {
    return at;
  }
  const std::string resource = authz::share_resource(at->share.name);
  auto may = decide(context, caller, "shares.read", resource, context_of(*at));
  if (!may) {
    return std::unexpected(may.error());
  }
  if (may->allowed) {
    return at;
  }
  // A grantee (active or invited) may read the share too: what a grantee may know is in it.
  auto access = context.store.view_result(
      [&](store::Tx& tx) { return tx.effective_share_access(caller.user.id, at->share.id); });
  if (!access) {
    return std::unexpected(access.error());
  }
  if (access->has_value()) {
    return at;
  }
  (void)authorize_in_space(context, request, caller, "shares.read", resource, context_of(*at));
  return fail(ErrorCode::not_found, fmt::format("no share {}", name));
}

Result<std::optional<ShareRelation>> relation_to(store::Tx& tx, const model::Id& user_id,
                                                 const LocatedShare& at,
                                                 const std::vector<model::AclEntry>& rows) {
  if (at.space.owner_id == user_id) {
    return ShareRelation{"owner", "write", "active", {"owner"}};
  }
  std::optional<ShareRelation> out;
  for (const auto& row : rows) {
    if (row.share_id != at.share.id || row.user_id != user_id) {
      continue;
    }
    if (!out) {
      out = ShareRelation{"granted", "read", std::string(model::to_string(row.state)), {}};
    }
    if (row.level == model::ShareLevel::write) {
      out->level = "write";
    }
    std::string why = "direct";
    if (row.group_id) {
      auto group = tx.get<model::Group>(*row.group_id);
      if (!group && group.error().code != ErrorCode::not_found) {
        return std::unexpected(group.error());
      }
      why = "group " + (group ? group->name : *row.group_id);
    }
    out->via.push_back(why + " " + std::string(model::to_string(row.level)));
  }
  return out;
}

Result<LocatedShare> authorized_share(AgentContext& context, api::Request& request,
                                      const Caller& caller, std::string_view action) {
  auto at = readable_share(context, request, caller);
  if (!at) {
    return at;
  }
  if (auto ok = authorize_in_space(context, request, caller, action,
                                   authz::share_resource(at->share.name), context_of(*at));
      !ok) {
    return std::unexpected(ok.error());
  }
  return at;
}

} // namespace sharectl::agent::handlers
