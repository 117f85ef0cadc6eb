// Entities as etcd documents (../README.md "Mapping to etcd"): the JSON value of a document key,
// written from the same field lists the SQL backends use (store/sql/tables.hpp Table<E>::fields,
// so the two backends can never disagree on what an entity holds): id, created_at, updated_at
// (µs), revision, the host-applied status fields, then every field by its column name. The
// revision is the store's (a counter the backend keeps in the head key and writes into every
// document a change touches), not etcd's mod_revision: a change must know it before it commits
// (Tx::write_revision), and bookkeeping puts move etcd's revision too. Derived fields (e.g. a
// share's folded name) are not
// written either (the natural-key index holds them); bookkeeping fields are not written by
// encode (they live in their own keys) and read as their defaults.
#pragma once

#include <string>
#include <string_view>

#include "agent/store/etcd/types.hpp"
#include "common/model/entities.hpp"
#include "common/util/error.hpp"

namespace sharectl::store::etcd {

// The JSON of entity e (without bookkeeping fields). Never fails.
template <typename E>
std::string encode_document(const E& e);

// The entity stored in kv (its value as encode_document wrote it).
// Fails with internal naming the kind and the field when the value is not such a document.
template <typename E>
Result<E> decode_document(const KeyValue& kv);

} // namespace sharectl::store::etcd
