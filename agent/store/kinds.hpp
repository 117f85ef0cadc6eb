// with_kind: calls a generic callable with the entity type of a Kind, for the type-erased parts
// of every backend's Tx (get_entity, remove_entity, list_entities, set_status).
#pragma once

#include <type_traits>

#include "common/model/entities.hpp"

namespace sharectl::store {

// Whether ListQuery::parent narrows a list of this kind (see ListQuery in tx.hpp): app → user,
// rule and binding → role, filesystem and iscsi_target → server, space → owner, share → space,
// iscsi_lun → target, notify_hook → method, audit_event → actor.
inline bool has_parent(model::Kind kind) {
  using model::Kind;
  switch (kind) {
  case Kind::app:
  case Kind::rule:
  case Kind::binding:
  case Kind::filesystem:
  case Kind::space:
  case Kind::share:
  case Kind::iscsi_target:
  case Kind::iscsi_lun:
  case Kind::audit_event:
  case Kind::notify_hook:
    return true;
  default:
    return false;
  }
}

// Calls f(std::type_identity<E>{}) for the entity type E of kind.
template <typename F>
decltype(auto) with_kind(model::Kind kind, F&& f) {
  using namespace model;
  switch (kind) {
  case Kind::user:
    return f(std::type_identity<User>{});
  case Kind::app:
    return f(std::type_identity<App>{});
  case Kind::role:
    return f(std::type_identity<Role>{});
  case Kind::rule:
    return f(std::type_identity<Rule>{});
  case Kind::binding:
    return f(std::type_identity<Binding>{});
  case Kind::group:
    return f(std::type_identity<Group>{});
  case Kind::server:
    return f(std::type_identity<Server>{});
  case Kind::filesystem:
    return f(std::type_identity<FileSystem>{});
  case Kind::space:
    return f(std::type_identity<Space>{});
  case Kind::share:
    return f(std::type_identity<Share>{});
  case Kind::iscsi_target:
    return f(std::type_identity<IscsiTarget>{});
  case Kind::iscsi_lun:
    return f(std::type_identity<IscsiLun>{});
  case Kind::audit_event:
    return f(std::type_identity<AuditEvent>{});
  case Kind::notify_method:
    return f(std::type_identity<NotifyMethod>{});
  case Kind::notify_hook:
    return f(std::type_identity<NotifyHook>{});
  case Kind::join_token:
    return f(std::type_identity<JoinToken>{});
  }
  return f(std::type_identity<User>{});
}

} // namespace sharectl::store
