// EtcdTx, part 4: what a delete takes with it. The objects that refer to the deleted one, by
// the SQL schema's ON DELETE rules (restrict: conflict; cascade: deleted too; set null: the
// field cleared), found through its reference keys; and for a user, group or share: grants,
// memberships, explicit states and the reverse hints. Forward keys (P/acl/…, P/m/…) are
// authoritative and removed with one prefix delete where they are keyed by the deleted object;
// reverse hints (P/ua/…, P/gs/…, P/um/…) are removed while that fits k_cleanup_budget and otherwise
// left for readers, which verify every hint against its forward key (../README.md "Mapping to
// etcd").
#include "agent/store/etcd/etcd_tx.hpp"
#include "agent/store/kinds.hpp"

namespace sharectl::store::etcd {

namespace {

std::vector<Id> tails(const std::vector<KeyValue>& kvs, const std::string& prefix) {
  std::vector<Id> out;
  out.reserve(kvs.size());
  for (const auto& kv : kvs) {
    out.push_back(kv.key.substr(prefix.size()));
  }
  return out;
}

} // namespace

Status EtcdTx::delete_referrers(const Id& id, const std::string& what) {
  auto refs = m_kv.range(m_layout.refs(id));
  if (!refs) {
    return std::unexpected(refs.error());
  }
  struct Referrer {
    Kind kind;
    Id id;
    std::string field;
    OnDelete on_delete;
  };
  std::vector<Referrer> referrers;
  const std::size_t skip = m_layout.refs(id).size();
  for (const auto& kv : *refs) {
    // <kind>/<id>/<field>
    std::string_view rest(kv.key);
    rest.remove_prefix(skip);
    const auto a = rest.find('/');
    const auto b = rest.find('/', a + 1);
    if (a == std::string_view::npos || b == std::string_view::npos) {
      return fail(ErrorCode::internal, "store: malformed reference key " + kv.key);
    }
    auto referrer_kind = model::kind_from_name(rest.substr(0, a));
    if (!referrer_kind) {
      return fail(ErrorCode::internal, "store: malformed reference key " + kv.key);
    }
    Referrer r{*referrer_kind, std::string(rest.substr(a + 1, b - a - 1)),
               std::string(rest.substr(b + 1)), OnDelete::restrict};
    r.on_delete = on_delete_of(r.kind, r.field);
    if (r.on_delete == OnDelete::restrict) {
      return fail(ErrorCode::conflict, what + ": other objects still refer to it (" +
                                           std::string(model::kind_name(r.kind)) + " " + r.id +
                                           ")");
    }
    referrers.push_back(std::move(r));
  }
  for (const auto& r : referrers) {
    if (r.on_delete == OnDelete::cascade) {
      auto gone = remove_entity(r.kind, r.id, std::nullopt);
      if (!gone && gone.error().code != ErrorCode::not_found) {
        return gone;
      }
      continue;
    }
    auto cleared = with_kind(r.kind, [&]<typename R>(std::type_identity<R>) -> Status {
      auto loaded = load<R>(r.id);
      if (!loaded) {
        return loaded.error().code == ErrorCode::not_found ? Status{}
                                                           : std::unexpected(loaded.error());
      }
      clear_reference(*loaded, r.field);
      loaded->revision = m_revision;
      loaded->updated_at = now();
      m_kv.erase(m_layout.ref(id, r.kind, r.id, r.field));
      record(r.kind, r.id, false);
      return put_document(*loaded);
    });
    if (!cleared) {
      return cleared;
    }
  }
  m_kv.erase_prefix(m_layout.refs(id));
  return {};
}

Status EtcdTx::forget_user(const Id& user_id) {
  // Direct grants: the forward keys must go (a share's ACL must not name a deleted user).
  auto directs = m_kv.range(m_layout.user_directs(user_id));
  if (!directs) {
    return std::unexpected(directs.error());
  }
  const auto shares = tails(*directs, m_layout.user_directs(user_id));
  std::vector<std::string> keys;
  for (const auto& share : shares) {
    keys.push_back(m_layout.direct(share, user_id));
  }
  auto held = m_kv.get_many(keys);
  if (!held) {
    return std::unexpected(held.error());
  }
  std::set<Id> touched;
  for (std::size_t i = 0; i < shares.size(); ++i) {
    if ((*held)[i]) {
      m_kv.erase(keys[i]);
      touched.insert(shares[i]);
    }
  }
  m_kv.erase_prefix(m_layout.user_directs(user_id));
  // Memberships.
  auto groups = m_kv.range(m_layout.user_groups(user_id));
  if (!groups) {
    return std::unexpected(groups.error());
  }
  for (const auto& group : tails(*groups, m_layout.user_groups(user_id))) {
    m_kv.erase(m_layout.member(group, user_id));
  }
  m_kv.erase_prefix(m_layout.user_groups(user_id));
  if (auto secrets = m_kv.get(m_layout.secrets(user_id)); !secrets) {
    return std::unexpected(secrets.error());
  } else if (*secrets) {
    m_kv.erase(m_layout.secrets(user_id));
  }
  if (touched.size() > k_cleanup_budget) {
    return {}; // hosts render every share on the pass this change triggers anyway
  }
  return touch_shares(touched);
}

Status EtcdTx::forget_group(const Id& group_id) {
  std::size_t budget = k_cleanup_budget;
  auto members = m_kv.range(m_layout.members(group_id));
  if (!members) {
    return std::unexpected(members.error());
  }
  if (members->size() <= budget) {
    for (const auto& user : tails(*members, m_layout.members(group_id))) {
      m_kv.erase(m_layout.user_group(user, group_id));
    }
    budget -= members->size();
  }
  m_kv.erase_prefix(m_layout.members(group_id));
  auto hints = m_kv.range(m_layout.group_shares(group_id));
  if (!hints) {
    return std::unexpected(hints.error());
  }
  const auto shares = tails(*hints, m_layout.group_shares(group_id));
  m_kv.erase_prefix(m_layout.group_shares(group_id));
  if (2 * shares.size() > budget) {
    return {}; // grants of a deleted group have no members left: readers skip them
  }
  std::set<Id> touched;
  for (const auto& share : shares) {
    m_kv.erase(m_layout.grant(share, group_id));
    touched.insert(share);
  }
  return touch_shares(touched);
}

Status EtcdTx::forget_share(const Id& share_id) {
  std::size_t budget = k_cleanup_budget;
  for (const auto& [prefix, is_user] :
       {std::pair{m_layout.directs(share_id), true}, std::pair{m_layout.grants(share_id), false}}) {
    auto sources = m_kv.range(prefix);
    if (!sources) {
      return std::unexpected(sources.error());
    }
    if (sources->size() > budget) {
      continue;
    }
    budget -= sources->size();
    for (const auto& id : tails(*sources, prefix)) {
      m_kv.erase(is_user ? m_layout.user_direct(id, share_id) : m_layout.group_share(id, share_id));
    }
  }
  m_kv.erase_prefix(m_layout.acl(share_id));
  m_kv.erase_prefix(m_layout.states(share_id));
  return {};
}

} // namespace sharectl::store::etcd
