// The only translation unit that includes Beast, Asio and asio::ssl (they cost ~25 s each).
#include "agent/api/server.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <future>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/ssl.h>

#include "agent/api/builtins.hpp"
#include "agent/api/dispatcher.hpp"
#include "agent/api/openapi.hpp"

namespace sharectl::agent::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using BeastRequest = http::request<http::string_body>;

namespace {

constexpr auto k_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t k_max_linger_bytes = 8 * 1024 * 1024;
constexpr std::chrono::milliseconds k_max_linger{2000};
constexpr std::size_t k_kept_buffer_bytes = 64 * 1024;

class SessionBase {
public:
  virtual ~SessionBase() = default;
  // Asks the session to end after its current request; an idle session ends at once.
  virtual void request_stop() = 0;
  // Closes the socket at once; only while no I/O thread runs (end of stop()).
  virtual void force_close() = 0;
};

} // namespace

struct HttpServer::Impl {
  ServerConfig config;
  Dispatcher dispatcher;
  std::shared_ptr<BuiltinState> builtins;
  std::atomic<std::size_t> connections{0};
  std::atomic<bool> stopping{false};
  std::mutex sessions_mutex;
  std::uint64_t next_session = 0;
  std::unordered_map<std::uint64_t, std::weak_ptr<SessionBase>> sessions;
  std::mutex stop_mutex;
  bool stopped = false;
  std::optional<asio::ssl::context> ssl;
  // One io_context per I/O thread, each run by that thread alone: a connection lives on one of
  // them (round robin), so its handlers never run concurrently without a strand, and no I/O
  // thread wakes another. The acceptor is on the first.
  using WorkGuard = asio::executor_work_guard<asio::io_context::executor_type>;
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  std::vector<WorkGuard> keep_running;
  std::size_t next_context = 0;
  std::optional<tcp::acceptor> acceptor;
  std::uint16_t port = 0;
  std::optional<asio::thread_pool> workers;
  std::vector<std::thread> io_threads;

  Impl(ServerConfig c, ServerHooks h, Router r)
      : config(std::move(c)), dispatcher(std::move(r), std::move(h), config.max_queued_handlers) {
    for (std::size_t i = 0; i < config.io_threads; ++i) {
      contexts.push_back(std::make_unique<asio::io_context>(1)); // run by one thread
      keep_running.emplace_back(contexts.back()->get_executor());
    }
  }

  Metrics& metrics() { return dispatcher.metrics(); }
  void log(std::string_view message) const { dispatcher.log(message); }

  Status open(const asio::ip::address& address);
  asio::awaitable<void> accept_loop();
  void start_session(tcp::socket socket);
  std::uint64_t register_session(std::weak_ptr<SessionBase> session);
  void unregister_session(std::uint64_t id);
  std::vector<std::shared_ptr<SessionBase>> live_sessions();
  asio::awaitable<Response> respond(BeastRequest&& message, std::string_view remote_address,
                                    std::uint16_t remote_port, bool tls, Clock::time_point start);
  void stop();
};

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

Status HttpServer::Impl::open(const asio::ip::address& address) {
  beast::error_code ec;
  const tcp::endpoint endpoint(address, config.port);
  const auto where = config.address + ":" + std::to_string(config.port);
  acceptor.emplace(*contexts.front());
  if (acceptor->open(endpoint.protocol(), ec);
      ec || (acceptor->set_option(asio::socket_base::reuse_address(true), ec), ec) ||
      (acceptor->bind(endpoint, ec), ec) ||
      (acceptor->listen(asio::socket_base::max_listen_connections, ec), ec)) {
    return fail(ErrorCode::unavailable, "cannot listen on " + where + ": " + ec.message());
  }
  port = acceptor->local_endpoint(ec).port();
  return {};
}

asio::awaitable<void> HttpServer::Impl::accept_loop() {
  while (true) {
    auto& home = *contexts[next_context++ % contexts.size()]; // only this coroutine touches it
    auto [ec, socket] = co_await acceptor->async_accept(home, k_tuple);
    if (ec) {
      if (stopping.load() || ec == asio::error::operation_aborted || !acceptor->is_open()) {
        co_return;
      }
      log("accept failed: " + ec.message());
      // Out of file descriptors and the like: back off instead of spinning.
      asio::steady_timer pause(acceptor->get_executor(), std::chrono::milliseconds(50));
      co_await pause.async_wait(k_tuple);
      continue;
    }
    if (stopping.load()) {
      co_return;
    }
    if (connections.load() >= config.max_connections) {
      metrics().count_refused_connection();
      beast::error_code ignored;
      socket.close(ignored);
      continue;
    }
    start_session(tcp::socket(std::move(socket)));
  }
}

void HttpServer::Impl::start_session(tcp::socket socket) {
  beast::error_code ec;
  socket.set_option(tcp::no_delay(true), ec);
  const auto remote = socket.remote_endpoint(ec);
  auto peer = remote.address();
  if (peer.is_v6() && peer.to_v6().is_v4_mapped()) {
    peer = asio::ip::make_address_v4(asio::ip::v4_mapped, peer.to_v6()); // "::ffff:a.b.c.d"
  }
  const auto address = ec ? std::string() : peer.to_string();
  const auto remote_port = ec ? std::uint16_t{0} : remote.port();
  const auto executor = socket.get_executor();
  connections.fetch_add(1);
  metrics().add_open_connections(1);
  if (ssl) {
    using Stream = beast::ssl_stream<beast::tcp_stream>;
    launch(*this,
           std::make_shared<Session<Stream>>(*this, Stream(std::move(socket), *ssl), address,
                                             remote_port),
           executor);
  } else {
    launch(*this,
           std::make_shared<Session<beast::tcp_stream>>(*this, beast::tcp_stream(std::move(socket)),
                                                        address, remote_port),
           executor);
  }
}

std::uint64_t HttpServer::Impl::register_session(std::weak_ptr<SessionBase> session) {
  std::lock_guard lock(sessions_mutex);
  const auto id = ++next_session;
  sessions.emplace(id, std::move(session));
  return id;
}

void HttpServer::Impl::unregister_session(std::uint64_t id) {
  std::lock_guard lock(sessions_mutex);
  sessions.erase(id);
}

asio::awaitable<Response> HttpServer::Impl::respond(BeastRequest&& message,
                                                    std::string_view remote_address,
                                                    std::uint16_t remote_port, bool tls,
                                                    Clock::time_point start) {
  Request request;
  request.request_id = Dispatcher::request_id_for(message["X-Request-Id"]);
  request.method = std::string(message.method_string());
  request.target = std::string(message.target());
  for (const auto& field : message) {
    request.headers.add(std::string(field.name_string()), std::string(field.value()));
  }
  request.body = std::move(message.body());
  request.remote_address = std::string(remote_address);
  request.remote_port = remote_port;
  request.tls = tls;

  metrics().add_in_flight(1);
  auto plan = dispatcher.route(request);
  Response response;
  if (plan.response) {
    response = std::move(*plan.response);
  } else if (plan.blocking) {
    // Run the handler on the worker pool; resume on this connection's I/O thread afterwards.
    response = co_await asio::co_spawn(
        *workers,
        [this, &request]() -> asio::awaitable<Response> { co_return dispatcher.invoke(request); },
        asio::use_awaitable);
  } else {
    response = dispatcher.invoke(request);
  }
  dispatcher.finish(response, request, plan.slot, start);
  metrics().add_in_flight(-1);
  co_return response;
}

void HttpServer::Impl::stop() {
  std::lock_guard lock(stop_mutex);
  if (stopped) {
    return;
  }
  stopped = true;
  stopping.store(true);
  if (acceptor) {
    std::promise<void> closed;
    asio::post(acceptor->get_executor(), [this, &closed] {
      beast::error_code ignored;
      acceptor->close(ignored);
      closed.set_value();
    });
    closed.get_future().wait_for(std::chrono::seconds(5));
  }
  for (const auto& session : live_sessions()) {
    session->request_stop();
  }
  const auto deadline = Clock::now() + config.stop_grace;
  while (connections.load() > 0 && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  keep_running.clear();
  for (auto& context : contexts) {
    context->stop();
  }
  for (auto& thread : io_threads) {
    if (thread.joinable()) {
      thread.join();
    }
  }
  // Connections still open after the grace period: close them now (no I/O thread runs).
  for (const auto& session : live_sessions()) {
    session->force_close();
  }
  if (workers) {
    workers->join();
  }
}

std::vector<std::shared_ptr<SessionBase>> HttpServer::Impl::live_sessions() {
  std::vector<std::shared_ptr<SessionBase>> live;
  std::lock_guard lock(sessions_mutex);
  for (const auto& [id, weak] : sessions) {
    if (auto session = weak.lock()) {
      live.push_back(std::move(session));
    }
  }
  return live;
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}

HttpServer::~HttpServer() {
  stop();
}

std::uint16_t HttpServer::port() const {
  return m_impl->port;
}

const std::vector<Route>& HttpServer::routes() const {
  return m_impl->dispatcher.router().routes();
}

Metrics& HttpServer::metrics() {
  return m_impl->metrics();
}

void HttpServer::stop() {
  m_impl->stop();
}

Result<std::unique_ptr<HttpServer>>
HttpServer::start(ServerConfig config, std::vector<Route> routes, ServerHooks hooks) {
  if (config.io_threads == 0 || config.worker_threads == 0 || config.max_connections == 0 ||
      config.max_queued_handlers == 0) {
    return fail(ErrorCode::bad_request,
                "io_threads, worker_threads, max_connections and max_queued_handlers must be > 0");
  }
  beast::error_code ec;
  const auto address = asio::ip::make_address(config.address, ec);
  if (ec) {
    return fail(ErrorCode::bad_request,
                "listen address '" + config.address + "' is not a numeric IP address");
  }
  if (!config.tls && !address.is_loopback()) {
    return fail(ErrorCode::bad_request,
                "plain HTTP (tls disabled) is only allowed on a loopback address, not " +
                    config.address + "; enable tls or listen on 127.0.0.1 or ::1");
  }

  auto state = std::make_shared<BuiltinState>();
  state->readiness = hooks.readiness;
  state->metrics_extra = hooks.metrics_extra;
  auto builtins = builtin_routes(state);
  routes.insert(routes.end(), std::make_move_iterator(builtins.begin()),
                std::make_move_iterator(builtins.end()));
  auto router = Router::create(std::move(routes));
  if (!router) {
    return std::unexpected(router.error());
  }

  auto impl = std::make_unique<Impl>(std::move(config), std::move(hooks), std::move(*router));
  state->metrics = &impl->metrics();
  state->openapi = openapi_document(impl->dispatcher.router().routes());
  impl->builtins = state;

  const auto& cfg = impl->config;
  if (cfg.tls) {
    auto& ssl = impl->ssl.emplace(asio::ssl::context::tls_server);
    ssl.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                    asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                    asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
    SSL_CTX_set_min_proto_version(ssl.native_handle(), TLS1_2_VERSION);
    ssl.use_certificate_chain_file(cfg.cert_file.string(), ec);
    if (ec) {
      return fail(ErrorCode::bad_request,
                  "cannot load TLS certificate " + cfg.cert_file.string() + ": " + ec.message());
    }
    ssl.use_private_key_file(cfg.key_file.string(), asio::ssl::context::pem, ec);
    if (ec) {
      return fail(ErrorCode::bad_request,
                  "cannot load TLS key " + cfg.key_file.string() + ": " + ec.message());
    }
    if (SSL_CTX_check_private_key(ssl.native_handle()) != 1) {
      return fail(ErrorCode::bad_request, "TLS key " + cfg.key_file.string() +
                                              " does not match certificate " +
                                              cfg.cert_file.string());
    }
  }

  if (auto opened = impl->open(address); !opened) {
    return std::unexpected(opened.error());
  }
  impl->workers.emplace(cfg.worker_threads);
  auto* raw = impl.get();
  asio::co_spawn(impl->acceptor->get_executor(), raw->accept_loop(),
                 [raw](const std::exception_ptr& error) {
                   if (error) {
                     raw->log("the accept loop ended with an exception");
                   }
                 });
  for (std::size_t i = 0; i < cfg.io_threads; ++i) {
    impl->io_threads.emplace_back([raw, i] {
      while (true) {
        try {
          raw->contexts[i]->run();
          return;
        } catch (const std::exception& e) {
          raw->log(std::string("I/O thread caught: ") + e.what());
        }
      }
    });
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

} // namespace sharectl::agent::api
