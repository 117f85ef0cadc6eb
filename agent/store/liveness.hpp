// The whole documents of every server and filesystem (their liveness and free bytes with
// them): the first half of Tx::read_bookkeeping on every backend, and what the read view
// re-reads every 250 ms. Few rows on any site.
#pragma once

#include "agent/store/tx.hpp"

namespace sharectl::store {

// A Bookkeeping with servers and filesystems filled (spaces and apps empty).
inline Result<Bookkeeping> read_liveness(Tx& tx) {
  Bookkeeping out;
  auto servers = tx.list<Server>();
  if (!servers) {
    return std::unexpected(servers.error());
  }
  out.servers = std::move(*servers);
  auto filesystems = tx.list<FileSystem>();
  if (!filesystems) {
    return std::unexpected(filesystems.error());
  }
  out.filesystems = std::move(*filesystems);
  return out;
}

} // namespace sharectl::store
