// The SQLite backend: a connection per pooled slot, each with its own prepared statement cache;
// WAL so readers never block the writer; BEGIN IMMEDIATE plus an in-process writer mutex so
// writers queue instead of spinning on SQLITE_BUSY; busy_timeout for other processes.
#include "agent/store/sqlite/sqlite_store.hpp"

#include <charconv>
#include <mutex>
#include <unordered_map>

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/store/sql/sql_store.hpp"

namespace sharectl::store {
namespace {

using sql::Fault;
using sql::Params;
using sql::Rows;
using sql::SqlError;
using sql::SqlResult;

// At most this many prepared statements are cached per connection.
constexpr std::size_t k_statement_cache_size = 256;

// The shared layer writes $1, $2…; SQLite's ?NNN binds by the same numbers.
std::string to_sqlite_placeholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size());
  bool in_string = false;
  for (std::size_t i = 0; i < sql.size(); ++i) {
    char c = sql[i];
    if (c == '\'') {
      in_string = !in_string;
    }
    if (!in_string && c == '$' && i + 1 < sql.size() && sql[i + 1] >= '0' && sql[i + 1] <= '9') {
      c = '?';
    }
    out += c;
  }
  return out;
}

Fault classify(int extended) {
  switch (extended) {
  case SQLITE_CONSTRAINT_UNIQUE:
  case SQLITE_CONSTRAINT_PRIMARYKEY:
    return Fault::unique;
  case SQLITE_CONSTRAINT_FOREIGNKEY:
    return Fault::foreign_key;
  case SQLITE_CONSTRAINT_CHECK:
  case SQLITE_CONSTRAINT_NOTNULL:
  case SQLITE_CONSTRAINT_DATATYPE:
    return Fault::check;
  default:
    break;
  }
  switch (extended & 0xff) {
  case SQLITE_BUSY:
  case SQLITE_LOCKED:
    return Fault::busy;
  case SQLITE_CONSTRAINT:
    return Fault::check;
  default:
    return Fault::other;
  }
}

class SqliteConnection final : public sql::Connection {
public:
  explicit SqliteConnection(sqlite3* db) : m_db(db) {}
  ~SqliteConnection() override {
    for (auto& [text, stmt] : m_cache) {
      sqlite3_finalize(stmt);
    }
    sqlite3_close_v2(m_db);
  }
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  SqlResult<Rows> exec(std::string_view text, const Params& params) override {
    auto stmt = prepare(text);
    if (!stmt) {
      return std::unexpected(stmt.error());
    }
    sqlite3_stmt* s = *stmt;
    for (std::size_t i = 0; i < params.size(); ++i) {
      int index = static_cast<int>(i + 1);
      int rc = std::visit(
          [&](const auto& v) -> int {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::monostate>) {
              return sqlite3_bind_null(s, index);
            } else if constexpr (std::is_same_v<T, std::int64_t>) {
              return sqlite3_bind_int64(s, index, v);
            } else if constexpr (std::is_same_v<T, double>) {
              return sqlite3_bind_double(s, index, v);
            } else if constexpr (std::is_same_v<T, bool>) {
              return sqlite3_bind_int(s, index, v ? 1 : 0);
            } else {
              return sqlite3_bind_text64(s, index, v.data(), v.size(), SQLITE_TRANSIENT,
                                         SQLITE_UTF8);
            }
          },
          params[i]);
      if (rc != SQLITE_OK) {
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
        return std::unexpected(error(rc));
      }
    }
    Rows out;
    int columns = sqlite3_column_count(s);
    int rc = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      sql::Row row;
      row.cells.reserve(static_cast<std::size_t>(columns));
      for (int c = 0; c < columns; ++c) {
        const int type = sqlite3_column_type(s, c);
        if (type == SQLITE_NULL) {
          row.cells.emplace_back(std::nullopt);
        } else if (type == SQLITE_INTEGER) {
          // The decimal text SQLite would make, without converting the value in place.
          char digits[24];
          const auto end =
              std::to_chars(digits, digits + sizeof digits, sqlite3_column_int64(s, c)).ptr;
          row.cells.emplace_back(std::string(digits, end));
        } else {
          const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, c));
          row.cells.emplace_back(
              std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s, c))));
        }
      }
      out.rows.push_back(std::move(row));
    }
    if (rc != SQLITE_DONE) {
      auto e = error(sqlite3_extended_errcode(m_db));
      sqlite3_reset(s);
      sqlite3_clear_bindings(s);
      return std::unexpected(e);
    }
    if (!sqlite3_stmt_readonly(s)) {
      out.affected = sqlite3_changes64(m_db);
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return out;
  }

  SqlResult<void> exec_script(std::string_view text) override {
    char* message = nullptr;
    int rc = sqlite3_exec(m_db, std::string(text).c_str(), nullptr, nullptr, &message);
    if (rc != SQLITE_OK) {
      SqlError e{classify(sqlite3_extended_errcode(m_db)), message ? message : "unknown error", ""};
      sqlite3_free(message);
      return std::unexpected(e);
    }
    return {};
  }

  bool broken() const override { return m_db == nullptr; }

private:
  SqlResult<sqlite3_stmt*> prepare(std::string_view text) {
    auto it = m_cache.find(text);
    if (it != m_cache.end()) {
      return it->second;
    }
    if (m_cache.size() >= k_statement_cache_size) {
      for (auto& [t, stmt] : m_cache) {
        sqlite3_finalize(stmt);
      }
      m_cache.clear();
    }
    std::string translated = to_sqlite_placeholders(text);
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v3(m_db, translated.c_str(), static_cast<int>(translated.size()),
                                SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) {
      return std::unexpected(error(rc));
    }
    m_cache.emplace(std::string(text), stmt);
    return stmt;
  }

  SqlError error(int rc) const {
    int extended = sqlite3_extended_errcode(m_db);
    std::string message = sqlite3_errmsg(m_db);
    SqlError e{classify(extended != 0 ? extended : rc), message, ""};
    // "UNIQUE constraint failed: shares.name_folded" names the columns.
    if (auto colon = message.find("constraint failed: "); colon != std::string::npos) {
      e.constraint = message.substr(colon + 19);
    }
    return e;
  }

  sqlite3* m_db;
  // Looked up by the statement's text without copying it (transparent hash and equality).
  struct TextHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const {
      return std::hash<std::string_view>{}(text);
    }
  };
  std::unordered_map<std::string, sqlite3_stmt*, TextHash, std::equal_to<>> m_cache;
};

Result<std::unique_ptr<sql::Connection>> connect(const std::string& path, bool memory,
                                                 std::chrono::milliseconds busy_timeout) {
  // SQLite counts every allocation under one process-wide mutex unless told otherwise before its
  // first use; nothing here reads those counters, and the worker threads would contend on it.
  static std::once_flag configured;
  std::call_once(configured, [] { (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return fail(ErrorCode::unavailable,
                "store: cannot open SQLite database " + path + ": " + message);
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, static_cast<int>(busy_timeout.count()));
  auto conn = std::make_unique<SqliteConnection>(db);
  std::string pragmas = "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;";
  if (!memory) {
    pragmas += " PRAGMA journal_mode = WAL;";
  }
  if (auto r = conn->exec_script(pragmas); !r) {
    return fail(ErrorCode::unavailable,
                "store: cannot set up SQLite database " + path + ": " + r.error().message);
  }
  return std::unique_ptr<sql::Connection>(std::move(conn));
}

// Creates the database file empty and 0600, whatever the umask, when it does not exist yet
// (SQLite would create it 0644 minus the umask; an empty file is an empty database to it). The
// -wal, -shm and -journal files need nothing of their own: SQLite creates them with exactly the
// database file's permission bits, the umask ignored, and as root gives them its owner too
// (os_unix.c findCreateFileMode/robust_open; checked with 3.40 under umask 022), so a 0600
// database keeps them 0600. Modes of existing files are left alone (`sharectl-agent init`
// tightens them, `run` refuses loose ones). Any failure is left to sqlite3_open_v2 to report.
void create_private_database_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    return; // exists already, or SQLite says why it cannot be opened
  }
  (void)::fchmod(fd, 0600); // the umask may have narrowed 0600 further (e.g. 0277)
  ::close(fd);
}

class SqliteStore final : public sql::SqlStore {
public:
  SqliteStore(std::unique_ptr<sql::Pool> pool, std::function<Timestamp()> clock)
      : SqlStore(std::move(pool), sql::sqlite_migrations(), std::move(clock), true) {}

  std::string_view backend() const override { return "sqlite"; }

protected:
  std::vector<std::string_view> begin_statements(bool write) const override {
    if (write) {
      return {"BEGIN IMMEDIATE"};
    }
    return {"BEGIN"};
  }
  std::vector<std::string_view> migration_begin_statements() const override {
    return {"BEGIN IMMEDIATE"};
  }
  SqlResult<bool> has_migrations_table(sql::Connection& conn) override {
    auto r = conn.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
                       "name = 'schema_migrations'",
                       {});
    if (!r) {
      return std::unexpected(r.error());
    }
    return !r->rows.empty();
  }
  std::chrono::milliseconds poll_interval() const override {
    return std::chrono::milliseconds{100};
  }
};

} // namespace

Result<std::unique_ptr<Store>> open_sqlite_store(const std::string& path,
                                                 const OpenOptions& options) {
  bool memory = path == ":memory:";
  if (!memory) {
    create_private_database_file(path);
  }
  auto busy = options.busy_timeout;
  // An in-memory database exists once per connection: keep exactly one.
  auto pool = std::make_unique<sql::Pool>(
      [path, memory, busy] { return connect(path, memory, busy); }, memory ? 1 : options.pool_size);
  // Fail early, with the file's own error, when the database cannot be opened at all.
  {
    auto first = pool->acquire();
    if (!first) {
      return std::unexpected(first.error());
    }
  }
  auto store = std::make_unique<SqliteStore>(std::move(pool), options.clock);
  if (auto st = store->prepare_schema(options); !st) {
    return std::unexpected(st.error());
  }
  return std::unique_ptr<Store>(std::move(store));
}

} // namespace sharectl::store
