// Where spaces go and how much room is left: the owner's allowance, the bytes allocated on each
// filesystem (sum of its spaces' sizes) and the choice of a filesystem for a new space. All of
// it runs inside the caller's store transaction, so concurrent creators never over-commit.
// Failures are conflict values whose message names the limit (allowance, largest free room,
// a down server) or the store's errors.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "agent/handlers/context.hpp"

namespace sharectl::agent::handlers {

// Checks that `owner` may own `extra` more bytes (`except`: a space being resized, not
// counted); conflict naming the allowance when not.
Status check_allowance(const AgentContext& context, store::Tx& tx, const model::User& owner,
                       std::uint64_t extra, const std::optional<model::Id>& except);

// Bytes allocated on each filesystem (sum of its spaces' sizes), skipping `except`.
Result<std::map<model::Id, std::uint64_t>> allocated(store::Tx& tx,
                                                     const std::optional<model::Id>& except);

// Capacity minus what `used` says is allocated on `fs` (0 when over-committed). Never fails.
std::uint64_t free_room(const model::FileSystem& fs,
                        const std::map<model::Id, std::uint64_t>& used);

// The filesystem with the most free room ≥ size on a samba server that is up at `now`
// (heartbeat fresh, see reconcile::server_up), only on `server_name` when set. conflict when
// no such server exists or none has room (naming the largest free room).
Result<model::FileSystem> place(store::Tx& tx, std::uint64_t size,
                                const std::optional<std::string>& server_name,
                                model::Timestamp now);

} // namespace sharectl::agent::handlers
