// The cross-field rules of agent.yaml (agent_config.hpp cross_field_problem, check_agent_config):
// rules that no single key can break on its own.
#include <string>

#include "common/config/agent_config.hpp"
#include "common/config/duration.hpp"

namespace sharectl::config {
namespace {

// Whether `inner` is `outer` or below it, comparing whole components.
bool is_within(const std::filesystem::path& inner, const std::filesystem::path& outer) {
  auto i = inner.begin();
  for (auto o = outer.begin(); o != outer.end(); ++o, ++i) {
    if (i == inner.end() || *i != *o) {
      return false;
    }
  }
  return true;
}

} // namespace

std::optional<ConfigProblem> cross_field_problem(const AgentConfig& config) {
  if (!config.tls.enabled && !is_loopback_host(config.listen.host)) {
    return ConfigProblem{
        "tls.enabled",
        "tls.enabled is false but listen is " + format_listen_address(config.listen) +
            ": plain HTTP is allowed only on a loopback address (127.0.0.0/8, ::1 or "
            "localhost), because tokens and passwords would cross the network "
            "unencrypted; enable TLS or listen on 127.0.0.1"};
  }
  for (std::size_t i = 0; i < config.server.roles.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (config.server.roles[i] == config.server.roles[j]) {
        return ConfigProblem{"server.roles", "server.roles lists " +
                                                 std::string(to_string(config.server.roles[i])) +
                                                 " twice"};
      }
    }
  }
  if (config.server.roles.empty()) {
    return ConfigProblem{"server.roles", "server.roles must name at least one role (samba, iscsi)"};
  }
  if (config.samba.config == config.samba.include) {
    return ConfigProblem{
        "samba.include",
        "samba.include must differ from samba.config: the agent rewrites the include "
        "file and only adds one line to smb.conf"};
  }
  for (std::size_t i = 0; i < config.filesystems.size(); ++i) {
    for (std::size_t j = 0; j < config.filesystems.size(); ++j) {
      if (i == j) {
        continue;
      }
      const auto& a = config.filesystems[i].path;
      const auto& b = config.filesystems[j].path;
      const std::string name_a = "filesystems[" + std::to_string(i) + "].path";
      const std::string name_b = "filesystems[" + std::to_string(j) + "].path";
      if (a == b && j < i) {
        return ConfigProblem{name_a, name_a + " " + a.string() + " is already listed as " + name_b};
      }
      if (a != b && is_within(a, b)) {
        return ConfigProblem{name_a, name_a + " " + a.string() + " is inside " + name_b + " " +
                                         b.string() + "; filesystems must not overlap"};
      }
    }
  }
  if (config.apps.idle_expiry > config.apps.max_lifetime) {
    return ConfigProblem{"apps.idle_expiry", "apps.idle_expiry (" +
                                                 format_duration(config.apps.idle_expiry) +
                                                 ") is longer than apps.max_lifetime (" +
                                                 format_duration(config.apps.max_lifetime) +
                                                 "), so it would never apply"};
  }
  return std::nullopt;
}

Status check_agent_config(const AgentConfig& config) {
  if (const auto problem = cross_field_problem(config)) {
    return fail(ErrorCode::bad_request, problem->message);
  }
  return {};
}

} // namespace sharectl::config
