// Splits a byte stream of back-to-back JSON documents (etcd's watch and keepalive streams:
// {"result":…}{"result":…}, with or without whitespace between them) into whole documents,
// however the bytes were cut into reads. It tracks nesting, strings and escapes only; each
// document is validated later by the JSON parser. Top-level values must be objects or arrays.
// A stream that breaks those rules, or a document larger than the limit, puts the splitter
// into a failed state (bad_request / payload_too_large) that stays until reset().
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "common/util/error.hpp"

namespace sharectl::store::etcd {

// Incremental splitter: feed() bytes as they arrive, then take documents with next().
class JsonStreamSplitter {
public:
  // The largest document accepted (etcd's own messages stay far below the default).
  explicit JsonStreamSplitter(std::size_t max_document_bytes = 64 * 1024 * 1024);

  // Appends bytes read from the stream. Never fails (errors show up in next()).
  void feed(std::string_view bytes);

  // The next complete document, nullopt when more bytes are needed; fails with bad_request when
  // the stream holds something other than an object or array at the top level, and with
  // payload_too_large when a document exceeds the limit. After a failure every call fails.
  Result<std::optional<std::string>> next();

  // Bytes received but not yet returned as a document (a partial one), e.g. to tell a stream
  // that ended mid-document.
  std::size_t pending_bytes() const { return m_buffer.size() - m_consumed; }

  // Forgets everything (for a new stream).
  void reset();

private:
  std::string m_buffer;
  std::size_t m_consumed = 0; // bytes of m_buffer already returned or skipped
  std::size_t m_scan = 0;     // where scanning resumes
  std::size_t m_depth = 0;
  bool m_in_string = false;
  bool m_escape = false;
  std::size_t m_max;
  std::optional<Error> m_error;
};

} // namespace sharectl::store::etcd
