// The read routes of where spaces live: GET /api/v1/servers, GET /api/v1/servers/{name} and
// GET /api/v1/filesystems[?server=NAME] (what `sharectl server list|show` and `server fs list`
// call). A server's status is "up" while its heartbeat is fresh (reconcile::server_up), else
// "down". Callers with servers.read on servers/<name> (admin, maintainer, viewer) see every
// figure; other signed-in users see only name, roles and status (enough to pick --server).
// Filesystems are listed for callers with filesystems.read only; others get an empty list.
// Unknown names are 404, unknown query parameters 400; store failures are returned as they are.
#pragma once

#include <vector>

#include "agent/api/router.hpp"
#include "agent/handlers/context.hpp"

namespace sharectl::agent::handlers {

// The server and filesystem routes over `context` (which must outlive them).
std::vector<api::Route> server_routes(AgentContext& context);

} // namespace sharectl::agent::handlers
