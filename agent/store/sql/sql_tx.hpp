// The shared SQL implementation of Tx, used by the SQLite and PostgreSQL backends alike: the
// same statements (with $n placeholders) over the same schema. The backend's SqlStore opens the
// transaction, hands a SqlTx to the caller's function, then calls finish() and commits.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/store/sql/connection.hpp"
#include "agent/store/tx_dispatch.hpp"

namespace sharectl::store::sql {

// The Error for a database failure: unique → conflict, foreign key → conflict, check →
// bad_request, serialization → conflict, busy / connection → unavailable, other → internal.
// context says what was being done (e.g. "create space").
Error to_error(const SqlError& error, std::string_view context);

// One SQL transaction seen through Tx. Not thread-safe; lives inside one transaction.
class SqlTx final : public TxDispatch<SqlTx> {
public:
  // A transaction on conn (already begun); writable false makes every write fail.
  SqlTx(Connection& conn, bool writable, std::function<Timestamp()> clock);

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
  Status set_acl_state(const Id& share_id, const Id& user_id, model::AclState state) override;
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

  // Writes the change-feed rows of this transaction and prunes old ones; call before COMMIT.
  Status finish();
  // The kind of the last database failure seen, if any (for retry decisions).
  std::optional<Fault> last_fault() const { return m_fault; }

  // Runs one statement; database failures become Errors (see to_error) with this context.
  Result<Rows> query(std::string_view sql, const Params& params, std::string_view context);
  // Like query, but hands back the raw SqlError (after recording its fault).
  SqlResult<Rows> query_raw(std::string_view sql, const Params& params);

  // The revision this transaction writes at, allocated by the first write. internal in a
  // read-only transaction.
  Result<Revision> write_rev(std::string_view context);
  // Notes that an object changed in this transaction (for the change feed).
  void record(Kind kind, const Id& id, bool deleted);
  // The current time of the store's clock.
  Timestamp now() const { return m_clock(); }

private:
  friend class TxDispatch<SqlTx>;
  template <typename E>
  Result<E> create_impl(E e);
  template <typename E>
  Result<E> get_impl(const Id& id);
  template <typename E>
  Result<E> update_impl(E e);
  template <typename E>
  Status remove_impl(const Id& id, std::optional<Revision> expected);
  template <typename E>
  Result<std::vector<E>> list_impl(const ListQuery& query);
  template <typename E>
  Result<E> find_one(std::string_view where, const Params& params, const std::string& what);
  template <typename E>
  Result<std::vector<E>> select_many(std::string_view tail, const Params& params);
  template <typename E>
  std::string taken_message(const std::vector<std::string>& columns, const Params& params,
                            std::string_view constraint);
  Status touch_shares(const std::vector<Id>& share_ids);
  Result<std::vector<Id>> ids(std::string_view sql, const Params& params);
  Status upsert_acl_rows(std::string_view select_tail, const Params& params);
  Result<AclEntry> load_acl(const Id& share_id, const Id& user_id, const std::string& group_key);

  Connection& m_conn;
  bool m_writable;
  std::function<Timestamp()> m_clock;
  Revision m_revision = 0;
  std::map<std::pair<Kind, Id>, bool> m_changes;
  std::optional<Fault> m_fault;
};

} // namespace sharectl::store::sql

// Instantiated once, in sql_tx.cpp (where the *_impl templates are defined).
extern template class sharectl::store::TxDispatch<sharectl::store::sql::SqlTx>;
