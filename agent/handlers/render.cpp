#include "agent/handlers/render.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>

#include <fmt/chrono.h>
#include <fmt/core.h>
#include <nlohmann/json.hpp>

namespace sharectl::agent::handlers {

namespace {

// Appends `value` as `width` decimal digits (value < 10^width).
void append_digits(std::string& out, std::uint64_t value, int width) {
  char digits[20];
  for (int i = width - 1; i >= 0; --i) {
    digits[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  out.append(digits, static_cast<std::size_t>(width));
}

} // namespace

std::string rfc3339(model::Timestamp time) {
  using namespace std::chrono;
  const auto day = floor<days>(time);
  const year_month_day date{day};
  const int year = static_cast<int>(date.year());
  if (year < 0 || year > 9999) {
    const auto seconds = floor<std::chrono::seconds>(time);
    return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:06}Z", seconds, (time - seconds).count());
  }
  // Hand-formatted: this runs for every timestamp of every object a list answers.
  const auto in_day = static_cast<std::uint64_t>((time - day).count()); // microseconds
  std::string out;
  out.reserve(27);
  append_digits(out, static_cast<std::uint64_t>(year), 4);
  out += '-';
  append_digits(out, static_cast<unsigned>(date.month()), 2);
  out += '-';
  append_digits(out, static_cast<unsigned>(date.day()), 2);
  out += 'T';
  append_digits(out, in_day / 3'600'000'000ULL, 2);
  out += ':';
  append_digits(out, in_day / 60'000'000ULL % 60, 2);
  out += ':';
  append_digits(out, in_day / 1'000'000ULL % 60, 2);
  out += '.';
  append_digits(out, in_day % 1'000'000ULL, 6);
  out += 'Z';
  return out;
}

namespace {

// Writes one JSON object member by member, for the objects lists render many of. Members must
// be added in the order nlohmann::json would print them (sorted by key), so that the text stays
// what it was when these objects were built as nlohmann::json.
class ObjectWriter {
public:
  ObjectWriter() { m_out += '{'; }

  ObjectWriter& text(std::string_view key, std::string_view value) {
    begin(key);
    const bool plain = std::all_of(value.begin(), value.end(), [](char c) {
      return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
    });
    if (plain) {
      m_out += '"';
      m_out += value;
      m_out += '"';
    } else {
      m_out += nlohmann::json(std::string(value))
                   .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
    return *this;
  }

  template <typename Integer>
  ObjectWriter& number(std::string_view key, Integer value) {
    begin(key);
    m_out += std::to_string(value);
    return *this;
  }

  ObjectWriter& null(std::string_view key) {
    begin(key);
    m_out += "null";
    return *this;
  }

  std::string finish() {
    m_out += '}';
    return std::move(m_out);
  }

private:
  void begin(std::string_view key) {
    if (m_out.size() > 1) {
      m_out += ',';
    }
    m_out += '"';
    m_out += key;
    m_out += "\":";
  }

  std::string m_out;
};

} // namespace

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
  return ObjectWriter()
      .text("app_id", app.id)
      .text("created_at", rfc3339(app.created_at))
      .text("expires_at", rfc3339(expires_at))
      .text("id", app.id)
      .text("last_used_at", rfc3339(app.last_used_at))
      .text("name", app.name)
      .number("revision", app.revision)
      .text("updated_at", rfc3339(app.updated_at))
      .text("user_id", app.user_id)
      .finish();
}

ConnectPaths connect_paths(const SmbEndpoint& at, std::string_view share) {
  if (at.host.empty() || share.empty()) {
    return {};
  }
  const bool ipv6 = at.host.find(':') != std::string::npos;
  std::string unc_host = at.host;
  if (ipv6) { // Windows' literal form for an IPv6 address in a UNC path
    std::ranges::replace(unc_host, ':', '-');
    std::ranges::replace(unc_host, '%', 's');
    unc_host += ".ipv6-literal.net";
  }
  std::string url = "smb://";
  if (ipv6) { // RFC 6874: a zone id's '%' is written %25 in a URL
    url += '[';
    for (char c : at.host) {
      url += c == '%' ? std::string("%25") : std::string(1, c);
    }
    url += ']';
  } else {
    url += at.host;
  }
  if (at.port != 445) {
    url += ":" + std::to_string(at.port);
  }
  url += "/";
  url += share;
  return ConnectPaths{fmt::format("\\\\{}\\{}", unc_host, share), std::move(url)};
}

std::string space_json(const model::Space& space, const std::string& owner,
                       const std::string& server, const std::string& share, const SmbEndpoint& at) {
  const ConnectPaths paths = connect_paths(at, share);
  ObjectWriter out;
  out.text("created_at", rfc3339(space.created_at))
      .text("filesystem_id", space.filesystem_id)
      .text("id", space.id)
      .text("name", space.name)
      .number("observed_revision", space.observed_revision)
      .text("owner", owner)
      .text("path", space.path)
      .number("revision", space.revision)
      .text("server", server)
      .text("share", share)
      .number("size_bytes", space.size_bytes)
      .text("status", model::status_name(space.status))
      .text("status_message", space.status_message)
      .text("unc", paths.unc)
      .text("updated_at", rfc3339(space.updated_at))
      .text("url", paths.url);
  if (space.used_at) {
    out.text("used_at", rfc3339(*space.used_at));
  } else {
    out.null("used_at");
  }
  return out.number("used_bytes", space.used_bytes).finish();
}

std::string share_json(const model::Share& share, const std::string& space,
                       const std::string& owner, const SmbEndpoint& at, const ShareRelation* mine) {
  const ConnectPaths paths = connect_paths(at, share.name);
  nlohmann::json out{{"id", share.id},
                     {"revision", share.revision},
                     {"created_at", rfc3339(share.created_at)},
                     {"updated_at", rfc3339(share.updated_at)},
                     {"name", share.name},
                     {"space", space},
                     {"owner", owner},
                     {"server", at.server},
                     {"subdir", share.subdir},
                     {"read_only", share.read_only},
                     {"browseable", share.browseable},
                     {"comment", share.comment},
                     {"invitations", share.invitations ? nlohmann::json(*share.invitations)
                                                       : nlohmann::json(nullptr)},
                     {"status", model::status_name(share.status)},
                     {"status_message", share.status_message},
                     {"observed_revision", share.observed_revision},
                     {"unc", paths.unc},
                     {"url", paths.url}};
  if (mine != nullptr) {
    out["relation"] = mine->relation;
    out["level"] = mine->level;
    out["state"] = mine->state;
    out["via"] = mine->via;
  }
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
  nlohmann::json out{
      {"name", server.name},          {"roles", roles},
      {"status", up ? "up" : "down"}, {"address", server.address},
      {"smb_port", server.smb_port},  {"observed_revision", server.observed_revision}};
  if (full) {
    out["id"] = server.id;
    out["revision"] = server.revision;
    out["created_at"] = rfc3339(server.created_at);
    out["updated_at"] = rfc3339(server.updated_at);
    out["last_heartbeat"] = server.last_heartbeat ? nlohmann::json(rfc3339(*server.last_heartbeat))
                                                  : nlohmann::json(nullptr);
    out["load_average"] = server.load_average;
    out["memory_total_bytes"] = server.memory_total_bytes;
    out["memory_used_bytes"] = server.memory_used_bytes;
  }
  return out.dump();
}

std::string filesystem_json(const model::FileSystem& fs, const std::string& server, bool up,
                            std::uint64_t allocated, std::uint64_t used) {
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
      {"used_bytes", used},
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
