// EtcdTx: the store's Tx over one KvTx (a snapshot at one etcd revision with buffered writes),
// in the key layout of layout.hpp: documents, unique keys, children and references
// (etcd_tx.cpp); the share ACL derived from grants and memberships (etcd_tx_access.cpp over
// acl_rows.hpp); groups, bindings and audit (etcd_tx_groups.cpp); bookkeeping overlays, secrets
// and list helpers (etcd_tx_bookkeeping.cpp); what a delete takes with it (etcd_tx_cleanup.cpp);
// look-ups by natural key and host status (etcd_tx_lookups.cpp); whole-store reads in a few
// paged prefix ranges (etcd_tx_bulk.cpp). The store revision is a counter
// kept in the head key's value: a change reads N at its snapshot and writes N + 1 into the head,
// into every document it touches and into its change-feed key.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "agent/store/etcd/kv_store.hpp"
#include "agent/store/etcd/layout.hpp"
#include "agent/store/tx_dispatch.hpp"

namespace sharectl::store::etcd {

// The value of the head key: the store revision and the change that wrote it.
struct Head {
  Revision revision = 0;
  std::string change;
};
std::string encode_head(const Head& head);
// The head as stored; a missing or foreign value reads as revision 0.
Head decode_head(const std::optional<KeyValue>& kv);

// How many keys a cleanup may touch in one change beyond what the operation itself needs
// (share re-render marks, reverse hints); past it the cleanup is left to readers (agent/store/
// README.md "Mapping to etcd": hints are verified on read).
inline constexpr std::size_t k_cleanup_budget = 48;

class EtcdTx final : public TxDispatch<EtcdTx> {
public:
  EtcdTx(KvTx& kv, const Layout& layout, bool writable, std::function<Timestamp()> clock);

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
  Result<std::vector<AclEntry>> list_all_acl() override;
  Result<std::vector<GroupGrant>> list_all_group_grants() override;
  Result<std::vector<GroupMember>> list_all_group_members() override;
  Result<Bookkeeping> read_bookkeeping() override;

  Result<std::vector<AuditEvent>> list_audit(const AuditQuery& query) override;

  Revision write_revision() const override { return m_revision; }

  // Buffers the change-feed entry and the head of a change; call once after the callback.
  void finish();
  // The changes this transaction made: (kind, id) → deleted.
  const std::map<std::pair<Kind, Id>, bool>& changed() const { return m_changes; }

  // Internal helpers shared by the three parts (public for the part files' free functions).
  Result<Revision> write_rev(std::string_view context);
  void record(Kind kind, const Id& id, bool deleted) { m_changes[{kind, id}] = deleted; }
  Timestamp now() const { return m_clock ? m_clock() : model::now_utc(); }
  template <typename E>
  Result<E> load(const Id& id);
  template <typename E>
  Result<std::vector<E>> load_many(const std::vector<Id>& ids);
  template <typename E>
  Result<E> find_by_index(const std::string& key, const std::string& what);
  template <typename E>
  Status put_document(const E& e);
  // Marks shares pending at this change's revision (a host must render them again).
  Status touch_shares(const std::set<Id>& shares);
  Status ensure_exists(Kind kind, const Id& id, const std::string& what);

  KvTx& kv() { return m_kv; }
  const Layout& keys() const { return m_layout; }

private:
  friend class TxDispatch<EtcdTx>;
  template <typename E>
  Result<E> create_impl(E e);
  template <typename E>
  Result<E> get_impl(const Id& id) {
    return load<E>(id);
  }
  template <typename E>
  Result<E> update_impl(E e);
  template <typename E>
  Status remove_impl(const Id& id, std::optional<Revision> expected);
  template <typename E>
  Result<std::vector<E>> list_impl(const ListQuery& query);
  template <typename E>
  Status delete_document(const E& e);
  Status delete_referrers(const Id& id, const std::string& what);
  Status forget_user(const Id& user_id);
  Status forget_group(const Id& group_id);
  Status forget_share(const Id& share_id);

  KvTx& m_kv;
  const Layout& m_layout;
  bool m_writable;
  std::function<Timestamp()> m_clock;
  Revision m_revision = 0;
  std::map<std::pair<Kind, Id>, bool> m_changes;
};

} // namespace sharectl::store::etcd

// Instantiated once, in etcd_tx.cpp (where the *_impl templates are defined).
extern template class sharectl::store::TxDispatch<sharectl::store::etcd::EtcdTx>;
