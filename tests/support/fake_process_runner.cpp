#include "tests/support/fake_process_runner.hpp"

#include <stdexcept>

namespace sharectl::test {

Result<ProcessResult> FakeProcessRunner::run(const Command& command) {
  Handler handler;
  {
    std::lock_guard lock(m_mutex);
    m_commands.push_back(command);
    if (!m_replies.empty()) {
      auto reply = std::move(m_replies.front());
      m_replies.pop_front();
      return reply;
    }
    if (!m_handler) {
      return m_default;
    }
    handler = m_handler;
  }
  return handler(command); // outside the lock: a handler may call back into the fake
}

void FakeProcessRunner::push(Result<ProcessResult> reply) {
  std::lock_guard lock(m_mutex);
  m_replies.push_back(std::move(reply));
}

void FakeProcessRunner::push_exit(int exit_code, std::string out, std::string err) {
  ProcessResult result;
  result.exit_code = exit_code;
  result.out = std::move(out);
  result.err = std::move(err);
  push(std::move(result));
}

void FakeProcessRunner::push_error(ErrorCode code, std::string message) {
  push(fail(code, std::move(message)));
}

void FakeProcessRunner::set_handler(Handler handler) {
  std::lock_guard lock(m_mutex);
  m_handler = std::move(handler);
}

void FakeProcessRunner::set_default(Result<ProcessResult> reply) {
  std::lock_guard lock(m_mutex);
  m_default = std::move(reply);
}

std::vector<Command> FakeProcessRunner::commands() const {
  std::lock_guard lock(m_mutex);
  return m_commands;
}

std::size_t FakeProcessRunner::count() const {
  std::lock_guard lock(m_mutex);
  return m_commands.size();
}

Command FakeProcessRunner::last() const {
  std::lock_guard lock(m_mutex);
  if (m_commands.empty()) {
    throw std::logic_error("FakeProcessRunner::last(): no command was run");
  }
  return m_commands.back();
}

std::vector<std::vector<std::string>> FakeProcessRunner::argvs() const {
  std::vector<std::vector<std::string>> out;
  for (const auto& command : commands()) {
    out.push_back(argv_of(command));
  }
  return out;
}

std::vector<std::string> FakeProcessRunner::command_lines() const {
  std::vector<std::string> out;
  for (const auto& command : commands()) {
    out.push_back(command.display());
  }
  return out;
}

std::size_t FakeProcessRunner::pending_replies() const {
  std::lock_guard lock(m_mutex);
  return m_replies.size();
}

void FakeProcessRunner::clear() {
  std::lock_guard lock(m_mutex);
  m_commands.clear();
  m_replies.clear();
}

std::vector<std::string> argv_of(const Command& command) {
  std::vector<std::string> out;
  out.reserve(command.args.size() + 1);
  out.push_back(command.program);
  out.insert(out.end(), command.args.begin(), command.args.end());
  return out;
}

} // namespace sharectl::test
