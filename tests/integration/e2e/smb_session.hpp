// Helpers of the end-to-end SMB tests: SmbHost (a private smbd and a filesystem directory),
// SmbSession, one smbclient kept connected (to see that a user loses access while their session is
// open), and make_file. Header-only: the integration binary compiles *_test.cpp files only.
#pragma once

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/support/agent_process.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/require.hpp"
#include "tests/support/smbd_fixture.hpp"

namespace sharectl::test {

// One smbclient kept connected: commands are written to its stdin (a socket) one line at a time,
// its output (unbuffered, through stdbuf) goes to a file. Killed by pid when it goes away.
class SmbSession {
public:
  SmbSession(const test::SmbdServer& smbd, const std::string& share, const std::string& user,
             const std::string& password, std::filesystem::path log)
      : m_log(std::move(log)) {
    const auto stdbuf = test::find_program("stdbuf");
    const auto smbclient = test::find_program("smbclient");
    REQUIRE((stdbuf && smbclient));
    std::vector<std::string> argv{stdbuf->string(),
                                  "-o0",
                                  "-e0",
                                  smbclient->string(),
                                  "--configfile=" + smbd.client_config_path().string(),
                                  "-p",
                                  std::to_string(smbd.port()),
                                  "//127.0.0.1/" + share,
                                  "-U",
                                  user + "%" + password};
    std::vector<char*> args;
    for (auto& arg : argv) {
      args.push_back(arg.data());
    }
    args.push_back(nullptr);
    int fds[2]; // a socket pair rather than a pipe: send() with MSG_NOSIGNAL never raises SIGPIPE
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
    const int out = ::open(m_log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    REQUIRE(out >= 0);
    m_pid = ::fork();
    REQUIRE(m_pid >= 0);
    if (m_pid == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      ::setpgid(0, 0);
      ::dup2(fds[0], 0);
      ::dup2(out, 1);
      ::dup2(out, 2);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    ::close(fds[0]);
    ::close(out);
    m_stdin = fds[1];
  }
  ~SmbSession() {
    ::close(m_stdin);
    ::kill(-m_pid, SIGKILL);
    ::kill(m_pid, SIGKILL);
    int status = 0;
    ::waitpid(m_pid, &status, 0);
  }
  SmbSession(const SmbSession&) = delete;
  SmbSession& operator=(const SmbSession&) = delete;

  // Writes one command line.
  bool send(const std::string& command) {
    const std::string line = command + "\n";
    return ::send(m_stdin, line.data(), line.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(line.size());
  }
  // Everything smbclient printed so far.
  std::string output() const {
    std::ifstream in(m_log);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  // Sends command every 300 ms until the output after `since` holds needle, for at most limit.
  bool send_until(const std::string& command, const std::string& needle, std::size_t since,
                  std::chrono::seconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      send(command);
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      if (output().find(needle, since) != std::string::npos) {
        return true;
      }
    }
    return false;
  }

private:
  std::filesystem::path m_log;
  pid_t m_pid = 0;
  int m_stdin = -1;
};

// The Samba side of an end-to-end test: a private smbd whose smb.conf includes the agent's file,
// and a directory for the agent's `dir` filesystem. start() REQUIREs every step.
struct SmbHost {
  test::SmbdServer smbd;
  std::filesystem::path include;
  std::filesystem::path root;

  void start() {
    include = smbd.dir() / "sharectl.conf";
    SHARECTL_REQUIRE_OK(smbd.add_include(include));
    auto made = smbd.make_directory("fs");
    REQUIRE_MESSAGE(made.has_value(), test::error_text(made));
    root = *made;
    SHARECTL_REQUIRE_OK(smbd.start());
  }

  // Agent options that serve `root` through this smbd.
  test::AgentOptions agent_options() const {
    test::AgentOptions options;
    options.samba_config = smbd.config_path();
    options.samba_include = include;
    options.filesystems = {{root, "dir"}};
    return options;
  }
};

// A local file of size bytes (repeating text) for `put`.
inline std::filesystem::path make_file(const std::filesystem::path& dir, const std::string& name,
                                       std::size_t size) {
  const auto path = dir / name;
  std::ofstream out(path, std::ios::binary);
  const std::string chunk = "sharectl scenario data\n";
  for (std::size_t written = 0; written < size; written += chunk.size()) {
    out.write(chunk.data(), static_cast<std::streamsize>(std::min(chunk.size(), size - written)));
  }
  return path;
}

} // namespace sharectl::test
