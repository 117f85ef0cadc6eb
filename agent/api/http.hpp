// The agent's HTTP message types, free of Beast: a request as handlers see it (method, decoded
// path parameters, query, headers, body, peer address, request id) and the response they return.
// Also the one place that renders the SPEC.md error body into a response. Nothing here fails
// except where a function says so.
#pragma once

#include <any>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/util/ascii.hpp"
#include "common/util/error.hpp"

namespace sharectl::agent::api {

struct Route;

// True when a and b are equal ignoring ASCII case (header names, methods). Never fails.
using sharectl::iequals;

// An ordered list of header fields; names are matched case-insensitively.
class Headers {
public:
  // The value of the first field with this name, nullopt when there is none.
  std::optional<std::string_view> get(std::string_view name) const;
  // Every value of fields with this name, in order of appearance.
  std::vector<std::string_view> get_all(std::string_view name) const;
  // Whether a field with this name is present.
  bool contains(std::string_view name) const { return get(name).has_value(); }
  // Appends a field (keeps existing fields of the same name).
  void add(std::string name, std::string value);
  // Replaces every field of this name by one field with this value.
  void set(std::string name, std::string value);
  // Removes every field of this name.
  void erase(std::string_view name);
  // All fields in order, names as given.
  const std::vector<std::pair<std::string, std::string>>& fields() const { return m_fields; }

private:
  std::vector<std::pair<std::string, std::string>> m_fields;
};

// One request as a handler sees it. The transport has already enforced the size limits, matched
// the route and percent-decoded the path parameters and query.
struct Request {
  std::string method; // upper case as sent, e.g. "GET"
  std::string target; // the raw request target, e.g. "/api/v1/spaces/bob/x?limit=5"
  std::string path;   // the raw path part of target (not decoded)
  std::string query;  // the raw query part of target without '?', "" when none
  std::vector<std::pair<std::string, std::string>> query_params; // decoded, in order
  std::map<std::string, std::string, std::less<>> path_params;   // {name} -> decoded segment
  Headers headers;
  std::string body;
  std::string remote_address; // the peer's IP address, e.g. "127.0.0.1" or "::1"
  std::uint16_t remote_port = 0;
  bool tls = false;             // whether the request came over TLS
  std::string request_id;       // the X-Request-Id this request is answered with
  const Route* route = nullptr; // the matched route (never null inside a handler)
  std::any auth;                // set by the server's authorizer for the handler (e.g. the caller)

  // The decoded value of a path parameter; "" when the route has no such parameter.
  std::string_view param(std::string_view name) const;
  // The first decoded value of a query parameter, nullopt when absent.
  std::optional<std::string_view> query_param(std::string_view name) const;
};

// The response a handler returns. The transport adds Content-Length, Connection, X-Request-Id.
struct Response {
  int status = 200;
  Headers headers;
  std::string body;

  // A response with this status, Content-Type and body.
  static Response make(int status, std::string content_type, std::string body);
  // A JSON response (Content-Type: application/json) with an already serialized body.
  static Response json(int status, std::string body);
  // A plain text response (Content-Type: text/plain; charset=utf-8).
  static Response text(int status, std::string body);
  // A 204 No Content response.
  static Response no_content();
};

// The SPEC.md error response for this error: status http_status(error.code), JSON body
// {"error":{"code","message","request_id"}}. Never fails.
Response error_response(const Error& error, std::string_view request_id);

// Like error_response but with an explicit status (405, 431, 503 …) where the code's own status
// is not the right one. Never fails.
Response error_response(int status, const Error& error, std::string_view request_id);

// Whether a client-sent X-Request-Id is acceptable to echo: 1 to 64 characters of
// [A-Za-z0-9._:-]. Never fails.
bool valid_request_id(std::string_view id);

// The standard reason phrase of a status ("Not Found"); "Unknown" for unknown codes.
std::string_view reason_phrase(int status);

} // namespace sharectl::agent::api
