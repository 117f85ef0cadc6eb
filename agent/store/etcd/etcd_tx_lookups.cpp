// EtcdTx, part 5: the look-ups by natural key (one index key, then the document) and the
// status a host reports.
#include "agent/store/etcd/etcd_tx.hpp"
#include "agent/store/kinds.hpp"
#include "agent/store/sql/tables.hpp"

namespace sharectl::store::etcd {

Result<Revision> EtcdTx::set_status(Kind kind, const Id& id, ObjectStatus status,
                                    std::string message, Revision observed_revision) {
  return with_kind(kind, [&]<typename E>(std::type_identity<E>) -> Result<Revision> {
    const std::string context = "set status of " + std::string(sql::Table<E>::noun) + " " + id;
    if constexpr (!std::is_base_of_v<model::Applied, E>) {
      return fail(ErrorCode::bad_request, context + ": this kind has no status");
    } else {
      auto rev = write_rev(context);
      if (!rev) {
        return std::unexpected(rev.error());
      }
      auto e = load<E>(id);
      if (!e) {
        return std::unexpected(e.error());
      }
      e->status = status;
      e->status_message = std::move(message);
      e->observed_revision = observed_revision;
      e->revision = *rev;
      e->updated_at = now();
      if (auto st = put_document(*e); !st) {
        return std::unexpected(st.error());
      }
      record(kind, id, false);
      return *rev;
    }
  });
}

Result<User> EtcdTx::find_user(const std::string& username) {
  return find_by_index<User>(m_layout.index("user-name", {username}), "user '" + username + "'");
}
Result<User> EtcdTx::find_user_by_email(const std::string& email) {
  return find_by_index<User>(m_layout.index("user-email", {email}),
                             "user with e-mail '" + email + "'");
}
Result<Role> EtcdTx::find_role(const std::string& name) {
  return find_by_index<Role>(m_layout.index("role-name", {name}), "role '" + name + "'");
}
Result<Group> EtcdTx::find_group(const std::string& name) {
  return find_by_index<Group>(m_layout.index("group-name", {name}), "group '" + name + "'");
}
Result<Group> EtcdTx::find_group_by_external_id(const std::string& external_id) {
  return find_by_index<Group>(m_layout.index("group-external", {external_id}),
                              "group with external id '" + external_id + "'");
}
Result<Server> EtcdTx::find_server(const std::string& name) {
  return find_by_index<Server>(m_layout.index("server-name", {name}), "server '" + name + "'");
}
Result<FileSystem> EtcdTx::find_filesystem(const Id& server_id, const std::string& path) {
  return find_by_index<FileSystem>(m_layout.index("filesystem-path", {server_id, path}),
                                   "filesystem '" + path + "' of server " + server_id);
}
Result<Space> EtcdTx::find_space(const Id& owner_id, const std::string& name) {
  return find_by_index<Space>(m_layout.index("space-name", {owner_id, name}),
                              "space '" + name + "' of user " + owner_id);
}
Result<Share> EtcdTx::find_share(const std::string& name) {
  return find_by_index<Share>(m_layout.index("share-name", {sql::fold_ascii(name)}),
                              "share '" + name + "'");
}
Result<IscsiTarget> EtcdTx::find_iscsi_target(const std::string& iqn) {
  return find_by_index<IscsiTarget>(m_layout.index("iscsi-iqn", {iqn}),
                                    "iSCSI target '" + iqn + "'");
}
Result<NotifyMethod> EtcdTx::find_notify_method(const std::string& name) {
  return find_by_index<NotifyMethod>(m_layout.index("notify-method-name", {name}),
                                     "notify method '" + name + "'");
}
Result<App> EtcdTx::find_app_by_token(const std::string& token_sha256) {
  return find_by_index<App>(m_layout.index("app-token", {token_sha256}), "app with this token");
}
Result<JoinToken> EtcdTx::find_join_token(const std::string& token_sha256) {
  return find_by_index<JoinToken>(m_layout.index("join-token", {token_sha256}), "join token");
}

} // namespace sharectl::store::etcd
