// The connection pool and row cell decoding of the shared SQL layer.
#include "agent/store/sql/connection.hpp"

#include <charconv>
#include <cstdlib>

namespace sharectl::store::sql {

Pool::Pool(Factory factory, std::size_t max_size)
    : m_factory(std::move(factory)), m_max_size(max_size == 0 ? 1 : max_size) {}

Pool::~Pool() = default;

Pool::Lease::Lease(Pool* pool, std::unique_ptr<Connection> conn)
    : m_pool(pool), m_conn(std::move(conn)) {}

Pool::Lease::~Lease() {
  if (m_pool != nullptr) {
    m_pool->release(std::move(m_conn));
  }
}

Pool::Lease::Lease(Lease&& other) noexcept
    : m_pool(std::exchange(other.m_pool, nullptr)), m_conn(std::move(other.m_conn)) {}

Result<Pool::Lease> Pool::acquire() {
  std::unique_lock lock(m_mutex);
  m_returned.wait(lock, [&] { return !m_idle.empty() || m_open < m_max_size; });
  if (!m_idle.empty()) {
    auto conn = std::move(m_idle.back());
    m_idle.pop_back();
    return Lease(this, std::move(conn));
  }
  ++m_open;
  lock.unlock();
  auto conn = m_factory();
  if (!conn) {
    lock.lock();
    --m_open;
    m_returned.notify_one();
    return std::unexpected(conn.error());
  }
  return Lease(this, std::move(*conn));
}

void Pool::release(std::unique_ptr<Connection> conn) {
  std::lock_guard lock(m_mutex);
  if (conn && !conn->broken()) {
    m_idle.push_back(std::move(conn));
  } else {
    --m_open;
  }
  m_returned.notify_one();
}

Result<std::optional<std::string>> cell_text(const Row& row, std::size_t i) {
  if (i >= row.cells.size()) {
    return fail(ErrorCode::internal, "store: row has no column " + std::to_string(i));
  }
  return row.cells[i];
}

Result<std::optional<std::int64_t>> cell_int(const Row& row, std::size_t i) {
  auto text = cell_text(row, i);
  if (!text) {
    return std::unexpected(text.error());
  }
  if (!*text) {
    return std::optional<std::int64_t>{};
  }
  const std::string& s = **text;
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size()) {
    return fail(ErrorCode::internal,
                "store: column " + std::to_string(i) + " holds '" + s + "', not an integer");
  }
  return v;
}

Result<std::optional<double>> cell_real(const Row& row, std::size_t i) {
  auto text = cell_text(row, i);
  if (!text) {
    return std::unexpected(text.error());
  }
  if (!*text) {
    return std::optional<double>{};
  }
  const std::string& s = **text;
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || s.empty()) {
    return fail(ErrorCode::internal,
                "store: column " + std::to_string(i) + " holds '" + s + "', not a number");
  }
  return v;
}

Result<std::optional<bool>> cell_bool(const Row& row, std::size_t i) {
  auto text = cell_text(row, i);
  if (!text) {
    return std::unexpected(text.error());
  }
  if (!*text) {
    return std::optional<bool>{};
  }
  const std::string& s = **text;
  if (s == "1" || s == "t" || s == "true") {
    return true;
  }
  if (s == "0" || s == "f" || s == "false") {
    return false;
  }
  return fail(ErrorCode::internal,
              "store: column " + std::to_string(i) + " holds '" + s + "', not a boolean");
}

} // namespace sharectl::store::sql
