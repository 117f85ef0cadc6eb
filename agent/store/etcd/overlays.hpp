// Bookkeeping figures of a document kept in keys of their own, so that writing them is not a
// change (no store revision, no change-feed entry), as the SQL backends write them in place:
//   touched (P/t/<kind>/<id>): what touch_app/touch_server/touch_filesystem write — plain fields
//     of the document that an update replaces (the caller's copy wins, as on SQL), so an update
//     deletes the touched key;
//   kept (P/b/<kind>/<id>): the Table's bookkeeping fields (a space's used_bytes/used_at, a
//     server's observed_revision) — never written by create or update, so a stale copy cannot
//     undo a measure.
//   alive (P/alive/<server>): present while the server's agent holds its lease; a server read
//     with it is up with a heartbeat of the reader's now, without it down (no clock is compared
//     between hosts).
// Reads lay them over the document. Internal to the etcd backend.
#pragma once

#include <optional>
#include <type_traits>
#include <vector>

#include "agent/store/etcd/types.hpp"
#include "common/model/entities.hpp"
#include "common/util/error.hpp"

namespace sharectl::store::etcd {

class EtcdTx;

template <typename E>
inline constexpr bool k_touched =
    std::is_same_v<E, model::App> || std::is_same_v<E, model::Server> ||
    std::is_same_v<E, model::FileSystem>;
template <typename E>
inline constexpr bool k_alive = std::is_same_v<E, model::Server>;
template <typename E>
inline constexpr bool k_kept = std::is_same_v<E, model::Server> || std::is_same_v<E, model::Space>;

// Lays the touched figures (a JSON object; absent: none) over e.
template <typename E>
Status apply_touched(E& e, const std::optional<KeyValue>& touched);
// Lays the kept bookkeeping (absent: defaults) over e.
template <typename E>
Status apply_kept(E& e, const std::optional<KeyValue>& kept);
// Sets a server's status from its alive key (present: up, heartbeat `now`; absent: down).
void apply_alive(model::Server& server, bool alive, model::Timestamp now);
// Sets e's kept bookkeeping fields to their defaults (a new object).
template <typename E>
void reset_kept(E& e);
// Copies the kept bookkeeping fields of `from` into `to` (an update returns the stored ones).
template <typename E>
void copy_kept(const E& from, E& to);
// Every object of kind E, overlays applied, unordered.
template <typename E>
Result<std::vector<E>> list_all(EtcdTx& tx);

} // namespace sharectl::store::etcd
