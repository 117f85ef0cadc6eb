#include "agent/handlers/spaces.hpp"

#include <algorithm>
#include <charconv>
#include <map>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "agent/authz/resources.hpp"
#include "agent/handlers/authenticate.hpp"
#include "agent/handlers/render.hpp"
#include "agent/handlers/request.hpp"
#include "common/json/strict.hpp"
#include "common/validate/names.hpp"
#include "common/validate/size.hpp"

namespace sharectl::agent::handlers {

namespace {

using api::Request;
using api::Response;
using model::AuditOutcome;

// What a space answer names besides the space itself.
struct SpaceNames {
  std::string owner;
  std::string server;
  std::string share;
};

Result<SpaceNames> names_of(store::Tx& tx, const model::Space& space) {
  SpaceNames out;
  auto owner = tx.get<model::User>(space.owner_id);
  if (!owner) {
    return std::unexpected(owner.error());
  }
  out.owner = owner->username;
  auto fs = tx.get<model::FileSystem>(space.filesystem_id);
  if (fs) {
    auto server = tx.get<model::Server>(fs->server_id);
    if (server) {
      out.server = server->name;
    }
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
  return space_json(space, names->owner, names->server, names->share);
}

// The most bytes `owner` may own in total: their own allowance, else the config's.
std::optional<std::uint64_t> allowance_of(const AgentContext& context, const model::User& owner) {
  return owner.allowance_bytes ? owner.allowance_bytes : context.config.spaces.user_allowance;
}

// Checks the owner's total with `extra` more bytes (`except`: a space being resized).
Status check_allowance(AgentContext& context, store::Tx& tx, const model::User& owner,
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
                fmt::format("{} may own {} in total; this would make {}", owner.username,
                            validate::format_size(*limit), validate::format_size(total)));
  }
  return {};
}

// Bytes allocated on each filesystem (sum of space sizes), skipping `except`.
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

// The filesystem with the most free room ≥ size on an up samba server (named, when set).
Result<model::FileSystem> place(store::Tx& tx, std::uint64_t size,
                                const std::optional<std::string>& server_name) {
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
    if (!server.role_samba || server.status != model::ServerStatus::up ||
        (server_name && server.name != *server_name)) {
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
  if (*size == 0) {
    return fail(ErrorCode::bad_request, "size_bytes: give a size above 0");
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
    auto fs = place(tx, *size, *server);
    if (!fs) {
      return std::unexpected(fs.error());
    }
    if (auto ok = check_allowance(context, tx, *owner, *size, std::nullopt); !ok) {
      return std::unexpected(ok.error());
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

// The space of a route's {owner}/{name} that the caller may read (else not_found).
Result<model::Space> readable_space(AgentContext& context, Request& request, const Caller& caller) {
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

// GET /api/v1/spaces[?all=true]
Result<Response> list_spaces(AgentContext& context, Request& request) {
  const Caller& caller = caller_of(request);
  const bool all = request.query_param("all").value_or("false") == "true";
  auto spaces = context.store.view_result([&](store::Tx& tx) {
    return all ? tx.list<model::Space>() : tx.list<model::Space>({caller.user.id, 0});
  });
  if (!spaces) {
    return std::unexpected(spaces.error());
  }
  std::string out = "[";
  for (const auto& space : *spaces) {
    auto names = context.store.view_result([&](store::Tx& tx) { return names_of(tx, space); });
    if (!names) {
      continue;
    }
    if (space.owner_id != caller.user.id &&
        !authorize_in_space(context, request, caller, "spaces.read",
                            authz::space_resource(names->owner, space.name),
                            authz::SpaceContext{space.id, space.owner_id})) {
      continue;
    }
    if (out.size() > 1) {
      out += ',';
    }
    out += space_json(space, names->owner, names->server, names->share);
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
  if (*size == 0) {
    return fail(ErrorCode::bad_request, "size_bytes: give a size above 0");
  }
  const std::string resource = authz::space_resource(request.param("owner"), request.param("name"));
  if (auto ok = authorize_in_space(context, request, caller, "spaces.update", resource,
                                   authz::SpaceContext{space->id, space->owner_id});
      !ok) {
    return std::unexpected(ok.error());
  }
  auto updated = context.store.transact_result([&](store::Tx& tx) -> Result<std::string> {
    auto current = tx.get<model::Space>(space->id);
    if (!current) {
      return std::unexpected(current.error());
    }
    if (*expected && current->revision != **expected) {
      return fail(ErrorCode::precondition_failed,
                  fmt::format("space is at revision {}, not {}", current->revision, **expected));
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
    auto current = tx.get<model::Space>(space->id);
    if (!current) {
      return std::unexpected(current.error());
    }
    if (*expected && current->revision != **expected) {
      return fail(ErrorCode::precondition_failed,
                  fmt::format("space is at revision {}, not {}", current->revision, **expected));
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

Status authorize_in_space(AgentContext& context, const api::Request& request, const Caller& caller,
                          std::string_view action, const std::string& resource,
                          const authz::SpaceContext& space) {
  struct Inputs {
    std::vector<model::Binding> bindings;
    std::vector<model::Role> roles;
    std::vector<model::Rule> rules;
  };
  auto inputs = context.store.view_result([&](store::Tx& tx) -> Result<Inputs> {
    auto bindings = tx.applicable_bindings(caller.user.id, {}, space.space_id);
    auto roles = tx.list<model::Role>();
    auto rules = tx.list<model::Rule>();
    if (!bindings || !roles || !rules) {
      return std::unexpected(!bindings ? bindings.error() : !roles ? roles.error() : rules.error());
    }
    return Inputs{std::move(*bindings), std::move(*roles), std::move(*rules)};
  });
  if (!inputs) {
    return std::unexpected(inputs.error());
  }
  auto catalog = authz::RoleCatalog::from_store(inputs->roles, inputs->rules);
  if (!catalog) {
    return std::unexpected(catalog.error());
  }
  std::vector<authz::EffectiveBinding> effective;
  for (const auto& binding : inputs->bindings) {
    effective.push_back(authz::effective_binding(binding));
  }
  const authz::Resource target{resource, space, false};
  const auto decision =
      authz::authorize(authz::subject_of(caller.user), action, target, effective, *catalog);
  if (!decision.allowed) {
    audit_outside(context, audit_event(request, &caller.user, std::string(action), resource,
                                       AuditOutcome::denied, decision.reason));
    return fail(ErrorCode::forbidden, decision.reason);
  }
  return {};
}

std::string space_json(const model::Space& space, const std::string& owner,
                       const std::string& server, const std::string& share) {
  const nlohmann::json out{{"id", space.id},
                           {"revision", space.revision},
                           {"created_at", rfc3339(space.created_at)},
                           {"updated_at", rfc3339(space.updated_at)},
                           {"name", space.name},
                           {"owner", owner},
                           {"size_bytes", space.size_bytes},
                           {"server", server},
                           {"filesystem_id", space.filesystem_id},
                           {"path", space.path},
                           {"share", share},
                           {"status", model::status_name(space.status)},
                           {"status_message", space.status_message},
                           {"observed_revision", space.observed_revision}};
  return out.dump();
}

std::string share_json(const model::Share& share, const std::string& space,
                       const std::string& owner) {
  const nlohmann::json out{{"id", share.id},
                           {"revision", share.revision},
                           {"created_at", rfc3339(share.created_at)},
                           {"updated_at", rfc3339(share.updated_at)},
                           {"name", share.name},
                           {"space", space},
                           {"owner", owner},
                           {"subdir", share.subdir},
                           {"read_only", share.read_only},
                           {"browseable", share.browseable},
                           {"comment", share.comment},
                           {"status", model::status_name(share.status)},
                           {"status_message", share.status_message},
                           {"observed_revision", share.observed_revision}};
  return out.dump();
}

std::vector<api::Route> space_routes(AgentContext& context) {
  using api::Permission;
  auto bind = [&context](Result<Response> (*fn)(AgentContext&, Request&)) {
    return [&context, fn](Request& request) { return fn(context, request); };
  };
  return {
      {"POST", "/api/v1/spaces", bind(create_space), Permission::authenticated(),
       "Create a space (and its share) on a filesystem with room"},
      {"GET", "/api/v1/spaces", bind(list_spaces), Permission::authenticated(),
       "List the caller's spaces (all=true: every space the caller may view)"},
      {"GET", "/api/v1/spaces/{owner}/{name}", bind(show_space), Permission::authenticated(),
       "Show a space"},
      {"PATCH", "/api/v1/spaces/{owner}/{name}", bind(resize_space), Permission::authenticated(),
       "Resize a space"},
      {"DELETE", "/api/v1/spaces/{owner}/{name}", bind(delete_space), Permission::authenticated(),
       "Delete a space (force=true: with its shares)"},
  };
}

} // namespace sharectl::agent::handlers
