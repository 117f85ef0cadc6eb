#include "agent/api/builtins.hpp"

namespace sharectl::agent::api {

namespace {

Error not_ready() {
  return Error{ErrorCode::unavailable, "the server is not fully started"};
}

} // namespace

std::vector<Route> builtin_routes(std::shared_ptr<const BuiltinState> state) {
  std::vector<Route> routes;
  routes.push_back(Route{
      "GET", "/healthz", [](Request&) -> Result<Response> { return Response::text(200, "ok"); },
      Permission::anyone(), "Liveness: answers 200 \"ok\" while the process runs", false}
                       .answers(200, Schema::text()));
  routes.push_back(
      Route{"GET", "/readyz",
            [state](Request& request) -> Result<Response> {
              if (!state) {
                return std::unexpected(not_ready());
              }
              if (state->readiness) {
                if (auto ready = state->readiness(); !ready) {
                  return error_response(503, ready.error(), request.request_id);
                }
              }
              return Response::text(200, "ready");
            },
            Permission::anyone(),
            "Readiness: 200 when the agent can serve requests (store reachable), else 503", true}
          .answers(200, Schema::text()));
  routes.push_back(Route{
      "GET", "/metrics",
      [state](Request&) -> Result<Response> {
        if (!state || state->metrics == nullptr) {
          return std::unexpected(not_ready());
        }
        std::string text = state->metrics->render();
        if (state->metrics_extra) {
          text += state->metrics_extra();
        }
        return Response::make(200, "text/plain; version=0.0.4; charset=utf-8", std::move(text));
      },
      Permission::anyone(), "Prometheus metrics in the text exposition format", false}
                       .answers(200, Schema::text("text/plain; version=0.0.4; charset=utf-8")));
  routes.push_back(Route{"GET", "/api/v1/openapi.json",
                         [state](Request&) -> Result<Response> {
                           if (!state || state->openapi.empty()) {
                             return std::unexpected(not_ready());
                           }
                           return Response::json(200, state->openapi);
                         },
                         Permission::anyone(), "This API's OpenAPI 3 description", false}
                       .answers(200, Schema::object("OpenApiDocument",
                                                    R"({"type":"object","required":["openapi",)"
                                                    R"("info","paths","components"]})")));
  return routes;
}

} // namespace sharectl::agent::api
