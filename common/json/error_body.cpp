#include "common/json/error_body.hpp"

#include <nlohmann/json.hpp>

#include "common/json/strict.hpp"

namespace sharectl::json {

std::string error_body(const Error& error, std::string_view request_id) {
  // nlohmann's objects keep keys sorted; "code" < "message" < "request_id" is the SPEC order.
  nlohmann::json inner = nlohmann::json::object();
  inner["code"] = std::string(error_code_name(error.code));
  inner["message"] = error.message;
  inner["request_id"] = std::string(request_id);
  nlohmann::json body = nlohmann::json::object();
  body["error"] = std::move(inner);
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<ErrorBody> parse_error_body_with_id(std::string_view body) {
  auto parsed = parse_strict(body);
  if (!parsed) {
    return fail(ErrorCode::internal, "not an error body: " + parsed.error().message);
  }
  const auto error = parsed->find("error");
  if (error == parsed->end() || !error->is_object()) {
    return fail(ErrorCode::internal, "not an error body: no \"error\" object");
  }
  const auto code = error->find("code");
  if (code == error->end() || !code->is_string()) {
    return fail(ErrorCode::internal, "not an error body: no string \"error.code\"");
  }
  const auto known = error_code_from_name(code->get_ref<const std::string&>());
  if (!known) {
    return fail(ErrorCode::internal, "not an error body: unknown error code");
  }
  const auto message = error->find("message");
  if (message == error->end() || !message->is_string()) {
    return fail(ErrorCode::internal, "not an error body: no string \"error.message\"");
  }
  ErrorBody out{Error{*known, message->get<std::string>()}, {}};
  const auto request_id = error->find("request_id");
  if (request_id != error->end()) {
    if (!request_id->is_string()) {
      return fail(ErrorCode::internal, "not an error body: \"error.request_id\" is not a string");
    }
    out.request_id = request_id->get<std::string>();
  }
  return out;
}

Result<Error> parse_error_body(std::string_view body) {
  auto parsed = parse_error_body_with_id(body);
  if (!parsed) {
    return std::unexpected(parsed.error());
  }
  return std::move(parsed->error);
}

} // namespace sharectl::json
