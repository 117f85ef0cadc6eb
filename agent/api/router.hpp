// The route table and the router: every endpoint of the agent is one Route (method, path
// pattern, handler, required permission, summary). The OpenAPI document and the authorization
// test matrix are generated from the same table. The router matches a raw request path against
// the patterns, percent-decoding each segment and refusing hostile paths (encoded '/', NUL,
// control characters, "." and ".." segments, empty segments, over-long paths).
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/api/http.hpp"
#include "common/util/error.hpp"

namespace sharectl::agent::api {

// A handler: reads the request, returns a response or an Error (rendered by the transport as
// the SPEC.md error body with status http_status(code)). It may block (store, hashing): the
// server runs it on the worker pool unless the route says otherwise. Exceptions become 500.
using Handler = std::function<Result<Response>(Request&)>;

// Who may call a route, as the authorization layer interprets it.
enum class Access {
  deny,          // nobody (the default, so a route that forgets its permission is closed)
  anyone,        // no credentials needed (health, login, registration)
  authenticated, // any known caller
  action,        // a caller holding `action` on `resource` (checked before the handler)
  in_handler,    // any known caller here; the handler decides `action` on `resource` in the
                 // object's context (its space: ownership and space-scoped bindings; a group's
                 // owner …) and answers 404 to callers who may not even read the object
};

// The permission a route requires. Build it with the factories below.
struct Permission {
  Access access = Access::deny;
  std::string action;   // e.g. "spaces.create"; only for Access::action
  std::string resource; // e.g. "spaces/{owner}/{name}" naming route params; "" = the cluster

  // No credentials needed.
  static Permission anyone() { return {Access::anyone, {}, {}}; }
  // Any authenticated caller.
  static Permission authenticated() { return {Access::authenticated, {}, {}}; }
  // A caller allowed `action` on `resource` (a template over the route's {params}).
  static Permission of(std::string action, std::string resource = {}) {
    return {Access::action, std::move(action), std::move(resource)};
  }
  // A known caller, then the handler decides `action` on `resource` (a template over the route's
  // {params}, or over the request body's fields for a create) in the object's context.
  static Permission in_handler(std::string action, std::string resource) {
    return {Access::in_handler, std::move(action), std::move(resource)};
  }
  // "deny", "anyone", "authenticated", "spaces.create", "spaces.read on spaces/{owner}/{name}"
  // or "spaces.update on spaces/{owner}/{name}, decided by the handler".
  std::string to_string() const;

  friend bool operator==(const Permission&, const Permission&) = default;
};

// A body's schema for the OpenAPI document, declared beside the route that uses it. A named
// schema becomes components/schemas/<name> and is referred to by $ref; an unnamed one is put
// inline. `json` is JSON Schema text (OpenAPI 3.0 dialect) that may $ref the schemas in `uses`.
struct Schema {
  std::string name;                              // component name ("User"); "" = inline
  std::string json;                              // e.g. {"type":"object","properties":{…}}
  std::string content_type = "application/json"; // of the body
  std::vector<Schema> uses{};                    // components `json` refers to

  // A named JSON object schema.
  static Schema object(std::string name, std::string json) {
    return {std::move(name), std::move(json), "application/json", {}};
  }
  // An inline JSON array of `item` (a named schema).
  static Schema list_of(const Schema& item) {
    return {{},
            R"({"type":"array","items":{"$ref":"#/components/schemas/)" + item.name + R"("}})",
            "application/json",
            {item}};
  }
  // An inline plain-text body of this content type.
  static Schema text(std::string content_type = "text/plain; charset=utf-8") {
    return {{}, R"({"type":"string"})", std::move(content_type), {}};
  }
};

// One endpoint of the API.
struct Route {
  std::string method;  // "GET", "POST", "PUT", "PATCH", "DELETE"
  std::string pattern; // e.g. "/api/v1/spaces/{owner}/{name}"; a {param} is a whole segment
  Handler handler;
  Permission permission;
  std::string summary;  // one line for the OpenAPI document
  bool blocking = true; // false: the handler never blocks and may run on an I/O thread
  // A GET whose 200 answer is a function of the caller, the request target and the store's
  // state alone (no clock beyond the cache's second, no host facts): a repeat may be answered
  // from ServerHooks::cached_answer without running the handler. Set it with cached().
  bool cacheable = false;
  // For the OpenAPI document: the request body (none when unset), the success status and the
  // success body (none, e.g. 204, when unset). Set them with takes() / answers().
  std::optional<Schema> request_body = std::nullopt;
  int success_status = 200;
  std::optional<Schema> response_body = std::nullopt;

  // This route with its request body schema.
  Route takes(Schema body) && {
    request_body = std::move(body);
    return std::move(*this);
  }
  // This route, marked cacheable (see `cacheable`).
  Route cached() && {
    cacheable = true;
    return std::move(*this);
  }
  // This route with its success status and body schema (nullopt: no body).
  Route answers(int status, std::optional<Schema> body = std::nullopt) && {
    success_status = status;
    response_body = std::move(body);
    return std::move(*this);
  }
};

// The outcome of looking up a request path.
struct RouteMatch {
  enum class Outcome { matched, not_found, method_not_allowed, bad_path };
  Outcome outcome = Outcome::not_found;
  const Route* route = nullptr;                           // when matched
  std::map<std::string, std::string, std::less<>> params; // when matched, decoded
  std::string allow;                                      // when method_not_allowed: "GET, PUT"
  std::string message;                                    // when bad_path: why
};

// The longest raw request path the router looks at; longer paths are bad_path.
inline constexpr std::size_t k_max_path_bytes = 4096;

// Percent-decodes text ("%2F" -> "/"); with plus_as_space, '+' becomes ' ' (query strings).
// Fails with bad_request on a malformed escape ("%", "%4", "%zz") or an encoded NUL.
Result<std::string> percent_decode(std::string_view text, bool plus_as_space = false);

// Splits and decodes a raw query string into (name, value) pairs in order; fails like
// percent_decode.
Result<std::vector<std::pair<std::string, std::string>>> parse_query(std::string_view query);

// Matches request paths against a fixed route table.
class Router {
public:
  // Checks and indexes the table. Fails with internal naming the route when a pattern is
  // malformed (not starting with '/', empty segment, bad or repeated {param}), a method is not
  // upper case, a handler is empty, two routes of one method have the same shape, a schema is
  // not JSON, or one component name has two different schemas.
  static Result<Router> create(std::vector<Route> routes);

  // Finds the route for method and raw path (no query). A literal segment wins over a {param}
  // at the first position where candidate patterns differ. HEAD matches the GET route of the
  // path (RFC 9110: the transport then sends the GET's status and headers without the body), and
  // every Allow list that has GET has HEAD too. Never fails: hostile paths come back as bad_path
  // with a message, unknown paths as not_found, a known path with another method as
  // method_not_allowed with the Allow list.
  RouteMatch find(std::string_view method, std::string_view raw_path) const;

  // The table, in the order given to create().
  const std::vector<Route>& routes() const { return m_routes; }

  // The names of a pattern's {params} in order, e.g. {"owner", "name"}. Never fails.
  static std::vector<std::string> param_names(std::string_view pattern);

private:
  struct Segment {
    bool param = false;
    std::string text; // the literal, or the param name
  };
  std::vector<Route> m_routes;
  std::vector<std::vector<Segment>> m_segments; // parallel to m_routes
};

} // namespace sharectl::agent::api
