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

} // namespace sharectl::agent::api

// Session and launch, kept apart for length; this is their only translation unit.
#include "agent/api/server_session.ipp"

namespace sharectl::agent::api {

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
