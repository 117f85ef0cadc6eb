// The embedded SQLite backend (sqlite:///path, sqlite::memory:). sqlite3.h stays inside
// sqlite_store.cpp.
#pragma once

#include <memory>
#include <string>

#include "agent/store/store.hpp"

namespace sharectl::store {

// Opens the SQLite database at path (":memory:" for a private in-memory one), in WAL mode with
// foreign keys on and a busy timeout, then checks or migrates its schema per options.
// unavailable when the file cannot be opened or its schema is newer than this build.
Result<std::unique_ptr<Store>> open_sqlite_store(const std::string& path,
                                                 const OpenOptions& options);

} // namespace sharectl::store
