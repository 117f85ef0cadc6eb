// TCP port helpers for test fixtures: pick a free loopback port, wait until a server answers on
// one, and check which process listens on it. Nothing here throws except free_tcp_port, which
// throws std::system_error when the kernel refuses a socket (a test cannot go on without one).
#pragma once

#include <chrono>
#include <string>

#include <sys/types.h>

namespace sharectl::test {

// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read it, close). Never
// returns the same port twice in one process, so fixtures started side by side do not collide;
// another process may still take it before the server binds, so fixtures retry on a new port.
int free_tcp_port();

// True once a TCP connect to host:port succeeds; false when timeout passes first. host is a
// numeric IPv4 or IPv6 address.
bool wait_for_tcp(const std::string& host, int port, std::chrono::milliseconds timeout);

// True when process pid holds a listening TCP socket on 127.0.0.1:port (read from /proc), i.e.
// the port answers for this server and not for some other process that took it first.
bool pid_listens_on(pid_t pid, int port);

} // namespace sharectl::test
