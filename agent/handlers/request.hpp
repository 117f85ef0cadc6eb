// Small helpers the route handlers share: the If-Match revision, turning a Result into a
// Status, and binding a handler function to the context for a route table. Failures are
// bad_request values, never exceptions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "agent/api/http.hpp"
#include "agent/api/router.hpp"
#include "agent/handlers/context.hpp"
#include "agent/store/tx.hpp"
#include "common/model/object.hpp"
#include "common/util/error.hpp"

namespace sharectl::agent::handlers {

// The header naming the store revision a change was committed at, so that `sharectl --wait` can
// follow the hosts until their objects' observed_revision reaches it (cli/api/api_client.hpp).
inline constexpr const char* k_revision_header = "X-Sharectl-Revision";

// `response` with the X-Sharectl-Revision header set to `revision` (nothing when 0). Never fails.
api::Response with_revision(api::Response response, model::Revision revision);

// The If-Match revision of a request (a number, optionally quoted), nullopt when absent;
// bad_request when it is not a number.
Result<std::optional<model::Revision>> if_match(const api::Request& request);

// The body {name, description?} of creating a named object (a group, a role).
struct NamedBody {
  std::string name;
  std::string description; // "" when absent
};

// Reads a NamedBody strictly: the name checked by `validate_name`, the description by the
// free-text rules (common/validate/text); bad_request otherwise.
Result<NamedBody> read_named_body(const api::Request& request,
                                  Status (*validate_name)(std::string_view));

// The stored object `id` as of this transaction, checked against the request's If-Match revision
// `expected` (when given): precondition_failed "<what> is at revision N, not M" on a mismatch;
// the store's errors (not_found …) as they are.
template <typename E>
Result<E> current_at(store::Tx& tx, const model::Id& id, std::optional<model::Revision> expected,
                     std::string_view what) {
  auto current = tx.get<E>(id);
  if (!current) {
    return std::unexpected(current.error());
  }
  if (expected && current->revision != *expected) {
    return fail(ErrorCode::precondition_failed, std::string(what) + " is at revision " +
                                                    std::to_string(current->revision) + ", not " +
                                                    std::to_string(*expected));
  }
  return current;
}

// A route handler function over the shared context.
using HandlerFn = Result<api::Response> (*)(AgentContext&, api::Request&);

// `fn` bound to `context` (which must outlive the handler), for a Route. Never fails.
api::Handler bind_handler(AgentContext& context, HandlerFn fn);

// The error of `result` as a Status; success when it holds a value.
template <typename T>
Status first_error(const Result<T>& result) {
  if (!result) {
    return std::unexpected(result.error());
  }
  return {};
}

} // namespace sharectl::agent::handlers
