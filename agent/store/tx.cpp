// The default whole-store reads of Tx: compositions of the per-object reads, one query per
// share or group. Backends override them with one query each (SQL) or a few ranges (etcd).
#include "agent/store/tx.hpp"

#include "agent/store/liveness.hpp"

namespace sharectl::store {

namespace {

// Appends what read(parent) returns for every object of kind P.
template <typename P, typename Row, typename Read>
Result<std::vector<Row>> per_parent(Tx& tx, Read&& read) {
  auto parents = tx.list<P>();
  if (!parents) {
    return std::unexpected(parents.error());
  }
  std::vector<Row> out;
  for (const P& parent : *parents) {
    auto rows = read(parent.id);
    if (!rows) {
      return std::unexpected(rows.error());
    }
    for (auto& row : *rows) {
      out.push_back(std::move(row));
    }
  }
  return out;
}

} // namespace

Result<std::vector<AclEntry>> Tx::list_all_acl() {
  return per_parent<Share, AclEntry>(*this, [&](const Id& id) { return list_acl(id); });
}

Result<std::vector<GroupGrant>> Tx::list_all_group_grants() {
  return per_parent<Share, GroupGrant>(*this, [&](const Id& id) { return list_group_grants(id); });
}

Result<std::vector<GroupMember>> Tx::list_all_group_members() {
  return per_parent<Group, GroupMember>(*this,
                                        [&](const Id& id) { return list_group_members(id); });
}

Result<Bookkeeping> Tx::read_bookkeeping() {
  auto whole = read_liveness(*this);
  if (!whole) {
    return whole;
  }
  Bookkeeping out = std::move(*whole);
  auto spaces = list<Space>();
  auto apps = list<App>();
  if (!spaces || !apps) {
    return std::unexpected(!spaces ? spaces.error() : apps.error());
  }
  for (const Space& s : *spaces) {
    out.spaces.push_back({s.id, s.used_bytes, s.used_at});
  }
  for (const App& a : *apps) {
    out.apps.push_back({a.id, a.last_used_at});
  }
  return out;
}

} // namespace sharectl::store
