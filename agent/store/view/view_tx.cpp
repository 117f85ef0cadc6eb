#include "agent/store/view/view_tx.hpp"

#include <algorithm>
#include <shared_mutex>
#include <type_traits>

#include "agent/store/kinds.hpp"

namespace sharectl::store::view {

namespace {

Error read_only(std::string_view what) {
  return Error{ErrorCode::internal, std::string(what) + ": a write in a read-only transaction"};
}

std::string pair_key(const Id& a, const std::string& b) {
  std::string out = a;
  out.push_back('\0');
  out += b;
  return out;
}

} // namespace

// A miss in the view is asked of the backend: the object may be newer than the view. When the
// backend cannot answer, the view's not_found stands (reads keep working without the store).
template <typename R, typename F>
R ask_backend(ViewStore& store, R missed, F&& read) {
  auto answer = store.backend_store().view_result(std::forward<F>(read));
  if (!answer && answer.error().code == ErrorCode::unavailable) {
    return missed;
  }
  return answer;
}

template <typename E>
Result<E> ViewTx::find_or_ask(Index index, const std::string& key,
                              Result<E> (Tx::*ask)(const std::string&), const std::string& what) {
  {
    std::shared_lock lock(m_store.lock());
    if (const E* doc = m_store.state().lookup<E>(index, key)) {
      return *doc;
    }
  }
  return ask_backend(m_store, Result<E>(fail(ErrorCode::not_found, what + " does not exist")),
                     [&](Tx& tx) { return (tx.*ask)(key); });
}

// --- documents --------------------------------------------------------------------------------

Result<Entity> ViewTx::get_entity(Kind kind, const Id& id) {
  if (kind != Kind::audit_event) {
    std::shared_lock lock(m_store.lock());
    auto found = with_kind(kind, [&]<typename E>(std::type_identity<E>) -> std::optional<Entity> {
      if constexpr (!std::is_same_v<E, AuditEvent>) {
        if (const E* doc = m_store.state().find<E>(id)) {
          return Entity{*doc};
        }
      }
      return std::nullopt;
    });
    if (found) {
      return std::move(*found);
    }
  }
  Result<Entity> missed = fail(ErrorCode::not_found,
                               std::string(model::kind_name(kind)) + " " + id + " does not exist");
  return ask_backend(m_store, std::move(missed), [&](Tx& tx) { return tx.get_entity(kind, id); });
}

Result<std::vector<Entity>> ViewTx::list_entities(Kind kind, const ListQuery& query) {
  if (kind == Kind::audit_event || (query.parent && !has_parent(kind))) {
    // Audit events are not in the view; a bad query gets the backend's own refusal.
    return m_store.backend_store().view_result(
        [&](Tx& tx) { return tx.list_entities(kind, query); });
  }
  std::shared_lock lock(m_store.lock());
  return with_kind(kind, [&]<typename E>(std::type_identity<E>) -> Result<std::vector<Entity>> {
    std::vector<Entity> out;
    if constexpr (!std::is_same_v<E, AuditEvent>) {
      const auto& docs = m_store.state().docs<E>();
      const std::set<OrderKey>* keys = &docs.order;
      if (query.parent) {
        auto it = docs.by_parent.find(*query.parent);
        if (it == docs.by_parent.end()) {
          return out;
        }
        keys = &it->second;
      }
      for (const OrderKey& key : *keys) {
        if (query.limit > 0 && out.size() >= query.limit) {
          break;
        }
        out.emplace_back(key.get<E>());
      }
    }
    return out;
  });
}

Result<Entity> ViewTx::create_entity(Entity) {
  return std::unexpected(read_only("create"));
}
Result<Entity> ViewTx::update_entity(Entity) {
  return std::unexpected(read_only("update"));
}
Status ViewTx::remove_entity(Kind, const Id&, std::optional<Revision>) {
  return std::unexpected(read_only("remove"));
}
Result<Revision> ViewTx::set_status(Kind, const Id&, ObjectStatus, std::string, Revision) {
  return std::unexpected(read_only("set status"));
}

// --- look-ups ---------------------------------------------------------------------------------

Result<User> ViewTx::find_user(const std::string& username) {
  return find_or_ask<User>(Index::user_name, username, &Tx::find_user, "user '" + username + "'");
}
Result<User> ViewTx::find_user_by_email(const std::string& email) {
  return find_or_ask<User>(Index::user_email, email, &Tx::find_user_by_email,
                           "user with e-mail '" + email + "'");
}
Result<Role> ViewTx::find_role(const std::string& name) {
  return find_or_ask<Role>(Index::role_name, name, &Tx::find_role, "role '" + name + "'");
}
Result<Group> ViewTx::find_group(const std::string& name) {
  return find_or_ask<Group>(Index::group_name, name, &Tx::find_group, "group '" + name + "'");
}
Result<Group> ViewTx::find_group_by_external_id(const std::string& external_id) {
  return find_or_ask<Group>(Index::group_external_id, external_id, &Tx::find_group_by_external_id,
                            "group with external id '" + external_id + "'");
}
Result<Server> ViewTx::find_server(const std::string& name) {
  return find_or_ask<Server>(Index::server_name, name, &Tx::find_server, "server '" + name + "'");
}
Result<FileSystem> ViewTx::find_filesystem(const Id& server_id, const std::string& path) {
  {
    std::shared_lock lock(m_store.lock());
    if (const auto* doc =
            m_store.state().lookup<FileSystem>(Index::filesystem_path, pair_key(server_id, path))) {
      return *doc;
    }
  }
  return ask_backend(
      m_store,
      Result<FileSystem>(fail(ErrorCode::not_found, "filesystem '" + path + "' of server " +
                                                        server_id + " does not exist")),
      [&](Tx& tx) { return tx.find_filesystem(server_id, path); });
}
Result<Space> ViewTx::find_space(const Id& owner_id, const std::string& name) {
  {
    std::shared_lock lock(m_store.lock());
    if (const auto* doc =
            m_store.state().lookup<Space>(Index::space_name, pair_key(owner_id, name))) {
      return *doc;
    }
  }
  return ask_backend(m_store,
                     Result<Space>(fail(ErrorCode::not_found, "space '" + name + "' of user " +
                                                                  owner_id + " does not exist")),
                     [&](Tx& tx) { return tx.find_space(owner_id, name); });
}
Result<Share> ViewTx::find_share(const std::string& name) {
  {
    std::shared_lock lock(m_store.lock());
    if (const auto* doc = m_store.state().lookup<Share>(Index::share_name, State::fold(name))) {
      return *doc;
    }
  }
  return ask_backend(
      m_store, Result<Share>(fail(ErrorCode::not_found, "share '" + name + "' does not exist")),
      [&](Tx& tx) { return tx.find_share(name); });
}
Result<IscsiTarget> ViewTx::find_iscsi_target(const std::string& iqn) {
  return find_or_ask<IscsiTarget>(Index::target_iqn, iqn, &Tx::find_iscsi_target,
                                  "iSCSI target '" + iqn + "'");
}
Result<NotifyMethod> ViewTx::find_notify_method(const std::string& name) {
  return find_or_ask<NotifyMethod>(Index::method_name, name, &Tx::find_notify_method,
                                   "notify method '" + name + "'");
}
Result<App> ViewTx::find_app_by_token(const std::string& token_sha256) {
  return find_or_ask<App>(Index::app_token, token_sha256, &Tx::find_app_by_token,
                          "app with this token");
}
Result<JoinToken> ViewTx::find_join_token(const std::string& token_sha256) {
  return find_or_ask<JoinToken>(Index::join_token, token_sha256, &Tx::find_join_token,
                                "join token");
}

Result<std::map<Id, std::string>> ViewTx::first_share_names(const std::optional<Id>& owner_id) {
  std::shared_lock lock(m_store.lock());
  const State& state = m_store.state();
  const auto& shares = state.docs<Share>();
  std::map<Id, std::string> out;
  auto first_of = [&](const std::string_view space_id) {
    auto children = shares.by_parent.find(Id(space_id));
    if (children != shares.by_parent.end() && !children->second.empty()) {
      const Share& first = children->second.begin()->get<Share>();
      out.emplace(first.space_id, first.name);
    }
  };
  if (owner_id) {
    const auto& spaces = state.docs<Space>();
    if (auto mine = spaces.by_parent.find(*owner_id); mine != spaces.by_parent.end()) {
      for (const OrderKey& space : mine->second) {
        first_of(space.id);
      }
    }
  } else {
    for (const auto& [space_id, children] : shares.by_parent) {
      first_of(space_id);
    }
  }
  return out;
}

// --- users, apps, bookkeeping: secrets from the backend, every write refused -----------------

Result<UserSecrets> ViewTx::get_user_secrets(const Id& user_id) {
  return m_store.backend_store().view_result([&](Tx& tx) { return tx.get_user_secrets(user_id); });
}
Result<Revision> ViewTx::set_user_secrets(const Id&, const UserSecrets&) {
  return std::unexpected(read_only("set user secrets"));
}
Status ViewTx::touch_app(const Id&, Timestamp) {
  return std::unexpected(read_only("touch app"));
}
Status ViewTx::touch_server(const Server&) {
  return std::unexpected(read_only("touch server"));
}
Status ViewTx::touch_filesystem(const FileSystem&) {
  return std::unexpected(read_only("touch filesystem"));
}
Status ViewTx::touch_server_observed(const Id&, Revision) {
  return std::unexpected(read_only("touch server"));
}
Status ViewTx::touch_space_usage(const Id&, std::uint64_t, Timestamp) {
  return std::unexpected(read_only("touch space usage"));
}

// --- groups and the ACL -----------------------------------------------------------------------

Result<GroupMember> ViewTx::add_group_member(const Id&, const Id&, AclState) {
  return std::unexpected(read_only("add group member"));
}
Status ViewTx::remove_group_member(const Id&, const Id&) {
  return std::unexpected(read_only("remove group member"));
}
Result<std::vector<GroupMember>> ViewTx::list_group_members(const Id& group_id) {
  std::shared_lock lock(m_store.lock());
  return m_store.state().members(group_id);
}
Result<std::vector<Group>> ViewTx::list_user_groups(const Id& user_id) {
  std::shared_lock lock(m_store.lock());
  std::vector<Group> out;
  if (const auto* groups = m_store.state().groups_of_user(user_id)) {
    for (const Id& id : *groups) {
      if (const Group* g = m_store.state().find<Group>(id)) {
        out.push_back(*g);
      }
    }
  }
  std::ranges::sort(out, {}, &Group::name);
  return out;
}

Result<AclEntry> ViewTx::grant_user(const Id&, const Id&, ShareLevel, AclState) {
  return std::unexpected(read_only("grant user"));
}
Status ViewTx::revoke_user(const Id&, const Id&) {
  return std::unexpected(read_only("revoke user"));
}
Result<GroupGrant> ViewTx::grant_group(const Id&, const Id&, ShareLevel, AclState) {
  return std::unexpected(read_only("grant group"));
}
Status ViewTx::revoke_group(const Id&, const Id&) {
  return std::unexpected(read_only("revoke group"));
}
Status ViewTx::set_acl_state(const Id&, const Id&, AclState) {
  return std::unexpected(read_only("set ACL state"));
}
Status ViewTx::remove_user_acl(const Id&, const Id&) {
  return std::unexpected(read_only("remove user ACL"));
}

Result<std::vector<AclEntry>> ViewTx::list_acl(const Id& share_id) {
  std::shared_lock lock(m_store.lock());
  return m_store.state().acl(share_id);
}

Result<std::vector<GroupGrant>> ViewTx::list_group_grants(const Id& share_id) {
  std::shared_lock lock(m_store.lock());
  return m_store.state().grants(share_id);
}

Result<std::vector<AclEntry>> ViewTx::list_user_acl(const Id& user_id) {
  std::shared_lock lock(m_store.lock());
  std::vector<AclEntry> out;
  for (const Id& share : m_store.state().shares_of_user(user_id)) {
    auto rows = m_store.state().acl_of(share, user_id);
    std::ranges::move(rows, std::back_inserter(out));
  }
  return out;
}

namespace {

// The effective access of one user's rows: write if any row writes; active if any row is
// (they never differ), as the SQL backends' MIN over the state's name.
UserAccess access_of(const Id& user_id, const std::vector<AclEntry>& rows) {
  UserAccess a;
  a.user_id = user_id;
  for (const AclEntry& r : rows) {
    if (r.level == ShareLevel::write) {
      a.level = ShareLevel::write;
    }
    if (r.state == AclState::active) {
      a.state = AclState::active;
    }
  }
  return a;
}

} // namespace

Result<std::optional<UserAccess>> ViewTx::effective_share_access(const Id& user_id,
                                                                 const Id& share_id) {
  std::shared_lock lock(m_store.lock());
  auto rows = m_store.state().acl_of(share_id, user_id);
  if (rows.empty()) {
    return std::optional<UserAccess>{};
  }
  return std::optional<UserAccess>(access_of(user_id, rows));
}

Result<std::vector<UserAccess>> ViewTx::share_access(const Id& share_id) {
  std::shared_lock lock(m_store.lock());
  std::map<Id, std::vector<AclEntry>> by_user;
  for (auto& row : m_store.state().acl(share_id)) {
    by_user[row.user_id].push_back(std::move(row));
  }
  std::vector<UserAccess> out;
  for (const auto& [user, rows] : by_user) {
    out.push_back(access_of(user, rows));
  }
  return out;
}

Result<std::vector<Binding>>
ViewTx::applicable_bindings(const Id& user_id, const std::vector<std::string>& external_groups,
                            const std::optional<Id>& space_id) {
  std::shared_lock lock(m_store.lock());
  const State& state = m_store.state();
  const auto* groups = state.groups_of_user(user_id);
  std::vector<Binding> out;
  const auto& bindings = state.docs<Binding>();
  for (const OrderKey& key : bindings.order) {
    const Binding& b = key.get<Binding>();
    if (b.space_id && b.space_id != space_id) {
      continue;
    }
    bool applies = false;
    switch (b.subject_kind) {
    case model::SubjectKind::user:
      applies = b.subject == user_id;
      break;
    case model::SubjectKind::group:
      applies = groups != nullptr && groups->contains(b.subject);
      break;
    case model::SubjectKind::external_group:
      applies = std::ranges::find(external_groups, b.subject) != external_groups.end();
      break;
    }
    if (applies) {
      out.push_back(b);
    }
  }
  return out;
}

Result<std::vector<AuditEvent>> ViewTx::list_audit(const AuditQuery& query) {
  return m_store.backend_store().view_result([&](Tx& tx) { return tx.list_audit(query); });
}

} // namespace sharectl::store::view
