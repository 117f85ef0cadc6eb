#include "agent/reconcile/reconciler.hpp"

#include <algorithm>
#include <chrono>
#include <optional>
#include <variant>
#include <vector>

#include <fmt/core.h>
#include <pwd.h>

#include "agent/host/command.hpp"
#include "agent/host/samba/accounts.hpp"
#include "agent/host/samba/render.hpp"
#include "agent/reconcile/register.hpp"

namespace sharectl::agent::reconcile {

namespace {

// Everything one pass needs, read in one snapshot.
struct Snapshot {
  std::vector<model::FileSystem> filesystems;
  std::vector<model::Space> spaces;                // on this host's filesystems
  std::map<model::Id, model::User> owners;         // by user id
  std::map<model::Id, model::UserSecrets> secrets; // owners' secrets (nt hash)
  std::vector<host::ShareView> shares;             // shares of those spaces
  std::map<model::Id, std::string> usernames;      // every grantee
};

Result<Snapshot> read_snapshot(store::Tx& tx, const std::string& server_name) {
  Snapshot out;
  auto server = tx.find_server(server_name);
  if (!server) {
    return std::unexpected(server.error());
  }
  auto filesystems = tx.list<model::FileSystem>(store::ListQuery{server->id, 0});
  auto spaces = tx.list<model::Space>();
  if (!filesystems || !spaces) {
    return std::unexpected(!filesystems ? filesystems.error() : spaces.error());
  }
  out.filesystems = std::move(*filesystems);
  for (auto& space : *spaces) {
    const bool here = std::ranges::any_of(
        out.filesystems, [&](const model::FileSystem& fs) { return fs.id == space.filesystem_id; });
    if (!here) {
      continue;
    }
    if (!out.owners.contains(space.owner_id)) {
      auto owner = tx.get<model::User>(space.owner_id);
      auto secrets = tx.get_user_secrets(space.owner_id);
      if (!owner || !secrets) {
        return std::unexpected(!owner ? owner.error() : secrets.error());
      }
      out.owners.emplace(space.owner_id, std::move(*owner));
      out.secrets.emplace(space.owner_id, std::move(*secrets));
    }
    auto shares = tx.list<model::Share>(store::ListQuery{space.id, 0});
    if (!shares) {
      return std::unexpected(shares.error());
    }
    for (auto& share : *shares) {
      host::ShareView view{std::move(share), space, out.owners.at(space.owner_id).username, "", {}};
      auto access = tx.share_access(view.share.id);
      if (!access) {
        return std::unexpected(access.error());
      }
      for (const auto& row : *access) {
        if (row.state != model::AclState::active) {
          continue;
        }
        if (!out.usernames.contains(row.user_id)) {
          auto user = tx.get<model::User>(row.user_id);
          if (!user) {
            continue;
          }
          out.usernames.emplace(row.user_id, user->username);
        }
        view.grants.push_back({out.usernames.at(row.user_id), row.level});
      }
      out.shares.push_back(std::move(view));
    }
    out.spaces.push_back(std::move(space));
  }
  return out;
}

} // namespace

Reconciler::Reconciler(store::Store& store, config::AgentConfig config, ProcessRunner& runner,
                       Log log)
    : m_store(store), m_config(std::move(config)), m_runner(runner), m_log(std::move(log)),
      m_writer(runner, host::SambaPaths{m_config.samba.config, m_config.samba.include}) {}

Reconciler::~Reconciler() {
  stop();
}

void Reconciler::say(std::string_view level, const std::string& message) {
  if (m_log) {
    m_log(level, message);
  }
}

Status Reconciler::prepare() {
  auto registered = register_host(m_store, m_config);
  if (!registered) {
    return std::unexpected(registered.error());
  }
  for (const auto& warning : registered->warnings) {
    say("warn", "RECONCILE-W001 " + warning);
  }
  if (registered->filesystems.empty()) {
    say("warn", "RECONCILE-W006 no usable filesystem on this host; Samba is left alone");
    return {};
  }
  if (!m_include_ensured) {
    auto ensured = host::ensure_include(m_runner, m_config.samba.config, m_config.samba.include);
    if (ensured) {
      m_include_ensured = true;
    } else {
      say("warn", "RECONCILE-W002 cannot ensure the include line in " +
                      m_config.samba.config.string() + ": " + ensured.error().message);
    }
  }
  return {};
}

Result<host::QuotaDriver*> Reconciler::driver_for(const model::FileSystem& fs) {
  auto it = m_drivers.find(fs.id);
  if (it == m_drivers.end()) {
    auto made = host::make_quota_driver(fs.driver, m_runner, fs.path);
    if (!made) {
      return std::unexpected(made.error());
    }
    it = m_drivers.emplace(fs.id, std::move(*made)).first;
  }
  return it->second.get();
}

Status Reconciler::ensure_owner_account(const model::User& owner) {
  if (m_config.samba.accounts != config::SambaAccounts::local) {
    return {};
  }
  host::SambaAccounts accounts(m_runner, m_config.samba.config);
  auto ours = accounts.is_ours(owner.username);
  if (!ours) {
    return std::unexpected(ours.error());
  }
  if (*ours || ::getpwnam(owner.username.c_str()) != nullptr) {
    return {};
  }
  // No SMB password yet (the NT hash is set at register/login/passwd): the Unix account only.
  auto made = m_runner.run(host::host_command(
      "useradd",
      {"--no-create-home", "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin",
       "--comment", std::string(host::k_account_gecos), "--user-group", owner.username}));
  if (!made) {
    return std::unexpected(made.error());
  }
  if (!made->ok()) {
    return fail(ErrorCode::internal, "useradd " + owner.username + ": " + made->err);
  }
  return {};
}

Status Reconciler::run_once() {
  auto snapshot =
      m_store.view_result([&](store::Tx& tx) { return read_snapshot(tx, m_config.server.name); });
  if (!snapshot) {
    return std::unexpected(snapshot.error());
  }
  if (snapshot->filesystems.empty()) {
    return {}; // nothing to serve: the admin's Samba configuration is not touched
  }
  if (!m_include_ensured) {
    auto ensured = host::ensure_include(m_runner, m_config.samba.config, m_config.samba.include);
    m_include_ensured = ensured.has_value();
  }
  // Records a status when it differs from what the object shows.
  auto record = [&](model::Kind kind, const model::Id& id, const model::Applied& seen,
                    model::Revision revision, model::ObjectStatus status,
                    const std::string& message) -> Status {
    if (seen.status == status && seen.status_message == message) {
      return {};
    }
    return m_store.transact([&](store::Tx& tx) -> Status {
      // Changed since this pass read it (a resize, a grant): the next pass handles it.
      auto now = tx.get_entity(kind, id);
      if (!now) {
        return now.error().code == ErrorCode::not_found ? Status{}
                                                        : Status(std::unexpected(now.error()));
      }
      const bool moved =
          std::visit([&](const auto& object) { return object.revision != revision; }, *now);
      if (moved) {
        return {};
      }
      auto set = tx.set_status(kind, id, status, message, revision);
      if (!set && set.error().code != ErrorCode::not_found) {
        return std::unexpected(set.error());
      }
      return {};
    });
  };
  std::map<model::Id, bool> ready; // space id → its directory is in place
  for (const auto& space : snapshot->spaces) {
    const auto fs = std::ranges::find_if(snapshot->filesystems, [&](const model::FileSystem& f) {
      return f.id == space.filesystem_id;
    });
    auto driver = driver_for(*fs);
    if (space.status == model::ObjectStatus::deleting) {
      Status removed =
          driver ? (*driver)->remove(space.path) : Status(std::unexpected(driver.error()));
      if (removed) {
        auto gone = m_store.transact([&](store::Tx& tx) -> Status {
          auto r = tx.remove<model::Space>(space.id);
          return r || r.error().code == ErrorCode::not_found ? Status{} : r;
        });
        if (!gone) {
          return gone;
        }
        say("info", fmt::format("RECONCILE-I002 removed space {}", space.path));
      } else if (auto st = record(model::Kind::space, space.id, space, space.revision,
                                  model::ObjectStatus::deleting, removed.error().message);
                 !st) {
        return st;
      }
      continue;
    }
    if (space.status == model::ObjectStatus::ready) {
      ready[space.id] = true;
      continue;
    }
    const model::User& owner = snapshot->owners.at(space.owner_id);
    Status made = driver ? ensure_owner_account(owner) : Status(std::unexpected(driver.error()));
    if (made) {
      const struct passwd* pw = ::getpwnam(owner.username.c_str());
      if (pw == nullptr) {
        made = fail(ErrorCode::not_found,
                    fmt::format("no Unix account {} for the space owner", owner.username));
      } else {
        made = (*driver)->create(
            host::SpaceSpec{space.path, pw->pw_uid, pw->pw_gid, space.size_bytes});
      }
    }
    if (made) {
      ready[space.id] = true;
      say("info", fmt::format("RECONCILE-I001 space {} ready", space.path));
    } else {
      say("warn", fmt::format("RECONCILE-W003 space {}: {}", space.path, made.error().message));
    }
    if (auto st = record(model::Kind::space, space.id, space, space.revision,
                         made ? model::ObjectStatus::ready : model::ObjectStatus::error,
                         made ? std::string() : made.error().message);
        !st) {
      return st;
    }
  }
  // Render every share whose space is in place; invalid views become errors on their own.
  std::vector<host::ShareView> views;
  std::vector<std::pair<const host::ShareView*, std::string>> refused;
  for (const auto& view : snapshot->shares) {
    if (!ready.contains(view.space.id)) {
      continue;
    }
    if (auto ok = host::validate_share_view(view); !ok) {
      refused.emplace_back(&view, ok.error().message);
      continue;
    }
    views.push_back(view);
  }
  Status applied = {};
  if (auto text = host::render_shares(views); !text) {
    applied = std::unexpected(text.error());
  } else if (auto report = m_writer.apply(*text); !report) {
    applied = std::unexpected(report.error());
  } else if (report->written) {
    say("info", fmt::format("RECONCILE-I003 wrote {} ({} shares)", m_config.samba.include.string(),
                            views.size()));
  }
  if (!applied) {
    say("warn", "RECONCILE-W004 smb.conf include not applied: " + applied.error().message);
  }
  for (const auto& view : views) {
    if (auto st = record(model::Kind::share, view.share.id, view.share, view.share.revision,
                         applied ? model::ObjectStatus::ready : model::ObjectStatus::error,
                         applied ? std::string() : applied.error().message);
        !st) {
      return st;
    }
  }
  for (const auto& [view, message] : refused) {
    if (auto st = record(model::Kind::share, view->share.id, view->share, view->share.revision,
                         model::ObjectStatus::error, message);
        !st) {
      return st;
    }
  }
  return {};
}

Status Reconciler::start() {
  if (auto prepared = prepare(); !prepared) {
    return prepared;
  }
  m_stop = false;
  m_thread = std::thread([this] { loop(); });
  return {};
}

void Reconciler::stop() {
  m_stop = true;
  if (m_thread.joinable()) {
    m_thread.join();
  }
}

void Reconciler::loop() {
  using Steady = std::chrono::steady_clock;
  model::Revision seen = -1;
  auto next_resync = Steady::now();
  while (!m_stop) {
    auto current = m_store.current_revision();
    if (current && (*current != seen || Steady::now() >= next_resync)) {
      if (auto pass = run_once(); !pass) {
        say("warn", "RECONCILE-W005 pass failed: " + pass.error().message);
      }
      seen = *current;
      next_resync = Steady::now() + m_config.reconcile.resync;
      continue; // our own status writes moved the revision: one more (idempotent) pass
    }
    (void)m_store.wait_for_change(current ? *current : 0, std::chrono::milliseconds(500));
  }
}

} // namespace sharectl::agent::reconcile
