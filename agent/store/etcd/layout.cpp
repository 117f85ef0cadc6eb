// The etcd store's key layout; see layout.hpp.
#include "agent/store/etcd/layout.hpp"

#include <fmt/core.h>

#include "agent/store/sql/tables.hpp"

namespace sharectl::store::etcd {

using namespace model;

std::string key_part(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '%') {
      out += "%25";
    } else if (c == '/') {
      out += "%2F";
    } else {
      out += c;
    }
  }
  return out;
}

std::string Layout::index(std::string_view name, const std::vector<std::string>& parts) const {
  std::string out = m_p + "/i/" + std::string(name);
  for (const auto& part : parts) {
    out += "/" + key_part(part);
  }
  return out;
}

std::string Layout::feed(std::int64_t revision) const {
  return fmt::format("{}/f/{:020d}", m_p, revision);
}

std::string Layout::audit(Timestamp when, const Id& id) const {
  return fmt::format("{}/audit/{:020d}/{}", m_p, to_micros(when), id);
}

std::string Layout::actor_audit(const Id& actor, Timestamp when, const Id& id) const {
  return fmt::format("{}/ca/{}/{:020d}/{}", m_p, actor, to_micros(when), id);
}

namespace {

std::string quoted(std::string_view v) {
  return "'" + std::string(v) + "'";
}

// "<noun> <what> '<value>'<tail>", the SQL backends' conflict wording.
template <typename E>
std::string taken(std::size_t key, std::string_view value) {
  const auto& k = sql::Table<E>::keys[key];
  return std::string(sql::Table<E>::noun) + " " + std::string(k.what) + " " + quoted(value) +
         std::string(k.tail);
}

void add_ref(std::vector<Reference>& out, std::string_view field, Kind target, const Id& id,
             OnDelete on_delete) {
  if (!id.empty()) {
    out.push_back(Reference{field, target, id, on_delete});
  }
}

void add_ref(std::vector<Reference>& out, std::string_view field, Kind target,
             const std::optional<Id>& id, OnDelete on_delete) {
  if (id) {
    add_ref(out, field, target, *id, on_delete);
  }
}

} // namespace

OnDelete on_delete_of(Kind kind, std::string_view field) {
  switch (kind) {
  case Kind::app:
  case Kind::rule:
  case Kind::binding:
  case Kind::notify_hook:
    return OnDelete::cascade;
  case Kind::group:
  case Kind::notify_method:
  case Kind::join_token:
    return OnDelete::set_null;
  default:
    (void)field;
    return OnDelete::restrict;
  }
}

// clang-format off
template <> std::vector<Reference> references_of(const User&) { return {}; }
template <> std::vector<Reference> references_of(const Role&) { return {}; }
template <> std::vector<Reference> references_of(const Server&) { return {}; }
template <> std::vector<Reference> references_of(const AuditEvent&) { return {}; }
template <> std::vector<Reference> references_of(const App& e) {
  std::vector<Reference> out; add_ref(out, "user_id", Kind::user, e.user_id, OnDelete::cascade);
  return out;
}
template <> std::vector<Reference> references_of(const Rule& e) {
  std::vector<Reference> out; add_ref(out, "role_id", Kind::role, e.role_id, OnDelete::cascade);
  return out;
}
template <> std::vector<Reference> references_of(const Binding& e) {
  std::vector<Reference> out;
  add_ref(out, "role_id", Kind::role, e.role_id, OnDelete::cascade);
  add_ref(out, "space_id", Kind::space, e.space_id, OnDelete::cascade);
  if (e.subject_kind == SubjectKind::user) {
    add_ref(out, "subject", Kind::user, e.subject, OnDelete::cascade);
  } else if (e.subject_kind == SubjectKind::group) {
    add_ref(out, "subject", Kind::group, e.subject, OnDelete::cascade);
  }
  return out;
}
template <> std::vector<Reference> references_of(const Group& e) {
  std::vector<Reference> out; add_ref(out, "owner_id", Kind::user, e.owner_id, OnDelete::set_null);
  return out;
}
template <> std::vector<Reference> references_of(const FileSystem& e) {
  std::vector<Reference> out;
  add_ref(out, "server_id", Kind::server, e.server_id, OnDelete::restrict);
  add_ref(out, "iscsi_lun_id", Kind::iscsi_lun, e.iscsi_lun_id, OnDelete::restrict);
  return out;
}
template <> std::vector<Reference> references_of(const Space& e) {
  std::vector<Reference> out;
  add_ref(out, "owner_id", Kind::user, e.owner_id, OnDelete::restrict);
  add_ref(out, "filesystem_id", Kind::filesystem, e.filesystem_id, OnDelete::restrict);
  return out;
}
template <> std::vector<Reference> references_of(const Share& e) {
  std::vector<Reference> out; add_ref(out, "space_id", Kind::space, e.space_id, OnDelete::restrict);
  return out;
}
template <> std::vector<Reference> references_of(const IscsiTarget& e) {
  std::vector<Reference> out;
  add_ref(out, "server_id", Kind::server, e.server_id, OnDelete::restrict);
  add_ref(out, "consumer_server_id", Kind::server, e.consumer_server_id, OnDelete::restrict);
  return out;
}
template <> std::vector<Reference> references_of(const IscsiLun& e) {
  std::vector<Reference> out;
  add_ref(out, "target_id", Kind::iscsi_target, e.target_id, OnDelete::restrict);
  return out;
}
template <> std::vector<Reference> references_of(const NotifyMethod& e) {
  std::vector<Reference> out; add_ref(out, "owner_id", Kind::user, e.owner_id, OnDelete::set_null);
  return out;
}
template <> std::vector<Reference> references_of(const NotifyHook& e) {
  std::vector<Reference> out;
  add_ref(out, "method_id", Kind::notify_method, e.method_id, OnDelete::cascade);
  return out;
}
template <> std::vector<Reference> references_of(const JoinToken& e) {
  std::vector<Reference> out;
  add_ref(out, "created_by", Kind::user, e.created_by, OnDelete::set_null);
  add_ref(out, "used_by_server_id", Kind::server, e.used_by_server_id, OnDelete::set_null);
  return out;
}

template <> std::vector<UniqueKey> unique_keys_of(const Layout& l, const User& e) {
  std::vector<UniqueKey> out{{l.index("user-name", {e.username}), taken<User>(0, e.username)}};
  if (e.email) { out.push_back({l.index("user-email", {*e.email}), taken<User>(1, *e.email)}); }
  return out;
}
template <> std::vector<UniqueKey> unique_keys_of(const Layout& l, const App& e) {
  return {{l.index("app-token", {e.token_sha256}), taken<App>(0, e.token_sha256)}};
}
template <> std::vector<UniqueKey> unique_keys_of(const Layout& l, const Role& e) {
  return {{l.index("role-name", {e.name}), taken<Role>(0, e.name)}};
}
template <> std::vector<UniqueKey> unique_keys_of(const Layout& l, const Rule& e) {
  return {{l.index("rule-glob", {e.role_id, e.resource_glob}), taken<Rule>(0, e.resource_glob)}};
}
template <> std::vector<UniqueKey> unique_keys_of(const Layout& l, const Binding& e) {
  return {{l.index("binding", {e.role_id, std::string(to_string(e.subject_kind)),
                               e.space_id.value_or(""), e.subject}),
           taken<Binding>(0, e.subject)}};
}
template <> std::vector<UniqueKey> unique_keys_of(const Layout& l, const Group& e) {
  std::vector<UniqueKey> out{{l.index("group-name", {e.name}), taken<Group>(0, e.name)}};
  if (e.external_id) {
    out.push_back({l.index("group-external", {*e.external_id}), taken<Group>(1, *e.external_id)});
  }
  return out;
}
template <> std::vector<UniqueKey> unique_keys_of(const Layout& l, const Server& e) {
  return {{l.index("server-name", {e.name}), taken<Server>(0, e.name)}};
}
template <> std::vector<UniqueKey> unique_keys_of(const Layout& l, const FileSystem& e) {
  return {{l.index("filesystem-path", {e.server_id, e.path}), taken<FileSystem>(0, e.path)}};
}
template <> std::vector<UniqueKey> unique_keys_of(const Layout& l, const Space& e) {
  return {{l.index("space-name", {e.owner_id, e.name}), taken<Space>(0, e.name)}};
}
template <> std::vector<UniqueKey> unique_keys_of(const Layout& l, const Share& e) {
  return {{l.index("share-name", {sql::fold_ascii(e.name)}), taken<Share>(0, e.name)}};
}
template <> std::vector<UniqueKey> unique_keys_of(const Layout& l, const IscsiTarget& e) {
  return {{l.index("iscsi-iqn", {e.iqn}), taken<IscsiTarget>(0, e.iqn)}};
}
template <> std::vector<UniqueKey> unique_keys_of(const Layout& l, const IscsiLun& e) {
  return {{l.index("iscsi-lun", {e.target_id, std::to_string(e.lun)}),
           taken<IscsiLun>(0, std::to_string(e.lun))}};
}
template <> std::vector<UniqueKey> unique_keys_of(const Layout&, const AuditEvent&) { return {}; }
template <> std::vector<UniqueKey> unique_keys_of(const Layout& l, const NotifyMethod& e) {
  return {{l.index("notify-method-name", {e.name}), taken<NotifyMethod>(0, e.name)}};
}
template <> std::vector<UniqueKey> unique_keys_of(const Layout&, const NotifyHook&) { return {}; }
template <> std::vector<UniqueKey> unique_keys_of(const Layout& l, const JoinToken& e) {
  return {{l.index("join-token", {e.token_sha256}), taken<JoinToken>(0, e.token_sha256)}};
}

template <> Id parent_of(const User&) { return {}; }
template <> Id parent_of(const Role&) { return {}; }
template <> Id parent_of(const Group&) { return {}; }
template <> Id parent_of(const Server&) { return {}; }
template <> Id parent_of(const NotifyMethod&) { return {}; }
template <> Id parent_of(const JoinToken&) { return {}; }
template <> Id parent_of(const App& e) { return e.user_id; }
template <> Id parent_of(const Rule& e) { return e.role_id; }
template <> Id parent_of(const Binding& e) { return e.role_id; }
template <> Id parent_of(const FileSystem& e) { return e.server_id; }
template <> Id parent_of(const Space& e) { return e.owner_id; }
template <> Id parent_of(const Share& e) { return e.space_id; }
template <> Id parent_of(const IscsiTarget& e) { return e.server_id; }
template <> Id parent_of(const IscsiLun& e) { return e.target_id; }
template <> Id parent_of(const AuditEvent& e) { return e.actor_id.value_or(""); }
template <> Id parent_of(const NotifyHook& e) { return e.method_id; }

template <typename E> void clear_reference(E&, std::string_view) {}
template <> void clear_reference(Group& e, std::string_view) { e.owner_id.reset(); }
template <> void clear_reference(NotifyMethod& e, std::string_view) { e.owner_id.reset(); }
template <> void clear_reference(JoinToken& e, std::string_view field) {
  if (field == "created_by") { e.created_by.reset(); } else { e.used_by_server_id.reset(); }
}
template void clear_reference(User&, std::string_view);
template void clear_reference(App&, std::string_view);
template void clear_reference(Role&, std::string_view);
template void clear_reference(Rule&, std::string_view);
template void clear_reference(Binding&, std::string_view);
template void clear_reference(Server&, std::string_view);
template void clear_reference(FileSystem&, std::string_view);
template void clear_reference(Space&, std::string_view);
template void clear_reference(Share&, std::string_view);
template void clear_reference(IscsiTarget&, std::string_view);
template void clear_reference(IscsiLun&, std::string_view);
template void clear_reference(AuditEvent&, std::string_view);
template void clear_reference(NotifyHook&, std::string_view);
// clang-format on

} // namespace sharectl::store::etcd
