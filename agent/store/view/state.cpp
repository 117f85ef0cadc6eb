#include "agent/store/view/state.hpp"

#include <algorithm>
#include <type_traits>

#include "agent/store/kinds.hpp"

namespace sharectl::store::view {

std::uint32_t IdPool::intern(const Id& id) {
  if (auto it = m_numbers.find(id); it != m_numbers.end()) {
    return it->second;
  }
  m_ids.push_back(id);
  const auto n = static_cast<std::uint32_t>(m_ids.size() - 1);
  m_numbers.emplace(std::string_view(m_ids.back()), n);
  return n;
}

std::uint32_t IdPool::find(const Id& id) const {
  auto it = m_numbers.find(id);
  return it == m_numbers.end() ? 0 : it->second;
}

std::string State::fold(std::string_view name) {
  std::string out(name);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

template <typename E>
std::optional<Id> State::parent_of(const E& e) {
  if constexpr (std::is_same_v<E, App>) {
    return e.user_id;
  } else if constexpr (std::is_same_v<E, Rule> || std::is_same_v<E, Binding>) {
    return e.role_id;
  } else if constexpr (std::is_same_v<E, FileSystem> || std::is_same_v<E, IscsiTarget>) {
    return e.server_id;
  } else if constexpr (std::is_same_v<E, Space>) {
    return e.owner_id;
  } else if constexpr (std::is_same_v<E, Share>) {
    return e.space_id;
  } else if constexpr (std::is_same_v<E, IscsiLun>) {
    return e.target_id;
  } else if constexpr (std::is_same_v<E, NotifyHook>) {
    return e.method_id;
  } else {
    (void)e;
    return std::nullopt;
  }
}

namespace {

std::string pair_key(const Id& a, const std::string& b) {
  std::string out = a;
  out.push_back('\0');
  out += b;
  return out;
}

// Calls f(index, key) for each natural key of e.
template <typename E, typename F>
void for_each_key(const E& e, F&& f) {
  if constexpr (std::is_same_v<E, User>) {
    f(Index::user_name, e.username);
    if (e.email) {
      f(Index::user_email, *e.email);
    }
  } else if constexpr (std::is_same_v<E, Role>) {
    f(Index::role_name, e.name);
  } else if constexpr (std::is_same_v<E, Group>) {
    f(Index::group_name, e.name);
    if (e.external_id) {
      f(Index::group_external_id, *e.external_id);
    }
  } else if constexpr (std::is_same_v<E, Server>) {
    f(Index::server_name, e.name);
  } else if constexpr (std::is_same_v<E, FileSystem>) {
    f(Index::filesystem_path, pair_key(e.server_id, e.path));
  } else if constexpr (std::is_same_v<E, Space>) {
    f(Index::space_name, pair_key(e.owner_id, e.name));
  } else if constexpr (std::is_same_v<E, Share>) {
    f(Index::share_name, State::fold(e.name));
  } else if constexpr (std::is_same_v<E, IscsiTarget>) {
    f(Index::target_iqn, e.iqn);
  } else if constexpr (std::is_same_v<E, NotifyMethod>) {
    f(Index::method_name, e.name);
  } else if constexpr (std::is_same_v<E, App>) {
    f(Index::app_token, e.token_sha256);
  } else if constexpr (std::is_same_v<E, JoinToken>) {
    f(Index::join_token, e.token_sha256);
  } else {
    (void)e;
    (void)f;
  }
}

} // namespace

template <typename E>
void State::index(const E& e, std::string_view id, bool add) {
  for_each_key(e, [&](Index index, const std::string& key) {
    auto& map = m_index[static_cast<std::size_t>(index)];
    if (add) {
      map.insert_or_assign(key, id);
    } else if (auto it = map.find(key); it != map.end() && it->second == id) {
      map.erase(it);
    }
  });
}

template <typename E>
void State::link(typename std::unordered_map<Id, E>::iterator it, bool add) {
  auto& d = docs<E>();
  const std::string_view id = it->first;
  const OrderKey key{it->second.created_at, id, &it->second};
  const auto parent = parent_of(it->second);
  if (add) {
    d.order.insert(key);
    if (parent) {
      d.by_parent[*parent].insert(key);
    }
  } else {
    d.order.erase(key);
    if (parent) {
      if (auto p = d.by_parent.find(*parent); p != d.by_parent.end()) {
        p->second.erase(key);
        if (p->second.empty()) {
          d.by_parent.erase(p);
        }
      }
    }
  }
  index(it->second, id, add);
}

template <typename E>
void State::put_typed(E e) {
  auto& d = docs<E>();
  auto it = d.by_id.find(e.id);
  if (it != d.by_id.end()) {
    link<E>(it, false);
    it->second = std::move(e);
  } else {
    Id id = e.id;
    it = d.by_id.emplace(std::move(id), std::move(e)).first;
  }
  link<E>(it, true);
}

void State::put(Entity e) {
  std::visit(
      [&]<typename E>(E& doc) {
        if constexpr (!std::is_same_v<E, AuditEvent>) {
          put_typed<E>(std::move(doc));
        }
      },
      e);
}

namespace {

// The ids of the documents in an order set (copied: erasing invalidates the views).
std::vector<Id> ids_of(const std::set<OrderKey>* keys) {
  std::vector<Id> out;
  if (keys != nullptr) {
    for (const OrderKey& key : *keys) {
      out.emplace_back(key.id);
    }
  }
  return out;
}

template <typename E>
const std::set<OrderKey>* children(const Docs<E>& d, const Id& parent) {
  auto it = d.by_parent.find(parent);
  return it == d.by_parent.end() ? nullptr : &it->second;
}

} // namespace

template <typename E>
void State::erase_typed(const Id& id) {
  auto& d = docs<E>();
  auto it = d.by_id.find(id);
  if (it == d.by_id.end()) {
    return;
  }
  link<E>(it, false);
  d.by_id.erase(it);
  // What the store deletes or changes with it.
  auto drop_bindings = [&](auto&& matches) {
    std::vector<Id> doomed;
    for (const auto& [bid, b] : docs<Binding>().by_id) {
      if (matches(b)) {
        doomed.push_back(bid);
      }
    }
    for (const Id& bid : doomed) {
      erase_typed<Binding>(bid);
    }
  };
  if constexpr (std::is_same_v<E, User>) {
    for (const Id& app : ids_of(children(docs<App>(), id))) {
      erase_typed<App>(app);
    }
    drop_bindings([&](const Binding& b) {
      return b.subject_kind == model::SubjectKind::user && b.subject == id;
    });
    if (const auto user = m_ids.find(id); user != 0) {
      if (auto groups = m_user_groups.find(user); groups != m_user_groups.end()) {
        for (const Id& group : groups->second) {
          auto& rows = m_members[group];
          std::erase_if(rows, [&](const MemberRow& m) { return m.user == user; });
        }
        m_user_groups.erase(groups);
      }
      drop_user_rows(user);
    }
    for (auto& [mid, method] : docs<NotifyMethod>().by_id) {
      if (method.owner_id == id) {
        method.owner_id.reset();
      }
    }
    for (auto& [tid, token] : docs<JoinToken>().by_id) {
      if (token.created_by == id) {
        token.created_by.reset();
      }
    }
  } else if constexpr (std::is_same_v<E, Group>) {
    drop_bindings([&](const Binding& b) {
      return b.subject_kind == model::SubjectKind::group && b.subject == id;
    });
    drop_group(id);
  } else if constexpr (std::is_same_v<E, Role>) {
    for (const Id& rule : ids_of(children(docs<Rule>(), id))) {
      erase_typed<Rule>(rule);
    }
    for (const Id& binding : ids_of(children(docs<Binding>(), id))) {
      erase_typed<Binding>(binding);
    }
  } else if constexpr (std::is_same_v<E, Space>) {
    drop_bindings([&](const Binding& b) { return b.space_id == id; });
  } else if constexpr (std::is_same_v<E, Share>) {
    set_acl(id, {});
    set_grants(id, {});
  } else if constexpr (std::is_same_v<E, NotifyMethod>) {
    for (const Id& hook : ids_of(children(docs<NotifyHook>(), id))) {
      erase_typed<NotifyHook>(hook);
    }
  }
}

void State::erase(Kind kind, const Id& id) {
  with_kind(kind, [&]<typename E>(std::type_identity<E>) {
    if constexpr (!std::is_same_v<E, AuditEvent>) {
      erase_typed<E>(id);
    }
  });
}

void State::drop_user_rows(std::uint32_t user) {
  auto shares = m_user_shares.find(user);
  if (shares == m_user_shares.end()) {
    return;
  }
  for (const std::uint32_t share : shares->second) {
    if (auto rows = m_acl.find(m_ids.id(share)); rows != m_acl.end()) {
      std::erase_if(rows->second, [&](const AclRow& r) { return r.user == user; });
      if (rows->second.empty()) {
        m_acl.erase(rows);
      }
    }
  }
  m_user_shares.erase(shares);
}

void State::drop_group(const Id& group_id) {
  set_members(group_id, {});
  m_members.erase(group_id);
  auto shares = m_group_shares.find(group_id);
  if (shares == m_group_shares.end()) {
    return;
  }
  const auto group = m_ids.find(group_id);
  for (const Id& share : std::set<Id>(shares->second)) {
    auto grants = m_grants[share];
    std::erase_if(grants, [&](const GroupGrant& g) { return g.group_id == group_id; });
    set_grants(share, std::move(grants));
    if (group != 0) {
      std::vector<AclEntry> rows = acl(share);
      std::erase_if(rows, [&](const AclEntry& r) { return r.group_id == group_id; });
      set_acl(share, rows);
    }
  }
  m_group_shares.erase(group_id);
}

void State::set_acl(const Id& share_id, const std::vector<AclEntry>& rows) {
  const std::uint32_t share = m_ids.intern(share_id);
  if (auto old = m_acl.find(share_id); old != m_acl.end()) {
    for (const AclRow& r : old->second) {
      if (auto s = m_user_shares.find(r.user); s != m_user_shares.end()) {
        s->second.erase(share);
        if (s->second.empty()) {
          m_user_shares.erase(s);
        }
      }
    }
    m_acl.erase(old);
  }
  if (rows.empty()) {
    return;
  }
  std::vector<AclRow> compact;
  compact.reserve(rows.size());
  for (const AclEntry& e : rows) {
    AclRow r{m_ids.intern(e.user_id),
             e.group_id ? m_ids.intern(*e.group_id) : 0,
             e.level,
             e.state,
             e.revision,
             e.created_at,
             e.updated_at};
    m_user_shares[r.user].insert(share);
    compact.push_back(r);
  }
  m_acl.emplace(share_id, std::move(compact));
}

void State::set_grants(const Id& share_id, std::vector<GroupGrant> grants) {
  if (auto old = m_grants.find(share_id); old != m_grants.end()) {
    for (const GroupGrant& g : old->second) {
      if (auto s = m_group_shares.find(g.group_id); s != m_group_shares.end()) {
        s->second.erase(share_id);
        if (s->second.empty()) {
          m_group_shares.erase(s);
        }
      }
    }
    m_grants.erase(old);
  }
  if (grants.empty()) {
    return;
  }
  for (const GroupGrant& g : grants) {
    m_group_shares[g.group_id].insert(share_id);
  }
  m_grants.emplace(share_id, std::move(grants));
}

void State::set_members(const Id& group_id, const std::vector<GroupMember>& members) {
  if (auto old = m_members.find(group_id); old != m_members.end()) {
    for (const MemberRow& m : old->second) {
      if (auto g = m_user_groups.find(m.user); g != m_user_groups.end()) {
        g->second.erase(group_id);
        if (g->second.empty()) {
          m_user_groups.erase(g);
        }
      }
    }
    m_members.erase(old);
  }
  if (members.empty()) {
    return;
  }
  std::vector<MemberRow> compact;
  compact.reserve(members.size());
  for (const GroupMember& m : members) {
    MemberRow r{m_ids.intern(m.user_id), m.revision, m.created_at};
    m_user_groups[r.user].insert(group_id);
    compact.push_back(r);
  }
  m_members.emplace(group_id, std::move(compact));
}

// --- bookkeeping ------------------------------------------------------------------------------

namespace {

void copy_figures(const Server& from, Server& to) {
  to.status = from.status;
  to.last_heartbeat = from.last_heartbeat;
  to.observed_revision = std::max(to.observed_revision, from.observed_revision);
  to.load_average = from.load_average;
  to.memory_total_bytes = from.memory_total_bytes;
  to.memory_used_bytes = from.memory_used_bytes;
  to.net_rx_bytes = from.net_rx_bytes;
  to.net_tx_bytes = from.net_tx_bytes;
}

template <typename E>
E* mutable_find(Docs<E>& d, const Id& id) {
  auto it = d.by_id.find(id);
  return it == d.by_id.end() ? nullptr : &it->second;
}

} // namespace

void State::apply(const Bookkeeping& figures) {
  for (const Server& s : figures.servers) {
    if (Server* doc = mutable_find(docs<Server>(), s.id)) {
      copy_figures(s, *doc);
    }
  }
  for (const FileSystem& f : figures.filesystems) {
    touch_filesystem(f.id, f.free_bytes);
  }
  for (const auto& u : figures.spaces) {
    if (Space* doc = mutable_find(docs<Space>(), u.id)) {
      doc->used_bytes = u.used_bytes;
      doc->used_at = u.used_at;
    }
  }
  for (const auto& a : figures.apps) {
    touch_app(a.id, a.last_used_at);
  }
}

void State::touch_app(const Id& id, Timestamp when) {
  if (App* doc = mutable_find(docs<App>(), id)) {
    doc->last_used_at = std::max(doc->last_used_at, when);
  }
}

void State::touch_server(const Server& figures, Timestamp now) {
  if (Server* doc = mutable_find(docs<Server>(), figures.id)) {
    Server beat = figures;
    beat.status = model::ServerStatus::up;
    beat.last_heartbeat = figures.last_heartbeat.value_or(now);
    beat.observed_revision = doc->observed_revision;
    copy_figures(beat, *doc);
  }
}

void State::touch_server_observed(const Id& id, Revision observed) {
  if (Server* doc = mutable_find(docs<Server>(), id)) {
    doc->observed_revision = std::max(doc->observed_revision, observed);
  }
}

void State::touch_filesystem(const Id& id, std::uint64_t free_bytes) {
  if (FileSystem* doc = mutable_find(docs<FileSystem>(), id)) {
    doc->free_bytes = free_bytes;
  }
}

void State::touch_space_usage(const Id& id, std::uint64_t used_bytes, Timestamp when) {
  if (Space* doc = mutable_find(docs<Space>(), id)) {
    doc->used_bytes = used_bytes;
    doc->used_at = when;
  }
}

// --- reads ------------------------------------------------------------------------------------

const std::set<Id>* State::shares_of_group(const Id& group_id) const {
  auto it = m_group_shares.find(group_id);
  return it == m_group_shares.end() ? nullptr : &it->second;
}

std::vector<Id> State::shares_of_user(const Id& user_id) const {
  std::vector<Id> out;
  if (auto it = m_user_shares.find(m_ids.find(user_id)); it != m_user_shares.end()) {
    for (const std::uint32_t share : it->second) {
      out.push_back(m_ids.id(share));
    }
    std::ranges::sort(out);
  }
  return out;
}

const std::set<Id>* State::groups_of_user(const Id& user_id) const {
  auto it = m_user_groups.find(m_ids.find(user_id));
  return it == m_user_groups.end() ? nullptr : &it->second;
}

AclEntry State::expand(const Id& share_id, const AclRow& row) const {
  AclEntry e;
  e.share_id = share_id;
  e.user_id = m_ids.id(row.user);
  if (row.group != 0) {
    e.group_id = m_ids.id(row.group);
  }
  e.level = row.level;
  e.state = row.state;
  e.revision = row.revision;
  e.created_at = row.created_at;
  e.updated_at = row.updated_at;
  return e;
}

std::vector<AclEntry> State::acl(const Id& share_id) const {
  std::vector<AclEntry> out;
  if (auto it = m_acl.find(share_id); it != m_acl.end()) {
    out.reserve(it->second.size());
    for (const AclRow& r : it->second) {
      out.push_back(expand(share_id, r));
    }
  }
  return out;
}

std::vector<AclEntry> State::acl_of(const Id& share_id, const Id& user_id) const {
  std::vector<AclEntry> out;
  const auto user = m_ids.find(user_id);
  if (auto it = m_acl.find(share_id); user != 0 && it != m_acl.end()) {
    for (const AclRow& r : it->second) {
      if (r.user == user) {
        out.push_back(expand(share_id, r));
      }
    }
  }
  return out;
}

std::vector<GroupGrant> State::grants(const Id& share_id) const {
  auto it = m_grants.find(share_id);
  return it == m_grants.end() ? std::vector<GroupGrant>{} : it->second;
}

std::vector<GroupMember> State::members(const Id& group_id) const {
  std::vector<GroupMember> out;
  if (auto it = m_members.find(group_id); it != m_members.end()) {
    out.reserve(it->second.size());
    for (const MemberRow& m : it->second) {
      out.push_back(GroupMember{group_id, m_ids.id(m.user), m.revision, m.created_at});
    }
  }
  return out;
}

Counts State::counts() const {
  Counts c;
  std::apply([&](const auto&... d) { ((c.documents += d.by_id.size()), ...); }, m_docs);
  for (const auto& [share, rows] : m_acl) {
    c.acl_rows += rows.size();
  }
  for (const auto& [group, rows] : m_members) {
    c.members += rows.size();
  }
  for (const auto& [share, grants] : m_grants) {
    c.grants += grants.size();
  }
  return c;
}

} // namespace sharectl::store::view
