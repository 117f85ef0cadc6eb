#include "agent/api/dispatcher.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <exception>
#include <random>

#include "common/util/random.hpp"

namespace sharectl::agent::api {

namespace {

std::vector<std::pair<std::string, std::string>> slots_of(const Router& router) {
  std::vector<std::pair<std::string, std::string>> slots;
  for (const auto& route : router.routes()) {
    slots.emplace_back(route.method, route.pattern);
  }
  return slots;
}

} // namespace

Dispatcher::Dispatcher(Router router, ServerHooks hooks, std::size_t max_queued)
    : m_router(std::move(router)), m_hooks(std::move(hooks)),
      m_metrics(std::make_unique<Metrics>(slots_of(m_router))), m_max_queued(max_queued),
      m_cached_answers(&m_metrics->counter("sharectl_http_cached_answers_total",
                                           "Requests answered from the answer cache")) {}

void Dispatcher::log(std::string_view message) const {
  if (m_hooks.log) {
    m_hooks.log(message);
  }
}

namespace {

// A UUID v4 for a request id. Request ids must be unique, not unpredictable (they are echoed to
// the client and logged), so each thread draws them from its own generator seeded once from the
// CSPRNG instead of asking the CSPRNG per request.
std::string request_uuid() {
  thread_local std::mt19937_64 generator = [] {
    std::uint64_t seed[2] = {0, 0};
    if (auto bytes = random_bytes(sizeof seed)) {
      std::memcpy(seed, bytes->data(), sizeof seed);
    } else {
      std::random_device device;
      seed[0] = (std::uint64_t{device()} << 32) ^ device();
      seed[1] =
          static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    }
    std::seed_seq sequence{seed[0], seed[0] >> 32, seed[1], seed[1] >> 32};
    return std::mt19937_64(sequence);
  }();
  const std::uint64_t high = (generator() & ~std::uint64_t{0xf000}) | 0x4000; // version 4
  const std::uint64_t low =
      (generator() & ~(std::uint64_t{0xc} << 60)) | (std::uint64_t{0x8} << 60); // variant 10
  static constexpr char k_digits[] = "0123456789abcdef";
  std::string out(36, '-');
  std::size_t at = 0;
  for (int nibble = 0; nibble < 32; ++nibble) {
    if (at == 8 || at == 13 || at == 18 || at == 23) {
      ++at;
    }
    const std::uint64_t word = nibble < 16 ? high : low;
    out[at++] = k_digits[(word >> (60 - 4 * (nibble % 16))) & 0xf];
  }
  return out;
}

} // namespace

std::string Dispatcher::request_id_for(std::string_view client_id) {
  if (valid_request_id(client_id)) {
    return std::string(client_id);
  }
  return request_uuid();
}

Dispatcher::CacheUse Dispatcher::cache_use(const Headers& headers) {
  auto use = CacheUse::use;
  const auto directives = [&](std::string_view value, bool pragma) {
    while (!value.empty()) {
      const auto comma = value.find(',');
      auto item = trim_spaces(value.substr(0, comma));
      value = comma == std::string_view::npos ? std::string_view() : value.substr(comma + 1);
      if (iequals(item, "no-store") && !pragma) {
        use = CacheUse::bypass;
      } else if ((iequals(item, "no-cache") || (iequals(item, "max-age=0") && !pragma)) &&
                 use == CacheUse::use) {
        use = CacheUse::refresh;
      }
    }
  };
  for (const auto value : headers.get_all("Cache-Control")) {
    directives(value, false);
  }
  for (const auto value : headers.get_all("Pragma")) {
    directives(value, true);
  }
  return use;
}

bool Dispatcher::sendable_header(std::string_view name, std::string_view value) {
  const bool name_ok = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  });
  return name_ok && std::none_of(value.begin(), value.end(),
                                 [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
}

Dispatcher::Plan Dispatcher::route(Request& request) {
  Plan plan;
  plan.slot = m_metrics->unmatched_slot();
  const auto question = request.target.find('?');
  request.path = request.target.substr(0, question);
  request.query = question == std::string::npos ? "" : request.target.substr(question + 1);

  auto match = m_router.find(request.method, request.path);
  switch (match.outcome) {
  case RouteMatch::Outcome::bad_path:
    plan.response =
        error_response(Error{ErrorCode::bad_request, match.message}, request.request_id);
    return plan;
  case RouteMatch::Outcome::not_found:
    plan.response =
        error_response(Error{ErrorCode::not_found, "no such endpoint: " + request.method + " " +
                                                       request.path.substr(0, 200)},
                       request.request_id);
    return plan;
  case RouteMatch::Outcome::method_not_allowed:
    plan.response = error_response(
        405, Error{ErrorCode::bad_request, "method " + request.method + " is not allowed here"},
        request.request_id);
    plan.response->headers.set("Allow", match.allow);
    return plan;
  case RouteMatch::Outcome::matched:
    break;
  }
  plan.slot = static_cast<std::size_t>(match.route - m_router.routes().data());
  auto query = parse_query(request.query);
  if (!query) {
    plan.response =
        error_response(Error{ErrorCode::bad_request, "bad query string: " + query.error().message},
                       request.request_id);
    return plan;
  }
  request.route = match.route;
  request.path_params = std::move(match.params);
  request.query_params = std::move(*query);
  if (match.route->cacheable && m_hooks.cached_answer &&
      cache_use(request.headers) == CacheUse::use) {
    std::optional<Response> kept;
    try {
      kept = m_hooks.cached_answer(request);
    } catch (const std::exception&) {
      kept.reset(); // e.g. bad_alloc: answer the slow way
    }
    if (kept) {
      m_cached_answers->inc();
      plan.response = std::move(kept);
      return plan;
    }
  }
  plan.blocking = match.route->blocking;
  if (plan.blocking && m_queued.fetch_add(1) >= m_max_queued) {
    m_queued.fetch_sub(1);
    plan.blocking = false;
    plan.response =
        error_response(Error{ErrorCode::unavailable, "the agent is overloaded; retry shortly"},
                       request.request_id);
    plan.response->headers.set("Retry-After", "1");
  }
  return plan;
}

Response Dispatcher::invoke(Request& request) {
  const Route& route = *request.route;
  struct Release {
    std::atomic<std::size_t>* queued;
    ~Release() {
      if (queued != nullptr) {
        queued->fetch_sub(1);
      }
    }
  } release{route.blocking ? &m_queued : nullptr};
  try {
    if (route.permission.access != Access::anyone) {
      if (!m_hooks.authorize) {
        return error_response(
            Error{ErrorCode::unauthenticated, "authentication is not configured on this agent"},
            request.request_id);
      }
      if (auto allowed = m_hooks.authorize(request); !allowed) {
        auto refused = error_response(allowed.error().error, request.request_id);
        for (const auto& [name, value] : allowed.error().headers.fields()) {
          refused.headers.set(name, value);
        }
        return refused;
      }
    }
    auto result = route.handler(request);
    if (!result) {
      return error_response(result.error(), request.request_id);
    }
    if (route.cacheable && result->status == 200 && m_hooks.remember &&
        cache_use(request.headers) != CacheUse::bypass) {
      m_hooks.remember(request, *result);
    }
    return std::move(*result);
  } catch (const std::exception& e) {
    log("handler for " + route.method + " " + route.pattern + " threw: " + e.what());
  } catch (...) {
    log("handler for " + route.method + " " + route.pattern + " threw a non-exception");
  }
  return error_response(
      Error{ErrorCode::internal, "internal error (request id " + request.request_id + ")"},
      request.request_id);
}

void Dispatcher::finish(Response& response, const Request& request, std::size_t slot,
                        Clock::time_point start) {
  response.headers.set("X-Request-Id", request.request_id);
  const auto elapsed = Clock::now() - start;
  m_metrics->observe(slot, response.status, elapsed);
  if (m_hooks.access_log) {
    const bool matched = slot < m_router.routes().size();
    m_hooks.access_log(AccessLogEntry{
        matched ? std::string_view(m_router.routes()[slot].method) : std::string_view("other"),
        matched ? std::string_view(m_router.routes()[slot].pattern) : std::string_view("unmatched"),
        response.status, request.remote_address, request.request_id,
        std::chrono::duration_cast<std::chrono::microseconds>(elapsed)});
  }
}

} // namespace sharectl::agent::api
