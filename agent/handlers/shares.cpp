#include "agent/handlers/shares.hpp"

#include <iterator>
#include <map>
#include <optional>

#include <fmt/core.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "agent/authz/resources.hpp"
#include "agent/handlers/authenticate.hpp"
#include "agent/handlers/caps.hpp"
#include "agent/handlers/lookup.hpp"
#include "agent/handlers/render.hpp"
#include "agent/handlers/request.hpp"
#include "agent/handlers/schemas.hpp"
#include "agent/handlers/share_acl.hpp"
#include "agent/handlers/space_authz.hpp"
#include "common/json/strict.hpp"
#include "common/validate/names.hpp"
#include "common/validate/path.hpp"
#include "common/validate/text.hpp"

namespace sharectl::agent::handlers {

namespace {

using api::Request;
using api::Response;
using model::AuditOutcome;

// POST /api/v1/shares
Result<Response> create_share(AgentContext& context, Request& request) {
  const Caller& caller = caller_of(request);
  auto body = json::parse_strict(request.body);
  if (!body) {
    return std::unexpected(body.error());
  }
  json::ObjectReader reader(*body);
  auto name = reader.required_string("name");
  auto space_ref = reader.required_string("space");
  auto subdir = reader.optional_string("subdir");
  auto read_only = reader.optional_bool("read_only");
  auto browseable = reader.optional_bool("browseable");
  auto comment = reader.optional_string("comment");
  auto invitations = reader.optional_bool("invitations");
  for (const Status& st :
       {first_error(name), first_error(space_ref), first_error(subdir), first_error(read_only),
        first_error(browseable), first_error(comment), first_error(invitations), reader.finish()}) {
    if (!st) {
      return std::unexpected(st.error());
    }
  }
  if (auto ok = validate::validate_share_name(*name); !ok) {
    return std::unexpected(ok.error());
  }
  std::string owner_name = caller.user.username;
  std::string space_name = *space_ref;
  if (const auto slash = space_ref->find('/'); slash != std::string::npos) {
    owner_name = space_ref->substr(0, slash);
    space_name = space_ref->substr(slash + 1);
    if (auto ok = validate::validate_username(owner_name); !ok) {
      return fail(ErrorCode::bad_request, "space: " + ok.error().message);
    }
  }
  if (auto ok = validate::validate_space_name(space_name); !ok) {
    return fail(ErrorCode::bad_request, "space: " + ok.error().message);
  }
  if (*subdir && !(*subdir)->empty()) {
    if (auto ok = validate::validate_relative_subdir(**subdir); !ok) {
      return fail(ErrorCode::bad_request, "subdir: " + ok.error().message);
    }
  }
  if (*comment) {
    if (auto ok = validate::validate_comment(**comment); !ok) {
      return fail(ErrorCode::bad_request, "comment: " + ok.error().message);
    }
  }
  auto space = context.store.view_result([&](store::Tx& tx) -> Result<model::Space> {
    auto owner = tx.find_user(owner_name);
    if (!owner) {
      return std::unexpected(owner.error());
    }
    return tx.find_space(owner->id, space_name);
  });
  if (!space) {
    if (space.error().code == ErrorCode::not_found) {
      return fail(ErrorCode::not_found, fmt::format("no space {}/{}", owner_name, space_name));
    }
    return std::unexpected(space.error());
  }
  const std::string resource = authz::share_resource(*name);
  if (auto ok = authorize_in_space(context, request, caller, "shares.create", resource,
                                   authz::SpaceContext{space->id, space->owner_id});
      !ok) {
    return std::unexpected(ok.error());
  }
  model::Revision revision = 0;
  auto created = context.store.transact_result([&](store::Tx& tx) -> Result<std::string> {
    if (auto taken = tx.find_share(*name); taken) {
      return fail(ErrorCode::conflict,
                  fmt::format("share name '{}' is already taken (share names ignore case)", *name));
    }
    auto current = tx.get<model::Space>(space->id);
    if (!current) {
      return std::unexpected(current.error());
    }
    if (current->status == model::ObjectStatus::deleting) {
      return fail(ErrorCode::conflict, "the space is being deleted");
    }
    auto owner = tx.get<model::User>(current->owner_id);
    if (!owner) {
      return std::unexpected(owner.error());
    }
    if (auto ok = check_share_cap(context, tx, *owner, caller.user.is_admin); !ok) {
      return std::unexpected(ok.error());
    }
    model::Share share;
    share.name = *name;
    share.space_id = space->id;
    share.subdir = subdir->value_or("");
    share.read_only = read_only->value_or(false);
    share.browseable = browseable->value_or(true);
    share.comment = comment->value_or("");
    share.invitations = *invitations;
    auto stored = tx.create(share);
    if (!stored) {
      return std::unexpected(stored.error());
    }
    if (auto audit = tx.create(audit_event(request, &caller.user, "shares.create", resource,
                                           AuditOutcome::allowed,
                                           fmt::format("of space {}/{}", owner_name, space_name)));
        !audit) {
      return std::unexpected(audit.error());
    }
    revision = tx.write_revision();
    return share_json(*stored, space_name, owner_name, endpoint_of(tx, space->filesystem_id));
  });
  if (!created) {
    return std::unexpected(created.error());
  }
  return with_revision(Response::json(201, *created), revision);
}

// GET /api/v1/shares: the caller's own shares, the shares granted to them (active or invited),
// and the others the caller may view; the caller's relation to each is rendered with it.
Result<Response> list_shares(AgentContext& context, Request& request) {
  const Caller& caller = caller_of(request);
  struct Listed {
    LocatedShare at;
    std::optional<ShareRelation> mine;
  };
  auto shares = context.store.view_result([&](store::Tx& tx) -> Result<std::vector<Listed>> {
    auto all = tx.list<model::Share>();
    auto rows = tx.list_user_acl(caller.user.id);
    if (!all || !rows) {
      return std::unexpected(!all ? all.error() : rows.error());
    }
    std::map<model::Id, model::Space> spaces;
    std::map<model::Id, model::User> owners;
    std::map<model::Id, SmbEndpoint> endpoints; // filesystem id → its server
    std::vector<Listed> out;
    for (auto& share : *all) {
      auto space = spaces.find(share.space_id);
      if (space == spaces.end()) {
        auto got = tx.get<model::Space>(share.space_id);
        if (!got) {
          continue; // gone meanwhile
        }
        space = spaces.emplace(share.space_id, std::move(*got)).first;
      }
      auto owner = owners.find(space->second.owner_id);
      if (owner == owners.end()) {
        auto got = tx.get<model::User>(space->second.owner_id);
        if (!got) {
          continue;
        }
        owner = owners.emplace(space->second.owner_id, std::move(*got)).first;
      }
      auto at = endpoints.find(space->second.filesystem_id);
      if (at == endpoints.end()) {
        at = endpoints
                 .emplace(space->second.filesystem_id, endpoint_of(tx, space->second.filesystem_id))
                 .first;
      }
      Listed item{LocatedShare{std::move(share), space->second, owner->second, at->second}, {}};
      auto mine = relation_to(tx, caller.user.id, item.at, *rows);
      if (!mine) {
        return std::unexpected(mine.error());
      }
      item.mine = std::move(*mine);
      out.push_back(std::move(item));
    }
    return out;
  });
  if (!shares) {
    return std::unexpected(shares.error());
  }
  std::string out = "[";
  for (const auto& [at, mine] : *shares) {
    if (!mine) {
      // A list leaves out what the caller may not read; that is not a denied request to audit.
      auto may = decide(context, caller, "shares.read", authz::share_resource(at.share.name),
                        context_of(at));
      if (!may) {
        return std::unexpected(may.error());
      }
      if (!may->allowed) {
        continue;
      }
    }
    if (out.size() > 1) {
      out += ',';
    }
    out += render_share(at, mine ? &*mine : nullptr);
  }
  out += ']';
  return Response::json(200, out);
}

// GET /api/v1/shares/{name}: for its owner, anyone who may view it, and its grantees (who see
// their own level and why, never the other grantees).
Result<Response> show_share(AgentContext& context, Request& request) {
  const Caller& caller = caller_of(request);
  auto at = readable_share(context, request, caller);
  if (!at) {
    return std::unexpected(at.error());
  }
  auto mine = context.store.view_result([&](store::Tx& tx) -> Result<std::optional<ShareRelation>> {
    auto rows = tx.list_user_acl(caller.user.id);
    if (!rows) {
      return std::unexpected(rows.error());
    }
    return relation_to(tx, caller.user.id, *at, *rows);
  });
  if (!mine) {
    return std::unexpected(mine.error());
  }
  return Response::json(200, render_share(*at, *mine ? &**mine : nullptr));
}

// PATCH /api/v1/shares/{name}: {comment?, read_only?, browseable?} (at least one). A new
// revision and status pending, so the host renders the share again.
Result<Response> update_share(AgentContext& context, Request& request) {
  const Caller& caller = caller_of(request);
  auto at = readable_share(context, request, caller);
  if (!at) {
    return std::unexpected(at.error());
  }
  auto expected = if_match(request);
  auto body = json::parse_strict(request.body);
  if (!expected || !body) {
    return std::unexpected(!expected ? expected.error() : body.error());
  }
  json::ObjectReader reader(*body);
  auto comment = reader.optional_string("comment");
  auto read_only = reader.optional_bool("read_only");
  auto browseable = reader.optional_bool("browseable");
  auto invitations = reader.optional_bool("invitations");
  for (const Status& st : {first_error(comment), first_error(read_only), first_error(browseable),
                           first_error(invitations), reader.finish()}) {
    if (!st) {
      return std::unexpected(st.error());
    }
  }
  if (!*comment && !*read_only && !*browseable && !*invitations) {
    return fail(ErrorCode::bad_request,
                "give at least one of comment, read_only, browseable, invitations");
  }
  if (*comment) {
    if (auto ok = validate::validate_comment(**comment); !ok) {
      return fail(ErrorCode::bad_request, "comment: " + ok.error().message);
    }
  }
  const std::string resource = authz::share_resource(at->share.name);
  if (auto ok =
          authorize_in_space(context, request, caller, "shares.update", resource, context_of(*at));
      !ok) {
    return std::unexpected(ok.error());
  }
  model::Revision revision = 0;
  auto updated = context.store.transact_result([&](store::Tx& tx) -> Result<std::string> {
    auto current = current_at<model::Share>(tx, at->share.id, *expected, "share");
    if (!current) {
      return std::unexpected(current.error());
    }
    std::vector<std::string> changes;
    if (*comment && **comment != current->comment) {
      current->comment = **comment;
      changes.emplace_back("comment");
    }
    if (*read_only && **read_only != current->read_only) {
      current->read_only = **read_only;
      changes.push_back(fmt::format("read_only {}", current->read_only));
    }
    if (*browseable && **browseable != current->browseable) {
      current->browseable = **browseable;
      changes.push_back(fmt::format("browseable {}", current->browseable));
    }
    if (*invitations && *invitations != current->invitations) { // new grants only
      current->invitations = **invitations;
      changes.push_back(fmt::format("invitations {}", **invitations));
    }
    if (changes.empty()) { // nothing to render again: no new revision
      return share_json(*current, at->space.name, at->owner.username, at->at);
    }
    current->status = model::ObjectStatus::pending;
    current->status_message.clear();
    auto stored = tx.update(*current);
    if (!stored) {
      return std::unexpected(stored.error());
    }
    if (auto audit = tx.create(audit_event(request, &caller.user, "shares.update", resource,
                                           AuditOutcome::allowed,
                                           fmt::format("{}", fmt::join(changes, ", "))));
        !audit) {
      return std::unexpected(audit.error());
    }
    revision = tx.write_revision();
    return share_json(*stored, at->space.name, at->owner.username, at->at);
  });
  if (!updated) {
    return std::unexpected(updated.error());
  }
  return with_revision(Response::json(200, *updated), revision);
}

// DELETE /api/v1/shares/{name}
Result<Response> delete_share(AgentContext& context, Request& request) {
  const Caller& caller = caller_of(request);
  auto at = readable_share(context, request, caller);
  if (!at) {
    return std::unexpected(at.error());
  }
  auto expected = if_match(request);
  if (!expected) {
    return std::unexpected(expected.error());
  }
  const std::string resource = authz::share_resource(at->share.name);
  if (auto ok =
          authorize_in_space(context, request, caller, "shares.delete", resource, context_of(*at));
      !ok) {
    return std::unexpected(ok.error());
  }
  model::Revision revision = 0;
  auto done = context.store.transact([&](store::Tx& tx) -> Status {
    auto removed = tx.remove<model::Share>(at->share.id, *expected);
    if (!removed) {
      if (*expected && removed.error().code == ErrorCode::conflict) {
        return fail(ErrorCode::precondition_failed, removed.error().message);
      }
      return removed;
    }
    auto audit = tx.create(
        audit_event(request, &caller.user, "shares.delete", resource, AuditOutcome::allowed, ""));
    revision = tx.write_revision();
    return first_error(audit);
  });
  if (!done) {
    return std::unexpected(done.error());
  }
  // The share's host removes it at its next pass: its server's observed_revision says when.
  return with_revision(Response::no_content(), revision);
}

} // namespace

std::vector<api::Route> share_routes(AgentContext& context) {
  using api::Permission;
  const auto bind = [&context](HandlerFn fn) { return bind_handler(context, fn); };
  std::vector<api::Route> routes{
      api::Route{"POST", "/api/v1/shares", bind(create_share),
                 Permission::in_handler("shares.create", "shares/{name}"),
                 "Publish a space (or a directory of it) as an SMB share"}
          .takes(schemas::share_create())
          .answers(201, schemas::share()),
      api::Route{"GET", "/api/v1/shares", bind(list_shares), Permission::authenticated(),
                 "List the shares the caller may view"}
          .cached()
          .answers(200, api::Schema::list_of(schemas::share())),
      api::Route{"GET", "/api/v1/shares/{name}", bind(show_share),
                 Permission::in_handler("shares.read", "shares/{name}"), "Show a share"}
          .cached()
          .answers(200, schemas::share()),
      api::Route{"PATCH", "/api/v1/shares/{name}", bind(update_share),
                 Permission::in_handler("shares.update", "shares/{name}"),
                 "Change a share's comment, read_only or browseable"}
          .takes(schemas::share_update())
          .answers(200, schemas::share()),
      api::Route{"DELETE", "/api/v1/shares/{name}", bind(delete_share),
                 Permission::in_handler("shares.delete", "shares/{name}"), "Delete a share"}
          .answers(204),
  };
  std::ranges::move(share_acl_routes(context), std::back_inserter(routes));
  return routes;
}

} // namespace sharectl::agent::handlers
