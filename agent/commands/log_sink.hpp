// Where `run` writes its log when stderr is not a terminal and not the journal: lines collect in
// a buffer that is written when it passes 32 KiB, when a warning or error arrives (the logger
// flushes on warn), and by run's once-a-second tick — so an access log line per request costs
// no write(2) of its own, and a line waits at most about a second. Write errors are ignored (a
// log must not stop the agent).
#pragma once

#include <memory>

#include <spdlog/sinks/sink.h>

namespace sharectl::agent::commands {

// A thread-safe sink writing to file descriptor 2 in batches.
std::shared_ptr<spdlog::sinks::sink> make_buffered_stderr_sink();

} // namespace sharectl::agent::commands
