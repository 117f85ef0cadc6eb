// What command handlers share: calling the API and parsing JSON, printing a result in the
// chosen format, following an object's status (--wait) with a spinner on a terminal, asking for
// confirmation and checking sizes. Included only by cli/commands/*.cpp (it pulls in
// nlohmann/json).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "cli/api/api_client.hpp"
#include "cli/context.hpp"
#include "cli/output/render.hpp"

namespace sharectl::cli {

// Calls the agent (authenticated) and parses the answer ("" becomes null). Fails with the
// call's error, or internal when the answer is not JSON.
CliResult<nlohmann::json> call_json(Invocation& invocation, std::string_view method,
                                    const std::string& path, const nlohmann::json& body = nullptr,
                                    const QueryParams& query = {});

// The list of a list answer: the array itself or the "items" array of an object. Never fails.
nlohmann::json list_items(const nlohmann::json& answer);

// Prints `value` to stdout in the output format (nothing with --quiet) and returns 0; fails
// (exit 2) on a bad -o.
int print_result(Invocation& invocation, const nlohmann::json& value, const View& view);

// GET path, print it. The whole of a `show` handler.
int show(Invocation& invocation, const std::string& path, const View& view);

// GET path, print the list. The whole of a `list` handler.
int list(Invocation& invocation, const std::string& path, const View& view,
         const QueryParams& query = {});

// Follows `object` (just returned by a change) by GETting `path` until its status is "ready"
// (prints it, 0) or "error" (prints status_message, exit 10) or --timeout passes (exit 9).
// With --no-wait, or an object without status, prints it at once.
int wait_and_print(Invocation& invocation, nlohmann::json object, const std::string& path,
                   const View& view, std::string_view what);

// Sends DELETE path and, with --wait, follows the object until GET answers 404 (0), its status
// is "error" (10) or --timeout passes (9). Asks first unless --yes; refuses (exit 2) without
// --yes when there is no terminal to ask on.
int delete_and_wait(Invocation& invocation, const std::string& path, std::string_view what);

// The store revision the last change answered with (X-Sharectl-Revision), nullopt when none.
std::optional<std::int64_t> change_revision(Invocation& invocation);

// Which objects wait_applied() waits for.
enum class WaitFor {
  touched, // those the change touched (revision ≥ the change's): shares, spaces, group grants
  all,     // every object (servers: their observed_revision says how far their host has come)
};

// Follows a change committed at `revision` until the hosts have applied it. GET `path` answers
// one object or a list of objects, each with status, revision and observed_revision. An object
// counts as applied when its status is settled (not pending or deleting) and observed_revision
// ≥ revision — with WaitFor::touched, an object whose revision < revision (the change did not
// touch it) counts as applied too; 404 counts as applied (it is gone). Returns 0 once all are;
// fails with exit 10 when a touched object has status error (its name and message), 9 after
// --timeout. With --no-wait, or without a revision (an agent that does not say), 0 at once.
int wait_applied(Invocation& invocation, std::optional<std::int64_t> revision,
                 const std::string& path, std::string_view what, WaitFor which = WaitFor::touched);

// Asks `question` on the terminal unless --yes was given: 0 when confirmed, else the exit code
// of the failure it printed (2 without --yes and no terminal to ask on, 1 when not confirmed).
int confirm(Invocation& invocation, const std::string& question, std::string_view what);

// Sends a change (POST/PUT/PATCH/DELETE) and prints the answer, if any; 0 when it succeeded.
int change(Invocation& invocation, std::string_view method, const std::string& path,
           const nlohmann::json& body, const View& view, std::string_view done_note = {});

// Parses a size argument (SPEC.md sizes). Fails (exit 2) with the flag named.
CliResult<std::uint64_t> size_argument(std::string_view flag, const std::string& text);

// Percent-encodes one path segment. Never fails.
std::string seg(const std::string& text);

// The fixed View of a user object (list/show/whoami). Never fails.
const View& user_view();

} // namespace sharectl::cli
