#include "agent/store/etcd/json_stream.hpp"

namespace sharectl::store::etcd {

namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

} // namespace

JsonStreamSplitter::JsonStreamSplitter(std::size_t max_document_bytes)
    : m_max(max_document_bytes) {}

void JsonStreamSplitter::feed(std::string_view bytes) {
  if (m_error) {
    return;
  }
  // Drop what was already handed out before growing the buffer.
  if (m_consumed > 0 && m_consumed >= m_buffer.size() / 2) {
    m_buffer.erase(0, m_consumed);
    m_scan -= m_consumed;
    m_consumed = 0;
  }
  m_buffer.append(bytes);
}

Result<std::optional<std::string>> JsonStreamSplitter::next() {
  if (m_error) {
    return std::unexpected(*m_error);
  }
  while (m_scan < m_buffer.size()) {
    const char c = m_buffer[m_scan];
    if (m_depth == 0) {
      // Between documents: skip whitespace; a document starts with '{' or '['.
      if (is_space(c)) {
        ++m_scan;
        m_consumed = m_scan;
        continue;
      }
      if (c != '{' && c != '[') {
        m_error = Error{ErrorCode::bad_request,
                        "JSON stream: expected '{' or '[' at the start of a document, got '" +
                            std::string(1, c) + "'"};
        return std::unexpected(*m_error);
      }
      m_depth = 1;
      ++m_scan;
      continue;
    }
    ++m_scan;
    if (m_in_string) {
      if (m_escape) {
        m_escape = false;
      } else if (c == '\\') {
        m_escape = true;
      } else if (c == '"') {
        m_in_string = false;
      }
      continue;
    }
    if (c == '"') {
      m_in_string = true;
    } else if (c == '{' || c == '[') {
      ++m_depth;
    } else if (c == '}' || c == ']') {
      if (--m_depth == 0) {
        std::string document = m_buffer.substr(m_consumed, m_scan - m_consumed);
        m_consumed = m_scan;
        return std::optional<std::string>(std::move(document));
      }
    }
  }
  if (m_depth > 0 && m_scan - m_consumed > m_max) {
    m_error = Error{ErrorCode::payload_too_large,
                    "JSON stream: a document is larger than " + std::to_string(m_max) + " bytes"};
    return std::unexpected(*m_error);
  }
  return std::optional<std::string>();
}

void JsonStreamSplitter::reset() {
  m_buffer.clear();
  m_consumed = 0;
  m_scan = 0;
  m_depth = 0;
  m_in_string = false;
  m_escape = false;
  m_error.reset();
}

} // namespace sharectl::store::etcd
