// The etcd store backend: Store over KvStore (kv_store.hpp) in the key layout of layout.hpp,
// registered with open_store under etcd:// and etcds:// (url.hpp). See ../README.md "Mapping to
// etcd" for the layout and why, and README.md here for the client beneath.
//   * transact/view: one KvStore transaction each; the store revision is the counter in the
//     head key's value, one per change.
//   * The change feed: one key per store revision (P/f/<revision>) listing what changed, pruned
//     past 100,000 revisions like the SQL feed (compacted = resync).
//   * wait_for_change: a watch on the head key wakes waiters; a poll once a second covers a
//     watch that is reconnecting.
//   * Schema: P/meta/schema holds the version; documents are read with defaults for missing
//     fields, so the versions follow the SQL backends' numbers with nothing to transform.
#pragma once

#include <memory>
#include <string_view>

#include "agent/store/store.hpp"

namespace sharectl::store::etcd {

// Opens the etcd store at url (etcd:// or etcds://). bad_request for a malformed URL;
// unavailable when no member answers or the schema is newer than this build (or older and
// options.migrate is false).
Result<std::unique_ptr<Store>> open_etcd_store(std::string_view url, const OpenOptions& options);

} // namespace sharectl::store::etcd
