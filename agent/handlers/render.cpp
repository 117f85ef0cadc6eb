#include "agent/handlers/render.hpp"

#include <chrono>

#include <fmt/chrono.h>
#include <fmt/core.h>
#include <nlohmann/json.hpp>

namespace sharectl::agent::handlers {

std::string rfc3339(model::Timestamp time) {
  const auto seconds = std::chrono::floor<std::chrono::seconds>(time);
  const auto micros = (time - seconds).count();
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:06}Z", seconds, micros);
}

namespace {

nlohmann::json user_object(const model::User& user) {
  nlohmann::json out{{"id", user.id},
                     {"revision", user.revision},
                     {"created_at", rfc3339(user.created_at)},
                     {"updated_at", rfc3339(user.updated_at)},
                     {"username", user.username},
                     {"auth_source", model::to_string(user.auth_source)},
                     {"is_active", user.is_active},
                     {"is_manager", user.is_manager},
                     {"is_admin", user.is_admin}};
  out["email"] = user.email ? nlohmann::json(*user.email) : nlohmann::json(nullptr);
  out["allowance_bytes"] =
      user.allowance_bytes ? nlohmann::json(*user.allowance_bytes) : nlohmann::json(nullptr);
  out["last_login"] =
      user.last_login ? nlohmann::json(rfc3339(*user.last_login)) : nlohmann::json(nullptr);
  return out;
}

} // namespace

std::string user_json(const model::User& user) {
  return user_object(user).dump();
}

std::string app_json(const model::App& app, model::Timestamp expires_at) {
  const nlohmann::json out{{"id", app.id},
                           {"app_id", app.id},
                           {"revision", app.revision},
                           {"created_at", rfc3339(app.created_at)},
                           {"updated_at", rfc3339(app.updated_at)},
                           {"user_id", app.user_id},
                           {"name", app.name},
                           {"last_used_at", rfc3339(app.last_used_at)},
                           {"expires_at", rfc3339(expires_at)}};
  return out.dump();
}

model::AuditEvent audit_event(const api::Request& request, const model::User* actor,
                              std::string action, std::string resource, model::AuditOutcome outcome,
                              std::string detail) {
  model::AuditEvent event;
  if (actor != nullptr) {
    event.actor_id = actor->id;
    event.actor_name = actor->username;
  }
  event.source_address = request.remote_address;
  event.action = std::move(action);
  event.resource = std::move(resource);
  event.outcome = outcome;
  event.detail = request.request_id.empty()
                     ? std::move(detail)
                     : fmt::format("{} (request {})", detail, request.request_id);
  return event;
}

} // namespace sharectl::agent::handlers
