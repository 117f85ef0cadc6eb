// EtcdTx, part 6: the whole-store reads that load and refresh the read view (Tx::list_all_acl,
// list_all_group_grants, list_all_group_members, read_bookkeeping). Each is a few ranges over
// whole prefixes (P/d/share/, P/acl/, P/m/, P/st/, …) read in pages at the transaction's revision
// and not kept for later reads (KvTx::range_uncached), instead of some reads per share or group.
// A share's ACL rows are derived by the code list_acl uses (acl::derive_share_rows and
// acl::append_entries), so both answer the same rows: same states, revisions and order.
#include <algorithm>
#include <set>
#include <span>
#include <string_view>
#include <tuple>

#include "agent/store/etcd/acl_rows.hpp"
#include "agent/store/etcd/documents.hpp"
#include "agent/store/etcd/etcd_tx.hpp"
#include "agent/store/etcd/overlays.hpp"
#include "agent/store/liveness.hpp"

namespace sharectl::store::etcd {

using namespace acl;

namespace {

// The id a key under `prefix` continues with: P/…/<owner>/… → owner.
std::string_view owner_of(const std::string& key, const std::string& prefix) {
  std::string_view rest(key);
  rest.remove_prefix(prefix.size());
  return rest.substr(0, rest.find('/'));
}

// kvs (every key under prefix, by key) cut into the run of each owner (the keys of one owner
// share the prefix P/…/<owner>/, so they are adjacent).
std::map<Id, std::span<const KeyValue>> runs_of(const std::vector<KeyValue>& kvs,
                                                const std::string& prefix) {
  std::map<Id, std::span<const KeyValue>> out;
  const std::span<const KeyValue> all(kvs);
  std::size_t first = 0;
  while (first < all.size()) {
    const std::string_view owner = owner_of(all[first].key, prefix);
    std::size_t last = first + 1;
    while (last < all.size() && owner_of(all[last].key, prefix) == owner) {
      ++last;
    }
    out.emplace(Id(owner), all.subspan(first, last - first));
    first = last;
  }
  return out;
}

// The run of owner in runs (empty when it has none).
std::span<const KeyValue> run_of(const std::map<Id, std::span<const KeyValue>>& runs,
                                 const Id& owner) {
  const auto it = runs.find(owner);
  return it == runs.end() ? std::span<const KeyValue>() : it->second;
}

// The ids of every document of a kind (keys only).
Result<std::set<Id>> ids_of(EtcdTx& tx, Kind kind) {
  const std::string prefix = tx.keys().docs(kind);
  auto keys = tx.kv().range_uncached(prefix, true);
  if (!keys) {
    return std::unexpected(keys.error());
  }
  std::set<Id> out;
  for (const auto& kv : *keys) {
    out.insert(out.end(), tail(kv.key, prefix));
  }
  return out;
}

} // namespace

Result<std::vector<AclEntry>> EtcdTx::list_all_acl() {
  // Every source of every share's rows: four prefixes, whatever the number of shares.
  auto shares = m_kv.range_uncached(m_layout.docs(Kind::share));
  if (!shares) {
    return std::unexpected(shares.error());
  }
  auto sources = m_kv.range_uncached(m_layout.acl_all());
  if (!sources) {
    return std::unexpected(sources.error());
  }
  auto memberships = m_kv.range_uncached(m_layout.members_all());
  if (!memberships) {
    return std::unexpected(memberships.error());
  }
  auto states = m_kv.range_uncached(m_layout.states_all());
  if (!states) {
    return std::unexpected(states.error());
  }
  std::map<Id, std::vector<KeyValue>> members; // by group, as read_share_rows gathers them
  for (auto& kv : *memberships) {
    Id group(owner_of(kv.key, m_layout.members_all()));
    members[std::move(group)].push_back(std::move(kv));
  }
  const auto acl_runs = runs_of(*sources, m_layout.acl_all());
  const auto state_runs = runs_of(*states, m_layout.states_all());
  std::vector<AclEntry> out;
  for (const auto& kv : *shares) { // by id; sources of a deleted share are never read
    auto share = decode_document<Share>(kv);
    if (!share) {
      return std::unexpected(share.error());
    }
    const ShareSources of_share{run_of(acl_runs, share->id), run_of(state_runs, share->id),
                                members};
    auto rows = derive_share_rows(m_layout, *share, of_share);
    if (!rows) {
      return std::unexpected(rows.error());
    }
    append_entries(share->id, *rows, out);
  }
  return out;
}

Result<std::vector<GroupGrant>> EtcdTx::list_all_group_grants() {
  // A share's grants are the g/ keys of its P/acl/<share>/; a deleted share takes them along
  // (forget_share), a deleted group may leave them behind: skipped as list_group_grants does.
  auto groups = ids_of(*this, Kind::group);
  if (!groups) {
    return std::unexpected(groups.error());
  }
  auto sources = m_kv.range_uncached(m_layout.acl_all());
  if (!sources) {
    return std::unexpected(sources.error());
  }
  std::vector<GroupGrant> out;
  for (const auto& [share, run] : runs_of(*sources, m_layout.acl_all())) { // by share, group
    const std::string prefix = m_layout.grants(share);
    for (const auto& kv : run) {
      if (!kv.key.starts_with(prefix)) {
        continue; // a direct grant
      }
      Id group = tail(kv.key, prefix);
      if (!groups->contains(group)) {
        continue;
      }
      auto g = grant_of(kv);
      if (!g) {
        return std::unexpected(g.error());
      }
      out.push_back(
          GroupGrant{share, std::move(group), g->level, g->revision, g->created_at, g->updated_at});
    }
  }
  return out;
}

Result<std::vector<GroupMember>> EtcdTx::list_all_group_members() {
  auto groups = ids_of(*this, Kind::group);
  if (!groups) {
    return std::unexpected(groups.error());
  }
  auto memberships = m_kv.range_uncached(m_layout.members_all());
  if (!memberships) {
    return std::unexpected(memberships.error());
  }
  std::vector<GroupMember> out;
  out.reserve(memberships->size());
  for (const auto& [group, run] : runs_of(*memberships, m_layout.members_all())) {
    if (!groups->contains(group)) {
      continue; // a deleted group takes its members along; nothing to show either way
    }
    const std::size_t first = out.size();
    for (const auto& kv : run) {
      auto m = membership_of(kv);
      if (!m) {
        return std::unexpected(m.error());
      }
      out.push_back(
          GroupMember{group, tail(kv.key, m_layout.members(group)), m->rev0, m->created_at});
    }
    // Oldest first within the group, as list_group_members orders them.
    std::ranges::sort(out.begin() + static_cast<std::ptrdiff_t>(first), out.end(),
                      [](const GroupMember& a, const GroupMember& b) {
                        return std::tie(a.created_at, a.user_id) <
                               std::tie(b.created_at, b.user_id);
                      });
  }
  return out;
}

Result<Bookkeeping> EtcdTx::read_bookkeeping() {
  auto whole = read_liveness(*this);
  if (!whole) {
    return whole;
  }
  Bookkeeping out = std::move(*whole);
  // Spaces: their ids and the kept usage (P/b/space/…; a space never measured has none). The
  // documents hold no usage, so their keys are enough.
  auto spaces = ids_of(*this, Kind::space);
  if (!spaces) {
    return std::unexpected(spaces.error());
  }
  auto kept = m_kv.range_uncached(m_layout.kept_all(Kind::space));
  if (!kept) {
    return std::unexpected(kept.error());
  }
  const auto kept_runs = runs_of(*kept, m_layout.kept_all(Kind::space));
  out.spaces.reserve(spaces->size());
  for (const auto& id : *spaces) {
    Space s;
    if (const auto run = run_of(kept_runs, id); !run.empty()) {
      if (auto st = apply_kept(s, run.front()); !st) {
        return std::unexpected(st.error());
      }
    }
    out.spaces.push_back({id, s.used_bytes, s.used_at});
  }
  // Apps: last_used_at is in the document until touched (P/t/app/…), so documents and overlays
  // both, as list() reads them.
  auto apps = list_all<App>(*this);
  if (!apps) {
    return std::unexpected(apps.error());
  }
  out.apps.reserve(apps->size());
  for (const App& a : *apps) {
    out.apps.push_back({a.id, a.last_used_at});
  }
  return out;
}

} // namespace sharectl::store::etcd
