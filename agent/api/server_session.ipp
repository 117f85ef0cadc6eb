// One client connection of HttpServer (Session) and how one is started (launch). Internal to
// server.cpp and included by it alone, after HttpServer::Impl: Beast and Asio stay in one
// translation unit (they cost ~25 s of compile time each), and server.cpp stays readable.
#pragma once

// Everything below is in server.cpp's context (its includes, aliases and HttpServer::Impl).
namespace sharectl::agent::api {

namespace {

// One client connection: reads requests one after another, hands each to the server, writes the
// answer. Stream is beast::tcp_stream or beast::ssl_stream<beast::tcp_stream>.
template <class Stream>
class Session : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
public:
  static constexpr bool k_tls = !std::is_same_v<Stream, beast::tcp_stream>;

  Session(HttpServer::Impl& server, Stream stream, std::string remote_address,
          std::uint16_t remote_port)
      : m_server(server), m_stream(std::move(stream)), m_remote_address(std::move(remote_address)),
        m_remote_port(remote_port) {}

  ~Session() override {
    m_server.unregister_session(m_id);
    m_server.metrics().add_open_connections(-1);
    m_server.connections.fetch_sub(1);
  }

  void set_id(std::uint64_t id) { m_id = id; }

  static asio::awaitable<void> run(std::shared_ptr<Session> self) {
    co_await self->serve();
    co_await self->close();
  }

  void request_stop() override {
    asio::post(m_stream.get_executor(), [self = this->shared_from_this()] {
      self->m_stop = true;
      if (self->m_idle) {
        self->tcp().cancel();
      }
    });
  }

  void force_close() override {
    beast::error_code ignored;
    tcp().socket().close(ignored);
  }

private:
  beast::tcp_stream& tcp() { return beast::get_lowest_layer(m_stream); }

  asio::awaitable<void> serve() {
    const auto& config = m_server.config;
    if constexpr (k_tls) {
      m_idle = true;
      tcp().expires_after(config.read_timeout);
      auto [ec] = co_await m_stream.async_handshake(asio::ssl::stream_base::server, k_tuple);
      m_idle = false;
      if (ec || m_stop) {
        co_return;
      }
    }
    bool first = true;
    while (!m_stop && !m_server.stopping.load()) {
      // Wait for the first byte of the next request: a connection that has sent nothing may idle
      // for idle_timeout between requests (read_timeout before its first one).
      if (m_buffer.size() == 0) {
        m_idle = true;
        tcp().expires_after(first ? config.read_timeout : config.idle_timeout);
        auto [ec, n] = co_await m_stream.async_read_some(m_buffer.prepare(4096), k_tuple);
        m_idle = false;
        if (ec) {
          co_return;
        }
        m_buffer.commit(n);
      }
      first = false;
      const auto start = Clock::now();
      tcp().expires_after(config.read_timeout);
      http::request_parser<http::string_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(config.max_header_bytes));
      parser.body_limit(config.max_body_bytes);
      auto [header_ec, header_n] =
          co_await http::async_read_header(m_stream, m_buffer, parser, k_tuple);
      if (header_ec) {
        if (header_ec == http::error::header_limit) {
          co_await reject(431, ErrorCode::bad_request,
                          "request headers exceed " + std::to_string(config.max_header_bytes) +
                              " bytes",
                          {}, start);
        } else if (header_ec == http::error::body_limit) {
          // Beast checks Content-Length against the body limit as soon as the header is read.
          co_await reject(413, ErrorCode::payload_too_large,
                          "request body exceeds the limit of " +
                              std::to_string(config.max_body_bytes) + " bytes",
                          parser.get()["X-Request-Id"], start);
        } else if (header_ec.category() ==
                       http::make_error_code(http::error::bad_target).category() &&
                   header_ec != http::error::end_of_stream &&
                   header_ec != http::error::partial_message) {
          co_await reject(400, ErrorCode::bad_request, "malformed request: " + header_ec.message(),
                          {}, start);
        }
        co_return;
      }
      const auto client_id = parser.get()["X-Request-Id"];
      const auto length = parser.content_length();
      if (length && *length > config.max_body_bytes) {
        co_await reject(413, ErrorCode::payload_too_large,
                        "request body of " + std::to_string(*length) +
                            " bytes exceeds the limit of " + std::to_string(config.max_body_bytes) +
                            " bytes",
                        client_id, start);
        co_return;
      }
      if (!parser.is_done()) {
        if (iequals(parser.get()[http::field::expect], "100-continue")) {
          http::response<http::empty_body> proceed{http::status::continue_, parser.get().version()};
          tcp().expires_after(config.write_timeout);
          auto [ec, n] = co_await http::async_write(m_stream, proceed, k_tuple);
          if (ec) {
            co_return;
          }
          tcp().expires_after(config.read_timeout);
        }
        auto [body_ec, body_n] = co_await http::async_read(m_stream, m_buffer, parser, k_tuple);
        if (body_ec == http::error::body_limit) {
          co_await reject(413, ErrorCode::payload_too_large,
                          "request body exceeds the limit of " +
                              std::to_string(config.max_body_bytes) + " bytes",
                          client_id, start);
          co_return;
        }
        if (body_ec) {
          co_return;
        }
      }
      tcp().expires_never();
      auto message = parser.release();
      bool keep_alive = message.keep_alive();
      const bool head = message.method() == http::verb::head;
      auto response = co_await m_server.respond(std::move(message), m_remote_address, m_remote_port,
                                                k_tls, start);
      keep_alive = keep_alive && !m_stop && !m_server.stopping.load();
      if (!co_await write(response, keep_alive, head) || !keep_alive) {
        co_return;
      }
      if (m_buffer.capacity() > k_kept_buffer_bytes && m_buffer.size() < k_kept_buffer_bytes) {
        m_buffer.shrink_to_fit(); // do not keep a 1 MiB upload's buffer on an idle connection
      }
    }
  }

  // Writes a response (consuming its body); false when the connection failed. For a HEAD
  // request the headers are those of the full response (Content-Length included) and no body
  // is sent.
  asio::awaitable<bool> write(Response& response, bool keep_alive, bool head = false) {
    http::response<http::string_body> out{static_cast<http::status>(response.status), 11};
    for (const auto& [name, value] : response.headers.fields()) {
      if (Dispatcher::sendable_header(name, value)) {
        out.insert(name, value);
      } else {
        m_server.log("dropped an invalid response header from a handler: " + name);
      }
    }
    if (response.status != 204 && response.status != 304) {
      out.body() = std::move(response.body);
    }
    out.keep_alive(keep_alive);
    out.prepare_payload();
    if (head) {
      const auto length = out.body().size();
      out.body().clear();
      if (response.status != 204 && response.status != 304) {
        out.content_length(length);
      }
    }
    tcp().expires_after(m_server.config.write_timeout);
    auto [ec, n] = co_await http::async_write(m_stream, out, k_tuple);
    co_return !ec;
  }

  // Answers a request the transport refuses before routing, then closes the connection.
  asio::awaitable<void> reject(int status, ErrorCode code, std::string message,
                               std::string_view client_id, Clock::time_point start) {
    Request request;
    request.request_id = Dispatcher::request_id_for(client_id);
    request.remote_address = m_remote_address;
    auto response = error_response(status, Error{code, std::move(message)}, request.request_id);
    m_server.dispatcher.finish(response, request, m_server.metrics().unmatched_slot(), start);
    if (co_await write(response, false)) {
      co_await linger();
    }
  }

  // Reads and discards what the client still sends (for a while) so that closing does not reset
  // the connection before the client has read our answer.
  asio::awaitable<void> linger() {
    if constexpr (!k_tls) {
      beast::error_code ignored;
      tcp().socket().shutdown(tcp::socket::shutdown_send, ignored);
    }
    tcp().expires_after(std::min(m_server.config.read_timeout, k_max_linger));
    std::array<char, 16 * 1024> scratch{};
    std::size_t total = 0;
    while (total < k_max_linger_bytes) {
      auto [ec, n] = co_await m_stream.async_read_some(asio::buffer(scratch), k_tuple);
      if (ec) {
        break;
      }
      total += n;
    }
  }

  asio::awaitable<void> close() {
    if constexpr (k_tls) {
      tcp().expires_after(std::chrono::seconds(1));
      co_await m_stream.async_shutdown(k_tuple);
    } else {
      beast::error_code ignored;
      tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
    }
    tcp().close();
  }

  HttpServer::Impl& m_server;
  Stream m_stream;
  beast::flat_buffer m_buffer;
  std::string m_remote_address;
  std::uint16_t m_remote_port;
  std::uint64_t m_id = 0;
  bool m_idle = false;
  bool m_stop = false;
};

template <class SessionType>
void launch(HttpServer::Impl& server, std::shared_ptr<SessionType> session, auto executor) {
  session->set_id(server.register_session(session));
  asio::co_spawn(executor, SessionType::run(std::move(session)),
                 [&server](const std::exception_ptr& error) {
                   if (!error) {
                     return;
                   }
                   try {
                     std::rethrow_exception(error);
                   } catch (const std::exception& e) {
                     server.log(std::string("connection failed: ") + e.what());
                   }
                 });
}

} // namespace

} // namespace sharectl::agent::api
