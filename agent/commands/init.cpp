// sharectl-agent init: the config file, the store schema, the built-in roles, TLS material and
// the first admin — each only when missing, so a second run changes nothing and says so — and
// private modes on the store and the TLS key (file_modes.hpp), tightened when looser.
#include <algorithm>
#include <istream>
#include <ostream>
#include <string>
#include <system_error>

#include <fmt/core.h>
#include <fmt/ostream.h>
#include <fmt/ranges.h>

#include "agent/auth/password.hpp"
#include "agent/authz/roles.hpp"
#include "agent/commands/commands.hpp"
#include "agent/commands/common.hpp"
#include "agent/commands/file_modes.hpp"
#include "agent/host/samba/identity.hpp"
#include "agent/store/store.hpp"
#include "common/util/atomic_file.hpp"
#include "common/util/random.hpp"
#include "common/validate/names.hpp"

namespace sharectl::agent::commands {

namespace {

// Seeds the built-in roles that are missing; returns how many were created.
Result<int> seed_roles(store::Store& store) {
  return store.transact_result([](store::Tx& tx) -> Result<int> {
    int created = 0;
    for (const auto& def : authz::builtin_roles()) {
      auto existing = tx.find_role(def.name);
      if (existing) {
        continue;
      }
      if (existing.error().code != ErrorCode::not_found) {
        return std::unexpected(existing.error());
      }
      model::Role role;
      role.name = def.name;
      role.description = fmt::format("built-in role {}", def.name);
      role.builtin = true;
      auto stored = tx.create(role);
      if (!stored) {
        return std::unexpected(stored.error());
      }
      for (const auto& rule_def : def.rules) {
        model::Rule rule;
        rule.role_id = stored->id;
        rule.resource_glob = rule_def.glob;
        rule.level = rule_def.level;
        rule.priority = rule_def.priority;
        if (auto rule_stored = tx.create(rule); !rule_stored) {
          return std::unexpected(rule_stored.error());
        }
      }
      ++created;
    }
    if (created > 0) {
      model::AuditEvent event;
      event.actor_name = "sharectl-agent init";
      event.action = "roles.create";
      event.resource = "roles/*";
      event.detail = fmt::format("seeded {} built-in roles", created);
      if (auto audit = tx.create(event); !audit) {
        return std::unexpected(audit.error());
      }
    }
    return created;
  });
}

// The existing admins' usernames.
Result<std::vector<std::string>> admins(store::Store& store) {
  return store.view_result([](store::Tx& tx) -> Result<std::vector<std::string>> {
    auto users = tx.list<model::User>();
    if (!users) {
      return std::unexpected(users.error());
    }
    std::vector<std::string> out;
    for (const auto& user : *users) {
      if (user.is_admin) {
        out.push_back(user.username);
      }
    }
    return out;
  });
}

// Creates the first admin unless an admin exists by now (another host's init may have made one
// since this one looked: the check is inside the write transaction, so exactly one wins). True
// when this call created it.
Result<bool> create_admin(store::Store& store, const std::string& username,
                          const std::string& hash) {
  return store.transact_result([&](store::Tx& tx) -> Result<bool> {
    auto users = tx.list<model::User>();
    if (!users) {
      return std::unexpected(users.error());
    }
    if (std::ranges::any_of(*users, [](const model::User& u) { return u.is_admin; })) {
      return false;
    }
    model::User user;
    user.username = username;
    user.is_admin = true;
    auto stored = tx.create(user);
    if (!stored) {
      return std::unexpected(stored.error());
    }
    if (auto set = tx.set_user_secrets(stored->id, {hash, std::nullopt}); !set) {
      return std::unexpected(set.error());
    }
    model::AuditEvent event;
    event.actor_name = "sharectl-agent init";
    event.action = "users.create";
    event.resource = "users/" + username;
    event.detail = "first admin";
    if (auto audit = tx.create(event); !audit) {
      return std::unexpected(audit.error());
    }
    return true;
  });
}

} // namespace

int init(const InitOptions& options, std::istream& in, std::ostream& out, std::ostream& err) {
  bool changed = false;
  config::AgentConfig cfg;
  std::error_code ec;
  if (std::filesystem::exists(options.config_path, ec)) {
    auto loaded = load_config(options.config_path);
    if (!loaded) {
      return report(err, loaded.error(), k_exit_usage);
    }
    cfg = *loaded;
    if (options.store_url && *options.store_url != cfg.store) {
      fmt::print(err, "sharectl-agent: note: {} exists and names store {}; --store is ignored\n",
                 options.config_path.string(), store::redact_store_url(cfg.store));
    }
    fmt::print(out, "Using the existing config {}\n", options.config_path.string());
  } else {
    if (options.store_url) {
      cfg.store = *options.store_url;
    }
    const std::string text = config::render_agent_config(cfg);
    if (auto parsed = config::parse_agent_config(text, options.config_path.string()); !parsed) {
      return report(err, parsed.error(), k_exit_usage);
    }
    std::filesystem::create_directories(options.config_path.parent_path(), ec);
    if (auto written = write_file_atomic(options.config_path, text, file_mode(0640)); !written) {
      return report(err, written.error(), k_exit_failure);
    }
    fmt::print(out, "Wrote {}\n", options.config_path.string());
    changed = true;
  }
  if (auto ok = validate::validate_username(options.admin); !ok) {
    return report(err, Error{ErrorCode::bad_request, "--admin: " + ok.error().message},
                  k_exit_usage);
  }

  if (auto dir = prepare_store_directory(cfg.store); !dir) {
    return report(err, dir.error(), k_exit_failure);
  }
  // Before the store opens: SQLite gives a new -wal/-shm the database file's mode.
  auto tightened = tighten_private_files(cfg);
  if (!tightened) {
    return report(err, tightened.error(), k_exit_failure);
  }
  for (const auto& change : *tightened) {
    fmt::print(out, "Tightened modes of {}\n", change);
    changed = true;
  }
  auto store = store::open_store(cfg.store, open_options(false));
  int before = 0;
  if (!store) {
    // A new or older schema: open again, migrating.
    store = store::open_store(cfg.store, open_options(true));
    if (!store) {
      return report(err, store.error(), k_exit_failure);
    }
  } else {
    before = (*store)->schema_version().value_or(0);
  }
  auto version = (*store)->schema_version();
  if (!version) {
    return report(err, version.error(), k_exit_failure);
  }
  if (*version != before) {
    fmt::print(out, "Store {}: schema at version {}\n", store::redact_store_url(cfg.store),
               *version);
    changed = true;
  }
  auto seeded = seed_roles(**store);
  if (!seeded) {
    return report(err, seeded.error(), k_exit_failure);
  }
  if (*seeded > 0) {
    fmt::print(out, "Created {} built-in roles (admin, maintainer, viewer, client)\n", *seeded);
    changed = true;
  }

  if (cfg.tls.enabled) {
    if (!std::filesystem::exists(cfg.tls.cert, ec) || !std::filesystem::exists(cfg.tls.key, ec)) {
      if (auto made = create_tls_material(cfg); !made) {
        return report(err, made.error(), k_exit_failure);
      }
      fmt::print(out, "Created TLS key {} and self-signed certificate {}\n", cfg.tls.key.string(),
                 cfg.tls.cert.string());
      changed = true;
    }
    auto fingerprint = certificate_fingerprint(cfg.tls.cert);
    if (!fingerprint) {
      return report(err, fingerprint.error(), k_exit_failure);
    }
    fmt::print(out, "TLS certificate SHA-256 fingerprint: {}\n", *fingerprint);
  }

  auto existing = admins(**store);
  if (!existing) {
    return report(err, existing.error(), k_exit_failure);
  }
  if (existing->empty()) {
    // The first admin takes a Unix identity like every user (host/samba/identity.hpp); an
    // admin vouches for a directory account when accounts are external.
    auto names_runner = make_process_runner();
    const host::NameCheck rules{cfg.samba.accounts == config::SambaAccounts::external, true,
                                host::login_uid_min()};
    if (auto ok = host::check_new_username(*names_runner, options.admin, rules); !ok) {
      return report(err, Error{ok.error().code, "--admin: " + ok.error().message},
                    ok.error().code == ErrorCode::conflict ? k_exit_usage : k_exit_failure);
    }
    std::string password;
    bool generated = false;
    if (options.password_stdin) {
      if (!std::getline(in, password)) {
        return report(err, Error{ErrorCode::bad_request, "--password-stdin: no line on stdin"},
                      k_exit_usage);
      }
      if (!password.empty() && password.back() == '\r') {
        password.pop_back();
      }
    } else {
      auto token = random_token(18);
      if (!token) {
        return report(err, token.error(), k_exit_failure);
      }
      password = *token;
      generated = true;
    }
    if (auto ok = auth::check_password_policy(password); !ok) {
      return report(err, ok.error(), k_exit_usage);
    }
    auto hash = auth::hash_password(password);
    if (!hash) {
      return report(err, hash.error(), k_exit_failure);
    }
    auto made = create_admin(**store, options.admin, *hash);
    if (!made) {
      return report(err, made.error(), k_exit_failure);
    }
    if (*made) {
      fmt::print(out, "Created the admin user {}\n", options.admin);
      if (generated) {
        fmt::print(out, "Its password (shown only now): {}\n", password);
      }
      changed = true;
    } else {
      fmt::print(out, "An admin was created meanwhile (another host's init); not creating {}\n",
                 options.admin);
    }
  } else if (std::find(existing->begin(), existing->end(), options.admin) == existing->end()) {
    fmt::print(out, "Admin users exist already ({}); not creating {}\n", fmt::join(*existing, ", "),
               options.admin);
  }
  if (!changed) {
    fmt::print(out, "Already initialized; nothing changed\n");
  }
  // What init cannot fix itself (another owner, a shared directory) would stop `run`: say so now.
  if (const auto problems = check_private_files(cfg); !problems.empty()) {
    for (const auto& problem : problems) {
      (void)report(err, problem, k_exit_failure);
    }
    return k_exit_failure;
  }
  return k_exit_ok;
}

} // namespace sharectl::agent::commands
