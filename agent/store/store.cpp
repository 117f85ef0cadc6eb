// open_store: the factory keyed by URL scheme (ccache's remote storage map, Kea's
// LeaseMgrFactory).
#include "agent/store/store.hpp"

#include "agent/store/etcd/etcd_store.hpp"
#include "agent/store/sqlite/sqlite_store.hpp"
#if SHARECTL_HAVE_POSTGRES
#include "agent/store/postgres/pg_store.hpp"
#endif

namespace sharectl::store {

std::vector<std::string_view> supported_store_schemes() {
#if SHARECTL_HAVE_POSTGRES
  return {"sqlite", "postgres", "postgresql", "etcd", "etcds"};
#else
  return {"sqlite", "etcd", "etcds"};
#endif
}

std::string redact_store_url(std::string_view url) {
  std::string out(url);
  const auto scheme_end = out.find("://");
  if (scheme_end != std::string::npos) {
    const auto authority = scheme_end + 3;
    const auto path = out.find_first_of("/?#", authority);
    const auto at = out.rfind('@', path == std::string::npos ? out.size() : path);
    if (at != std::string::npos && at > authority) {
      const auto colon = out.find(':', authority);
      if (colon != std::string::npos && colon < at) {
        out.replace(colon + 1, at - colon - 1, "***");
      }
    }
  }
  for (std::size_t pos = out.find("password="); pos != std::string::npos;
       pos = out.find("password=", pos + 1)) {
    if (pos > 0 && out[pos - 1] != '?' && out[pos - 1] != '&' && out[pos - 1] != ' ') {
      continue;
    }
    const auto value = pos + 9;
    const auto end = out.find_first_of("& ", value);
    out.replace(value, (end == std::string::npos ? out.size() : end) - value, "***");
  }
  return out;
}

Result<std::unique_ptr<Store>> open_store(std::string_view url, const OpenOptions& options) {
  auto schemes = [] {
    std::string out;
    for (auto s : supported_store_schemes()) {
      out += (out.empty() ? "" : ", ") + std::string(s) + "://";
    }
    return out;
  };
  if (url == "sqlite::memory:") {
    return open_sqlite_store(":memory:", options);
  }
  if (url.starts_with("sqlite://")) {
    std::string_view path = url.substr(9);
    if (!path.starts_with('/')) {
      return fail(
          ErrorCode::bad_request,
          "store URL '" + std::string(url) +
              "': the SQLite path must be absolute, e.g. sqlite:///var/lib/sharectl/state.db");
    }
    return open_sqlite_store(std::string(path), options);
  }
  if (url.starts_with("postgres://") || url.starts_with("postgresql://")) {
#if SHARECTL_HAVE_POSTGRES
    return open_postgres_store(std::string(url), options);
#else
    return fail(ErrorCode::bad_request,
                "store URL: this build has no PostgreSQL support (supported: " + schemes() + ")");
#endif
  }
  if (url.starts_with("etcd://") || url.starts_with("etcds://")) {
    return etcd::open_etcd_store(url, options);
  }
  auto colon = url.find(':');
  std::string scheme(colon == std::string_view::npos ? url : url.substr(0, colon));
  return fail(ErrorCode::bad_request, "store URL: unknown scheme '" + scheme +
                                          "' (supported: " + schemes() + ", sqlite::memory:)");
}

} // namespace sharectl::store
