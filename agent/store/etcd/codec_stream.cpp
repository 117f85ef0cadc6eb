#include <nlohmann/json.hpp>

#include "agent/store/etcd/codec.hpp"
#include "agent/store/etcd/codec_read.hpp"

namespace sharectl::store::etcd {

using namespace detail;
using nlohmann::json;

namespace {

Result<Event> event_from(const json& obj, const std::string& where) {
  if (!obj.is_object()) {
    return malformed(where, "is not an object");
  }
  Event event;
  std::string type;
  SHARECTL_ETCD_TRY(read_string(obj, "type", where, type));
  if (type.empty() || type == "PUT") {
    event.type = EventType::put;
  } else if (type == "DELETE") {
    event.type = EventType::del;
  } else {
    return malformed(where + ".type", "is '" + type + "', not PUT or DELETE");
  }
  auto kv = optional_kv(obj, "kv", where);
  if (!kv) {
    return std::unexpected(kv.error());
  }
  if (*kv) {
    event.kv = std::move(**kv);
  }
  auto prev = optional_kv(obj, "prev_kv", where);
  if (!prev) {
    return std::unexpected(prev.error());
  }
  event.prev_kv = std::move(*prev);
  return event;
}

Result<WatchResponse> watch_from(const json& obj, const std::string& where) {
  WatchResponse out;
  auto header = header_from(obj, where);
  if (!header) {
    return std::unexpected(header.error());
  }
  out.header = *header;
  SHARECTL_ETCD_TRY(read_integer(obj, "watch_id", where, out.watch_id));
  SHARECTL_ETCD_TRY(read_bool(obj, "created", where, out.created));
  SHARECTL_ETCD_TRY(read_bool(obj, "canceled", where, out.canceled));
  SHARECTL_ETCD_TRY(read_integer(obj, "compact_revision", where, out.compact_revision));
  SHARECTL_ETCD_TRY(read_string(obj, "cancel_reason", where, out.cancel_reason));
  SHARECTL_ETCD_TRY(read_bool(obj, "fragment", where, out.fragment));
  auto events = read_array(obj, "events", where);
  if (!events) {
    return std::unexpected(events.error());
  }
  if (*events != nullptr) {
    for (std::size_t i = 0; i < (*events)->size(); ++i) {
      auto event = event_from((**events)[i], where + ".events[" + std::to_string(i) + "]");
      if (!event) {
        return std::unexpected(event.error());
      }
      out.events.push_back(std::move(*event));
    }
  }
  return out;
}

Result<LeaseKeepAliveResponse> keepalive_from(const json& obj, const std::string& where) {
  LeaseKeepAliveResponse out;
  auto header = header_from(obj, where);
  if (!header) {
    return std::unexpected(header.error());
  }
  out.header = *header;
  SHARECTL_ETCD_TRY(read_integer(obj, "ID", where, out.id));
  SHARECTL_ETCD_TRY(read_integer(obj, "TTL", where, out.ttl));
  return out;
}

// {"error":{"grpc_code":…,"http_code":…,"message":…}} inside a stream; nullopt when the document
// is not an error.
Result<std::optional<GatewayError>> stream_error(const json& doc) {
  const json* error = member(doc, "error");
  if (error == nullptr) {
    return std::optional<GatewayError>();
  }
  GatewayError out;
  if (error->is_object()) {
    std::int64_t code = 2;
    std::int64_t http = 0;
    SHARECTL_ETCD_TRY(read_integer(*error, "grpc_code", "error", code));
    SHARECTL_ETCD_TRY(read_integer(*error, "http_code", "error", http));
    SHARECTL_ETCD_TRY(read_string(*error, "message", "error", out.message));
    out.grpc_code = static_cast<int>(code);
    out.http_status = static_cast<int>(http);
  } else if (error->is_string()) {
    out.message = error->get<std::string>();
  } else {
    return malformed("error", "is neither an object nor a string");
  }
  return std::optional<GatewayError>(std::move(out));
}

// The gRPC code a bare HTTP status stands for (grpc-gateway's mapping, reversed).
int grpc_code_for_status(int status) {
  switch (status) {
  case 400:
    return 3; // InvalidArgument
  case 401:
    return 16; // Unauthenticated
  case 403:
    return 7; // PermissionDenied
  case 404:
  case 405:
  case 501:
    return 12; // Unimplemented: not an etcd v3 gateway at this path
  case 408:
    return 1; // Canceled
  case 409:
    return 10; // Aborted
  case 412:
    return 9; // FailedPrecondition
  case 429:
    return 8; // ResourceExhausted
  case 502:
  case 503:
    return 14; // Unavailable
  case 504:
    return 4; // DeadlineExceeded
  default:
    return 2; // Unknown
  }
}

} // namespace

GatewayError decode_gateway_error(int http_status, std::string_view body) {
  GatewayError out;
  out.http_status = http_status;
  out.grpc_code = grpc_code_for_status(http_status);
  const json doc = json::parse(body, nullptr, false);
  if (!doc.is_discarded() && doc.is_object()) {
    std::string message;
    std::int64_t code = 0;
    const bool has_code =
        member(doc, "code") != nullptr && read_integer(doc, "code", "error", code).has_value();
    if (read_string(doc, "message", "error", message) && message.empty()) {
      (void)read_string(doc, "error", "error", message);
    }
    if (!message.empty() || has_code) {
      out.message = message;
      if (has_code) {
        out.grpc_code = static_cast<int>(code);
      }
      return out;
    }
  }
  std::string start(body.substr(0, 200));
  for (char& c : start) {
    if (static_cast<unsigned char>(c) < 0x20) {
      c = ' ';
    }
  }
  out.message = "HTTP " + std::to_string(http_status) +
                (start.empty() ? std::string(" with an empty body") : ": " + start);
  return out;
}

namespace {

// One document of a gateway stream: {"error": …} as a GatewayError, else {"result": …} read
// by `from` (named `what` in messages).
template <typename Response>
Result<std::variant<Response, GatewayError>>
decode_stream_document(std::string_view document, std::string_view what,
                       Result<Response> (*from)(const json&, const std::string&)) {
  auto doc = parse_object(document);
  if (!doc) {
    return std::unexpected(doc.error());
  }
  auto error = stream_error(*doc);
  if (!error) {
    return std::unexpected(error.error());
  }
  if (*error) {
    return std::variant<Response, GatewayError>(std::move(**error));
  }
  const json* result = member(*doc, "result");
  if (result == nullptr || !result->is_object()) {
    return malformed(std::string(what) + " message", "has neither \"result\" nor \"error\"");
  }
  auto response = from(*result, std::string(what));
  if (!response) {
    return std::unexpected(response.error());
  }
  return std::variant<Response, GatewayError>(std::move(*response));
}

} // namespace

Result<WatchMessage> decode_watch_message(std::string_view document) {
  return decode_stream_document<WatchResponse>(document, "watch", watch_from);
}

Result<KeepAliveMessage> decode_keepalive_message(std::string_view document) {
  return decode_stream_document<LeaseKeepAliveResponse>(document, "keepalive", keepalive_from);
}

} // namespace sharectl::store::etcd
