// The read view's data: every document of the store except audit events, the natural-key and
// parent indexes the reads need, group members, group grants and each share's ACL rows as the
// backend answers list_acl. Plain data with no locking and no I/O: ViewStore owns one, changes
// it under its exclusive lock and reads it under its shared lock (agent/store/view/README.md).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "agent/store/tx.hpp"

namespace sharectl::store::view {

// Ids of users and groups as small numbers, so that a million ACL rows do not hold three
// 36-character strings each. Ids are never reused by the store, so the pool only grows (it is
// rebuilt with the state at a full reload). 0 is "none".
class IdPool {
public:
  IdPool() { m_ids.emplace_back(); }
  std::uint32_t intern(const Id& id);
  // The number of id, or 0 when it was never interned.
  std::uint32_t find(const Id& id) const;
  const Id& id(std::uint32_t n) const { return m_ids[n]; }
  std::size_t size() const { return m_ids.size() - 1; }

private:
  std::deque<Id> m_ids;                                          // a deque never moves them
  std::unordered_map<std::string_view, std::uint32_t> m_numbers; // views into m_ids
};

// One ACL row of a share, compact (the share is the key it is kept under).
struct AclRow {
  std::uint32_t user = 0;
  std::uint32_t group = 0; // 0: a direct grant
  ShareLevel level = ShareLevel::read;
  AclState state = AclState::pending;
  Revision revision = 0;
  Timestamp created_at{};
  Timestamp updated_at{};
};

// One member of a group, compact (the group is the key it is kept under).
struct MemberRow {
  std::uint32_t user = 0;
  Revision revision = 0;
  Timestamp created_at{};
};

// A document's place in creation order: (created_at, id), as the SQL backends order lists; doc
// points at the document (map nodes never move, and a replaced document keeps its node).
struct OrderKey {
  Timestamp at{};
  std::string_view id;
  const void* doc = nullptr;
  bool operator<(const OrderKey& o) const { return at != o.at ? at < o.at : id < o.id; }
  template <typename E>
  const E& get() const {
    return *static_cast<const E*>(doc);
  }
};

// The documents of one kind with their creation order and, for kinds with a parent, the
// children of each parent.
template <typename E>
struct Docs {
  std::unordered_map<Id, E> by_id;
  std::set<OrderKey> order; // ids are views into by_id's keys
  std::unordered_map<Id, std::set<OrderKey>> by_parent;
};

// The natural keys the Tx look-ups use.
enum class Index : std::uint8_t {
  user_name,
  user_email,
  role_name,
  group_name,
  group_external_id,
  server_name,
  filesystem_path, // server id + '\0' + path
  space_name,      // owner id + '\0' + name
  share_name,      // folded to ASCII lower case
  target_iqn,
  method_name,
  app_token,
  join_token,
  count
};

// How many objects and rows the view holds (metrics, benchmarks).
struct Counts {
  std::size_t documents = 0;
  std::size_t acl_rows = 0;
  std::size_t members = 0;
  std::size_t grants = 0;
};

class State {
public:
  // The parent a kind's lists are narrowed by (ListQuery::parent), nullopt for kinds without.
  template <typename E>
  static std::optional<Id> parent_of(const E& e);

  // --- changes (the caller holds the exclusive lock) ---------------------------------------
  // Inserts or replaces a document (never an audit event).
  void put(Entity e);
  // Removes a document and what the store deletes with it (ON DELETE CASCADE / SET NULL):
  // a user's apps, memberships, bindings and ACL rows, and the owner of their notify methods
  // and join tokens; a group's members, bindings, grants and rows; a role's rules and
  // bindings; a space's bindings; a share's rows and grants; a notify method's hooks.
  void erase(Kind kind, const Id& id);
  void set_acl(const Id& share_id, const std::vector<AclEntry>& rows);
  void set_grants(const Id& share_id, std::vector<GroupGrant> grants);
  void set_members(const Id& group_id, const std::vector<GroupMember>& members);
  // Lays bookkeeping figures over the documents they belong to (unknown ids are ignored).
  void apply(const Bookkeeping& figures);
  void touch_app(const Id& id, Timestamp when);
  void touch_server(const Server& figures, Timestamp now);
  void touch_server_observed(const Id& id, Revision observed);
  void touch_filesystem(const Id& id, std::uint64_t free_bytes);
  void touch_space_usage(const Id& id, std::uint64_t used_bytes, Timestamp when);

  // --- reads (the caller holds the shared lock) ---------------------------------------------
  template <typename E>
  const E* find(const Id& id) const {
    const auto& d = docs<E>();
    auto it = d.by_id.find(id);
    return it == d.by_id.end() ? nullptr : &it->second;
  }
  // The document of kind E indexed under key, or nullptr.
  template <typename E>
  const E* lookup(Index index, const std::string& key) const {
    const auto& map = m_index[static_cast<std::size_t>(index)];
    auto it = map.find(key);
    return it == map.end() ? nullptr : find<E>(Id(it->second));
  }
  template <typename E>
  const Docs<E>& docs() const {
    return std::get<Docs<E>>(m_docs);
  }
  // The share ids a group is granted on, and the share ids a user has rows on (ordered).
  const std::set<Id>* shares_of_group(const Id& group_id) const;
  std::vector<Id> shares_of_user(const Id& user_id) const; // ordered by id
  const std::set<Id>* groups_of_user(const Id& user_id) const;
  std::vector<AclEntry> acl(const Id& share_id) const;
  // The rows of one user on one share (for access queries), in list_acl order.
  std::vector<AclEntry> acl_of(const Id& share_id, const Id& user_id) const;
  std::vector<GroupGrant> grants(const Id& share_id) const;
  std::vector<GroupMember> members(const Id& group_id) const;
  Counts counts() const;

  static std::string fold(std::string_view name);

private:
  template <typename E>
  Docs<E>& docs() {
    return std::get<Docs<E>>(m_docs);
  }
  template <typename E>
  void put_typed(E e);
  template <typename E>
  void erase_typed(const Id& id);
  template <typename E>
  void index(const E& e, std::string_view id, bool add);
  template <typename E>
  void link(typename std::unordered_map<Id, E>::iterator it, bool add);
  void drop_user_rows(std::uint32_t user);
  void drop_group(const Id& group_id);
  AclEntry expand(const Id& share_id, const AclRow& row) const;

  std::tuple<Docs<User>, Docs<App>, Docs<Role>, Docs<Rule>, Docs<Binding>, Docs<Group>,
             Docs<Server>, Docs<FileSystem>, Docs<Space>, Docs<Share>, Docs<IscsiTarget>,
             Docs<IscsiLun>, Docs<NotifyMethod>, Docs<NotifyHook>, Docs<JoinToken>>
      m_docs;
  std::array<std::unordered_map<std::string, std::string_view>,
             static_cast<std::size_t>(Index::count)>
      m_index; // key → id (a view into the document map's key)
  IdPool m_ids;
  std::unordered_map<Id, std::vector<AclRow>> m_acl; // share → rows in list_acl order
  std::unordered_map<std::uint32_t, std::set<std::uint32_t>> m_user_shares; // numbers of both
  std::unordered_map<Id, std::vector<GroupGrant>> m_grants; // share → grants by group id
  std::unordered_map<Id, std::set<Id>> m_group_shares;
  std::unordered_map<Id, std::vector<MemberRow>> m_members; // group → members, oldest first
  std::unordered_map<std::uint32_t, std::set<Id>> m_user_groups;
};

} // namespace sharectl::store::view
