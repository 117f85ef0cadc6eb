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
                           {"invitations", share.invitations ? nlohmann::json(*share.invitations)
                                                             : nlohmann::json(nullptr)},
                           {"status", model::status_name(share.status)},
                           {"status_message", share.status_message},
                           {"observed_revision", share.observed_revision}};
  return out.dump();
}

std::string server_json(const model::Server& server, bool up, bool full) {
  nlohmann::json roles = nlohmann::json::array();
  if (server.role_samba) {
    roles.push_back("samba");
  }
  if (server.role_iscsi) {
    roles.push_back("iscsi");
  }
  nlohmann::json out{{"name", server.name}, {"roles", roles}, {"status", up ? "up" : "down"}};
  if (full) {
    out["id"] = server.id;
    out["revision"] = server.revision;
    out["created_at"] = rfc3339(server.created_at);
    out["updated_at"] = rfc3339(server.updated_at);
    out["address"] = server.address;
    out["last_heartbeat"] = server.last_heartbeat ? nlohmann::json(rfc3339(*server.last_heartbeat))
                                                  : nlohmann::json(nullptr);
    out["load_average"] = server.load_average;
    out["memory_total_bytes"] = server.memory_total_bytes;
    out["memory_used_bytes"] = server.memory_used_bytes;
  }
  return out.dump();
}

std::string filesystem_json(const model::FileSystem& fs, const std::string& server, bool up,
                            std::uint64_t allocated) {
  const nlohmann::json out{
      {"id", fs.id},
      {"revision", fs.revision},
      {"created_at", rfc3339(fs.created_at)},
      {"updated_at", rfc3339(fs.updated_at)},
      {"server", server},
      {"path", fs.path},
      {"driver", model::to_string(fs.driver)},
      {"capacity_bytes", fs.capacity_bytes},
      {"allocated_bytes", allocated},
      {"unallocated_bytes", allocated >= fs.capacity_bytes ? 0 : fs.capacity_bytes - allocated},
      {"free_bytes", fs.free_bytes},
      {"status", up ? "up" : "down"}};
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
