#include "agent/store/etcd/watch.hpp"

#include <algorithm>
#include <memory>
#include <utility>

#include <curl/curl.h>

#include "agent/store/etcd/codec.hpp"
#include "agent/store/etcd/errors.hpp"
#include "agent/store/etcd/json_stream.hpp"
#include "common/version.hpp"

namespace sharectl::store::etcd {

namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// How long one poll of the transfer may sleep when nothing happens; stop() wakes it earlier.
constexpr int k_poll_ms = 1000;
// The most of an error (non-200) body kept for the message.
constexpr std::size_t k_max_error_body = 4096;

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

} // namespace

// One open POST /v3/watch transfer.
struct EtcdWatch::Stream {
  EtcdWatch* watch = nullptr;
  CURL* easy = nullptr;
  std::string endpoint;
  JsonStreamSplitter splitter;
  std::string error_body; // a non-200 answer
  bool created = false;
  std::optional<StreamResult> end; // set by a document that ends the stream
};

EtcdWatch::EtcdWatch(EtcdGateway& gateway, WatchCreate request, WatchCallback callback,
                     WatchOptions options)
    : m_gateway(gateway), m_request(std::move(request)), m_callback(std::move(callback)),
      m_options(options) {
  global_init();
  m_next_revision.store(m_request.start_revision);
  m_multi = curl_multi_init();
  m_thread = std::thread([this] { run(); });
}

EtcdWatch::~EtcdWatch() {
  stop();
  if (m_thread.joinable()) {
    m_thread.join(); // stop() was called from the callback: the thread is ending
  }
  if (m_multi != nullptr) {
    curl_multi_cleanup(static_cast<CURLM*>(m_multi));
  }
}

void EtcdWatch::stop() {
  m_stopping.store(true);
  {
    std::lock_guard lock(m_mutex);
    m_wake.notify_all();
  }
  if (m_multi != nullptr) {
    curl_multi_wakeup(static_cast<CURLM*>(m_multi));
  }
  if (m_thread.joinable() && m_thread.get_id() != std::this_thread::get_id()) {
    m_thread.join();
  }
}

void EtcdWatch::deliver(const WatchNotice& notice) {
  if (m_callback) {
    m_callback(notice);
  }
}

bool EtcdWatch::wait_backoff(std::chrono::milliseconds delay) {
  std::unique_lock lock(m_mutex);
  return !m_wake.wait_for(lock, delay, [this] { return m_stopping.load(); });
}

std::size_t EtcdWatch::on_write(char* data, std::size_t size, std::size_t count, void* arg) {
  auto* stream = static_cast<Stream*>(arg);
  const std::size_t bytes = size * count;
  EtcdWatch& self = *stream->watch;
  if (self.m_stopping.load() || stream->end) {
    return 0; // aborts the transfer
  }
  long status = 0;
  curl_easy_getinfo(stream->easy, CURLINFO_RESPONSE_CODE, &status);
  if (status != 200) {
    const std::size_t room =
        k_max_error_body - std::min(k_max_error_body, stream->error_body.size());
    stream->error_body.append(data, std::min(room, bytes));
    return bytes;
  }
  stream->splitter.feed(std::string_view(data, bytes));
  while (true) {
    auto document = stream->splitter.next();
    if (!document) {
      stream->end = StreamResult{StreamEnd::broken, document.error(), 0, stream->created};
      return 0;
    }
    if (!*document) {
      return bytes;
    }
    if (auto end = self.handle_document(*stream, **document)) {
      stream->end = std::move(*end);
      return 0;
    }
  }
}

std::optional<EtcdWatch::StreamResult> EtcdWatch::handle_document(Stream& stream,
                                                                  std::string_view document) {
  auto message = decode_watch_message(document);
  if (!message) {
    return StreamResult{StreamEnd::broken, message.error(), 0, stream.created};
  }
  if (const auto* error = std::get_if<GatewayError>(&*message)) {
    Error as_error = to_error(*error, "watch", stream.endpoint);
    switch (classify(*error)) {
    case ErrorClass::invalid_token:
      return StreamResult{StreamEnd::invalid_token, as_error, 0, stream.created};
    case ErrorClass::definite:
      return StreamResult{StreamEnd::failed, as_error, 0, stream.created};
    default:
      return StreamResult{StreamEnd::broken, as_error, 0, stream.created};
    }
  }
  const auto& response = std::get<WatchResponse>(*message);
  if (response.canceled) {
    if (response.compact_revision > 0) {
      StreamResult result{StreamEnd::compacted, {}, response.compact_revision, stream.created};
      return result;
    }
    const std::string& reason = response.cancel_reason;
    Error error{ErrorCode::unavailable,
                "etcd watch at " + stream.endpoint +
                    " canceled: " + (reason.empty() ? std::string("no reason given") : reason)};
    if (contains(reason, "invalid auth token")) {
      return StreamResult{StreamEnd::invalid_token, error, 0, stream.created};
    }
    if (contains(reason, "no leader") || contains(reason, "Unavailable")) {
      return StreamResult{StreamEnd::broken, error, 0, stream.created};
    }
    return StreamResult{StreamEnd::failed, error, 0, stream.created};
  }
  if (response.created) {
    stream.created = true;
    m_outage_reported = false;
    if (m_next_revision.load() == 0) {
      m_next_revision.store(response.header.revision + 1); // watching from "now"
    }
    return std::nullopt;
  }
  WatchNotice notice;
  notice.revision = response.header.revision;
  if (response.events.empty()) {
    notice.kind = WatchNotice::Kind::progress;
    if (response.header.revision >= m_next_revision.load()) {
      m_next_revision.store(response.header.revision + 1);
    }
  } else {
    notice.kind = WatchNotice::Kind::events;
    notice.events = response.events;
    std::int64_t last = 0;
    for (const Event& event : response.events) {
      last = std::max(last, event.kv.mod_revision);
    }
    // Events of one revision are never split across responses (without fragment), so the next
    // stream may start right after the newest one delivered.
    if (last + 1 > m_next_revision.load()) {
      m_next_revision.store(last + 1);
    }
  }
  deliver(notice);
  return std::nullopt;
}

EtcdWatch::StreamResult EtcdWatch::run_stream(std::size_t endpoint, const std::string& token) {
  const EtcdUrl& url = m_gateway.url();
  Stream stream;
  stream.watch = this;
  stream.endpoint = url.endpoints.at(endpoint);
  const std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> easy(curl_easy_init(),
                                                                 &curl_easy_cleanup);
  if (!easy) {
    return StreamResult{StreamEnd::failed, Error{ErrorCode::internal, "curl_easy_init failed"}};
  }
  stream.easy = easy.get();
  WatchCreate create = m_request;
  create.start_revision = m_next_revision.load();
  const std::string body = encode_watch_create(create);
  const std::string target = url.base_url(endpoint) + "/v3/watch";
  curl_slist* list = nullptr;
  for (const auto& [name, value] : EtcdGateway::request_headers(token)) {
    list = curl_slist_append(list, (name + ": " + value).c_str());
  }
  const std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(list,
                                                                            &curl_slist_free_all);
  const http::ClientOptions& tls = m_gateway.client_options();
  const std::string user_agent = std::string("sharectl/") + k_version;
  char error_buffer[CURL_ERROR_SIZE] = {};
  CURL* handle = easy.get();
  curl_easy_setopt(handle, CURLOPT_URL, target.c_str());
  curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(handle, CURLOPT_USERAGENT, user_agent.c_str());
  curl_easy_setopt(handle, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(handle, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, &EtcdWatch::on_write);
  curl_easy_setopt(handle, CURLOPT_WRITEDATA, &stream);
  curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS,
                   std::max<long>(1, static_cast<long>(tls.connect_timeout.count())));
  // A watch idles for as long as nothing changes: no overall timeout, but TCP keepalives notice
  // a peer that vanished without closing the connection.
  curl_easy_setopt(handle, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(handle, CURLOPT_TCP_KEEPIDLE, 15L);
  curl_easy_setopt(handle, CURLOPT_TCP_KEEPINTVL, 5L);
  curl_easy_setopt(handle, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
  if (!tls.ca_file.empty()) {
    curl_easy_setopt(handle, CURLOPT_CAINFO, tls.ca_file.c_str());
  }
  if (!tls.client_cert_file.empty()) {
    curl_easy_setopt(handle, CURLOPT_SSLCERT, tls.client_cert_file.c_str());
  }
  if (!tls.client_key_file.empty()) {
    curl_easy_setopt(handle, CURLOPT_SSLKEY, tls.client_key_file.c_str());
  }

  auto* multi = static_cast<CURLM*>(m_multi);
  if (multi == nullptr || curl_multi_add_handle(multi, handle) != CURLM_OK) {
    return StreamResult{StreamEnd::failed,
                        Error{ErrorCode::internal, "curl_multi_add_handle failed"}};
  }
  ++m_streams;
  CURLcode result = CURLE_OK;
  bool done = false;
  while (!done && !m_stopping.load() && !stream.end) {
    int running = 0;
    if (curl_multi_perform(multi, &running) != CURLM_OK) {
      result = CURLE_FAILED_INIT;
      break;
    }
    int queued = 0;
    while (CURLMsg* message = curl_multi_info_read(multi, &queued)) {
      if (message->msg == CURLMSG_DONE && message->easy_handle == handle) {
        result = message->data.result;
        done = true;
      }
    }
    if (!done && running > 0) {
      curl_multi_poll(multi, nullptr, 0, k_poll_ms, nullptr);
    } else if (running == 0) {
      done = true;
    }
  }
  long status = 0;
  curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status);
  curl_multi_remove_handle(multi, handle);

  if (m_stopping.load()) {
    return StreamResult{StreamEnd::stopped, {}, 0, stream.created};
  }
  if (stream.end) {
    return std::move(*stream.end);
  }
  if (status != 0 && status != 200) {
    const GatewayError error = decode_gateway_error(static_cast<int>(status), stream.error_body);
    Error as_error = to_error(error, "watch", stream.endpoint);
    switch (classify(error)) {
    case ErrorClass::invalid_token:
      return StreamResult{StreamEnd::invalid_token, as_error, 0, false};
    case ErrorClass::definite:
      return StreamResult{StreamEnd::failed, as_error, 0, false};
    default:
      return StreamResult{StreamEnd::broken, as_error, 0, false};
    }
  }
  const std::string detail = result == CURLE_OK        ? std::string("the server closed the stream")
                             : error_buffer[0] != '\0' ? std::string(error_buffer)
                                                       : std::string(curl_easy_strerror(result));
  return StreamResult{StreamEnd::broken,
                      Error{ErrorCode::unavailable,
                            "etcd watch stream from " + stream.endpoint + " broke: " + detail},
                      0, stream.created};
}

void EtcdWatch::run() {
  const std::size_t count = m_gateway.endpoints().size();
  std::size_t endpoint = count == 0 ? 0 : m_gateway.preferred_endpoint() % count;
  std::chrono::milliseconds backoff = m_options.min_backoff;
  bool renewed_token = false;
  const auto report_outage = [this](const Error& error) {
    if (!m_outage_reported) {
      m_outage_reported = true;
      WatchNotice notice;
      notice.kind = WatchNotice::Kind::disconnected;
      notice.error = error;
      deliver(notice);
    }
  };
  const auto end_with = [this](WatchNotice notice) {
    m_finished.store(true);
    deliver(notice);
  };
  if (count == 0) {
    WatchNotice notice;
    notice.kind = WatchNotice::Kind::failed;
    notice.error = Error{ErrorCode::bad_request, "etcd watch: the URL has no endpoints"};
    end_with(std::move(notice));
    return;
  }
  while (!m_stopping.load()) {
    auto token = m_gateway.token();
    if (!token) {
      if (contains(token.error().message, "refused the credentials")) {
        WatchNotice notice;
        notice.kind = WatchNotice::Kind::failed;
        notice.error = token.error();
        end_with(std::move(notice));
        return;
      }
      report_outage(token.error());
      if (!wait_backoff(backoff)) {
        break;
      }
      backoff = std::min(backoff * 2, m_options.max_backoff);
      continue;
    }
    StreamResult result = run_stream(endpoint, *token);
    if (result.created) {
      backoff = m_options.min_backoff;
      renewed_token = false;
    }
    switch (result.end) {
    case StreamEnd::stopped:
      break;
    case StreamEnd::compacted: {
      WatchNotice notice;
      notice.kind = WatchNotice::Kind::compacted;
      notice.revision = result.compact_revision;
      end_with(std::move(notice));
      return;
    }
    case StreamEnd::failed: {
      WatchNotice notice;
      notice.kind = WatchNotice::Kind::failed;
      notice.error = std::move(result.error);
      end_with(std::move(notice));
      return;
    }
    case StreamEnd::invalid_token:
      m_gateway.token_rejected(*token);
      if (renewed_token) {
        WatchNotice notice;
        notice.kind = WatchNotice::Kind::failed;
        notice.error = std::move(result.error);
        end_with(std::move(notice));
        return;
      }
      renewed_token = true;
      continue;
    case StreamEnd::broken:
      report_outage(result.error);
      endpoint = (endpoint + 1) % count;
      if (!result.created) {
        // Nothing answered: pace the attempts. A stream that had been working is reopened on
        // the next member at once.
        if (!wait_backoff(backoff)) {
          break;
        }
        backoff = std::min(backoff * 2, m_options.max_backoff);
      }
      continue;
    }
    break;
  }
  m_finished.store(true);
}

} // namespace sharectl::store::etcd
