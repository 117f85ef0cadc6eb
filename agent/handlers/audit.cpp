#include "agent/handlers/audit.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "agent/handlers/authenticate.hpp"
#include "agent/handlers/render.hpp"
#include "agent/handlers/schemas.hpp"
#include "common/config/duration.hpp"
#include "common/validate/glob.hpp"
#include "common/validate/names.hpp"

namespace sharectl::agent::handlers {

namespace {

using api::Request;
using api::Response;

constexpr std::size_t k_default_audit_limit = 100;

// Reads `count` digits at `pos` into `out`; false when they are not all digits.
bool digits(std::string_view text, std::size_t pos, std::size_t count, int& out) {
  if (pos + count > text.size()) {
    return false;
  }
  const auto [end, ec] = std::from_chars(text.data() + pos, text.data() + pos + count, out);
  return ec == std::errc{} && end == text.data() + pos + count &&
         text.substr(pos, count).find_first_not_of("0123456789") == std::string_view::npos;
}

Error bad_parameter(std::string_view name, std::string_view why) {
  return Error{ErrorCode::bad_request, fmt::format("{}: {}", name, why)};
}

// The since= filter: an RFC 3339 time, or a duration ("7d") back from now.
Result<model::Timestamp> parse_since(AgentContext& context, std::string_view text) {
  if (auto time = parse_rfc3339(text)) {
    return *time;
  }
  auto duration = config::parse_duration(text);
  if (!duration) {
    return std::unexpected(bad_parameter(
        "since", fmt::format("\"{}\" is neither an RFC 3339 time (2024-01-31T12:00:00Z) nor a "
                             "duration (30s, 15m, 12h, 7d)",
                             text)));
  }
  return context.clock.now() - std::chrono::duration_cast<std::chrono::microseconds>(*duration);
}

nlohmann::json event_json(const model::AuditEvent& event) {
  nlohmann::json out{{"id", event.id},
                     {"revision", event.revision},
                     {"created_at", rfc3339(event.created_at)},
                     {"updated_at", rfc3339(event.updated_at)},
                     {"time", rfc3339(event.created_at)},
                     {"actor", event.actor_name},
                     {"source_address", event.source_address},
                     {"action", event.action},
                     {"resource", event.resource},
                     {"outcome", model::to_string(event.outcome)},
                     {"detail", event.detail}};
  out["actor_id"] = event.actor_id ? nlohmann::json(*event.actor_id) : nlohmann::json(nullptr);
  return out;
}

// GET /api/v1/audit
Result<Response> list_audit(AgentContext& context, Request& request) {
  static constexpr std::string_view k_known[] = {"since", "actor", "resource", "limit"};
  for (const auto& [name, value] : request.query_params) {
    if (std::find(std::begin(k_known), std::end(k_known), name) == std::end(k_known)) {
      return std::unexpected(
          bad_parameter(name, "unknown query parameter; give since, actor, resource or limit"));
    }
  }
  std::optional<model::Timestamp> since;
  if (auto text = request.query_param("since")) {
    auto parsed = parse_since(context, *text);
    if (!parsed) {
      return std::unexpected(parsed.error());
    }
    since = *parsed;
  }
  std::size_t limit = k_default_audit_limit;
  if (auto text = request.query_param("limit")) {
    const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), limit);
    if (ec != std::errc{} || end != text->data() + text->size() || limit == 0 ||
        limit > k_max_audit_limit) {
      return std::unexpected(bad_parameter(
          "limit", fmt::format("give a whole number from 1 to {}", k_max_audit_limit)));
    }
  }
  std::optional<std::string> glob;
  if (auto text = request.query_param("resource")) {
    if (auto ok = validate::validate_glob(*text); !ok) {
      return std::unexpected(bad_parameter("resource", ok.error().message));
    }
    glob = std::string(*text);
  }
  std::optional<std::string> actor;
  if (auto text = request.query_param("actor")) {
    if (auto ok = validate::validate_username(*text); !ok) {
      return std::unexpected(bad_parameter("actor", ok.error().message));
    }
    actor = std::string(*text);
  }
  auto events =
      context.store.view_result([&](store::Tx& tx) -> Result<std::vector<model::AuditEvent>> {
        store::AuditQuery query{since, std::nullopt, limit};
        bool by_name = false;
        if (actor) {
          auto user = tx.find_user(*actor);
          if (user) {
            query.actor_id = user->id;
          } else if (user.error().code == ErrorCode::not_found) {
            by_name = true; // a deleted user's events keep their name
          } else {
            return std::unexpected(user.error());
          }
        }
        if (by_name || glob) {
          query.limit = 0; // filtered here, so the limit applies afterwards
        }
        auto found = tx.list_audit(query);
        if (!found) {
          return std::unexpected(found.error());
        }
        std::vector<model::AuditEvent> out;
        for (auto& event : *found) {
          if (out.size() == limit) {
            break;
          }
          if ((by_name && event.actor_name != *actor) ||
              (glob && !validate::glob_match(*glob, event.resource))) {
            continue;
          }
          out.push_back(std::move(event));
        }
        return out;
      });
  if (!events) {
    return std::unexpected(events.error());
  }
  nlohmann::json out = nlohmann::json::array();
  for (const auto& event : *events) {
    out.push_back(event_json(event));
  }
  return Response::json(200, out.dump());
}

} // namespace

Result<model::Timestamp> parse_rfc3339(std::string_view text) {
  const Error bad{ErrorCode::bad_request,
                  fmt::format("\"{}\" is not an RFC 3339 time such as 2024-01-31T12:00:00Z", text)};
  int year = 0;
  int month = 0;
  int day = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;
  if (text.size() < 20 || !digits(text, 0, 4, year) || text[4] != '-' ||
      !digits(text, 5, 2, month) || text[7] != '-' || !digits(text, 8, 2, day) ||
      (text[10] != 'T' && text[10] != 't') || !digits(text, 11, 2, hour) || text[13] != ':' ||
      !digits(text, 14, 2, minute) || text[16] != ':' || !digits(text, 17, 2, second)) {
    return std::unexpected(bad);
  }
  const std::chrono::year_month_day date{std::chrono::year{year},
                                         std::chrono::month{static_cast<unsigned>(month)},
                                         std::chrono::day{static_cast<unsigned>(day)}};
  if (!date.ok() || hour > 23 || minute > 59 || second > 59) {
    return std::unexpected(bad);
  }
  std::size_t pos = 19;
  std::int64_t micros = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    std::size_t count = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (count < 6) {
        micros = micros * 10 + (text[pos] - '0');
      }
      ++count;
      ++pos;
    }
    if (count == 0 || count > 9) {
      return std::unexpected(bad);
    }
    for (std::size_t i = count; i < 6; ++i) {
      micros *= 10;
    }
  }
  std::chrono::minutes offset{0};
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z') && pos + 1 == text.size()) {
    // UTC
  } else if (pos + 6 == text.size() && (text[pos] == '+' || text[pos] == '-') &&
             text[pos + 3] == ':') {
    int off_hour = 0;
    int off_minute = 0;
    if (!digits(text, pos + 1, 2, off_hour) || !digits(text, pos + 4, 2, off_minute) ||
        off_hour > 23 || off_minute > 59) {
      return std::unexpected(bad);
    }
    offset = std::chrono::minutes{off_hour * 60 + off_minute};
    if (text[pos] == '-') {
      offset = -offset;
    }
  } else {
    return std::unexpected(bad);
  }
  const auto local = std::chrono::sys_days{date} + std::chrono::hours{hour} +
                     std::chrono::minutes{minute} + std::chrono::seconds{second};
  return model::Timestamp{
      std::chrono::duration_cast<std::chrono::microseconds>((local - offset).time_since_epoch()) +
      std::chrono::microseconds{micros}};
}

std::vector<api::Route> audit_routes(AgentContext& context) {
  return {
      api::Route{"GET", "/api/v1/audit",
                 [&context](Request& request) { return list_audit(context, request); },
                 api::Permission::of("audit.read", "audit"),
                 "List audit events, newest first (?since=&actor=&resource=&limit=)"}
          .answers(200, api::Schema::list_of(schemas::audit_event())),
  };
}

} // namespace sharectl::agent::handlers
