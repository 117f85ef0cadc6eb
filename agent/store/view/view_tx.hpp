// ViewTx: a read-only Tx over the read view's memory (ViewStore::view). Each call takes the
// view's shared lock for its own duration. What the view leaves out — audit events and users'
// secrets — is read from the backend; a look-up the view misses asks the backend too (the
// object may be newer than the view), keeping the view's answer when the backend cannot be
// reached. Writes fail with internal, as in any read-only transaction.
#pragma once

#include "agent/store/view/view_store.hpp"

namespace sharectl::store::view {

class ViewTx final : public Tx {
public:
  explicit ViewTx(ViewStore& store) : m_store(store) {}

  Result<Entity> create_entity(Entity object) override;
  Result<Entity> get_entity(Kind kind, const Id& id) override;
  Result<Entity> update_entity(Entity object) override;
  Status remove_entity(Kind kind, const Id& id, std::optional<Revision> expected) override;
  Result<std::vector<Entity>> list_entities(Kind kind, const ListQuery& query) override;
  Result<Revision> set_status(Kind kind, const Id& id, ObjectStatus status, std::string message,
                              Revision observed_revision) override;

  Result<User> find_user(const std::string& username) override;
  Result<User> find_user_by_email(const std::string& email) override;
  Result<Role> find_role(const std::string& name) override;
  Result<Group> find_group(const std::string& name) override;
  Result<Group> find_group_by_external_id(const std::string& external_id) override;
  Result<Server> find_server(const std::string& name) override;
  Result<FileSystem> find_filesystem(const Id& server_id, const std::string& path) override;
  Result<Space> find_space(const Id& owner_id, const std::string& name) override;
  Result<Share> find_share(const std::string& name) override;
  Result<std::map<Id, std::string>> first_share_names(const std::optional<Id>& owner_id) override;
  Result<IscsiTarget> find_iscsi_target(const std::string& iqn) override;
  Result<NotifyMethod> find_notify_method(const std::string& name) override;
  Result<App> find_app_by_token(const std::string& token_sha256) override;
  Result<JoinToken> find_join_token(const std::string& token_sha256) override;

  Result<UserSecrets> get_user_secrets(const Id& user_id) override;
  Result<Revision> set_user_secrets(const Id& user_id, const UserSecrets& secrets) override;
  Status touch_app(const Id& app_id, Timestamp when) override;
  Status touch_server(const Server& figures) override;
  Status touch_filesystem(const FileSystem& figures) override;
  Status touch_server_observed(const Id& server_id, Revision observed) override;
  Status touch_space_usage(const Id& space_id, std::uint64_t used_bytes, Timestamp when) override;

  Result<GroupMember> add_group_member(const Id& group_id, const Id& user_id,
                                       AclState new_rows) override;
  Status remove_group_member(const Id& group_id, const Id& user_id) override;
  Result<std::vector<GroupMember>> list_group_members(const Id& group_id) override;
  Result<std::vector<Group>> list_user_groups(const Id& user_id) override;

  Result<AclEntry> grant_user(const Id& share_id, const Id& user_id, ShareLevel level,
                              AclState new_rows) override;
  Status revoke_user(const Id& share_id, const Id& user_id) override;
  Result<GroupGrant> grant_group(const Id& share_id, const Id& group_id, ShareLevel level,
                                 AclState new_rows) override;
  Status revoke_group(const Id& share_id, const Id& group_id) override;
  Result<std::vector<AclEntry>> list_acl(const Id& share_id) override;
  Result<std::vector<GroupGrant>> list_group_grants(const Id& share_id) override;
  Result<std::vector<AclEntry>> list_user_acl(const Id& user_id) override;
  Status set_acl_state(const Id& share_id, const Id& user_id, AclState state) override;
  Status remove_user_acl(const Id& share_id, const Id& user_id) override;

  Result<std::optional<UserAccess>> effective_share_access(const Id& user_id,
                                                           const Id& share_id) override;
  Result<std::vector<UserAccess>> share_access(const Id& share_id) override;
  Result<std::vector<Binding>> applicable_bindings(const Id& user_id,
                                                   const std::vector<std::string>& external_groups,
                                                   const std::optional<Id>& space_id) override;
  Result<std::vector<AuditEvent>> list_audit(const AuditQuery& query) override;
  Revision write_revision() const override { return 0; }

private:
  template <typename E>
  Result<E> find_or_ask(Index index, const std::string& key,
                        Result<E> (Tx::*ask)(const std::string&), const std::string& what);

  ViewStore& m_store;
};

} // namespace sharectl::store::view
