// Helpers for the HTTP transport's integration tests: a test server config on 127.0.0.1:0 and a
// raw TCP connection for requests no well-behaved client would send (oversized headers,
// slowloris, bodies over the limit). Raw sockets, no Asio, to keep these test TUs fast to build.
// Failures throw std::runtime_error (a test cannot go on without its socket).
#pragma once

#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent/api/server.hpp"

namespace sharectl::test {

// A server config for tests: plain HTTP on 127.0.0.1, a free port, short timeouts.
inline agent::api::ServerConfig test_server_config() {
  agent::api::ServerConfig config;
  config.address = "127.0.0.1";
  config.port = 0;
  config.tls = false;
  config.read_timeout = std::chrono::seconds(10);
  config.idle_timeout = std::chrono::seconds(10);
  config.stop_grace = std::chrono::seconds(5);
  return config;
}

// "http://127.0.0.1:PORT".
inline std::string base_url(const agent::api::HttpServer& server, bool tls = false) {
  return std::string(tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(server.port());
}

// A parsed response read from a raw connection.
struct RawResponse {
  int status = 0;
  std::string head; // status line and headers
  std::string body;
};

// One client TCP connection to 127.0.0.1:port.
class RawConnection {
public:
  explicit RawConnection(int port) {
    m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (m_fd < 0) {
      throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
    }
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(m_fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
      const int error = errno;
      ::close(m_fd);
      throw std::runtime_error(std::string("connect: ") + std::strerror(error));
    }
    const int one = 1;
    ::setsockopt(m_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~RawConnection() {
    if (m_fd >= 0) {
      ::close(m_fd);
    }
  }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  // Sends all of data; false when the peer closed or reset the connection.
  bool send(std::string_view data) {
    while (!data.empty()) {
      const auto n = ::send(m_fd, data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        return false;
      }
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // Reads one response (headers, then Content-Length bytes of body); nullopt when the
  // connection closes or nothing complete arrives within timeout.
  std::optional<RawResponse>
  read_response(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::size_t head_end = std::string::npos;
    while ((head_end = m_pending.find("\r\n\r\n")) == std::string::npos) {
      if (!fill(deadline)) {
        return std::nullopt;
      }
    }
    RawResponse response;
    response.head = m_pending.substr(0, head_end);
    if (response.head.size() < 12 || !response.head.starts_with("HTTP/1.")) {
      return std::nullopt;
    }
    response.status = std::stoi(response.head.substr(9, 3));
    std::size_t length = 0;
    if (const auto cl = header("Content-Length", response.head)) {
      length = std::stoul(*cl);
    }
    while (m_pending.size() < head_end + 4 + length) {
      if (!fill(deadline)) {
        return std::nullopt;
      }
    }
    response.body = m_pending.substr(head_end + 4, length);
    m_pending.erase(0, head_end + 4 + length);
    return response;
  }

  // True when the server closes (or resets) the connection within timeout; whatever it sends
  // before that is discarded.
  bool closed_within(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        return false;
      }
      pollfd p{m_fd, POLLIN, 0};
      const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
      if (ready <= 0) {
        continue;
      }
      char scratch[4096];
      const auto n = ::recv(m_fd, scratch, sizeof scratch, 0);
      if (n <= 0) {
        return true;
      }
    }
  }

  // Appends everything the server sends to `out` until it closes the connection (true) or
  // timeout passes (false). Bytes already buffered by read_response() come first.
  bool read_all(std::string& out, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    out += m_pending;
    m_pending.clear();
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (fill(deadline)) {
      out += m_pending;
      m_pending.clear();
    }
    return std::chrono::steady_clock::now() < deadline;
  }

  // The value of a header in a response head (case-sensitive name match is enough here).
  static std::optional<std::string> header(std::string_view name, const std::string& head) {
    std::size_t pos = 0;
    while ((pos = head.find("\r\n", pos)) != std::string::npos) {
      pos += 2;
      const auto end = head.find("\r\n", pos);
      const auto line = head.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
      if (line.size() > name.size() && line.compare(0, name.size(), name) == 0 &&
          line[name.size()] == ':') {
        auto value = line.substr(name.size() + 1);
        while (!value.empty() && value.front() == ' ') {
          value.erase(0, 1);
        }
        return value;
      }
    }
    return std::nullopt;
  }

private:
  bool fill(std::chrono::steady_clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return false;
    }
    pollfd p{m_fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
      return false;
    }
    char buffer[16384];
    const auto n = ::recv(m_fd, buffer, sizeof buffer, 0);
    if (n <= 0) {
      return false;
    }
    m_pending.append(buffer, static_cast<std::size_t>(n));
    return true;
  }

  int m_fd = -1;
  std::string m_pending;
};

} // namespace sharectl::test
