// The store's transaction interface: typed repositories of the domain (DESIGN.md "Domain
// model"), not SQL. Every backend implements Tx: the SQL backends over tables, a future etcd
// backend over keys with compare-and-swap commits (agent/store/README.md maps both).
//
// All operations return Error values, never throw: not_found (no such object), conflict (a
// unique name is taken, the object changed since the expected revision, or it is still
// referenced), bad_request (an operation the kind does not support), unavailable (the backend
// cannot be reached), internal (a bug or a corrupt row).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "common/model/entities.hpp"
#include "common/util/error.hpp"

namespace sharectl::store {

using model::AclEntry;
using model::AclState;
using model::App;
using model::AuditEvent;
using model::Binding;
using model::FileSystem;
using model::Group;
using model::GroupGrant;
using model::GroupMember;
using model::Id;
using model::IscsiLun;
using model::IscsiTarget;
using model::JoinToken;
using model::Kind;
using model::NotifyHook;
using model::NotifyMethod;
using model::ObjectStatus;
using model::Revision;
using model::Role;
using model::Rule;
using model::Server;
using model::Share;
using model::ShareLevel;
using model::Space;
using model::Timestamp;
using model::User;
using model::UserAccess;
using model::UserSecrets;

// Every document kind, for the type-erased core of Tx.
using Entity = std::variant<User, App, Role, Rule, Binding, Group, Server, FileSystem, Space, Share,
                            IscsiTarget, IscsiLun, AuditEvent, NotifyMethod, NotifyHook, JoinToken>;

// Which objects list() returns. parent narrows to the children of one object: app → user,
// rule → role, binding → role, filesystem → server, space → owner (user), share → space,
// iscsi_target → server, iscsi_lun → target, notify_hook → method, audit_event → actor.
// Other kinds have no parent (bad_request if set). limit 0 = no limit. Ordered by creation.
struct ListQuery {
  std::optional<Id> parent;
  std::size_t limit = 0;
};

// Which audit events list_audit() returns, newest first.
struct AuditQuery {
  std::optional<Timestamp> since;
  std::optional<Id> actor_id;
  std::size_t limit = 100;
};

// The bookkeeping figures of every object that has them (what touch_* writes: no revision, no
// change-feed entry), read in one go by the read view to keep them fresh.
struct Bookkeeping {
  struct SpaceUsage {
    Id id;
    std::uint64_t used_bytes = 0;
    std::optional<Timestamp> used_at;
  };
  struct AppUse {
    Id id;
    Timestamp last_used_at{};
  };
  std::vector<Server> servers;         // whole: status, heartbeat figures, observed_revision
  std::vector<FileSystem> filesystems; // whole: free_bytes
  std::vector<SpaceUsage> spaces;      // used_bytes, used_at
  std::vector<AppUse> apps;            // last_used_at
};

// One transaction. Obtained from Store::transact / Store::view and valid only inside the
// callback. A write in a view() transaction fails with internal.
class Tx {
public:
  virtual ~Tx() = default;

  // --- documents of every kind --------------------------------------------------------------

  // Stores a new object; assigns id (if empty), revision and timestamps and returns the stored
  // object. conflict when a unique key is taken (the message names it), not_found when a
  // referenced object does not exist.
  template <typename E>
  Result<E> create(E object) {
    return unwrap<E>(create_entity(Entity{std::move(object)}));
  }

  // The object with this id; not_found if there is none.
  template <typename E>
  Result<E> get(const Id& id) {
    return unwrap<E>(get_entity(E::k_kind, id));
  }

  // Replaces the object whose id and revision match object.id and object.revision (the
  // revision the caller read); returns it with its new revision. conflict when the object
  // changed since (or a unique key is taken), not_found when it is gone.
  template <typename E>
  Result<E> update(E object) {
    return unwrap<E>(update_entity(Entity{std::move(object)}));
  }

  // Deletes the object; with expected set, only if it is still at that revision (else
  // conflict). not_found when it is gone; conflict when other objects still refer to it.
  template <typename E>
  Status remove(const Id& id, std::optional<Revision> expected = std::nullopt) {
    return remove_entity(E::k_kind, id, expected);
  }

  // The objects of kind E, per query (see ListQuery).
  template <typename E>
  Result<std::vector<E>> list(const ListQuery& query = {}) {
    auto all = list_entities(E::k_kind, query);
    if (!all) {
      return std::unexpected(all.error());
    }
    std::vector<E> out;
    out.reserve(all->size());
    for (auto& e : *all) {
      out.push_back(std::get<E>(std::move(e)));
    }
    return out;
  }

  // Type-erased create (see create).
  virtual Result<Entity> create_entity(Entity object) = 0;
  // Type-erased get (see get).
  virtual Result<Entity> get_entity(Kind kind, const Id& id) = 0;
  // Type-erased update (see update).
  virtual Result<Entity> update_entity(Entity object) = 0;
  // Type-erased remove (see remove).
  virtual Status remove_entity(Kind kind, const Id& id, std::optional<Revision> expected) = 0;
  // Type-erased list (see list).
  virtual Result<std::vector<Entity>> list_entities(Kind kind, const ListQuery& query) = 0;

  // Records what a host applied to a space, share, filesystem or iSCSI target: status, its
  // message and the revision applied. Returns the object's new revision. not_found when gone;
  // bad_request for other kinds.
  virtual Result<Revision> set_status(Kind kind, const Id& id, ObjectStatus status,
                                      std::string message, Revision observed_revision) = 0;

  // --- look-ups by natural key (not_found if none) ---------------------------------------

  // The user with this username.
  virtual Result<User> find_user(const std::string& username) = 0;
  // The user with this e-mail address.
  virtual Result<User> find_user_by_email(const std::string& email) = 0;
  // The role with this name.
  virtual Result<Role> find_role(const std::string& name) = 0;
  // The group with this name.
  virtual Result<Group> find_group(const std::string& name) = 0;
  // The external group with this external id (hash of its LDAP DN).
  virtual Result<Group> find_group_by_external_id(const std::string& external_id) = 0;
  // The server with this name.
  virtual Result<Server> find_server(const std::string& name) = 0;
  // The filesystem of this server at this mount path.
  virtual Result<FileSystem> find_filesystem(const Id& server_id, const std::string& path) = 0;
  // The space of this owner with this name.
  virtual Result<Space> find_space(const Id& owner_id, const std::string& name) = 0;
  // The share with this name, ignoring ASCII case.
  virtual Result<Share> find_share(const std::string& name) = 0;
  // The name of each space's first share (by creation) → {space id: share name}, for the spaces
  // of `owner_id` or, without one, of everyone; spaces without shares are absent. One query for
  // a whole list of spaces.
  virtual Result<std::map<Id, std::string>>
  first_share_names(const std::optional<Id>& owner_id) = 0;
  // The iSCSI target with this IQN.
  virtual Result<IscsiTarget> find_iscsi_target(const std::string& iqn) = 0;
  // The notify method with this name.
  virtual Result<NotifyMethod> find_notify_method(const std::string& name) = 0;
  // The app whose token has this SHA-256 (hex).
  virtual Result<App> find_app_by_token(const std::string& token_sha256) = 0;
  // The join token with this SHA-256 (hex).
  virtual Result<JoinToken> find_join_token(const std::string& token_sha256) = 0;

  // --- users and apps -----------------------------------------------------------------------

  // The user's password and NT hashes; not_found if no such user.
  virtual Result<UserSecrets> get_user_secrets(const Id& user_id) = 0;
  // Replaces the user's hashes (a change of the user: new revision). not_found if no such user.
  virtual Result<Revision> set_user_secrets(const Id& user_id, const UserSecrets& secrets) = 0;
  // Records that an app was used: last_used_at only, no new revision and no change-feed
  // entry (it is bookkeeping, not desired state). not_found if no such app.
  virtual Status touch_app(const Id& app_id, Timestamp when) = 0;

  // --- heartbeats ---------------------------------------------------------------------------

  // Records a server's heartbeat: last_heartbeat, load_average, memory_* and net_* of
  // `figures` (last_heartbeat unset: now) on the row `figures.id`; like touch_app, no new revision
  // and no change-feed entry (liveness is not desired state, and hosts must not reconcile on every
  // beat). not_found if no such server.
  virtual Status touch_server(const Server& figures) = 0;
  // Records a filesystem's free bytes (free_bytes of `figures` on the row `figures.id`); no new
  // revision, no change-feed entry. not_found if no such filesystem.
  virtual Status touch_filesystem(const FileSystem& figures) = 0;
  // Records the store revision up to which the server's reconciler has applied everything
  // (observed_revision); bookkeeping like touch_server: no new revision, no change-feed entry,
  // never written by create or update. not_found if no such server.
  virtual Status touch_server_observed(const Id& server_id, Revision observed) = 0;
  // Records what a space uses as its host measured it at `when` (used_bytes, used_at); no new
  // revision, no change-feed entry, and create/update of the space never write these two
  // columns (so a resize keeps them). bad_request when used_bytes does not fit the store;
  // not_found if no such space.
  virtual Status touch_space_usage(const Id& space_id, std::uint64_t used_bytes,
                                   Timestamp when) = 0;

  // --- groups -------------------------------------------------------------------------------

  // Adds a user to a group and gives them one ACL row for every share the group is granted
  // (state: that of their existing rows on the share, else new_rows). conflict if already a
  // member; not_found if the group or user does not exist.
  virtual Result<GroupMember> add_group_member(const Id& group_id, const Id& user_id,
                                               AclState new_rows) = 0;
  // Removes a user from a group and deletes their ACL rows from that group. not_found if not
  // a member.
  virtual Status remove_group_member(const Id& group_id, const Id& user_id) = 0;
  // The members of a group, oldest first.
  virtual Result<std::vector<GroupMember>> list_group_members(const Id& group_id) = 0;
  // The groups a user is a member of, by name.
  virtual Result<std::vector<Group>> list_user_groups(const Id& user_id) = 0;

  // --- share ACL (data plane) ---------------------------------------------------------------

  // The state of a new ACL row (grant_user, grant_group, add_group_member): that of the user's
  // existing rows on the share when there are any — all rows of one (user, share) always share
  // one state, and these three operations are the only ones that create rows — else the
  // share's own `invitations` (pending when true, active when false), else new_rows (the agent
  // config's default).

  // Grants a user directly (creates or changes their direct row). A changed ACL marks the
  // share pending at a new revision, since its host must render it again.
  virtual Result<AclEntry> grant_user(const Id& share_id, const Id& user_id, ShareLevel level,
                                      AclState new_rows) = 0;
  // Removes a user's direct row (group rows stay). not_found if there is none.
  virtual Status revoke_user(const Id& share_id, const Id& user_id) = 0;
  // Grants a group: records the grant and creates or changes one row per member.
  virtual Result<GroupGrant> grant_group(const Id& share_id, const Id& group_id, ShareLevel level,
                                         AclState new_rows) = 0;
  // Removes a group's grant and its rows. not_found if the group has no grant on the share.
  virtual Status revoke_group(const Id& share_id, const Id& group_id) = 0;
  // Every ACL row of a share.
  virtual Result<std::vector<AclEntry>> list_acl(const Id& share_id) = 0;
  // Every group grant of a share.
  virtual Result<std::vector<GroupGrant>> list_group_grants(const Id& share_id) = 0;
  // Every ACL row of a user (their shares and invitations).
  virtual Result<std::vector<AclEntry>> list_user_acl(const Id& user_id) = 0;
  // Sets the state of all of a user's rows on a share (accept = active; they never differ).
  // not_found if the user has no row there.
  virtual Status set_acl_state(const Id& share_id, const Id& user_id, AclState state) = 0;
  // Deletes all of a user's rows on a share, direct and from groups (a declined invitation);
  // the memberships stay. not_found if the user has no row there.
  virtual Status remove_user_acl(const Id& share_id, const Id& user_id) = 0;

  // --- access queries -----------------------------------------------------------------------

  // A user's effective access to a share: max level over their rows (direct and via groups)
  // and the rows' state; nullopt if they have none.
  virtual Result<std::optional<UserAccess>> effective_share_access(const Id& user_id,
                                                                   const Id& share_id) = 0;
  // The effective access of every user with a row on the share (for rendering smb.conf).
  virtual Result<std::vector<UserAccess>> share_access(const Id& share_id) = 0;
  // The bindings that apply to a user for a resource: bound to the user, to a group the user
  // is in, or to one of external_groups (names from LDAP/OIDC); scoped to the cluster or, when
  // space_id is set, to that space.
  virtual Result<std::vector<Binding>>
  applicable_bindings(const Id& user_id, const std::vector<std::string>& external_groups,
                      const std::optional<Id>& space_id) = 0;

  // --- whole-store reads (the read view's load and refresh) -------------------------------
  // Defaults compose the per-object reads above; a backend overrides them with one query.

  // Every ACL row of every share, as list_acl answers them, grouped by share.
  virtual Result<std::vector<AclEntry>> list_all_acl();
  // Every group grant of every share, grouped by share.
  virtual Result<std::vector<GroupGrant>> list_all_group_grants();
  // Every member of every group, grouped by group, oldest first within a group.
  virtual Result<std::vector<GroupMember>> list_all_group_members();
  // The bookkeeping figures of every server, filesystem, space and app.
  virtual Result<Bookkeeping> read_bookkeeping();

  // --- audit --------------------------------------------------------------------------------

  // Audit events per query, newest first.
  virtual Result<std::vector<AuditEvent>> list_audit(const AuditQuery& query) = 0;

  // The revision this transaction writes at; 0 until its first write.
  virtual Revision write_revision() const = 0;

private:
  template <typename E>
  static Result<E> unwrap(Result<Entity>&& r) {
    if (!r) {
      return std::unexpected(std::move(r.error()));
    }
    return std::get<E>(std::move(*r));
  }
};

} // namespace sharectl::store
