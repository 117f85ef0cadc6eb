// A scripted stand-in for an etcd member's JSON gateway, for unit tests of the gateway client's
// fail-over, auth and watch logic: an HTTP/1.1 server on 127.0.0.1 (one connection at a time,
// each closed after its response) whose handler answers every request. It records what it
// received. Stopped (listener closed, thread joined) when destroyed; nothing throws out of it
// once constructed (construction throws std::system_error when no socket can be had).
#pragma once

#include <atomic>
#include <cerrno>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/util/ascii.hpp"

namespace sharectl::store::etcd::fake {

// One request as received.
struct Request {
  std::string path;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  // The first header of this name (case-insensitive), "" when absent.
  std::string header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
      if (iequals(key, name)) {
        return value;
      }
    }
    return {};
  }
};

// The open connection a handler answers on.
class Connection {
public:
  Connection(int fd, const std::atomic<bool>& stopping) : m_fd(fd), m_stopping(stopping) {}

  // Writes raw bytes (ignores a client that went away).
  void send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(m_fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) {
        return;
      }
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
  }
  // A complete JSON response with this status.
  void reply(int status, std::string_view body) {
    send("HTTP/1.1 " + std::to_string(status) +
         " X\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n");
    send(body);
  }
  // The head of a streamed 200 response whose body ends when the connection closes.
  void start_stream() {
    send("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n");
  }
  // Waits until the client closes the connection or the server stops.
  void hang() {
    char buffer[256];
    while (!m_stopping.load()) {
      pollfd pfd{m_fd, POLLIN, 0};
      if (::poll(&pfd, 1, 20) > 0 && ::recv(m_fd, buffer, sizeof(buffer), 0) <= 0) {
        return;
      }
    }
  }

private:
  int m_fd;
  const std::atomic<bool>& m_stopping;
};

// Answers each request with handler(request, connection); the connection closes afterwards.
class Server {
public:
  using Handler = std::function<void(const Request&, Connection&)>;

  explicit Server(Handler handler) : m_handler(std::move(handler)) {
    m_listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (m_listener < 0) {
      throw std::system_error(errno, std::generic_category(), "socket");
    }
    const int one = 1;
    ::setsockopt(m_listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    if (::bind(m_listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
        ::listen(m_listener, 16) != 0 ||
        ::getsockname(m_listener, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      const int error = errno;
      ::close(m_listener);
      throw std::system_error(error, std::generic_category(), "bind/listen 127.0.0.1:0");
    }
    m_port = ntohs(address.sin_port);
    m_thread = std::thread([this] { serve(); });
  }
  ~Server() {
    m_stopping.store(true);
    m_thread.join();
    ::close(m_listener);
  }
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // "127.0.0.1:PORT".
  std::string endpoint() const { return "127.0.0.1:" + std::to_string(m_port); }
  // Every request received so far.
  std::vector<Request> requests() const {
    std::lock_guard lock(m_mutex);
    return m_requests;
  }
  // How many requests for path arrived.
  int count(std::string_view path) const {
    int n = 0;
    for (const Request& request : requests()) {
      n += request.path == path ? 1 : 0;
    }
    return n;
  }

private:
  void serve() {
    while (!m_stopping.load()) {
      pollfd pfd{m_listener, POLLIN, 0};
      if (::poll(&pfd, 1, 20) <= 0) {
        continue;
      }
      const int fd = ::accept4(m_listener, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) {
        continue;
      }
      Request request;
      if (read_request(fd, request)) {
        {
          std::lock_guard lock(m_mutex);
          m_requests.push_back(request);
        }
        Connection connection(fd, m_stopping);
        m_handler(request, connection);
      }
      ::shutdown(fd, SHUT_RDWR);
      ::close(fd);
    }
  }

  // Reads one request (head and Content-Length body); false when the client gave up.
  bool read_request(int fd, Request& request) {
    std::string data;
    char buffer[4096];
    std::size_t head_end = std::string::npos;
    std::size_t body_length = 0;
    while (!m_stopping.load()) {
      if (head_end != std::string::npos && data.size() >= head_end + 4 + body_length) {
        request.body = data.substr(head_end + 4, body_length);
        return true;
      }
      pollfd pfd{fd, POLLIN, 0};
      if (::poll(&pfd, 1, 20) <= 0) {
        continue;
      }
      const ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
      if (n <= 0) {
        return false;
      }
      data.append(buffer, static_cast<std::size_t>(n));
      if (head_end == std::string::npos && (head_end = data.find("\r\n\r\n")) != data.npos) {
        parse_head(data.substr(0, head_end), request, body_length);
      }
    }
    return false;
  }

  static void parse_head(const std::string& head, Request& request, std::size_t& body_length) {
    std::size_t start = 0;
    bool first = true;
    while (start <= head.size()) {
      const auto end = head.find("\r\n", start);
      const std::string line = head.substr(start, end == head.npos ? head.npos : end - start);
      start = end == head.npos ? head.size() + 1 : end + 2;
      if (first) {
        const auto space = line.find(' ');
        request.path = line.substr(space + 1, line.find(' ', space + 1) - space - 1);
        first = false;
        continue;
      }
      const auto colon = line.find(':');
      if (colon == std::string::npos) {
        continue;
      }
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      request.headers.emplace_back(line.substr(0, colon), value);
      if (iequals(line.substr(0, colon), "Content-Length")) {
        body_length = std::stoul(value);
      }
    }
  }

  Handler m_handler;
  int m_listener = -1;
  int m_port = 0;
  std::atomic<bool> m_stopping{false};
  mutable std::mutex m_mutex;
  std::vector<Request> m_requests;
  std::thread m_thread;
};

// {"error":…,"message":…,"code":…} as the gateway sends it.
inline std::string error_body(std::string_view message, int code) {
  return R"({"error":")" + std::string(message) + R"(","message":")" + std::string(message) +
         R"(","code":)" + std::to_string(code) + "}";
}

// A response header at revision.
inline std::string header(int revision) {
  return R"("header":{"cluster_id":"1","member_id":"2","revision":")" + std::to_string(revision) +
         R"(","raft_term":"2"})";
}

} // namespace sharectl::store::etcd::fake
