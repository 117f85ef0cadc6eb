// The PostgreSQL backend (postgres://user:pass@host:port/db), for many hosts sharing one
// store. libpq-fe.h stays inside pg_store.cpp.
#pragma once

#include <memory>
#include <string>

#include "agent/store/store.hpp"

namespace sharectl::store {

// Connects to the database at url (a libpq connection URI) through a small pool, then checks
// or migrates its schema per options. unavailable when the server cannot be reached or its
// schema is newer than this build.
Result<std::unique_ptr<Store>> open_postgres_store(const std::string& url,
                                                   const OpenOptions& options);

} // namespace sharectl::store
