// The baseline of tests/bench/http_wrk_bench (not a benchmark by itself): the smallest Beast
// HTTP/1.1 server in the agent's style — C++20 coroutines on `threads` I/O threads, keep-alive,
// plain TCP on 127.0.0.1 — answering every request with 200 "hello". Built by the same CMake
// configuration, so with the same compiler flags as sharectl-agent. Prints "listening PORT" on
// stdout once bound and serves until SIGTERM/SIGINT.
//
// Usage: http_bare_server_bench [--port PORT] [--threads N]
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto k_tuple = asio::as_tuple(asio::use_awaitable);

asio::awaitable<void> session(tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  while (true) {
    http::request<http::string_body> request;
    auto [read_ec, read_n] = co_await http::async_read(stream, buffer, request, k_tuple);
    if (read_ec) {
      co_return;
    }
    http::response<http::string_body> response{http::status::ok, request.version()};
    response.set(http::field::content_type, "text/plain");
    response.body() = "hello";
    response.keep_alive(request.keep_alive());
    response.prepare_payload();
    auto [write_ec, write_n] = co_await http::async_write(stream, response, k_tuple);
    if (write_ec || !response.keep_alive()) {
      co_return;
    }
  }
}

asio::awaitable<void> listen(tcp::acceptor& acceptor) {
  while (true) {
    auto [ec, socket] = co_await acceptor.async_accept(k_tuple);
    if (ec) {
      co_return;
    }
    socket.set_option(tcp::no_delay(true));
    // Each connection on the I/O pool, like the agent's sessions.
    asio::co_spawn(socket.get_executor(), session(std::move(socket)), asio::detached);
  }
}

} // namespace

int main(int argc, char** argv) {
  unsigned short port = 0;
  std::size_t threads = 2;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--port") == 0) {
      port = static_cast<unsigned short>(std::stoi(argv[i + 1]));
    } else if (std::strcmp(argv[i], "--threads") == 0) {
      threads = static_cast<std::size_t>(std::stoi(argv[i + 1]));
    }
  }
  asio::io_context io(static_cast<int>(threads));
  tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), port});
  std::printf("listening %u\n", static_cast<unsigned>(acceptor.local_endpoint().port()));
  std::fflush(stdout);
  asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](const boost::system::error_code&, int) { io.stop(); });
  asio::co_spawn(io, listen(acceptor), asio::detached);
  std::vector<std::thread> pool;
  for (std::size_t i = 1; i < threads; ++i) {
    pool.emplace_back([&io] { io.run(); });
  }
  io.run();
  for (auto& thread : pool) {
    thread.join();
  }
  return 0;
}
