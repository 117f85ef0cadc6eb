// Caller: the authenticated user of a request, which the authentication step leaves in
// Request::auth, and the read stamp its answer is valid at. Plain data.
#pragma once

#include <cstdint>

#include "common/model/entities.hpp"

namespace sharectl::agent::handlers {

// Where a request's reads began: the store revision this process had seen
// (Store::seen_revision), the generation of the pending app uses
// (LastUsedTracker::generation) and the agent clock. An answer built from those reads stays
// right while the first two are unchanged, up to the clock's part of it (expiry).
struct ReadStamp {
  model::Revision revision = 0;
  std::uint64_t uses = 0;
  model::Timestamp at{};
};

// The authenticated caller of a request (stored in Request::auth by the authentication step).
struct Caller {
  model::User user; // the user, as read during authentication
  model::App app;   // the app (login session) whose token was presented
  ReadStamp stamp;  // taken before this request's authentication read anything
};

} // namespace sharectl::agent::handlers
