// The etcd store's key layout (../README.md "Mapping to etcd" says why each part is shaped so):
// where every document, index, child list, reference, grant, membership and feed entry lives
// under the store's prefix, and, per kind, its unique keys and its references to other objects
// with what deleting the referenced object does (the SQL schema's ON DELETE rules).
// User text inside a key is escaped (key_part) so that a prefix range never matches a longer
// name by accident.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/model/entities.hpp"

namespace sharectl::store::etcd {

// s with '%' and '/' percent-encoded: safe as one component of a key path.
std::string key_part(std::string_view s);

// Every key of a store under one prefix ("/sharectl").
class Layout {
public:
  explicit Layout(std::string prefix) : m_p(std::move(prefix)) {}
  const std::string& prefix() const { return m_p; }

  // Engine and store bookkeeping.
  std::string head() const { return m_p + "/meta/head"; }
  std::string schema() const { return m_p + "/meta/schema"; }
  std::string feed_floor() const { return m_p + "/meta/feed-floor"; }
  std::string maintenance() const { return m_p + "/meta/maintenance"; }

  // Documents: P/d/<kind>/<id>; touched figures P/t/…; kept bookkeeping P/b/…
  std::string doc(model::Kind kind, const model::Id& id) const { return docs(kind) + id; }
  std::string docs(model::Kind kind) const { return m_p + "/d/" + kind_part(kind) + "/"; }
  std::string touched(model::Kind kind, const model::Id& id) const {
    return touched_all(kind) + id;
  }
  std::string touched_all(model::Kind kind) const { return m_p + "/t/" + kind_part(kind) + "/"; }
  std::string kept(model::Kind kind, const model::Id& id) const { return kept_all(kind) + id; }
  std::string kept_all(model::Kind kind) const { return m_p + "/b/" + kind_part(kind) + "/"; }
  std::string secrets(const model::Id& user) const { return m_p + "/s/" + user; }
  // A server's liveness: present while its agent's lease lives.
  std::string alive(const model::Id& server) const { return alive_all() + server; }
  std::string alive_all() const { return m_p + "/alive/"; }

  // Unique keys: P/i/<index>/<escaped value…> = id.
  std::string index(std::string_view name, const std::vector<std::string>& parts) const;
  // Children by parent: P/c/<kind>/<parent>/<id>.
  std::string children(model::Kind kind, const model::Id& parent) const {
    return m_p + "/c/" + kind_part(kind) + "/" + parent + "/";
  }
  std::string child(model::Kind kind, const model::Id& parent, const model::Id& id) const {
    return children(kind, parent) + id;
  }
  // References: P/r/<target>/<kind>/<id>/<field>.
  std::string refs(const model::Id& target) const { return m_p + "/r/" + target + "/"; }
  std::string ref(const model::Id& target, model::Kind kind, const model::Id& id,
                  std::string_view field) const {
    return refs(target) + kind_part(kind) + "/" + id + "/" + std::string(field);
  }
  // Bindings by subject: P/x/bind/<kind>/<escaped subject>/<binding id>.
  std::string bindings_of(model::SubjectKind kind, std::string_view subject) const {
    return m_p + "/x/bind/" + std::string(model::to_string(kind)) + "/" + key_part(subject) + "/";
  }

  // Share access sources.
  std::string acl(const model::Id& share) const { return acl_all() + share + "/"; }
  std::string acl_all() const { return m_p + "/acl/"; }
  std::string direct(const model::Id& share, const model::Id& user) const {
    return acl(share) + "u/" + user;
  }
  std::string directs(const model::Id& share) const { return acl(share) + "u/"; }
  std::string grant(const model::Id& share, const model::Id& group) const {
    return grants(share) + group;
  }
  std::string grants(const model::Id& share) const { return acl(share) + "g/"; }
  std::string user_direct(const model::Id& user, const model::Id& share) const {
    return user_directs(user) + share;
  }
  std::string user_directs(const model::Id& user) const { return m_p + "/ua/" + user + "/"; }
  std::string group_share(const model::Id& group, const model::Id& share) const {
    return group_shares(group) + share;
  }
  std::string group_shares(const model::Id& group) const { return m_p + "/gs/" + group + "/"; }
  std::string member(const model::Id& group, const model::Id& user) const {
    return members(group) + user;
  }
  std::string members(const model::Id& group) const { return members_all() + group + "/"; }
  std::string members_all() const { return m_p + "/m/"; }
  std::string user_group(const model::Id& user, const model::Id& group) const {
    return user_groups(user) + group;
  }
  std::string user_groups(const model::Id& user) const { return m_p + "/um/" + user + "/"; }
  std::string state(const model::Id& share, const model::Id& user) const {
    return states(share) + user;
  }
  std::string states(const model::Id& share) const { return states_all() + share + "/"; }
  std::string states_all() const { return m_p + "/st/"; }

  // The change feed: P/f/<revision, 20 digits>.
  std::string feed(std::int64_t revision) const;
  std::string feed_all() const { return m_p + "/f/"; }
  // Audit, time-ordered: P/audit/<µs, 20 digits>/<id>; per actor P/ca/<actor>/<µs>/<id>.
  std::string audit(model::Timestamp when, const model::Id& id) const;
  std::string audit_all() const { return m_p + "/audit/"; }
  std::string actor_audit(const model::Id& actor, model::Timestamp when, const model::Id& id) const;
  std::string actor_audit_all(const model::Id& actor) const { return m_p + "/ca/" + actor + "/"; }

  static std::string kind_part(model::Kind kind) { return std::string(model::kind_name(kind)); }

private:
  std::string m_p;
};

// What deleting a referenced object does to the objects that refer to it.
enum class OnDelete { restrict, cascade, set_null };

// One reference of an object to another.
struct Reference {
  std::string_view field; // the field's column name
  model::Kind target = model::Kind::user;
  model::Id id;
  OnDelete on_delete = OnDelete::restrict;
};

// One unique key of an object: its index key (under Layout::index) and the conflict message.
struct UniqueKey {
  std::string key;
  std::string taken; // "share name 'x' is already taken (share names ignore case)"
};

// The references of an object (only those set).
template <typename E>
std::vector<Reference> references_of(const E& e);
// The unique keys of an object (only those set).
template <typename E>
std::vector<UniqueKey> unique_keys_of(const Layout& layout, const E& e);
// The parent of an object for ListQuery (empty: the kind has none or it is unset).
template <typename E>
model::Id parent_of(const E& e);
// What deleting the object a reference field of `kind` points to does to the referrer.
OnDelete on_delete_of(model::Kind kind, std::string_view field);
// Clears the reference field `field` of e (ON DELETE SET NULL).
template <typename E>
void clear_reference(E& e, std::string_view field);

} // namespace sharectl::store::etcd
