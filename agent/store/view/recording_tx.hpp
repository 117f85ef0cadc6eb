// RecordingTx: the Tx ViewStore::transact hands to the caller — every call goes to the
// backend's transaction, and the bookkeeping writes (touch_*: no revision, no change-feed entry,
// so the follower would not see them) are noted, to be laid over the view once the transaction
// commits.
#pragma once

#include <variant>
#include <vector>

#include "agent/store/tx.hpp"

namespace sharectl::store::view {

// One bookkeeping write, as the Tx call that made it.
struct Touch {
  struct App {
    Id id;
    Timestamp when;
  };
  struct Observed {
    Id id;
    Revision observed;
  };
  struct Usage {
    Id id;
    std::uint64_t used_bytes;
    Timestamp when;
  };
  std::variant<App, Server, FileSystem, Observed, Usage> what;
};

class RecordingTx final : public Tx {
public:
  RecordingTx(Tx& inner, std::vector<Touch>& touches) : m_tx(inner), m_touches(touches) {}

  Result<Entity> create_entity(Entity object) override {
    return m_tx.create_entity(std::move(object));
  }
  Result<Entity> get_entity(Kind kind, const Id& id) override { return m_tx.get_entity(kind, id); }
  Result<Entity> update_entity(Entity object) override {
    return m_tx.update_entity(std::move(object));
  }
  Status remove_entity(Kind kind, const Id& id, std::optional<Revision> expected) override {
    return m_tx.remove_entity(kind, id, expected);
  }
  Result<std::vector<Entity>> list_entities(Kind kind, const ListQuery& query) override {
    return m_tx.list_entities(kind, query);
  }
  Result<Revision> set_status(Kind kind, const Id& id, ObjectStatus status, std::string message,
                              Revision observed_revision) override {
    return m_tx.set_status(kind, id, status, std::move(message), observed_revision);
  }

  Result<User> find_user(const std::string& username) override { return m_tx.find_user(username); }
  Result<User> find_user_by_email(const std::string& email) override {
    return m_tx.find_user_by_email(email);
  }
  Result<Role> find_role(const std::string& name) override { return m_tx.find_role(name); }
  Result<Group> find_group(const std::string& name) override { return m_tx.find_group(name); }
  Result<Group> find_group_by_external_id(const std::string& external_id) override {
    return m_tx.find_group_by_external_id(external_id);
  }
  Result<Server> find_server(const std::string& name) override { return m_tx.find_server(name); }
  Result<FileSystem> find_filesystem(const Id& server_id, const std::string& path) override {
    return m_tx.find_filesystem(server_id, path);
  }
  Result<Space> find_space(const Id& owner_id, const std::string& name) override {
    return m_tx.find_space(owner_id, name);
  }
  Result<Share> find_share(const std::string& name) override { return m_tx.find_share(name); }
  Result<std::map<Id, std::string>> first_share_names(const std::optional<Id>& owner_id) override {
    return m_tx.first_share_names(owner_id);
  }
  Result<IscsiTarget> find_iscsi_target(const std::string& iqn) override {
    return m_tx.find_iscsi_target(iqn);
  }
  Result<NotifyMethod> find_notify_method(const std::string& name) override {
    return m_tx.find_notify_method(name);
  }
  Result<App> find_app_by_token(const std::string& token_sha256) override {
    return m_tx.find_app_by_token(token_sha256);
  }
  Result<JoinToken> find_join_token(const std::string& token_sha256) override {
    return m_tx.find_join_token(token_sha256);
  }

  Result<UserSecrets> get_user_secrets(const Id& user_id) override {
    return m_tx.get_user_secrets(user_id);
  }
  Result<Revision> set_user_secrets(const Id& user_id, const UserSecrets& secrets) override {
    return m_tx.set_user_secrets(user_id, secrets);
  }
  Status touch_app(const Id& app_id, Timestamp when) override {
    return noted(m_tx.touch_app(app_id, when), Touch::App{app_id, when});
  }
  Status touch_server(const Server& figures) override {
    return noted(m_tx.touch_server(figures), figures);
  }
  Status touch_filesystem(const FileSystem& figures) override {
    return noted(m_tx.touch_filesystem(figures), figures);
  }
  Status touch_server_observed(const Id& server_id, Revision observed) override {
    return noted(m_tx.touch_server_observed(server_id, observed),
                 Touch::Observed{server_id, observed});
  }
  Status touch_space_usage(const Id& space_id, std::uint64_t used_bytes, Timestamp when) override {
    return noted(m_tx.touch_space_usage(space_id, used_bytes, when),
                 Touch::Usage{space_id, used_bytes, when});
  }

  Result<GroupMember> add_group_member(const Id& group_id, const Id& user_id,
                                       AclState new_rows) override {
    return m_tx.add_group_member(group_id, user_id, new_rows);
  }
  Status remove_group_member(const Id& group_id, const Id& user_id) override {
    return m_tx.remove_group_member(group_id, user_id);
  }
  Result<std::vector<GroupMember>> list_group_members(const Id& group_id) override {
    return m_tx.list_group_members(group_id);
  }
  Result<std::vector<Group>> list_user_groups(const Id& user_id) override {
    return m_tx.list_user_groups(user_id);
  }

  Result<AclEntry> grant_user(const Id& share_id, const Id& user_id, ShareLevel level,
                              AclState new_rows) override {
    return m_tx.grant_user(share_id, user_id, level, new_rows);
  }
  Status revoke_user(const Id& share_id, const Id& user_id) override {
    return m_tx.revoke_user(share_id, user_id);
  }
  Result<GroupGrant> grant_group(const Id& share_id, const Id& group_id, ShareLevel level,
                                 AclState new_rows) override {
    return m_tx.grant_group(share_id, group_id, level, new_rows);
  }
  Status revoke_group(const Id& share_id, const Id& group_id) override {
    return m_tx.revoke_group(share_id, group_id);
  }
  Result<std::vector<AclEntry>> list_acl(const Id& share_id) override {
    return m_tx.list_acl(share_id);
  }
  Result<std::vector<GroupGrant>> list_group_grants(const Id& share_id) override {
    return m_tx.list_group_grants(share_id);
  }
  Result<std::vector<AclEntry>> list_user_acl(const Id& user_id) override {
    return m_tx.list_user_acl(user_id);
  }
  Status set_acl_state(const Id& share_id, const Id& user_id, AclState state) override {
    return m_tx.set_acl_state(share_id, user_id, state);
  }
  Status remove_user_acl(const Id& share_id, const Id& user_id) override {
    return m_tx.remove_user_acl(share_id, user_id);
  }

  Result<std::optional<UserAccess>> effective_share_access(const Id& user_id,
                                                           const Id& share_id) override {
    return m_tx.effective_share_access(user_id, share_id);
  }
  Result<std::vector<UserAccess>> share_access(const Id& share_id) override {
    return m_tx.share_access(share_id);
  }
  Result<std::vector<Binding>> applicable_bindings(const Id& user_id,
                                                   const std::vector<std::string>& external_groups,
                                                   const std::optional<Id>& space_id) override {
    return m_tx.applicable_bindings(user_id, external_groups, space_id);
  }
  Result<std::vector<AclEntry>> list_all_acl() override { return m_tx.list_all_acl(); }
  Result<std::vector<GroupGrant>> list_all_group_grants() override {
    return m_tx.list_all_group_grants();
  }
  Result<std::vector<GroupMember>> list_all_group_members() override {
    return m_tx.list_all_group_members();
  }
  Result<Bookkeeping> read_bookkeeping() override { return m_tx.read_bookkeeping(); }
  Result<std::vector<AuditEvent>> list_audit(const AuditQuery& query) override {
    return m_tx.list_audit(query);
  }
  Revision write_revision() const override { return m_tx.write_revision(); }

private:
  template <typename T>
  Status noted(Status done, T&& touch) {
    if (done) {
      m_touches.push_back(Touch{std::forward<T>(touch)});
    }
    return done;
  }

  Tx& m_tx;
  std::vector<Touch>& m_touches;
};

} // namespace sharectl::store::view
