// Resource names and the action table; see resources.hpp.
#include "agent/authz/resources.hpp"

#include <array>

namespace sharectl::agent::authz {

namespace {

std::string join(std::string_view a, std::string_view b) {
  std::string out;
  out.reserve(a.size() + 1 + b.size());
  out.append(a).append("/").append(b);
  return out;
}

constexpr auto k_actions = std::to_array<Action>({
    {"spaces.read", Level::view, "view spaces"},
    {"spaces.use", Level::client, "use spaces"},
    {"spaces.create", Level::modify, "create spaces"},
    {"spaces.update", Level::modify, "change spaces"},
    {"spaces.delete", Level::modify, "delete spaces"},
    {"shares.read", Level::view, "view shares"},
    {"shares.use", Level::client, "connect to shares"},
    {"shares.create", Level::modify, "create shares"},
    {"shares.update", Level::modify, "change shares"},
    {"shares.delete", Level::modify, "delete shares"},
    {"shares.acl.read", Level::view, "view share access"},
    {"shares.acl.write", Level::admin, "grant or revoke share access"},
    {"groups.read", Level::view, "view groups"},
    {"groups.create", Level::modify, "create groups"},
    {"groups.update", Level::modify, "change groups or their members"},
    {"groups.delete", Level::modify, "delete groups"},
    {"users.read", Level::view, "view users"},
    {"users.create", Level::modify, "create users"},
    {"users.update", Level::modify, "disable, enable or change users"},
    {"users.delete", Level::modify, "delete users"},
    {"users.flags", Level::admin, "change admin or manager flags"},
    {"roles.read", Level::view, "view roles"},
    {"roles.create", Level::admin, "create roles"},
    {"roles.update", Level::admin, "change role rules"},
    {"roles.delete", Level::admin, "delete roles"},
    {"roles.bind", Level::admin, "bind or unbind roles"},
    {"servers.read", Level::view, "view servers"},
    {"servers.manage", Level::admin, "add, change or remove servers"},
    {"filesystems.read", Level::view, "view filesystems"},
    {"filesystems.manage", Level::admin, "add, change or remove filesystems"},
    {"iscsi.read", Level::view, "view iSCSI targets"},
    {"iscsi.manage", Level::admin, "change iSCSI targets"},
    {"notify.read", Level::view, "view notifications"},
    {"notify.manage", Level::modify, "change notifications"},
    {"audit.read", Level::view, "read the audit log"},
});

} // namespace

std::string space_resource(std::string_view owner, std::string_view name) {
  return join(join("spaces", owner), name);
}
std::string share_resource(std::string_view name) {
  return join("shares", name);
}
std::string user_resource(std::string_view username) {
  return join("users", username);
}
std::string group_resource(std::string_view name) {
  return join("groups", name);
}
std::string role_resource(std::string_view name) {
  return join("roles", name);
}
std::string server_resource(std::string_view name) {
  return join("servers", name);
}
std::string filesystem_resource(std::string_view server, std::string_view filesystem_id) {
  return join(join(server_resource(server), "filesystems"), filesystem_id);
}
std::string iscsi_resource(std::string_view iqn) {
  return join("iscsi", iqn);
}
std::string notify_resource(std::string_view name) {
  return join("notify", name);
}
std::string audit_resource() {
  return "audit";
}

std::span<const Action> all_actions() {
  return k_actions;
}

const Action* find_action(std::string_view name) {
  for (const Action& a : k_actions) {
    if (a.name == name) {
      return &a;
    }
  }
  return nullptr;
}

} // namespace sharectl::agent::authz
