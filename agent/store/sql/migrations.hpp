// The numbered schema migrations of the SQL backends, embedded at build time from
// agent/store/{sqlite,postgres}/migrations/NNN_name.sql (see agent/CMakeLists.txt).
#pragma once

#include <span>
#include <string_view>

namespace sharectl::store::sql {

// One migration: brings the schema from version - 1 to version.
struct Migration {
  int version = 0;
  std::string_view name; // the file name, e.g. "001_initial.sql"
  std::string_view sql;  // the script
};

// The SQLite migrations, in version order (1, 2, …).
std::span<const Migration> sqlite_migrations();
// The PostgreSQL migrations, in version order (1, 2, …).
std::span<const Migration> postgres_migrations();

} // namespace sharectl::store::sql
