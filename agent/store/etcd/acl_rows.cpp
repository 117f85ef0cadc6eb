// Share ACL rows derived from their sources on etcd; see acl_rows.hpp.
#include "agent/store/etcd/acl_rows.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "agent/store/etcd/etcd_tx.hpp"

namespace sharectl::store::etcd::acl {

using nlohmann::json;

std::string to_json(const Grant& g) {
  return json{{"level", model::to_string(g.level)},
              {"state0", model::to_string(g.state0)},
              {"rev0", g.rev0},
              {"revision", g.revision},
              {"created_at", model::to_micros(g.created_at)},
              {"updated_at", model::to_micros(g.updated_at)}}
      .dump();
}
std::string to_json(const Membership& m) {
  return json{{"state0", model::to_string(m.state0)},
              {"rev0", m.rev0},
              {"created_at", model::to_micros(m.created_at)}}
      .dump();
}
std::string to_json(const Explicit& e) {
  return json{{"hidden_through", e.hidden_through},
              {"state", e.state ? json(model::to_string(*e.state)) : json(nullptr)},
              {"since", e.since}}
      .dump();
}

namespace {

Result<json> object_of(const KeyValue& kv) {
  auto j = json::parse(kv.value, nullptr, false);
  if (!j.is_object()) {
    return fail(ErrorCode::internal, "store: the etcd key " + kv.key + " is not a JSON object");
  }
  return j;
}

template <typename E>
E enum_of(const json& j, const char* name, E fallback) {
  const auto it = j.find(name);
  if (it == j.end() || !it->is_string()) {
    return fallback;
  }
  return model::parse_enum<E>(it->get<std::string>()).value_or(fallback);
}

Timestamp time_of(const json& j, const char* name) {
  return model::from_micros(j.value<std::int64_t>(name, 0));
}

} // namespace

Result<Grant> grant_of(const KeyValue& kv) {
  auto j = object_of(kv);
  if (!j) {
    return std::unexpected(j.error());
  }
  return Grant{enum_of(*j, "level", ShareLevel::read),
               enum_of(*j, "state0", AclState::pending),
               j->value<Revision>("rev0", 0),
               j->value<Revision>("revision", 0),
               time_of(*j, "created_at"),
               time_of(*j, "updated_at")};
}
Result<Membership> membership_of(const KeyValue& kv) {
  auto j = object_of(kv);
  if (!j) {
    return std::unexpected(j.error());
  }
  return Membership{enum_of(*j, "state0", AclState::pending), j->value<Revision>("rev0", 0),
                    time_of(*j, "created_at")};
}
Result<Explicit> explicit_of(const std::optional<KeyValue>& kv) {
  if (!kv) {
    return Explicit{};
  }
  auto j = object_of(*kv);
  if (!j) {
    return std::unexpected(j.error());
  }
  Explicit e;
  e.hidden_through = j->value<Revision>("hidden_through", 0);
  if (const auto it = j->find("state"); it != j->end() && it->is_string()) {
    e.state = model::parse_enum<AclState>(it->get<std::string>());
  }
  e.since = j->value<Revision>("since", 0);
  return e;
}

// The state a first row takes: the share's own invitations setting, else the caller's default.
AclState first_state(const std::optional<bool>& invitations, AclState fallback) {
  if (invitations) {
    return *invitations ? AclState::pending : AclState::active;
  }
  return fallback;
}

namespace {

Row direct_row(const Grant& d) {
  return Row{std::nullopt, d.level,    d.rev0,       d.revision,
             d.state0,     d.revision, d.created_at, d.updated_at};
}

Row group_row(const Id& group, const Grant& g, const Membership& m,
              const std::optional<bool>& invitations) {
  Row r;
  r.group = group;
  r.level = g.level;
  r.created = std::max(g.rev0, m.rev0);
  r.refreshed = std::max(g.revision, m.rev0);
  r.initial = m.rev0 > g.rev0 ? first_state(invitations, m.state0) : g.state0;
  r.revision = std::max(g.revision, m.rev0);
  r.created_at = std::max(g.created_at, m.created_at);
  r.updated_at = std::max(g.updated_at, m.created_at);
  return r;
}

Resolved resolve(std::vector<Row> rows, const Explicit& e) {
  Resolved out;
  for (auto& r : rows) {
    if (e.hidden_through == 0 || r.refreshed > e.hidden_through) {
      out.rows.push_back(std::move(r));
    }
  }
  if (out.rows.empty()) {
    return out;
  }
  const auto oldest = std::ranges::min_element(out.rows, [](const Row& a, const Row& b) {
    return std::tuple(a.created, a.group.has_value(), a.group.value_or("")) <
           std::tuple(b.created, b.group.has_value(), b.group.value_or(""));
  });
  out.state = e.state && oldest->created <= e.since ? *e.state : oldest->initial;
  std::ranges::sort(out.rows, [](const Row& a, const Row& b) {
    return std::pair(a.group.has_value(), a.group.value_or("")) <
           std::pair(b.group.has_value(), b.group.value_or(""));
  });
  return out;
}

} // namespace

AclEntry entry_of(const Id& share, const Id& user, const Row& r, AclState state) {
  return AclEntry{share, user, r.group, r.level, state, r.revision, r.created_at, r.updated_at};
}

std::string tail(const std::string& key, const std::string& prefix) {
  return key.substr(prefix.size());
}

// Reads every source of a share's rows: direct grants, group grants and their members, explicit
// states. Only users in `only` when it is set.
Result<ShareRows> read_share_rows(EtcdTx& tx, const Id& share_id, const std::optional<Id>& only) {
  const Layout& l = tx.keys();
  auto share = tx.load<Share>(share_id);
  if (!share) {
    return share.error().code == ErrorCode::not_found ? Result<ShareRows>(ShareRows{})
                                                      : std::unexpected(share.error());
  }
  auto sources = tx.kv().range(l.acl(share_id));
  if (!sources) {
    return std::unexpected(sources.error());
  }
  std::map<Id, std::vector<KeyValue>> members;
  for (const auto& kv : *sources) {
    if (!kv.key.starts_with(l.grants(share_id))) {
      continue;
    }
    const Id group = tail(kv.key, l.grants(share_id));
    if (only) {
      auto m = tx.kv().get(l.member(group, *only));
      if (!m) {
        return std::unexpected(m.error());
      }
      if (*m) {
        members[group].push_back(std::move(**m));
      }
    } else {
      auto m = tx.kv().range(l.members(group));
      if (!m) {
        return std::unexpected(m.error());
      }
      members[group] = std::move(*m);
    }
  }
  std::vector<KeyValue> states;
  if (only) {
    auto st = tx.kv().get(l.state(share_id, *only));
    if (!st) {
      return std::unexpected(st.error());
    }
    if (*st) {
      states.push_back(std::move(**st));
    }
  } else {
    auto st = tx.kv().range(l.states(share_id));
    if (!st) {
      return std::unexpected(st.error());
    }
    states = std::move(*st);
  }
  return derive_share_rows(l, *share, ShareSources{*sources, states, members}, only);
}

Result<ShareRows> derive_share_rows(const Layout& l, const Share& share,
                                    const ShareSources& sources, const std::optional<Id>& only) {
  ShareRows out;
  const Id& share_id = share.id;
  std::vector<std::pair<Id, Grant>> group_grants;
  for (const auto& kv : sources.acl) {
    auto grant = grant_of(kv);
    if (!grant) {
      return std::unexpected(grant.error());
    }
    if (kv.key.starts_with(l.directs(share_id))) {
      Id user = tail(kv.key, l.directs(share_id));
      if (!only || *only == user) {
        out.rows[user].push_back(direct_row(*grant));
      }
    } else if (kv.key.starts_with(l.grants(share_id))) {
      group_grants.emplace_back(tail(kv.key, l.grants(share_id)), *grant);
    }
  }
  for (const auto& [group, grant] : group_grants) {
    const auto members = sources.members.find(group);
    if (members == sources.members.end()) {
      continue;
    }
    for (const auto& kv : members->second) {
      Id user = tail(kv.key, l.members(group));
      if (only && *only != user) {
        continue;
      }
      auto membership = membership_of(kv);
      if (!membership) {
        return std::unexpected(membership.error());
      }
      out.rows[std::move(user)].push_back(group_row(group, grant, *membership, share.invitations));
    }
  }
  for (const auto& kv : sources.states) {
    Id user = tail(kv.key, l.states(share_id));
    if (only && *only != user) {
      continue;
    }
    auto e = explicit_of(kv);
    if (!e) {
      return std::unexpected(e.error());
    }
    out.explicit_states[std::move(user)] = *e;
  }
  return out;
}

void append_entries(const Id& share, const ShareRows& rows, std::vector<AclEntry>& out) {
  for (const auto& [user, ignored] : rows.rows) {
    const Resolved r = resolve_user(rows, user);
    for (const auto& row : r.rows) {
      out.push_back(entry_of(share, user, row, r.state));
    }
  }
}

Resolved resolve_user(const ShareRows& rows, const Id& user) {
  const auto it = rows.rows.find(user);
  const auto e = rows.explicit_states.find(user);
  return resolve(it == rows.rows.end() ? std::vector<Row>{} : it->second,
                 e == rows.explicit_states.end() ? Explicit{} : e->second);
}

// The groups a user is in (verified against the memberships).
Result<std::vector<Id>> groups_of_user(EtcdTx& tx, const Id& user_id) {
  const Layout& l = tx.keys();
  auto hints = tx.kv().range(l.user_groups(user_id));
  if (!hints) {
    return std::unexpected(hints.error());
  }
  std::vector<Id> ids;
  std::vector<std::string> keys;
  for (const auto& kv : *hints) {
    ids.push_back(tail(kv.key, l.user_groups(user_id)));
    keys.push_back(l.member(ids.back(), user_id));
  }
  auto members = tx.kv().get_many(keys);
  if (!members) {
    return std::unexpected(members.error());
  }
  std::vector<Id> out;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if ((*members)[i]) {
      out.push_back(ids[i]);
    }
  }
  return out;
}

} // namespace sharectl::store::etcd::acl
