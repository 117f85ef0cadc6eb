#include "agent/handlers/request.hpp"

#include <charconv>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/json/strict.hpp"
#include "common/validate/text.hpp"

namespace sharectl::agent::handlers {

api::Response with_revision(api::Response response, model::Revision revision) {
  if (revision > 0) {
    response.headers.set(k_revision_header, std::to_string(revision));
  }
  return response;
}

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

Result<NamedBody> read_named_body(const api::Request& request,
                                  Status (*validate_name)(std::string_view)) {
  auto body = json::parse_strict(request.body);
  if (!body) {
    return std::unexpected(body.error());
  }
  json::ObjectReader reader(*body);
  auto name = reader.required_string("name");
  auto description = reader.optional_string("description");
  for (const Status& st : {first_error(name), first_error(description), reader.finish()}) {
    if (!st) {
      return std::unexpected(st.error());
    }
  }
  if (auto ok = validate_name(*name); !ok) {
    return std::unexpected(ok.error());
  }
  if (*description) {
    if (auto ok = validate::validate_comment(**description); !ok) {
      return fail(ErrorCode::bad_request, "description: " + ok.error().message);
    }
  }
  return NamedBody{std::move(*name), description->value_or("")};
}

api::Handler bind_handler(AgentContext& context, HandlerFn fn) {
  return [&context, fn](api::Request& request) { return fn(context, request); };
}

} // namespace sharectl::agent::handlers
