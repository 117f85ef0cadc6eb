#include "agent/handlers/servers.hpp"

#include <cstdint>
#include <map>
#include <utility>

#include <fmt/core.h>

#include "agent/authz/resources.hpp"
#include "agent/handlers/authenticate.hpp"
#include "agent/handlers/render.hpp"
#include "agent/handlers/request.hpp"
#include "agent/handlers/schemas.hpp"
#include "agent/handlers/space_authz.hpp"
#include "agent/reconcile/heartbeat.hpp"

namespace sharectl::agent::handlers {

namespace {

using api::Request;
using api::Response;

// Whether the caller may see `action`'s object at `resource` in full (no audit: the answer
// shows less, it does not refuse).
Result<bool> may_see(AgentContext& context, const Caller& caller, std::string_view action,
                     const std::string& resource) {
  auto decision = decide(context, caller, action, resource, std::nullopt);
  if (!decision) {
    return std::unexpected(decision.error());
  }
  return decision->allowed;
}

Status no_query(const Request& request) {
  if (!request.query_params.empty()) {
    return fail(ErrorCode::bad_request,
                fmt::format("{}: unknown query parameter", request.query_params.front().first));
  }
  return {};
}

Result<std::string> render_server(AgentContext& context, const Caller& caller,
                                  const model::Server& server) {
  auto full = may_see(context, caller, "servers.read", authz::server_resource(server.name));
  if (!full) {
    return std::unexpected(full.error());
  }
  return server_json(server, reconcile::server_up(server, context.clock.now()), *full);
}

// GET /api/v1/servers
Result<Response> list_servers(AgentContext& context, Request& request) {
  if (auto ok = no_query(request); !ok) {
    return std::unexpected(ok.error());
  }
  auto servers = context.store.view_result([](store::Tx& tx) { return tx.list<model::Server>(); });
  if (!servers) {
    return std::unexpected(servers.error());
  }
  std::string out = "[";
  for (const auto& server : *servers) {
    auto text = render_server(context, caller_of(request), server);
    if (!text) {
      return std::unexpected(text.error());
    }
    out += (out.size() > 1 ? "," : "") + *text;
  }
  out += ']';
  return Response::json(200, out);
}

// GET /api/v1/servers/{name}
Result<Response> show_server(AgentContext& context, Request& request) {
  const std::string name(request.param("name"));
  if (auto ok = no_query(request); !ok) {
    return std::unexpected(ok.error());
  }
  auto server = context.store.view_result([&](store::Tx& tx) { return tx.find_server(name); });
  if (!server) {
    if (server.error().code == ErrorCode::not_found) {
      return fail(ErrorCode::not_found, fmt::format("no server {}", name));
    }
    return std::unexpected(server.error());
  }
  auto text = render_server(context, caller_of(request), *server);
  if (!text) {
    return std::unexpected(text.error());
  }
  return Response::json(200, *text);
}

// GET /api/v1/filesystems[?server=NAME]: the filesystems the caller may view.
Result<Response> list_filesystems(AgentContext& context, Request& request) {
  std::optional<std::string> only;
  for (const auto& [name, value] : request.query_params) {
    if (name != "server" || only) {
      return fail(ErrorCode::bad_request,
                  fmt::format("{}: unknown or repeated query parameter; give server=NAME", name));
    }
    only = value;
  }
  struct Row {
    model::FileSystem fs;
    model::Server server;
  };
  auto rows = context.store.view_result([&](store::Tx& tx) -> Result<std::vector<Row>> {
    std::vector<model::Server> servers;
    if (only) {
      auto one = tx.find_server(*only);
      if (!one) {
        return one.error().code == ErrorCode::not_found
                   ? fail(ErrorCode::not_found, fmt::format("no server {}", *only))
                   : std::unexpected(one.error());
      }
      servers.push_back(std::move(*one));
    } else {
      auto all = tx.list<model::Server>();
      if (!all) {
        return std::unexpected(all.error());
      }
      servers = std::move(*all);
    }
    std::vector<Row> out;
    for (const auto& server : servers) {
      auto filesystems = tx.list<model::FileSystem>(store::ListQuery{server.id, 0});
      if (!filesystems) {
        return std::unexpected(filesystems.error());
      }
      for (auto& fs : *filesystems) {
        out.push_back(Row{std::move(fs), server});
      }
    }
    return out;
  });
  // Per filesystem: the sum of its spaces' sizes (allocated) and of their measured usage.
  using Sums = std::map<model::Id, std::pair<std::uint64_t, std::uint64_t>>;
  auto used = context.store.view_result([](store::Tx& tx) -> Result<Sums> {
    auto spaces = tx.list<model::Space>();
    if (!spaces) {
      return std::unexpected(spaces.error());
    }
    Sums out;
    for (const auto& space : *spaces) {
      out[space.filesystem_id].first += space.size_bytes;
      out[space.filesystem_id].second += space.used_bytes;
    }
    return out;
  });
  if (!rows || !used) {
    return std::unexpected(!rows ? rows.error() : used.error());
  }
  const auto now = context.clock.now();
  std::string out = "[";
  for (const auto& row : *rows) {
    auto visible = may_see(context, caller_of(request), "filesystems.read",
                           authz::filesystem_resource(row.server.name, row.fs.id));
    if (!visible) {
      return std::unexpected(visible.error());
    }
    if (!*visible) {
      continue;
    }
    const auto it = used->find(row.fs.id);
    const auto [allocated_bytes, used_bytes] =
        it == used->end() ? std::pair<std::uint64_t, std::uint64_t>{} : it->second;
    out += (out.size() > 1 ? "," : "") + filesystem_json(row.fs, row.server.name,
                                                         reconcile::server_up(row.server, now),
                                                         allocated_bytes, used_bytes);
  }
  out += ']';
  return Response::json(200, out);
}

} // namespace

std::vector<api::Route> server_routes(AgentContext& context) {
  using api::Permission;
  const auto bind = [&context](HandlerFn fn) { return bind_handler(context, fn); };
  return {
      api::Route{"GET", "/api/v1/servers", bind(list_servers), Permission::authenticated(),
                 "List storage hosts (every figure with servers.read; else name, roles, status)"}
          .answers(200, api::Schema::list_of(schemas::server())),
      api::Route{"GET", "/api/v1/servers/{name}", bind(show_server), Permission::authenticated(),
                 "Show a storage host"}
          .answers(200, schemas::server()),
      api::Route{"GET", "/api/v1/filesystems", bind(list_filesystems), Permission::authenticated(),
                 "List the filesystems that hold spaces (server=NAME: of one host)"}
          .answers(200, api::Schema::list_of(schemas::filesystem())),
  };
}

} // namespace sharectl::agent::handlers
