// EtcdTx, part 3: bookkeeping written beside the documents (overlays.hpp) — an app's last use,
// a server's heartbeat figures and observed revision, a filesystem's free bytes, a space's
// measured usage — with no store revision and no change-feed entry; a user's secrets; and the
// reads that serve a whole list at once.
#include <algorithm>
#include <limits>

#include <nlohmann/json.hpp>

#include "agent/store/etcd/documents.hpp"
#include "agent/store/etcd/etcd_tx.hpp"
#include "agent/store/etcd/overlays.hpp"

namespace sharectl::store::etcd {

namespace {

using nlohmann::json;

Result<json> parse_overlay(const KeyValue& kv) {
  auto j = json::parse(kv.value, nullptr, false);
  if (!j.is_object()) {
    return fail(ErrorCode::internal, "store: the etcd key " + kv.key + " is not a JSON object");
  }
  return j;
}

template <typename T>
void read_number(const json& j, const char* name, T& out) {
  if (const auto it = j.find(name); it != j.end() && it->is_number()) {
    out = it->get<T>();
  }
}

void read_time(const json& j, const char* name, Timestamp& out) {
  if (const auto it = j.find(name); it != j.end() && it->is_number_integer()) {
    out = model::from_micros(it->get<std::int64_t>());
  }
}

void read_time(const json& j, const char* name, std::optional<Timestamp>& out) {
  if (const auto it = j.find(name); it != j.end() && it->is_number_integer()) {
    out = model::from_micros(it->get<std::int64_t>());
  }
}

Status read_only(std::string_view what) {
  return fail(ErrorCode::internal,
              std::string(what) + ": a write in a read-only transaction (use transact)");
}

} // namespace

template <typename E>
Status apply_touched(E& e, const std::optional<KeyValue>& touched) {
  if (!touched) {
    return {};
  }
  auto j = parse_overlay(*touched);
  if (!j) {
    return std::unexpected(j.error());
  }
  if constexpr (std::is_same_v<E, App>) {
    read_time(*j, "last_used_at", e.last_used_at);
  } else if constexpr (std::is_same_v<E, Server>) {
    read_time(*j, "last_heartbeat", e.last_heartbeat);
    read_number(*j, "load_average", e.load_average);
    read_number(*j, "memory_total_bytes", e.memory_total_bytes);
    read_number(*j, "memory_used_bytes", e.memory_used_bytes);
    read_number(*j, "net_rx_bytes", e.net_rx_bytes);
    read_number(*j, "net_tx_bytes", e.net_tx_bytes);
  } else if constexpr (std::is_same_v<E, FileSystem>) {
    read_number(*j, "free_bytes", e.free_bytes);
  }
  return {};
}

template <typename E>
Status apply_kept(E& e, const std::optional<KeyValue>& kept) {
  if (!kept) {
    return {};
  }
  auto j = parse_overlay(*kept);
  if (!j) {
    return std::unexpected(j.error());
  }
  if constexpr (std::is_same_v<E, Server>) {
    read_number(*j, "observed_revision", e.observed_revision);
  } else if constexpr (std::is_same_v<E, Space>) {
    read_number(*j, "used_bytes", e.used_bytes);
    read_time(*j, "used_at", e.used_at);
  }
  return {};
}

void apply_alive(Server& server, bool alive, Timestamp now) {
  if (alive) {
    server.status = model::ServerStatus::up;
    server.last_heartbeat = now;
  } else {
    server.status = model::ServerStatus::down;
  }
}

template <typename E>
void reset_kept(E& e) {
  if constexpr (std::is_same_v<E, Server>) {
    e.observed_revision = 0;
  } else if constexpr (std::is_same_v<E, Space>) {
    e.used_bytes = 0;
    e.used_at.reset();
  }
}

template <typename E>
void copy_kept(const E& from, E& to) {
  if constexpr (std::is_same_v<E, Server>) {
    to.observed_revision = from.observed_revision;
  } else if constexpr (std::is_same_v<E, Space>) {
    to.used_bytes = from.used_bytes;
    to.used_at = from.used_at;
  }
}

template <typename E>
Result<std::vector<E>> list_all(EtcdTx& tx) {
  const Layout& l = tx.keys();
  auto docs = tx.kv().range(l.docs(E::k_kind));
  if (!docs) {
    return std::unexpected(docs.error());
  }
  std::map<Id, KeyValue> touched, kept, alive;
  auto index = [](const std::vector<KeyValue>& kvs, std::size_t skip, std::map<Id, KeyValue>& to) {
    for (const auto& kv : kvs) {
      to.emplace(kv.key.substr(skip), kv);
    }
  };
  if constexpr (k_touched<E>) {
    auto t = tx.kv().range(l.touched_all(E::k_kind));
    if (!t) {
      return std::unexpected(t.error());
    }
    index(*t, l.touched_all(E::k_kind).size(), touched);
  }
  if constexpr (k_kept<E>) {
    auto k = tx.kv().range(l.kept_all(E::k_kind));
    if (!k) {
      return std::unexpected(k.error());
    }
    index(*k, l.kept_all(E::k_kind).size(), kept);
  }
  if constexpr (k_alive<E>) {
    auto a = tx.kv().range(l.alive_all());
    if (!a) {
      return std::unexpected(a.error());
    }
    index(*a, l.alive_all().size(), alive);
  }
  std::vector<E> out;
  out.reserve(docs->size());
  for (const auto& kv : *docs) {
    auto e = decode_document<E>(kv);
    if (!e) {
      return std::unexpected(e.error());
    }
    if constexpr (k_touched<E>) {
      if (auto it = touched.find(e->id); it != touched.end()) {
        if (auto st = apply_touched(*e, it->second); !st) {
          return std::unexpected(st.error());
        }
      }
    }
    if constexpr (k_kept<E>) {
      if (auto it = kept.find(e->id); it != kept.end()) {
        if (auto st = apply_kept(*e, it->second); !st) {
          return std::unexpected(st.error());
        }
      }
    }
    if constexpr (k_alive<E>) {
      apply_alive(*e, alive.contains(e->id), tx.now());
    }
    out.push_back(std::move(*e));
  }
  return out;
}

#define SHARECTL_ETCD_OVERLAY(E)                                                                   \
  template Status apply_touched<E>(E&, const std::optional<KeyValue>&);                            \
  template Status apply_kept<E>(E&, const std::optional<KeyValue>&);                               \
  template void reset_kept<E>(E&);                                                                 \
  template void copy_kept<E>(const E&, E&);                                                        \
  template Result<std::vector<E>> list_all<E>(EtcdTx&);
SHARECTL_ETCD_OVERLAY(User)
SHARECTL_ETCD_OVERLAY(App)
SHARECTL_ETCD_OVERLAY(Role)
SHARECTL_ETCD_OVERLAY(Rule)
SHARECTL_ETCD_OVERLAY(Binding)
SHARECTL_ETCD_OVERLAY(Group)
SHARECTL_ETCD_OVERLAY(Server)
SHARECTL_ETCD_OVERLAY(FileSystem)
SHARECTL_ETCD_OVERLAY(Space)
SHARECTL_ETCD_OVERLAY(Share)
SHARECTL_ETCD_OVERLAY(IscsiTarget)
SHARECTL_ETCD_OVERLAY(IscsiLun)
SHARECTL_ETCD_OVERLAY(AuditEvent)
SHARECTL_ETCD_OVERLAY(NotifyMethod)
SHARECTL_ETCD_OVERLAY(NotifyHook)
SHARECTL_ETCD_OVERLAY(JoinToken)
#undef SHARECTL_ETCD_OVERLAY

Status EtcdTx::touch_app(const Id& app_id, Timestamp when) {
  if (!m_writable) {
    return read_only("touch app");
  }
  if (auto st = ensure_exists(Kind::app, app_id, "touch app"); !st) {
    return st;
  }
  m_kv.put_bookkeeping(m_layout.touched(Kind::app, app_id),
                       json{{"last_used_at", model::to_micros(when)}}.dump(),
                       m_layout.doc(Kind::app, app_id));
  return {};
}

Status EtcdTx::touch_server(const Server& figures) {
  if (!m_writable) {
    return read_only("touch server");
  }
  if (auto st = ensure_exists(Kind::server, figures.id, "touch server"); !st) {
    return st;
  }
  const json j{{"last_heartbeat", model::to_micros(figures.last_heartbeat.value_or(now()))},
               {"load_average", figures.load_average},
               {"memory_total_bytes", figures.memory_total_bytes},
               {"memory_used_bytes", figures.memory_used_bytes},
               {"net_rx_bytes", figures.net_rx_bytes},
               {"net_tx_bytes", figures.net_tx_bytes}};
  m_kv.put_bookkeeping(m_layout.touched(Kind::server, figures.id), j.dump(),
                       m_layout.doc(Kind::server, figures.id));
  return {};
}

Status EtcdTx::touch_server_observed(const Id& server_id, Revision observed) {
  if (!m_writable) {
    return read_only("touch server");
  }
  if (auto st = ensure_exists(Kind::server, server_id, "record a server's observed revision");
      !st) {
    return st;
  }
  m_kv.put_bookkeeping(m_layout.kept(Kind::server, server_id),
                       json{{"observed_revision", observed}}.dump(),
                       m_layout.doc(Kind::server, server_id));
  return {};
}

Status EtcdTx::touch_filesystem(const FileSystem& figures) {
  if (!m_writable) {
    return read_only("touch filesystem");
  }
  if (auto st = ensure_exists(Kind::filesystem, figures.id, "touch filesystem"); !st) {
    return st;
  }
  m_kv.put_bookkeeping(m_layout.touched(Kind::filesystem, figures.id),
                       json{{"free_bytes", figures.free_bytes}}.dump(),
                       m_layout.doc(Kind::filesystem, figures.id));
  return {};
}

Status EtcdTx::touch_space_usage(const Id& space_id, std::uint64_t used_bytes, Timestamp when) {
  if (!m_writable) {
    return read_only("touch space usage");
  }
  if (used_bytes > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return fail(ErrorCode::bad_request, "used_bytes is too large to store");
  }
  if (auto st = ensure_exists(Kind::space, space_id, "touch space usage"); !st) {
    return st;
  }
  m_kv.put_bookkeeping(m_layout.kept(Kind::space, space_id),
                       json{{"used_bytes", used_bytes}, {"used_at", model::to_micros(when)}}.dump(),
                       m_layout.doc(Kind::space, space_id));
  return {};
}

Result<UserSecrets> EtcdTx::get_user_secrets(const Id& user_id) {
  auto got = m_kv.get_many({m_layout.doc(Kind::user, user_id), m_layout.secrets(user_id)});
  if (!got) {
    return std::unexpected(got.error());
  }
  if (!(*got)[0]) {
    return fail(ErrorCode::not_found, "user " + user_id + " does not exist");
  }
  UserSecrets out;
  if ((*got)[1]) {
    auto j = parse_overlay(*(*got)[1]);
    if (!j) {
      return std::unexpected(j.error());
    }
    if (const auto it = j->find("password_hash"); it != j->end() && it->is_string()) {
      out.password_hash = it->get<std::string>();
    }
    if (const auto it = j->find("nt_hash"); it != j->end() && it->is_string()) {
      out.nt_hash = it->get<std::string>();
    }
  }
  return out;
}

Result<Revision> EtcdTx::set_user_secrets(const Id& user_id, const UserSecrets& secrets) {
  auto rev = write_rev("set user secrets");
  if (!rev) {
    return std::unexpected(rev.error());
  }
  auto user = load<User>(user_id);
  if (!user) {
    return std::unexpected(user.error());
  }
  json j = json::object();
  j["password_hash"] = secrets.password_hash ? json(*secrets.password_hash) : json(nullptr);
  j["nt_hash"] = secrets.nt_hash ? json(*secrets.nt_hash) : json(nullptr);
  m_kv.put(m_layout.secrets(user_id), j.dump());
  user->revision = *rev;
  user->updated_at = now();
  if (auto st = put_document(*user); !st) {
    return std::unexpected(st.error());
  }
  record(Kind::user, user_id, false);
  return *rev;
}

Result<std::map<Id, std::string>> EtcdTx::first_share_names(const std::optional<Id>& owner_id) {
  std::vector<Share> shares;
  if (owner_id) {
    auto spaces = list<Space>(ListQuery{*owner_id, 0});
    if (!spaces) {
      return std::unexpected(spaces.error());
    }
    std::vector<std::string> prefixes;
    for (const auto& space : *spaces) {
      prefixes.push_back(m_layout.children(Kind::share, space.id));
    }
    auto children = m_kv.range_many(prefixes); // one request for every space's shares
    if (!children) {
      return std::unexpected(children.error());
    }
    std::vector<Id> ids;
    for (std::size_t i = 0; i < prefixes.size(); ++i) {
      for (const auto& kv : (*children)[i]) {
        ids.push_back(kv.key.substr(prefixes[i].size()));
      }
    }
    auto loaded = load_many<Share>(ids);
    if (!loaded) {
      return std::unexpected(loaded.error());
    }
    shares = std::move(*loaded);
  } else {
    auto all = list_all<Share>(*this);
    if (!all) {
      return std::unexpected(all.error());
    }
    shares = std::move(*all);
  }
  std::ranges::sort(shares, [](const Share& a, const Share& b) {
    return std::tie(a.created_at, a.id) < std::tie(b.created_at, b.id);
  });
  std::map<Id, std::string> out;
  for (const auto& s : shares) {
    out.try_emplace(s.space_id, s.name);
  }
  return out;
}

} // namespace sharectl::store::etcd
