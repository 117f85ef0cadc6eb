// Proves tests/support/ports on real loopback sockets: fresh ports, waiting for a listener, and
// telling which process listens on a port.
#include <chrono>
#include <cstdint>
#include <set>

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/support/ports.hpp"

namespace sharectl::test {

namespace {

// A socket listening on 127.0.0.1:port, closed on destruction.
class Listener {
public:
  explicit Listener(int port) : m_fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(m_fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0);
    REQUIRE(::listen(m_fd, 4) == 0);
  }
  ~Listener() { ::close(m_fd); }
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

private:
  int m_fd;
};

} // namespace

TEST_CASE("ports: free ports are fresh, listeners are found, closed ports time out") {
  std::set<int> ports;
  for (int i = 0; i < 20; ++i) {
    const int port = free_tcp_port();
    CHECK(port > 0);
    CHECK(port < 65536);
    CHECK(ports.insert(port).second);
  }

  const int port = free_tcp_port();
  const auto started = std::chrono::steady_clock::now();
  CHECK_FALSE(wait_for_tcp("127.0.0.1", port, std::chrono::milliseconds(200)));
  CHECK(std::chrono::steady_clock::now() - started >= std::chrono::milliseconds(200));
  CHECK_FALSE(pid_listens_on(::getpid(), port));

  const Listener listener(port);
  CHECK(wait_for_tcp("127.0.0.1", port, std::chrono::seconds(2)));
  CHECK(pid_listens_on(::getpid(), port));
  CHECK_FALSE(pid_listens_on(::getppid(), port));
  CHECK_FALSE(wait_for_tcp("not-an-address", port, std::chrono::milliseconds(50)));
}

} // namespace sharectl::test
