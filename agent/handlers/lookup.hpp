// Finding the space or share a route names, as the caller may see it, and what a space answer
// names besides the space (owner, server, first share). Objects the caller may not read are
// not_found, like missing ones, so names of other users' objects do not leak; store failures
// are returned as they are.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "agent/api/http.hpp"
#include "agent/authz/authorize.hpp"
#include "agent/handlers/context.hpp"

namespace sharectl::agent::handlers {

// What a space answer names besides the space itself.
struct SpaceNames {
  std::string owner;
  std::string server; // "" when its filesystem or server is gone
  std::string share;  // the first share of the space, "" when none
};

// Owner and server names already looked up in one transaction, so that a list of many spaces
// of few owners and filesystems reads each of them once; and, when a list read them all at once
// (Tx::first_share_names), the share names of its spaces.
struct NameCache {
  std::map<model::Id, std::string> owners;  // user id → username
  std::map<model::Id, std::string> servers; // filesystem id → server name ("" when gone)
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

// A share with its space and the space's owner.
struct LocatedShare {
  model::Share share;
  model::Space space;
  model::User owner;
};

// The share named `name` (ignoring case) with its space and owner; not_found "no share".
Result<LocatedShare> locate_share(store::Tx& tx, const std::string& name);

// The space context the share is authorized in.
authz::SpaceContext context_of(const LocatedShare& at);

// The share as API JSON text.
std::string render_share(const LocatedShare& at);

// The share of the route's {name} that the caller may read (else not_found).
// readable_share(), then `action` (e.g. shares.acl.read) authorized in the share's space context
// (forbidden with the reason, audited).
Result<LocatedShare> authorized_share(AgentContext& context, api::Request& request,
                                      const Caller& caller, std::string_view action);

Result<LocatedShare> readable_share(AgentContext& context, api::Request& request,
                                    const Caller& caller);

} // namespace sharectl::agent::handlers
