// sharectl-agent check-config and migrate, and the helpers the commands share.
#include <ostream>
#include <system_error>

#include <fmt/core.h>
#include <fmt/ostream.h>

#include "agent/commands/commands.hpp"
#include "agent/commands/common.hpp"
#include "agent/commands/file_modes.hpp"
#include "agent/store/store.hpp"

namespace sharectl::agent::commands {

int report(std::ostream& err, const Error& error, int exit_code) {
  fmt::print(err, "sharectl-agent: error: {}\n", error.message);
  err.flush();
  return exit_code;
}

Status prepare_store_directory(std::string_view store_url) {
  constexpr std::string_view k_prefix = "sqlite://";
  if (!store_url.starts_with(k_prefix) || store_url == "sqlite::memory:") {
    return {};
  }
  const std::filesystem::path file(store_url.substr(k_prefix.size()));
  const auto dir = file.parent_path();
  std::error_code ec;
  if (dir.empty() || std::filesystem::exists(dir, ec)) {
    return {};
  }
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return fail(ErrorCode::internal, fmt::format("cannot create the store directory {}: {}",
                                                 dir.string(), ec.message()));
  }
  using std::filesystem::perms;
  std::filesystem::permissions(dir, perms::owner_all, ec); // exactly 0700, whatever the umask
  return {};
}

Result<config::AgentConfig> load_config(const std::filesystem::path& path) {
  auto loaded = config::load_agent_config(path);
  if (!loaded && loaded.error().code == ErrorCode::not_found) {
    return fail(ErrorCode::not_found,
                fmt::format("{}: no such config file (create one with `sharectl-agent init "
                            "--config {}`)",
                            path.string(), path.string()));
  }
  return loaded;
}

int check_config(const std::filesystem::path& config_path, std::ostream& out, std::ostream& err) {
  auto loaded = load_config(config_path);
  if (!loaded) {
    return report(err, loaded.error(), k_exit_usage);
  }
  if (loaded->tls.enabled) {
    std::error_code ec;
    for (const auto& file : {loaded->tls.cert, loaded->tls.key}) {
      if (!std::filesystem::exists(file, ec)) {
        return report(err,
                      Error{ErrorCode::bad_request,
                            fmt::format("{}: tls is enabled but {} does not exist (run "
                                        "`sharectl-agent init`)",
                                        config_path.string(), file.string())},
                      k_exit_usage);
      }
    }
  }
  if (const auto problems = check_private_files(*loaded); !problems.empty()) {
    for (const auto& problem : problems) {
      (void)report(err, problem, k_exit_usage);
    }
    return k_exit_usage;
  }
  // A store on the network (PostgreSQL, etcd) must answer: opened without migrating, so this
  // changes nothing; an embedded SQLite file is created by init, not checked here.
  if (!loaded->store.starts_with("sqlite:")) {
    auto store = store::open_store(loaded->store, open_options(false));
    if (!store) {
      const int code =
          store.error().code == ErrorCode::unavailable ? k_exit_unavailable : k_exit_usage;
      return report(err,
                    Error{store.error().code,
                          fmt::format("store {}: {}", store::redact_store_url(loaded->store),
                                      store.error().message)},
                    code);
    }
  }
  fmt::print(out, "{}: ok\n", config_path.string());
  return k_exit_ok;
}

int migrate(const std::filesystem::path& config_path, std::ostream& out, std::ostream& err) {
  auto loaded = load_config(config_path);
  if (!loaded) {
    return report(err, loaded.error(), k_exit_usage);
  }
  if (auto dir = prepare_store_directory(loaded->store); !dir) {
    return report(err, dir.error(), k_exit_failure);
  }
  auto store = store::open_store(loaded->store, open_options(false));
  int before = 0;
  if (store) {
    before = (*store)->schema_version().value_or(0);
  } else if (store.error().code == ErrorCode::unavailable) {
    store = store::open_store(loaded->store, open_options(true));
  }
  if (!store) {
    return report(err, store.error(), k_exit_failure);
  }
  auto reached = (*store)->migrate();
  if (!reached) {
    return report(err, reached.error(), k_exit_failure);
  }
  if (*reached == before) {
    fmt::print(out, "Store schema is up to date (version {})\n", *reached);
  } else {
    fmt::print(out, "Store schema migrated to version {}\n", *reached);
  }
  return k_exit_ok;
}

} // namespace sharectl::agent::commands
