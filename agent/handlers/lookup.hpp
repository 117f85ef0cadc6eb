// Finding the space or share a route names, as the caller may see it, and what a space answer
// names besides the space (owner, server, first share). Objects the caller may not read are
// not_found, like missing ones, so names of other users' objects do not leak; store failures
// are returned as they are.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/api/http.hpp"
#include "agent/authz/authorize.hpp"
#include "agent/handlers/context.hpp"
#include "agent/handlers/render.hpp"

namespace sharectl::agent::handlers {

// What a space answer names besides the space itself.
struct SpaceNames {
  std::string owner;
  std::string server; // "" when its filesystem or server is gone
  std::string share;  // the first share of the space, "" when none
  SmbEndpoint at;     // where its shares are reached (empty host when the server is gone)
};

// Owner and server names already looked up in one transaction, so that a list of many spaces
// of few owners and filesystems reads each of them once; and, when a list read them all at once
// (Tx::first_share_names), the share names of its spaces.
struct NameCache {
  std::map<model::Id, std::string> owners;  // user id → username
  std::map<model::Id, SmbEndpoint> servers; // filesystem id → its server (empty when gone)
  std::optional<std::map<model::Id, std::string>> shares; // space id → its first share's name
};

// The names of `space` (fails only when its owner cannot be read). `cache`, when given, must
// belong to the same transaction.
Result<SpaceNames> names_of(store::Tx& tx, const model::Space& space, NameCache* cache = nullptr);

// The space as API JSON text with its names.
Result<std::string> render_space(store::Tx& tx, const model::Space& space);

// The user named `name` (the caller's own record when it is the caller); not_found "no user".
Result<model::User> owner_named(AgentContext& context, const Caller& caller, std::string_view name);

// The space of the route's {owner}/{name} that the caller may read (else not_found).
Result<model::Space> readable_space(AgentContext& context, api::Request& request,
                                    const Caller& caller);

// A share with its space, the space's owner and where it is served.
struct LocatedShare {
  model::Share share;
  model::Space space;
  model::User owner;
  SmbEndpoint at;
};

// The server holding filesystem `filesystem_id` as an SmbEndpoint (empty when it is gone).
SmbEndpoint endpoint_of(store::Tx& tx, const model::Id& filesystem_id);

// The share named `name` (ignoring case) with its space and owner; not_found "no share".
Result<LocatedShare> locate_share(store::Tx& tx, const std::string& name);

// The space context the share is authorized in.
authz::SpaceContext context_of(const LocatedShare& at);

// The share as API JSON text; with `mine`, the caller's own relation to it.
std::string render_share(const LocatedShare& at, const ShareRelation* mine = nullptr);

// The caller's own relation to the share `at` (render.hpp ShareRelation): "owner" for the space's
// owner, "granted" with the level, state and reasons of `rows` (the user's ACL rows,
// Tx::list_user_acl) on it; nullopt when the user neither owns it nor has a row on it. Fails
// only with the store's errors.
Result<std::optional<ShareRelation>> relation_to(store::Tx& tx, const model::Id& user_id,
                                                 const LocatedShare& at,
                                                 const std::vector<model::AclEntry>& rows);

// readable_share(), then `action` (e.g. shares.acl.read) authorized in the share's space context
// (forbidden with the reason, audited).
Result<LocatedShare> authorized_share(AgentContext& context, api::Request& request,
                                      const Caller& caller, std::string_view action);

// The share of the route's {name} that the caller may read (shares.read in its space context)
// or holds a grant on (active or invited); else not_found, with the denial audited.
Result<LocatedShare> readable_share(AgentContext& context, api::Request& request,
                                    const Caller& caller);

} // namespace sharectl::agent::handlers
