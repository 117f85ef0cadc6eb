#include "tests/support/test_user.hpp"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include <pwd.h>
#include <unistd.h>

#include "common/util/process.hpp"
#include "tests/support/child_process.hpp"

namespace sharectl::test {

namespace {

// Runs useradd/userdel, retrying while another process holds the /etc/passwd lock.
Status run_account_tool(const Command& command) {
  const auto runner = make_process_runner();
  Status last;
  for (int attempt = 0; attempt < 20; ++attempt) {
    auto result = runner->run(command);
    if (!result) {
      return std::unexpected(result.error());
    }
    last = check_exit(command, *result);
    if (last) {
      return last;
    }
    const std::string text = result->err + result->out;
    // useradd/userdel exit 10 ("cannot lock") or print "try again" under contention.
    if (result->exit_code != 10 && text.find("lock") == std::string::npos) {
      return last;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50 * (attempt + 1)));
  }
  return last;
}

Command userdel_command(const std::string& name) {
  Command command;
  command.program = "userdel";
  command.args = {"--force", name}; // no -r: --force only skips the "user is logged in" check
  command.timeout = std::chrono::seconds(30);
  return command;
}

} // namespace

std::string random_hex(std::size_t length) {
  static std::mutex mutex;
  static std::mt19937_64 engine{std::random_device{}()};
  static constexpr std::string_view k_digits = "0123456789abcdef";
  const std::lock_guard lock(mutex);
  std::string out;
  out.reserve(length);
  for (std::size_t i = 0; i < length; ++i) {
    out += k_digits[engine() % 16];
  }
  return out;
}

bool unix_user_exists(const std::string& name) {
  passwd entry{};
  passwd* found = nullptr;
  std::vector<char> buffer(16384);
  return ::getpwnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found) == 0 &&
         found != nullptr;
}

int remove_stale_test_users() {
  std::vector<std::string> stale;
  std::ifstream passwd_file("/etc/passwd");
  std::string line;
  while (std::getline(passwd_file, line)) {
    const std::string name = line.substr(0, line.find(':'));
    if (!name.starts_with(k_test_user_prefix)) {
      continue;
    }
    // sctest_<label>_<pid>_<random>: the pid is the second field from the end.
    const auto last = name.rfind('_');
    const auto before =
        last == std::string::npos || last == 0 ? std::string::npos : name.rfind('_', last - 1);
    if (before == std::string::npos) {
      continue;
    }
    const std::string pid_text = name.substr(before + 1, last - before - 1);
    if (pid_text.empty() || pid_text.find_first_not_of("0123456789") != std::string::npos) {
      continue;
    }
    if (!process_alive(static_cast<pid_t>(std::stol(pid_text)))) {
      stale.push_back(name);
    }
  }
  int removed = 0;
  for (const std::string& name : stale) {
    if (run_account_tool(userdel_command(name))) {
      ++removed;
    }
  }
  return removed;
}

std::string test_user_name(std::string_view label) {
  static std::once_flag swept;
  std::call_once(swept, [] { remove_stale_test_users(); });
  std::string clean;
  for (const char c : label) {
    if (clean.size() < 8 && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
      clean += c;
    }
  }
  if (clean.empty()) {
    clean = "user";
  }
  return std::string(k_test_user_prefix) + clean + "_" + std::to_string(::getpid()) + "_" +
         random_hex(4);
}

Result<std::unique_ptr<TestUser>> TestUser::create(std::string_view label) {
  const std::string name = test_user_name(label);
  Command command;
  command.program = "useradd";
  command.args = {"--no-create-home",   "--shell", "/usr/sbin/nologin", "--user-group", "--comment",
                  "sharectl test user", name};
  command.timeout = std::chrono::seconds(30);
  if (auto status = run_account_tool(command); !status) {
    return std::unexpected(status.error());
  }
  passwd entry{};
  passwd* found = nullptr;
  std::vector<char> buffer(16384);
  if (::getpwnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found) != 0 ||
      found == nullptr) {
    (void)run_account_tool(userdel_command(name));
    return fail(ErrorCode::internal, "useradd " + name + " succeeded but getpwnam cannot see it");
  }
  return std::unique_ptr<TestUser>(new TestUser(name, entry.pw_uid, entry.pw_gid));
}

TestUser::~TestUser() {
  (void)remove();
}

Status TestUser::remove() {
  if (m_removed) {
    return {};
  }
  m_removed = true;
  return run_account_tool(userdel_command(m_name));
}

} // namespace sharectl::test
