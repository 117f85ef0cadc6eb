// Caller: the authenticated user of a request, which the authentication step leaves in
// Request::auth. Plain data.
#pragma once

#include "common/model/entities.hpp"

namespace sharectl::agent::handlers {

// The authenticated caller of a request (stored in Request::auth by the authentication step).
struct Caller {
  model::User user; // the user, as read during authentication
  model::App app;   // the app (login session) whose token was presented
};

} // namespace sharectl::agent::handlers
