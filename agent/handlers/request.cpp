#include "agent/handlers/request.hpp"

#include <charconv>
#include <string_view>

namespace sharectl::agent::handlers {

Result<std::optional<model::Revision>> if_match(const api::Request& request) {
  const auto header = request.headers.get("If-Match");
  if (!header) {
    return std::optional<model::Revision>{};
  }
  std::string_view text = *header;
  if (text.size() >= 2 && text.front() == '"' && text.back() == '"') {
    text = text.substr(1, text.size() - 2);
  }
  model::Revision value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) {
    return fail(ErrorCode::bad_request, "If-Match: give the revision number you read");
  }
  return std::optional<model::Revision>{value};
}

api::Handler bind_handler(AgentContext& context, HandlerFn fn) {
  return [&context, fn](api::Request& request) { return fn(context, request); };
}

} // namespace sharectl::agent::handlers
