#include "agent/handlers/spaces.hpp"

#include <filesystem>
#include <iterator>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "agent/authz/resources.hpp"
#include "agent/handlers/authenticate.hpp"
#include "agent/handlers/caps.hpp"
#include "agent/handlers/lookup.hpp"
#include "agent/handlers/placement.hpp"
#include "agent/handlers/render.hpp"
#include "agent/handlers/request.hpp"
#include "agent/handlers/schemas.hpp"
#include "agent/handlers/space_authz.hpp"
#include "common/json/strict.hpp"
#include "common/validate/names.hpp"
#include "common/validate/size.hpp"

namespace sharectl::agent::handlers {

namespace {

using api::Request;
using api::Response;
using model::AuditOutcome;

// POST /api/v1/spaces
Result<Response> create_space(AgentContext& context, Request& request) {
  const Caller& caller = caller_of(request);
  auto body = json::parse_strict(request.body);
  if (!body) {
    return std::unexpected(body.error());
  }
  json::ObjectReader reader(*body);
  auto name = reader.required_string("name");
  auto size = reader.required_uint64("size_bytes");
  auto owner_name = reader.optional_string("owner");
  auto server = reader.optional_string("server");
  const nlohmann::json* share_value = reader.optional_value("share_name");
  for (const Status& st : {first_error(name), first_error(size), first_error(owner_name),
                           first_error(server), reader.finish()}) {
    if (!st) {
      return std::unexpected(st.error());
    }
  }
  std::optional<std::string> share_name = *name;
  if (share_value != nullptr) {
    if (share_value->is_null()) {
      share_name.reset();
    } else if (share_value->is_string()) {
      share_name = share_value->get<std::string>();
    } else {
      return fail(ErrorCode::bad_request, "share_name: give a share name or null (no share)");
    }
  }
  if (auto ok = validate::validate_space_name(*name); !ok) {
    return std::unexpected(ok.error());
  }
  if (auto ok = check_space_size(*size); !ok) {
    return std::unexpected(ok.error());
  }
  if (share_name) {
    if (auto ok = validate::validate_share_name(*share_name); !ok) {
      return std::unexpected(ok.error());
    }
  }
  if (*server) {
    if (auto ok = validate::validate_role_name(**server); !ok) {
      return fail(ErrorCode::bad_request, "server: " + ok.error().message);
    }
  }
  if (*owner_name) {
    if (auto ok = validate::validate_username(**owner_name); !ok) {
      return std::unexpected(ok.error());
    }
  }
  auto owner = owner_named(context, caller, owner_name->value_or(caller.user.username));
  if (!owner) {
    return std::unexpected(owner.error());
  }
  const std::string resource = authz::space_resource(owner->username, *name);
  if (auto ok = authorize_in_space(context, request, caller, "spaces.create", resource,
                                   authz::SpaceContext{std::nullopt, owner->id});
      !ok) {
    return std::unexpected(ok.error());
  }
  auto created = context.store.transact_result([&](store::Tx& tx) -> Result<std::string> {
    if (auto existing = tx.find_space(owner->id, *name); existing) {
      return fail(ErrorCode::conflict,
                  fmt::format("{} already has a space {}", owner->username, *name));
    }
    if (share_name) {
      if (auto taken = tx.find_share(*share_name); taken) {
        return fail(ErrorCode::conflict,
                    fmt::format("share name '{}' is already taken (share names ignore case); "
                                "choose another with --share-name or use --no-share",
                                *share_name));
      }
    }
    auto fs = place(tx, *size, *server, context.clock.now());
    if (!fs) {
      return std::unexpected(fs.error());
    }
    if (auto ok = check_allowance(context, tx, *owner, *size, std::nullopt); !ok) {
      return std::unexpected(ok.error());
    }
    if (auto ok = check_space_cap(context, tx, *owner, caller.user.is_admin); !ok) {
      return std::unexpected(ok.error());
    }
    if (share_name) {
      if (auto ok = check_share_cap(context, tx, *owner, caller.user.is_admin); !ok) {
        return std::unexpected(ok.error());
      }
    }
    model::Space space;
    space.owner_id = owner->id;
    space.name = *name;
    space.size_bytes = *size;
    space.filesystem_id = fs->id;
    space.path = (std::filesystem::path(fs->path) / owner->username / *name).string();
    auto stored = tx.create(space);
    if (!stored) {
      return std::unexpected(stored.error());
    }
    std::string detail =
        fmt::format("size {}, filesystem {}", validate::format_size(*size), fs->path);
    if (share_name) {
      model::Share share;
      share.name = *share_name;
      share.space_id = stored->id;
      auto made = tx.create(share);
      if (!made) {
        return std::unexpected(made.error());
      }
      detail += ", share " + *share_name;
      if (auto audit = tx.create(audit_event(request, &caller.user, "shares.create",
                                             authz::share_resource(*share_name),
                                             AuditOutcome::allowed, "with space " + resource));
          !audit) {
        return std::unexpected(audit.error());
      }
    }
    if (auto audit = tx.create(audit_event(request, &caller.user, "spaces.create", resource,
                                           AuditOutcome::allowed, detail));
        !audit) {
      return std::unexpected(audit.error());
    }
    return render_space(tx, *stored);
  });
  if (!created) {
    return std::unexpected(created.error());
  }
  return Response::json(201, *created);
}

// GET /api/v1/spaces/{owner}/{name}
Result<Response> show_space(AgentContext& context, Request& request) {
  auto space = readable_space(context, request, caller_of(request));
  if (!space) {
    return std::unexpected(space.error());
  }
  auto text = context.store.view_result([&](store::Tx& tx) { return render_space(tx, *space); });
  if (!text) {
    return std::unexpected(text.error());
  }
  return Response::json(200, *text);
}

// POST /api/v1/spaces/{owner}/{name}/usage: whoever may read the space has its host measure it
// now (one measure at a time), then the space as GET answers it.
Result<Response> refresh_usage(AgentContext& context, Request& request) {
  auto space = readable_space(context, request, caller_of(request));
  if (!space) {
    return std::unexpected(space.error());
  }
  if (!context.refresh_usage) {
    return fail(ErrorCode::unavailable, "this agent does not measure usage on request");
  }
  if (auto done = context.refresh_usage(*space); !done) {
    return std::unexpected(done.error());
  }
  auto text = context.store.view_result([&](store::Tx& tx) -> Result<std::string> {
    auto now = tx.get<model::Space>(space->id);
    if (!now) {
      return std::unexpected(now.error());
    }
    return render_space(tx, *now);
  });
  if (!text) {
    return std::unexpected(text.error());
  }
  return Response::json(200, *text);
}

// GET /api/v1/spaces[?all=true]
Result<Response> list_spaces(AgentContext& context, Request& request) {
  const Caller& caller = caller_of(request);
  const bool all = request.query_param("all").value_or("false") == "true";
  // One read transaction for the spaces and their names; authorization afterwards.
  using Named = std::pair<model::Space, SpaceNames>;
  auto spaces = context.store.view_result([&](store::Tx& tx) -> Result<std::vector<Named>> {
    auto listed = all ? tx.list<model::Space>() : tx.list<model::Space>({caller.user.id, 0});
    if (!listed) {
      return std::unexpected(listed.error());
    }
    std::vector<Named> out;
    out.reserve(listed->size());
    NameCache cache;
    auto shares = tx.first_share_names(all ? std::nullopt : std::optional(caller.user.id));
    if (!shares) {
      return std::unexpected(shares.error());
    }
    cache.shares = std::move(*shares);
    for (auto& space : *listed) {
      auto names = names_of(tx, space, &cache);
      if (names) { // a space whose owner went meanwhile is left out
        out.emplace_back(std::move(space), std::move(*names));
      }
    }
    return out;
  });
  if (!spaces) {
    return std::unexpected(spaces.error());
  }
  std::string out = "[";
  for (const auto& [space, names_value] : *spaces) {
    const SpaceNames* names = &names_value;
    if (space.owner_id != caller.user.id) {
      // A list leaves out what the caller may not read; that is not a denied request to audit.
      auto may =
          decide(context, caller, "spaces.read", authz::space_resource(names->owner, space.name),
                 authz::SpaceContext{space.id, space.owner_id});
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
    out += space_json(space, names->owner, names->server, names->share, names->at);
  }
  out += ']';
  return Response::json(200, out);
}

// PATCH /api/v1/spaces/{owner}/{name}: {size_bytes}
Result<Response> resize_space(AgentContext& context, Request& request) {
  const Caller& caller = caller_of(request);
  auto space = readable_space(context, request, caller);
  if (!space) {
    return std::unexpected(space.error());
  }
  auto expected = if_match(request);
  auto body = json::parse_strict(request.body);
  if (!expected || !body) {
    return std::unexpected(!expected ? expected.error() : body.error());
  }
  json::ObjectReader reader(*body);
  auto size = reader.required_uint64("size_bytes");
  for (const Status& st : {first_error(size), reader.finish()}) {
    if (!st) {
      return std::unexpected(st.error());
    }
  }
  if (auto ok = check_space_size(*size); !ok) {
    return std::unexpected(ok.error());
  }
  const std::string resource = authz::space_resource(request.param("owner"), request.param("name"));
  if (auto ok = authorize_in_space(context, request, caller, "spaces.update", resource,
                                   authz::SpaceContext{space->id, space->owner_id});
      !ok) {
    return std::unexpected(ok.error());
  }
  auto updated = context.store.transact_result([&](store::Tx& tx) -> Result<std::string> {
    auto current = current_at<model::Space>(tx, space->id, *expected, "space");
    if (!current) {
      return std::unexpected(current.error());
    }
    if (current->status == model::ObjectStatus::deleting) {
      return fail(ErrorCode::conflict, "the space is being deleted");
    }
    auto owner = tx.get<model::User>(current->owner_id);
    auto fs = tx.get<model::FileSystem>(current->filesystem_id);
    auto used = allocated(tx, current->id);
    if (!owner || !fs || !used) {
      return std::unexpected(!owner ? owner.error() : !fs ? fs.error() : used.error());
    }
    if (*size > current->size_bytes) {
      if (auto ok = check_allowance(context, tx, *owner, *size, current->id); !ok) {
        return std::unexpected(ok.error());
      }
      if (const auto room = free_room(*fs, *used); room < *size) {
        return fail(ErrorCode::conflict, fmt::format("filesystem {} has room for {} at most",
                                                     fs->path, validate::format_size(room)));
      }
    }
    const auto old_size = current->size_bytes;
    current->size_bytes = *size;
    current->status = model::ObjectStatus::pending;
    current->status_message.clear();
    auto stored = tx.update(*current);
    if (!stored) {
      return std::unexpected(stored.error());
    }
    if (auto audit = tx.create(
            audit_event(request, &caller.user, "spaces.update", resource, AuditOutcome::allowed,
                        fmt::format("resize {} → {}", validate::format_size(old_size),
                                    validate::format_size(*size))));
        !audit) {
      return std::unexpected(audit.error());
    }
    return render_space(tx, *stored);
  });
  if (!updated) {
    return std::unexpected(updated.error());
  }
  return Response::json(200, *updated);
}

// DELETE /api/v1/spaces/{owner}/{name}[?force=true]: marks it deleting (the host removes it).
Result<Response> delete_space(AgentContext& context, Request& request) {
  const Caller& caller = caller_of(request);
  auto space = readable_space(context, request, caller);
  if (!space) {
    return std::unexpected(space.error());
  }
  auto expected = if_match(request);
  if (!expected) {
    return std::unexpected(expected.error());
  }
  const bool force = request.query_param("force").value_or("false") == "true";
  const std::string resource = authz::space_resource(request.param("owner"), request.param("name"));
  if (auto ok = authorize_in_space(context, request, caller, "spaces.delete", resource,
                                   authz::SpaceContext{space->id, space->owner_id});
      !ok) {
    return std::unexpected(ok.error());
  }
  auto done = context.store.transact_result([&](store::Tx& tx) -> Result<std::string> {
    auto current = current_at<model::Space>(tx, space->id, *expected, "space");
    if (!current) {
      return std::unexpected(current.error());
    }
    auto shares = tx.list<model::Share>(store::ListQuery{current->id, 0});
    if (!shares) {
      return std::unexpected(shares.error());
    }
    if (!shares->empty() && !force) {
      std::string names;
      for (const auto& share : *shares) {
        names += (names.empty() ? "" : ", ") + share.name;
      }
      return fail(
          ErrorCode::conflict,
          fmt::format("the space still has shares ({}); delete them first or force", names));
    }
    for (const auto& share : *shares) {
      if (auto removed = tx.remove<model::Share>(share.id); !removed) {
        return std::unexpected(removed.error());
      }
    }
    current->status = model::ObjectStatus::deleting;
    current->status_message.clear();
    auto stored = tx.update(*current);
    if (!stored) {
      return std::unexpected(stored.error());
    }
    if (auto audit = tx.create(audit_event(request, &caller.user, "spaces.delete", resource,
                                           AuditOutcome::allowed,
                                           fmt::format("{} shares removed", shares->size())));
        !audit) {
      return std::unexpected(audit.error());
    }
    return render_space(tx, *stored);
  });
  if (!done) {
    return std::unexpected(done.error());
  }
  return Response::json(202, *done);
}

} // namespace

std::vector<api::Route> space_routes(AgentContext& context) {
  using api::Permission;
  const auto bind = [&context](HandlerFn fn) { return bind_handler(context, fn); };
  return {
      api::Route{"POST", "/api/v1/spaces", bind(create_space),
                 Permission::in_handler("spaces.create", "spaces/{owner}/{name}"),
                 "Create a space (and its share) on a filesystem with room"}
          .takes(schemas::space_create())
          .answers(201, schemas::space()),
      api::Route{"GET", "/api/v1/spaces", bind(list_spaces), Permission::authenticated(),
                 "List the caller's spaces (all=true: every space the caller may view)"}
          .cached()
          .answers(200, api::Schema::list_of(schemas::space())),
      api::Route{"GET", "/api/v1/spaces/{owner}/{name}", bind(show_space),
                 Permission::in_handler("spaces.read", "spaces/{owner}/{name}"), "Show a space"}
          .cached()
          .answers(200, schemas::space()),
      api::Route{"POST", "/api/v1/spaces/{owner}/{name}/usage", bind(refresh_usage),
                 Permission::in_handler("spaces.read", "spaces/{owner}/{name}"),
                 "Measure a space's usage now (its host's agent)"}
          .answers(200, schemas::space()),
      api::Route{"PATCH", "/api/v1/spaces/{owner}/{name}", bind(resize_space),
                 Permission::in_handler("spaces.update", "spaces/{owner}/{name}"), "Resize a space"}
          .takes(schemas::space_resize())
          .answers(200, schemas::space()),
      api::Route{"DELETE", "/api/v1/spaces/{owner}/{name}", bind(delete_space),
                 Permission::in_handler("spaces.delete", "spaces/{owner}/{name}"),
                 "Delete a space (force=true: with its shares)"}
          .answers(202, schemas::space()),
  };
}

} // namespace sharectl::agent::handlers
