// The shared SQL layer's view of a database connection: statements with $1…$n placeholders and
// bound values only (never concatenated), rows as text cells, and errors classified so that
// the layer above can map them to store Errors. The SQLite and PostgreSQL backends implement
// Connection; nothing here includes a client library's header.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/util/error.hpp"

namespace sharectl::store::sql {

// A bound parameter value: NULL, integer, real, boolean or text.
using Value = std::variant<std::monostate, std::int64_t, double, bool, std::string>;

// The parameters of one statement, $1 first.
using Params = std::vector<Value>;

// One result row: a text cell per column, nullopt for NULL.
struct Row {
  std::vector<std::optional<std::string>> cells;
};

// A statement's result: its rows and, for INSERT/UPDATE/DELETE, how many rows it changed.
struct Rows {
  std::vector<Row> rows;
  std::int64_t affected = 0;
};

// What kind of failure a database reported.
enum class Fault {
  unique,        // a unique or primary key constraint
  foreign_key,   // a reference to a missing row, or a delete of a referenced row
  check,         // a CHECK or NOT NULL constraint
  serialization, // a serialization failure or deadlock: the transaction may be retried
  busy,          // a lock was not granted within the busy timeout
  connection,    // the connection is gone (server down, restarted, network)
  other,         // anything else (syntax, types, corruption)
};

// A database failure: its kind, the database's message, and the constraint if it named one.
struct SqlError {
  Fault fault = Fault::other;
  std::string message;
  std::string constraint;
};

// A value or a SqlError.
template <typename T>
using SqlResult = std::expected<T, SqlError>;

// One database connection; used by one thread at a time.
class Connection {
public:
  virtual ~Connection() = default;
  // Runs one statement with its placeholders $1…$n bound to params, in order.
  virtual SqlResult<Rows> exec(std::string_view sql, const Params& params) = 0;
  // Runs a script of several statements without parameters (migrations).
  virtual SqlResult<void> exec_script(std::string_view sql) = 0;
  // Whether the connection is unusable and must be replaced.
  virtual bool broken() const = 0;
};

// A bounded pool of connections made on demand by a factory. Broken connections are dropped
// when returned, so the next acquire() reconnects.
class Pool {
public:
  // Makes a connection; fails with unavailable when the database cannot be reached.
  using Factory = std::function<Result<std::unique_ptr<Connection>>()>;

  // A pool of at most max_size connections.
  Pool(Factory factory, std::size_t max_size);
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // A connection borrowed from a pool; goes back on destruction.
  class Lease {
  public:
    Lease(Pool* pool, std::unique_ptr<Connection> conn);
    ~Lease();
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&&) = delete;
    // The connection.
    Connection& operator*() const { return *m_conn; }
    // The connection.
    Connection* operator->() const { return m_conn.get(); }
    // Closes the connection instead of returning it (it may be in an unknown state).
    void discard() { m_conn.reset(); }

  private:
    Pool* m_pool;
    std::unique_ptr<Connection> m_conn;
  };

  // An idle connection, a new one if fewer than max_size exist, else waits for one to be
  // returned. unavailable when a new connection cannot be made.
  Result<Lease> acquire();

private:
  void release(std::unique_ptr<Connection> conn);

  Factory m_factory;
  std::size_t m_max_size;
  std::mutex m_mutex;
  std::condition_variable m_returned;
  std::vector<std::unique_ptr<Connection>> m_idle;
  std::size_t m_open = 0;
};

// Row helpers: read cell i as text / integer / real / boolean ("1", "t", "true"); nullopt for
// NULL. Malformed numbers come back as internal errors.
Result<std::optional<std::string>> cell_text(const Row& row, std::size_t i);
// See cell_text.
Result<std::optional<std::int64_t>> cell_int(const Row& row, std::size_t i);
// See cell_text.
Result<std::optional<double>> cell_real(const Row& row, std::size_t i);
// See cell_text.
Result<std::optional<bool>> cell_bool(const Row& row, std::size_t i);

} // namespace sharectl::store::sql
