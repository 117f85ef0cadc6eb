#include "agent/api/router.hpp"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

namespace sharectl::agent::api {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

bool valid_param_name(std::string_view name) {
  if (name.empty() || !((name[0] >= 'a' && name[0] <= 'z') || name[0] == '_')) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

bool valid_method(std::string_view method) {
  return !method.empty() &&
         std::all_of(method.begin(), method.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

// Splits "/a/b" into {"a", "b"}; "/" into {}. The caller has checked the leading '/'.
std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  if (path == "/") {
    return out;
  }
  std::size_t start = 1;
  while (true) {
    const auto slash = path.find('/', start);
    if (slash == std::string_view::npos) {
      out.push_back(path.substr(start));
      return out;
    }
    out.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
}

bool is_param_segment(std::string_view segment) {
  return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
}

} // namespace

std::string Permission::to_string() const {
  switch (access) {
  case Access::deny:
    return "deny";
  case Access::anyone:
    return "anyone";
  case Access::authenticated:
    return "authenticated";
  case Access::action:
    return resource.empty() ? action : action + " on " + resource;
  case Access::in_handler:
    return action + " on " + resource + ", decided by the handler";
  }
  return "deny";
}

Result<std::string> percent_decode(std::string_view text, bool plus_as_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) {
        return fail(ErrorCode::bad_request, "malformed percent-encoding");
      }
      const int high = hex_value(text[i + 1]);
      const int low = hex_value(text[i + 2]);
      if (high < 0 || low < 0) {
        return fail(ErrorCode::bad_request, "malformed percent-encoding");
      }
      const char decoded = static_cast<char>(high * 16 + low);
      if (decoded == '\0') {
        return fail(ErrorCode::bad_request, "encoded NUL (%00) is not allowed");
      }
      out.push_back(decoded);
      i += 2;
    } else if (c == '+' && plus_as_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

Result<std::vector<std::pair<std::string, std::string>>> parse_query(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t start = 0;
  while (start <= query.size() && !query.empty()) {
    auto end = query.find('&', start);
    if (end == std::string_view::npos) {
      end = query.size();
    }
    const auto pair = query.substr(start, end - start);
    if (!pair.empty()) {
      const auto eq = pair.find('=');
      auto name = percent_decode(pair.substr(0, eq), true);
      if (!name) {
        return std::unexpected(name.error());
      }
      std::string value;
      if (eq != std::string_view::npos) {
        auto decoded = percent_decode(pair.substr(eq + 1), true);
        if (!decoded) {
          return std::unexpected(decoded.error());
        }
        value = std::move(*decoded);
      }
      out.emplace_back(std::move(*name), std::move(value));
    }
    start = end + 1;
  }
  return out;
}

std::vector<std::string> Router::param_names(std::string_view pattern) {
  std::vector<std::string> out;
  if (pattern.empty() || pattern.front() != '/') {
    return out;
  }
  for (const auto segment : split_path(pattern)) {
    if (is_param_segment(segment)) {
      out.emplace_back(segment.substr(1, segment.size() - 2));
    }
  }
  return out;
}

namespace {

// Every schema of a route (and the ones it uses) is JSON, and a component name means one schema
// across the whole table (`seen`: name -> JSON text). Fails with internal naming the route.
Status check_schema(const Schema& schema, const std::string& where,
                    std::map<std::string, std::string, std::less<>>& seen) {
  if (!nlohmann::json::accept(schema.json) || schema.content_type.empty()) {
    return fail(ErrorCode::internal, "route " + where + ": schema " + schema.name +
                                         " is not JSON or has no content type");
  }
  if (!schema.name.empty()) {
    const auto [at, added] = seen.emplace(schema.name, schema.json);
    if (!added && at->second != schema.json) {
      return fail(ErrorCode::internal,
                  "route " + where + ": schema " + schema.name + " is defined twice, differently");
    }
  }
  for (const auto& used : schema.uses) {
    if (used.name.empty()) {
      return fail(ErrorCode::internal, "route " + where + ": a used schema needs a name");
    }
    if (auto ok = check_schema(used, where, seen); !ok) {
      return ok;
    }
  }
  return {};
}

} // namespace

Result<Router> Router::create(std::vector<Route> routes) {
  Router router;
  std::map<std::string, std::string, std::less<>> schemas;
  for (const auto& route : routes) {
    const auto where = route.method + " " + route.pattern;
    for (const auto* schema : {&route.request_body, &route.response_body}) {
      if (*schema) {
        if (auto ok = check_schema(**schema, where, schemas); !ok) {
          return std::unexpected(ok.error());
        }
      }
    }
    if (!valid_method(route.method)) {
      return fail(ErrorCode::internal, "route " + where + ": method must be upper case");
    }
    if (!route.handler) {
      return fail(ErrorCode::internal, "route " + where + ": no handler");
    }
    if (route.cacheable &&
        (route.method != "GET" || route.permission.access == Access::anyone || !route.blocking)) {
      return fail(ErrorCode::internal,
                  "route " + where + ": only an authenticated, blocking GET may be cached");
    }
    if (route.pattern.empty() || route.pattern.front() != '/') {
      return fail(ErrorCode::internal, "route " + where + ": pattern must start with '/'");
    }
    std::vector<Segment> segments;
    std::set<std::string, std::less<>> names;
    for (const auto segment : split_path(route.pattern)) {
      if (segment.empty()) {
        return fail(ErrorCode::internal, "route " + where + ": empty segment");
      }
      if (is_param_segment(segment)) {
        const auto name = segment.substr(1, segment.size() - 2);
        if (!valid_param_name(name)) {
          return fail(ErrorCode::internal,
                      "route " + where + ": bad parameter name '" + std::string(name) + "'");
        }
        if (!names.emplace(name).second) {
          return fail(ErrorCode::internal,
                      "route " + where + ": repeated parameter '" + std::string(name) + "'");
        }
        segments.push_back({true, std::string(name)});
      } else {
        if (segment.find_first_of("{}%") != std::string_view::npos || segment == "." ||
            segment == "..") {
          return fail(ErrorCode::internal,
                      "route " + where + ": bad literal segment '" + std::string(segment) + "'");
        }
        segments.push_back({false, std::string(segment)});
      }
    }
    for (std::size_t i = 0; i < router.m_segments.size(); ++i) {
      const auto& other = router.m_segments[i];
      if (router.m_routes[i].method != route.method || other.size() != segments.size()) {
        continue;
      }
      const bool same_shape = std::equal(
          other.begin(), other.end(), segments.begin(), [](const Segment& a, const Segment& b) {
            return a.param == b.param && (a.param || a.text == b.text);
          });
      if (same_shape) {
        return fail(ErrorCode::internal,
                    "route " + where + " has the same shape as " + router.m_routes[i].pattern);
      }
    }
    router.m_segments.push_back(std::move(segments));
    router.m_routes.push_back(route);
  }
  return router;
}

RouteMatch Router::find(std::string_view method, std::string_view raw_path) const {
  RouteMatch match;
  const auto bad = [&match](std::string message) {
    match.outcome = RouteMatch::Outcome::bad_path;
    match.message = std::move(message);
    return match;
  };
  if (raw_path.size() > k_max_path_bytes) {
    return bad("request path longer than " + std::to_string(k_max_path_bytes) + " bytes");
  }
  if (raw_path.empty() || raw_path.front() != '/') {
    return bad("request path must start with '/'");
  }
  std::vector<std::string> decoded;
  for (const auto raw : split_path(raw_path)) {
    if (raw.empty()) {
      return bad("empty path segment");
    }
    auto segment = percent_decode(raw);
    if (!segment) {
      return bad("bad request path: " + segment.error().message);
    }
    if (segment->find('/') != std::string::npos) {
      return bad("encoded '/' in a path segment is not allowed");
    }
    if (std::any_of(segment->begin(), segment->end(),
                    [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
      return bad("control character in the request path");
    }
    if (*segment == "." || *segment == "..") {
      return bad("'.' and '..' path segments are not allowed");
    }
    decoded.push_back(std::move(*segment));
  }

  std::set<std::string> allowed;
  const std::vector<Segment>* best = nullptr;
  std::size_t best_index = 0;
  for (std::size_t i = 0; i < m_routes.size(); ++i) {
    const auto& segments = m_segments[i];
    if (segments.size() != decoded.size()) {
      continue;
    }
    bool matches = true;
    for (std::size_t s = 0; s < segments.size() && matches; ++s) {
      matches = segments[s].param || segments[s].text == decoded[s];
    }
    if (!matches) {
      continue;
    }
    allowed.insert(m_routes[i].method);
    if (m_routes[i].method == "GET") {
      allowed.insert("HEAD"); // RFC 9110 §9.3.2: HEAD is GET without the body
    }
    if (m_routes[i].method != method && !(method == "HEAD" && m_routes[i].method == "GET")) {
      continue;
    }
    bool better = best == nullptr;
    for (std::size_t s = 0; !better && s < segments.size(); ++s) {
      if (segments[s].param != (*best)[s].param) {
        better = !segments[s].param;
        break;
      }
    }
    if (better) {
      best = &segments;
      best_index = i;
    }
  }
  if (best != nullptr) {
    match.outcome = RouteMatch::Outcome::matched;
    match.route = &m_routes[best_index];
    for (std::size_t s = 0; s < best->size(); ++s) {
      if ((*best)[s].param) {
        match.params.emplace((*best)[s].text, std::move(decoded[s]));
      }
    }
    return match;
  }
  if (!allowed.empty()) {
    match.outcome = RouteMatch::Outcome::method_not_allowed;
    for (const auto& name : allowed) {
      match.allow += (match.allow.empty() ? "" : ", ") + name;
    }
    return match;
  }
  match.outcome = RouteMatch::Outcome::not_found;
  return match;
}

} // namespace sharectl::agent::api
