#include "tests/support/ports.hpp"

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <system_error>
#include <thread>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace sharectl::test {

namespace {

// Closes a file descriptor when it goes out of scope.
class FdGuard {
public:
  explicit FdGuard(int fd) : m_fd(fd) {}
  ~FdGuard() {
    if (m_fd >= 0) {
      ::close(m_fd);
    }
  }
  FdGuard(const FdGuard&) = delete;
  FdGuard& operator=(const FdGuard&) = delete;
  int get() const { return m_fd; }

private:
  int m_fd;
};

// One non-blocking connect attempt, waiting at most attempt_timeout for it to complete.
bool try_connect(const addrinfo& ai, std::chrono::milliseconds attempt_timeout) {
  FdGuard fd(::socket(ai.ai_family, ai.ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai.ai_protocol));
  if (fd.get() < 0) {
    return false;
  }
  if (::connect(fd.get(), ai.ai_addr, ai.ai_addrlen) == 0) {
    return true;
  }
  if (errno != EINPROGRESS) {
    return false;
  }
  pollfd pfd{fd.get(), POLLOUT, 0};
  if (::poll(&pfd, 1, static_cast<int>(attempt_timeout.count())) != 1) {
    return false;
  }
  int error = 0;
  socklen_t length = sizeof(error);
  if (::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &error, &length) != 0) {
    return false;
  }
  return error == 0;
}

// The inodes of listening TCP sockets bound to 127.0.0.1:port or 0.0.0.0:port.
std::set<std::string> listening_inodes(int port) {
  std::set<std::string> inodes;
  std::ifstream tcp("/proc/net/tcp");
  std::string line;
  std::getline(tcp, line); // header
  char wanted_loopback[32];
  char wanted_any[32];
  std::snprintf(wanted_loopback, sizeof(wanted_loopback), "0100007F:%04X", port);
  std::snprintf(wanted_any, sizeof(wanted_any), "00000000:%04X", port);
  while (std::getline(tcp, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
    fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >>
        timeout >> inode;
    if (state == "0A" && (local == wanted_loopback || local == wanted_any)) {
      inodes.insert(inode);
    }
  }
  return inodes;
}

} // namespace

int free_tcp_port() {
  static std::mutex mutex;
  static std::set<int> handed_out;
  const std::lock_guard lock(mutex);
  for (int attempt = 0; attempt < 100; ++attempt) {
    FdGuard fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (fd.get() < 0) {
      throw std::system_error(errno, std::generic_category(), "socket");
    }
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = 0;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
      throw std::system_error(errno, std::generic_category(), "bind 127.0.0.1:0");
    }
    socklen_t length = sizeof(address);
    if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      throw std::system_error(errno, std::generic_category(), "getsockname");
    }
    const int port = ntohs(address.sin_port);
    if (handed_out.insert(port).second) {
      return port;
    }
  }
  throw std::system_error(EADDRINUSE, std::generic_category(), "no fresh free TCP port");
}

bool wait_for_tcp(const std::string& host, int port, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0 ||
      found == nullptr) {
    return false;
  }
  const std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> guard(found, &::freeaddrinfo);
  while (true) {
    if (try_connect(*found, std::chrono::milliseconds(200))) {
      return true;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

bool pid_listens_on(pid_t pid, int port) {
  const std::set<std::string> inodes = listening_inodes(port);
  if (inodes.empty()) {
    return false;
  }
  std::error_code ec;
  const std::filesystem::path fd_dir = "/proc/" + std::to_string(pid) + "/fd";
  for (std::filesystem::directory_iterator it(fd_dir, ec), end; !ec && it != end;
       it.increment(ec)) {
    std::error_code link_ec;
    const std::string target = std::filesystem::read_symlink(it->path(), link_ec).string();
    if (link_ec || !target.starts_with("socket:[")) {
      continue;
    }
    if (inodes.contains(target.substr(8, target.size() - 9))) {
      return true;
    }
  }
  return false;
}

} // namespace sharectl::test
