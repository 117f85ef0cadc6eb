// EtcdTx, part 4: what goes with a deleted user, group or share beside its document and the
// objects that referred to it (etcd_tx.cpp): grants, memberships, explicit states and the
// reverse hints. Forward keys (P/acl/…, P/m/…) are authoritative and removed with one prefix
// delete where they are keyed by the deleted object; reverse hints (P/ua/…, P/gs/…, P/um/…) are
// removed while that fits k_cleanup_budget and otherwise left for readers, which verify every
// hint against its forward key (../README.md "Mapping to etcd").
#include "agent/store/etcd/etcd_tx.hpp"

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
