// A ProcessRunner for unit tests: records every Command it is given and answers with scripted
// results, so tests can assert exact command lines without running anything.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "common/util/process.hpp"

namespace sharectl::test {

// Answers run() from, in order: the queue of pushed replies, else the handler, else the default
// reply (exit 0, no output). Safe to call from several threads.
class FakeProcessRunner final : public ProcessRunner {
public:
  // Computes a reply from the command (used once the queue is empty).
  using Handler = std::function<Result<ProcessResult>(const Command&)>;

  // Records the command and returns the next scripted reply; never fails on its own.
  Result<ProcessResult> run(const Command& command) override;

  // Queues a reply (a result or an Error) for the next unanswered run().
  void push(Result<ProcessResult> reply);
  // Queues an exit with this status and output.
  void push_exit(int exit_code, std::string out = {}, std::string err = {});
  // Queues a successful run (exit 0) printing out.
  void push_ok(std::string out = {}) { push_exit(0, std::move(out)); }
  // Queues an Error (e.g. not_found for a missing tool, unavailable for a timeout).
  void push_error(ErrorCode code, std::string message);

  // Sets the handler consulted when the queue is empty (an empty function removes it).
  void set_handler(Handler handler);
  // Sets the reply used when the queue is empty and there is no handler.
  void set_default(Result<ProcessResult> reply);

  // Every command received so far, oldest first.
  std::vector<Command> commands() const;
  // How many commands were received.
  std::size_t count() const;
  // The most recent command; throws std::logic_error when none was received.
  Command last() const;
  // program followed by args of every command received, oldest first.
  std::vector<std::vector<std::string>> argvs() const;
  // Command::display() of every command received, oldest first.
  std::vector<std::string> command_lines() const;
  // Replies still queued (a test can assert all scripted replies were consumed).
  std::size_t pending_replies() const;
  // Forgets the recorded commands and queued replies (not the handler or default).
  void clear();

private:
  mutable std::mutex m_mutex;
  std::vector<Command> m_commands;
  std::deque<Result<ProcessResult>> m_replies;
  Handler m_handler;
  Result<ProcessResult> m_default = ProcessResult{};
};

// program followed by args, as the child would see its argv.
std::vector<std::string> argv_of(const Command& command);

} // namespace sharectl::test
