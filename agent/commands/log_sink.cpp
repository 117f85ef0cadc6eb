#include "agent/commands/log_sink.hpp"

#include <cerrno>
#include <mutex>
#include <string>

#include <spdlog/sinks/base_sink.h>
#include <unistd.h>

namespace sharectl::agent::commands {

namespace {

constexpr std::size_t k_batch_bytes = 32 * 1024;

class BufferedStderrSink final : public spdlog::sinks::base_sink<std::mutex> {
public:
  ~BufferedStderrSink() override { write_out(); }

protected:
  void sink_it_(const spdlog::details::log_msg& message) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(message, formatted);
    m_buffer.append(formatted.data(), formatted.size());
    if (m_buffer.size() >= k_batch_bytes) {
      write_out();
    }
  }

  void flush_() override { write_out(); }

private:
  void write_out() {
    std::size_t done = 0;
    while (done < m_buffer.size()) {
      const auto n = ::write(STDERR_FILENO, m_buffer.data() + done, m_buffer.size() - done);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        break; // stderr is gone or full: drop the batch rather than block the agent
      }
      done += static_cast<std::size_t>(n);
    }
    m_buffer.clear();
  }

  std::string m_buffer;
};

} // namespace

std::shared_ptr<spdlog::sinks::sink> make_buffered_stderr_sink() {
  return std::make_shared<BufferedStderrSink>();
}

} // namespace sharectl::agent::commands
