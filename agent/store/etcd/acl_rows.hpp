// The sources of share ACL rows on etcd and how rows are derived from them (../README.md
// "Mapping to etcd"): direct grants P/acl/<share>/u/<user>, group grants P/acl/<share>/g/<group>,
// memberships P/m/<group>/<user> and explicit states P/st/<share>/<user>. A user's rows on a
// share are their direct grant plus one row per grant of a group they are in; all of them take
// the state of the oldest visible row unless an explicit state (an accept) covers it, and a
// decline hides the rows that existed then. Internal to the etcd backend.
#pragma once

#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "agent/store/etcd/layout.hpp"
#include "agent/store/etcd/types.hpp"
#include "agent/store/tx.hpp"

namespace sharectl::store::etcd {

class EtcdTx;

namespace acl {

// A direct grant or a group grant.
struct Grant {
  ShareLevel level = ShareLevel::read;
  AclState state0 = AclState::pending; // the state of its rows when they are a user's first
  Revision rev0 = 0;                   // the store revision that created it
  Revision revision = 0;               // the last one that changed it
  Timestamp created_at{}, updated_at{};
};

// A membership.
struct Membership {
  AclState state0 = AclState::pending; // the caller's default when it was made
  Revision rev0 = 0;
  Timestamp created_at{};
};

// An explicit state of a user's rows on a share.
struct Explicit {
  Revision hidden_through = 0;   // rows not granted again since this revision are declined
  std::optional<AclState> state; // accept/set: the state of rows at least as old as `since`
  Revision since = 0;
};

std::string to_json(const Grant& g);
std::string to_json(const Membership& m);
std::string to_json(const Explicit& e);
Result<Grant> grant_of(const KeyValue& kv);
Result<Membership> membership_of(const KeyValue& kv);
Result<Explicit> explicit_of(const std::optional<KeyValue>& kv);

// The state a first row takes: the share's own invitations setting, else the caller's default.
AclState first_state(const std::optional<bool>& invitations, AclState fallback);

// One derived row, before its state is resolved.
struct Row {
  std::optional<Id> group;
  ShareLevel level = ShareLevel::read;
  Revision created = 0;   // when the row came to be (orders rows: the oldest gives the state)
  Revision refreshed = 0; // when it was last granted again (a decline hides rows up to then)
  AclState initial = AclState::pending;
  Revision revision = 0;
  Timestamp created_at{}, updated_at{};
};

// The visible rows of one (user, share), direct first then by group, and their one state.
struct Resolved {
  std::vector<Row> rows;
  AclState state = AclState::pending;
};

// The rows of users on one share, per user, and their explicit states.
struct ShareRows {
  std::map<Id, std::vector<Row>> rows;
  std::map<Id, Explicit> explicit_states;
};

// The keys one share's rows come from, as read at one revision: all of them, or those that can
// hold user `only`'s rows (see derive_share_rows).
struct ShareSources {
  std::span<const KeyValue> acl;    // P/acl/<share>/…: direct grants (u/) and group grants (g/)
  std::span<const KeyValue> states; // P/st/<share>/…: explicit states
  // P/m/<group>/… by group, at least for every group granted in `acl` (absent: no members).
  const std::map<Id, std::vector<KeyValue>>& members;
};

// Reads every source of a share's rows (only user `only`'s when set); empty for a gone share.
Result<ShareRows> read_share_rows(EtcdTx& tx, const Id& share_id,
                                  const std::optional<Id>& only = std::nullopt);
// The rows of a share derived from its sources (only user `only`'s when set): read_share_rows
// for one share, and the whole-store read for every share, so both answer the same rows.
Result<ShareRows> derive_share_rows(const Layout& l, const Share& share,
                                    const ShareSources& sources,
                                    const std::optional<Id>& only = std::nullopt);
// Appends the resolved rows of every user of a share as list_acl answers them: by user, then
// the direct row first and the group rows by group.
void append_entries(const Id& share, const ShareRows& rows, std::vector<AclEntry>& out);
// One user's resolved rows.
Resolved resolve_user(const ShareRows& rows, const Id& user);
// A resolved row as the store's AclEntry.
AclEntry entry_of(const Id& share, const Id& user, const Row& r, AclState state);
// The groups a user is in (reverse hints verified against the memberships).
Result<std::vector<Id>> groups_of_user(EtcdTx& tx, const Id& user_id);
// key without prefix.
std::string tail(const std::string& key, const std::string& prefix);

} // namespace acl
} // namespace sharectl::store::etcd
