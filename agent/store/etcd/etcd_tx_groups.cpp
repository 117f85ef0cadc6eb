// EtcdTx, part 3: group membership (a member added to a group granted on 1,000 shares is two
// keys: the membership and its reverse hint), role bindings by subject, and the audit log.
#include <algorithm>

#include <fmt/core.h>

#include "agent/store/etcd/acl_rows.hpp"
#include "agent/store/etcd/codec.hpp"
#include "agent/store/etcd/documents.hpp"
#include "agent/store/etcd/etcd_tx.hpp"

namespace sharectl::store::etcd {

using namespace acl;

static Result<std::optional<std::set<Id>>> shares_of_group(EtcdTx& tx, const Id& group,
                                                           std::size_t budget) {
  const Layout& l = tx.keys();
  auto hints = tx.kv().range(l.group_shares(group));
  if (!hints) {
    return std::unexpected(hints.error());
  }
  if (hints->size() > budget) {
    return std::optional<std::set<Id>>();
  }
  std::vector<std::string> keys;
  std::vector<Id> ids;
  for (const auto& kv : *hints) {
    ids.push_back(tail(kv.key, l.group_shares(group)));
    keys.push_back(l.grant(ids.back(), group));
  }
  auto grants = tx.kv().get_many(keys);
  if (!grants) {
    return std::unexpected(grants.error());
  }
  std::set<Id> out;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if ((*grants)[i]) {
      out.insert(ids[i]);
    }
  }
  return std::optional<std::set<Id>>(std::move(out));
}

Result<GroupMember> EtcdTx::add_group_member(const Id& group_id, const Id& user_id,
                                             AclState new_rows) {
  auto rev = write_rev("add group member");
  if (!rev) {
    return std::unexpected(rev.error());
  }
  auto got = m_kv.get_many({m_layout.doc(Kind::group, group_id), m_layout.doc(Kind::user, user_id),
                            m_layout.member(group_id, user_id)});
  if (!got) {
    return std::unexpected(got.error());
  }
  if (!(*got)[0] || !(*got)[1]) {
    return fail(ErrorCode::not_found,
                "add group member: group " + group_id + " or user " + user_id + " does not exist");
  }
  if ((*got)[2]) {
    return fail(ErrorCode::conflict,
                "user " + user_id + " is already a member of group " + group_id);
  }
  const Membership m{new_rows, *rev, now()};
  m_kv.put(m_layout.member(group_id, user_id), to_json(m));
  m_kv.put(m_layout.user_group(user_id, group_id), "");
  auto shares = shares_of_group(*this, group_id, k_cleanup_budget);
  if (!shares) {
    return std::unexpected(shares.error());
  }
  if (*shares) {
    if (auto st = touch_shares(**shares); !st) {
      return std::unexpected(st.error());
    }
  }
  auto group = load<Group>(group_id);
  if (!group) {
    return std::unexpected(group.error());
  }
  group->revision = *rev;
  group->updated_at = m.created_at;
  (void)put_document(*group);
  record(Kind::group, group_id, false);
  return GroupMember{group_id, user_id, *rev, m.created_at};
}

Status EtcdTx::remove_group_member(const Id& group_id, const Id& user_id) {
  auto rev = write_rev("remove group member");
  if (!rev) {
    return std::unexpected(rev.error());
  }
  auto member = m_kv.get(m_layout.member(group_id, user_id));
  if (!member) {
    return std::unexpected(member.error());
  }
  if (!*member) {
    return fail(ErrorCode::not_found, "user " + user_id + " is not a member of group " + group_id);
  }
  m_kv.erase(m_layout.member(group_id, user_id));
  m_kv.erase(m_layout.user_group(user_id, group_id));
  auto shares = shares_of_group(*this, group_id, k_cleanup_budget);
  if (!shares) {
    return std::unexpected(shares.error());
  }
  if (*shares) {
    if (auto st = touch_shares(**shares); !st) {
      return st;
    }
  }
  auto group = load<Group>(group_id);
  if (!group) {
    return std::unexpected(group.error());
  }
  group->revision = *rev;
  group->updated_at = now();
  (void)put_document(*group);
  record(Kind::group, group_id, false);
  return {};
}

Result<std::vector<GroupMember>> EtcdTx::list_group_members(const Id& group_id) {
  auto members = m_kv.range(m_layout.members(group_id));
  if (!members) {
    return std::unexpected(members.error());
  }
  std::vector<GroupMember> out;
  for (const auto& kv : *members) {
    auto m = membership_of(kv);
    if (!m) {
      return std::unexpected(m.error());
    }
    out.push_back(
        GroupMember{group_id, tail(kv.key, m_layout.members(group_id)), m->rev0, m->created_at});
  }
  std::ranges::sort(out, [](const GroupMember& a, const GroupMember& b) {
    return std::tie(a.created_at, a.user_id) < std::tie(b.created_at, b.user_id);
  });
  return out;
}

Result<std::vector<Group>> EtcdTx::list_user_groups(const Id& user_id) {
  auto ids = groups_of_user(*this, user_id);
  if (!ids) {
    return std::unexpected(ids.error());
  }
  auto groups = load_many<Group>(*ids);
  if (!groups) {
    return groups;
  }
  std::ranges::sort(*groups, [](const Group& a, const Group& b) { return a.name < b.name; });
  return groups;
}

Result<std::vector<Binding>>
EtcdTx::applicable_bindings(const Id& user_id, const std::vector<std::string>& external_groups,
                            const std::optional<Id>& space_id) {
  std::vector<std::string> prefixes{m_layout.bindings_of(model::SubjectKind::user, user_id)};
  auto groups = groups_of_user(*this, user_id);
  if (!groups) {
    return std::unexpected(groups.error());
  }
  for (const auto& g : *groups) {
    prefixes.push_back(m_layout.bindings_of(model::SubjectKind::group, g));
  }
  for (const auto& name : external_groups) {
    prefixes.push_back(m_layout.bindings_of(model::SubjectKind::external_group, name));
  }
  std::set<Id> ids;
  for (const auto& prefix : prefixes) {
    auto found = m_kv.range(prefix);
    if (!found) {
      return std::unexpected(found.error());
    }
    for (const auto& kv : *found) {
      ids.insert(tail(kv.key, prefix));
    }
  }
  auto bindings = load_many<Binding>(std::vector<Id>(ids.begin(), ids.end()));
  if (!bindings) {
    return bindings;
  }
  std::erase_if(*bindings, [&](const Binding& b) { return b.space_id && b.space_id != space_id; });
  std::ranges::sort(*bindings, [](const Binding& a, const Binding& b) {
    return std::tie(a.created_at, a.id) < std::tie(b.created_at, b.id);
  });
  return bindings;
}

Result<std::vector<AuditEvent>> EtcdTx::list_audit(const AuditQuery& q) {
  const std::string prefix =
      q.actor_id ? m_layout.actor_audit_all(*q.actor_id) : m_layout.audit_all();
  RangeRequest request = RangeRequest::of_prefix(prefix);
  if (q.since) {
    request.key = prefix + fmt::format("{:020d}", model::to_micros(*q.since));
  }
  request.sort_order = SortOrder::descend;
  request.sort_target = SortTarget::key;
  request.limit = static_cast<std::int64_t>(q.limit);
  auto found = m_kv.scan(request);
  if (!found) {
    return std::unexpected(found.error());
  }
  std::vector<AuditEvent> out;
  out.reserve(found->kvs.size());
  for (const auto& kv : found->kvs) {
    auto e = decode_document<AuditEvent>(kv);
    if (!e) {
      return std::unexpected(e.error());
    }
    out.push_back(std::move(*e));
  }
  return out;
}

} // namespace sharectl::store::etcd
