// EtcdTx, part 1: documents of every kind (create, get, update, remove, list, status), their
// unique keys, children and references (the SQL schema's foreign keys, enforced here), and the
// look-ups by natural key. See etcd_tx.hpp and ../README.md "Mapping to etcd".
#include "agent/store/etcd/etcd_tx.hpp"

#include <algorithm>
#include <limits>

#include <nlohmann/json.hpp>

#include "agent/store/etcd/documents.hpp"
#include "agent/store/etcd/overlays.hpp"
#include "agent/store/ids.hpp"
#include "agent/store/kinds.hpp"
#include "agent/store/sql/tables.hpp"

namespace sharectl::store::etcd {

namespace {

template <typename E>
std::string noun() {
  return std::string(sql::Table<E>::noun);
}

// Rejects what the SQL schema's types and CHECKs reject: a count past BIGINT, a bad port.
struct Validator {
  std::optional<Error> error;
  template <typename T>
  void operator()(std::string_view column, T& value) {
    if constexpr (std::is_same_v<T, std::uint64_t>) {
      check(column, value);
    } else if constexpr (std::is_same_v<T, std::optional<std::uint64_t>>) {
      if (value) {
        check(column, *value);
      }
    }
  }
  template <typename T>
  void derived(std::string_view, const T&) {}
  template <typename T>
  void bookkeeping(std::string_view, T&) {}
  void check(std::string_view column, std::uint64_t v) {
    if (!error && v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      error = Error{ErrorCode::bad_request, std::string(column) + " is too large to store"};
    }
  }
};

template <typename E>
Status validate(E& e) {
  Validator v;
  sql::Table<E>::fields(v, e);
  if (v.error) {
    return std::unexpected(*v.error);
  }
  if constexpr (std::is_same_v<E, Server>) {
    if (e.smb_port < 1 || e.smb_port > 65535) {
      return fail(ErrorCode::bad_request, "server " + e.name + ": smb_port " +
                                              std::to_string(e.smb_port) +
                                              " is not a port (1-65535)");
    }
  }
  return {};
}

// The reference keys of e.
template <typename E>
std::vector<std::string> reference_keys(const Layout& l, const E& e) {
  std::vector<std::string> out;
  for (const auto& r : references_of(e)) {
    out.push_back(l.ref(r.id, E::k_kind, e.id, r.field));
  }
  return out;
}

// Keys only E has beside its document: audit logs, bindings by subject.
template <typename E>
std::vector<std::pair<std::string, bool>> extra_keys(const Layout& l, const E& e) {
  std::vector<std::pair<std::string, bool>> out; // key, holds a copy of the document
  if constexpr (std::is_same_v<E, AuditEvent>) {
    out.emplace_back(l.audit(e.created_at, e.id), true);
    if (e.actor_id) {
      out.emplace_back(l.actor_audit(*e.actor_id, e.created_at, e.id), true);
    }
  } else if constexpr (std::is_same_v<E, Binding>) {
    out.emplace_back(l.bindings_of(e.subject_kind, e.subject) + e.id, false);
  }
  return out;
}

// The conflict of an optimistic update or delete whose object moved on since `expected`.
template <typename E>
Error changed_since(const Id& id, Revision expected, Revision now) {
  return Error{ErrorCode::conflict, noun<E>() + " " + id + " changed since revision " +
                                        std::to_string(expected) + " (now at " +
                                        std::to_string(now) + ")"};
}

} // namespace

std::string encode_head(const Head& head) {
  return nlohmann::json{{"revision", head.revision}, {"change", head.change}}.dump();
}

Head decode_head(const std::optional<KeyValue>& kv) {
  Head head;
  if (!kv) {
    return head;
  }
  const auto j = nlohmann::json::parse(kv->value, nullptr, false);
  if (j.is_object() && j.contains("revision") && j["revision"].is_number_integer()) {
    head.revision = j["revision"].get<Revision>();
    head.change = j.value("change", "");
  }
  return head;
}

EtcdTx::EtcdTx(KvTx& kv, const Layout& layout, bool writable, std::function<Timestamp()> clock)
    : m_kv(kv), m_layout(layout), m_writable(writable), m_clock(std::move(clock)) {}

Result<Revision> EtcdTx::write_rev(std::string_view context) {
  if (!m_writable) {
    return fail(ErrorCode::internal,
                std::string(context) + ": a write in a read-only transaction (use transact)");
  }
  if (m_revision == 0) {
    m_revision = decode_head(m_kv.head()).revision + 1;
  }
  return m_revision;
}

void EtcdTx::finish() {
  if (m_revision == 0 || !m_kv.changes()) {
    return;
  }
  nlohmann::json feed = nlohmann::json::array();
  for (const auto& [key, deleted] : m_changes) {
    feed.push_back({std::string(model::kind_name(key.first)), key.second, deleted});
  }
  m_kv.put(m_layout.feed(m_revision), feed.dump());
  m_kv.set_head_value(encode_head(Head{m_revision, m_kv.change_id()}));
}

template <typename E>
Result<E> EtcdTx::load(const Id& id) {
  auto found = load_many<E>({id});
  if (!found) {
    return std::unexpected(found.error());
  }
  if (found->empty()) {
    return fail(ErrorCode::not_found, noun<E>() + " " + id + " does not exist");
  }
  return std::move(found->front());
}

template <typename E>
Result<std::vector<E>> EtcdTx::load_many(const std::vector<Id>& ids) {
  const std::size_t per = 1 + (k_touched<E> ? 1 : 0) + (k_kept<E> ? 1 : 0) + (k_alive<E> ? 1 : 0);
  std::vector<std::string> keys;
  keys.reserve(ids.size() * per);
  for (const auto& id : ids) {
    keys.push_back(m_layout.doc(E::k_kind, id));
    if constexpr (k_touched<E>) {
      keys.push_back(m_layout.touched(E::k_kind, id));
    }
    if constexpr (k_kept<E>) {
      keys.push_back(m_layout.kept(E::k_kind, id));
    }
    if constexpr (k_alive<E>) {
      keys.push_back(m_layout.alive(id));
    }
  }
  auto got = m_kv.get_many(keys);
  if (!got) {
    return std::unexpected(got.error());
  }
  std::vector<E> out;
  out.reserve(ids.size());
  for (std::size_t k = 0; k < got->size(); k += per) {
    if (!(*got)[k]) {
      continue; // gone since the hint was written
    }
    auto e = decode_document<E>(*(*got)[k]);
    if (!e) {
      return std::unexpected(e.error());
    }
    std::size_t i = k + 1;
    if constexpr (k_touched<E>) {
      if (auto st = apply_touched(*e, (*got)[i++]); !st) {
        return std::unexpected(st.error());
      }
    }
    if constexpr (k_kept<E>) {
      if (auto st = apply_kept(*e, (*got)[i++]); !st) {
        return std::unexpected(st.error());
      }
    }
    if constexpr (k_alive<E>) {
      apply_alive(*e, (*got)[i++].has_value(), now());
    }
    out.push_back(std::move(*e));
  }
  return out;
}

template <typename E>
Result<E> EtcdTx::find_by_index(const std::string& key, const std::string& what) {
  auto id = m_kv.get(key);
  if (!id) {
    return std::unexpected(id.error());
  }
  if (!*id) {
    return fail(ErrorCode::not_found, what + " does not exist");
  }
  auto e = load<E>((*id)->value);
  if (!e && e.error().code == ErrorCode::not_found) {
    return fail(ErrorCode::not_found, what + " does not exist");
  }
  return e;
}

template <typename E>
Status EtcdTx::put_document(const E& e) {
  m_kv.put(m_layout.doc(E::k_kind, e.id), encode_document(e));
  return {};
}

Status EtcdTx::ensure_exists(Kind kind, const Id& id, const std::string& what) {
  auto got = m_kv.get(m_layout.doc(kind, id));
  if (!got) {
    return std::unexpected(got.error());
  }
  if (!*got) {
    return fail(ErrorCode::not_found,
                what + ": " + std::string(model::kind_name(kind)) + " " + id + " does not exist");
  }
  return {};
}

template <typename E>
Result<E> EtcdTx::create_impl(E e) {
  const std::string context = "create " + noun<E>();
  auto rev = write_rev(context);
  if (!rev) {
    return std::unexpected(rev.error());
  }
  if (auto st = validate(e); !st) {
    return std::unexpected(st.error());
  }
  if (e.id.empty()) {
    e.id = new_id();
  }
  e.revision = *rev;
  e.created_at = e.updated_at = now();
  reset_kept(e); // bookkeeping starts at its defaults whatever the caller's copy said
  const auto uniques = unique_keys_of(m_layout, e);
  const auto refs = references_of(e);
  std::vector<std::string> probe{m_layout.doc(E::k_kind, e.id)};
  for (const auto& u : uniques) {
    probe.push_back(u.key);
  }
  for (const auto& r : refs) {
    probe.push_back(m_layout.doc(r.target, r.id));
  }
  auto got = m_kv.get_many(probe);
  if (!got) {
    return std::unexpected(got.error());
  }
  if ((*got)[0]) {
    return fail(ErrorCode::conflict, noun<E>() + " " + e.id + " already exists");
  }
  for (std::size_t i = 0; i < uniques.size(); ++i) {
    if ((*got)[1 + i]) {
      return fail(ErrorCode::conflict, uniques[i].taken);
    }
  }
  for (std::size_t i = 0; i < refs.size(); ++i) {
    if (!(*got)[1 + uniques.size() + i]) {
      return fail(ErrorCode::not_found, context + ": an object it refers to does not exist (" +
                                            std::string(model::kind_name(refs[i].target)) + " " +
                                            refs[i].id + ")");
    }
  }
  const std::string doc = encode_document(e);
  m_kv.put(m_layout.doc(E::k_kind, e.id), doc);
  for (const auto& u : uniques) {
    m_kv.put(u.key, e.id);
  }
  for (const auto& key : reference_keys(m_layout, e)) {
    m_kv.put(key, "");
  }
  if (const Id parent = parent_of(e); !parent.empty()) {
    m_kv.put(m_layout.child(E::k_kind, parent, e.id), "");
  }
  for (const auto& [key, copy] : extra_keys(m_layout, e)) {
    m_kv.put(key, copy ? doc : std::string());
  }
  record(E::k_kind, e.id, false);
  return e;
}

template <typename E>
Result<E> EtcdTx::update_impl(E e) {
  const std::string context = "update " + noun<E>() + " " + e.id;
  if constexpr (std::is_same_v<E, AuditEvent>) {
    return fail(ErrorCode::bad_request, context + ": audit events are append-only");
  } else {
    auto rev = write_rev(context);
    if (!rev) {
      return std::unexpected(rev.error());
    }
    if (auto st = validate(e); !st) {
      return std::unexpected(st.error());
    }
    auto current = load<E>(e.id);
    if (!current) {
      return std::unexpected(current.error());
    }
    if (current->revision != e.revision) {
      return std::unexpected(changed_since<E>(e.id, e.revision, current->revision));
    }
    e.revision = *rev;
    e.created_at = current->created_at;
    e.updated_at = now();
    copy_kept(*current, e); // bookkeeping is kept; the stored values come back
    // Unique keys that change must be free.
    const auto old_uniques = unique_keys_of(m_layout, *current);
    const auto new_uniques = unique_keys_of(m_layout, e);
    auto is_old = [&](const std::string& key) {
      return std::ranges::any_of(old_uniques, [&](const UniqueKey& u) { return u.key == key; });
    };
    for (const auto& u : new_uniques) {
      if (is_old(u.key)) {
        continue;
      }
      auto holder = m_kv.get(u.key);
      if (!holder) {
        return std::unexpected(holder.error());
      }
      if (*holder && (*holder)->value != e.id) {
        return fail(ErrorCode::conflict, u.taken);
      }
    }
    for (const auto& r : references_of(e)) {
      if (auto st = ensure_exists(r.target, r.id, context); !st) {
        return std::unexpected(st.error());
      }
    }
    for (const auto& u : old_uniques) {
      m_kv.erase(u.key);
    }
    for (const auto& key : reference_keys(m_layout, *current)) {
      m_kv.erase(key);
    }
    for (const auto& [key, copy] : extra_keys(m_layout, *current)) {
      m_kv.erase(key);
    }
    if (const Id parent = parent_of(*current); !parent.empty()) {
      m_kv.erase(m_layout.child(E::k_kind, parent, e.id));
    }
    for (const auto& u : new_uniques) {
      m_kv.put(u.key, e.id);
    }
    for (const auto& key : reference_keys(m_layout, e)) {
      m_kv.put(key, "");
    }
    for (const auto& [key, copy] : extra_keys(m_layout, e)) {
      m_kv.put(key, "");
    }
    if (const Id parent = parent_of(e); !parent.empty()) {
      m_kv.put(m_layout.child(E::k_kind, parent, e.id), "");
    }
    if constexpr (k_touched<E>) {
      m_kv.erase(m_layout.touched(E::k_kind, e.id)); // the caller's figures win, as on SQL
    }
    if (auto st = put_document(e); !st) {
      return std::unexpected(st.error());
    }
    record(E::k_kind, e.id, false);
    return e;
  }
}

template <typename E>
Status EtcdTx::delete_document(const E& e) {
  m_kv.erase(m_layout.doc(E::k_kind, e.id));
  for (const auto& u : unique_keys_of(m_layout, e)) {
    m_kv.erase(u.key);
  }
  for (const auto& key : reference_keys(m_layout, e)) {
    m_kv.erase(key);
  }
  for (const auto& [key, copy] : extra_keys(m_layout, e)) {
    m_kv.erase(key);
  }
  if (const Id parent = parent_of(e); !parent.empty()) {
    m_kv.erase(m_layout.child(E::k_kind, parent, e.id));
  }
  std::vector<std::string> extras;
  if constexpr (k_touched<E>) {
    extras.push_back(m_layout.touched(E::k_kind, e.id));
  }
  if constexpr (k_kept<E>) {
    extras.push_back(m_layout.kept(E::k_kind, e.id));
  }
  if (!extras.empty()) { // delete only what exists: every delete is one of the change's ops
    auto got = m_kv.get_many(extras);
    if (!got) {
      return std::unexpected(got.error());
    }
    for (std::size_t i = 0; i < extras.size(); ++i) {
      if ((*got)[i]) {
        m_kv.erase(extras[i]);
      }
    }
  }
  return {};
}

template <typename E>
Status EtcdTx::remove_impl(const Id& id, std::optional<Revision> expected) {
  const std::string context = "delete " + noun<E>() + " " + id;
  if constexpr (std::is_same_v<E, AuditEvent>) {
    return fail(ErrorCode::bad_request, context + ": audit events are append-only");
  } else {
    auto rev = write_rev(context);
    if (!rev) {
      return std::unexpected(rev.error());
    }
    auto current = load<E>(id);
    if (!current) {
      return std::unexpected(current.error());
    }
    if (expected && current->revision != *expected) {
      return std::unexpected(changed_since<E>(id, *expected, current->revision));
    }
    if (auto st = delete_referrers(id, context); !st) {
      return st;
    }
    if constexpr (std::is_same_v<E, User>) {
      if (auto st = forget_user(id); !st) {
        return st;
      }
    } else if constexpr (std::is_same_v<E, Group>) {
      if (auto st = forget_group(id); !st) {
        return st;
      }
    } else if constexpr (std::is_same_v<E, Share>) {
      if (auto st = forget_share(id); !st) {
        return st;
      }
    }
    if (auto st = delete_document(*current); !st) {
      return st;
    }
    record(E::k_kind, id, true);
    return {};
  }
}

template <typename E>
Result<std::vector<E>> EtcdTx::list_impl(const ListQuery& q) {
  std::vector<E> out;
  if (q.parent) {
    if (!has_parent(E::k_kind)) {
      return fail(ErrorCode::bad_request, "list " + std::string(sql::Table<E>::name) +
                                              ": this kind has no parent to " + "filter by");
    }
    const std::string prefix = m_layout.children(E::k_kind, *q.parent);
    auto children = m_kv.range(prefix);
    if (!children) {
      return std::unexpected(children.error());
    }
    std::vector<Id> ids;
    for (const auto& kv : *children) {
      ids.push_back(kv.key.substr(prefix.size()));
    }
    auto loaded = load_many<E>(ids);
    if (!loaded) {
      return loaded;
    }
    out = std::move(*loaded);
  } else {
    auto all = list_all<E>(*this);
    if (!all) {
      return all;
    }
    out = std::move(*all);
  }
  std::ranges::sort(out, [](const E& a, const E& b) {
    return std::tie(a.created_at, a.id) < std::tie(b.created_at, b.id);
  });
  if (q.limit > 0 && out.size() > q.limit) {
    out.resize(q.limit);
  }
  return out;
}

#define SHARECTL_ETCD_TX(E)                                                                        \
  template Result<E> EtcdTx::load<E>(const Id&);                                                   \
  template Result<std::vector<E>> EtcdTx::load_many<E>(const std::vector<Id>&);                    \
  template Status EtcdTx::put_document<E>(const E&);                                               \
  template Result<E> EtcdTx::find_by_index<E>(const std::string&, const std::string&);
SHARECTL_ETCD_TX(User)
SHARECTL_ETCD_TX(App)
SHARECTL_ETCD_TX(Role)
SHARECTL_ETCD_TX(Rule)
SHARECTL_ETCD_TX(Binding)
SHARECTL_ETCD_TX(Group)
SHARECTL_ETCD_TX(Server)
SHARECTL_ETCD_TX(FileSystem)
SHARECTL_ETCD_TX(Space)
SHARECTL_ETCD_TX(Share)
SHARECTL_ETCD_TX(IscsiTarget)
SHARECTL_ETCD_TX(IscsiLun)
SHARECTL_ETCD_TX(AuditEvent)
SHARECTL_ETCD_TX(NotifyMethod)
SHARECTL_ETCD_TX(NotifyHook)
SHARECTL_ETCD_TX(JoinToken)
#undef SHARECTL_ETCD_TX

} // namespace sharectl::store::etcd

template class sharectl::store::TxDispatch<sharectl::store::etcd::EtcdTx>;
