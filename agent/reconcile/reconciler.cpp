#include "agent/reconcile/reconciler.hpp"

#include <algorithm>
#include <chrono>
#include <optional>
#include <set>
#include <variant>
#include <vector>

#include <fmt/core.h>
#include <pwd.h>

#include "agent/host/command.hpp"
#include "agent/host/samba/accounts.hpp"
#include "agent/host/samba/render.hpp"
#include "agent/reconcile/register.hpp"
#include "common/util/atomic_file.hpp"
#include "common/util/hash.hpp"

namespace sharectl::agent::reconcile {

namespace {

// Everything one pass needs, read in one snapshot.
struct Snapshot {
  model::Server server; // this host's row
  std::vector<model::FileSystem> filesystems;
  std::vector<model::Space> spaces;    // on this host's filesystems
  std::vector<host::ShareView> shares; // shares of those spaces
  // Every user who owns one of those spaces or has an active row on one of those shares (active
  // or not), by user id.
  std::map<model::Id, Reconciler::Account> accounts;
};

// Adds the user (and their NT hash) to out.accounts once; not_found when the user is gone.
Result<const Reconciler::Account*> account_of(store::Tx& tx, Snapshot& out, const model::Id& id) {
  auto it = out.accounts.find(id);
  if (it == out.accounts.end()) {
    auto user = tx.get<model::User>(id);
    if (!user) {
      return std::unexpected(user.error());
    }
    auto secrets = tx.get_user_secrets(id);
    if (!secrets) {
      return std::unexpected(secrets.error());
    }
    it = out.accounts.emplace(id, Reconciler::Account{std::move(*user), secrets->nt_hash}).first;
  }
  return &it->second;
}

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
  out.server = std::move(*server);
  out.filesystems = std::move(*filesystems);
  for (auto& space : *spaces) {
    const bool here = std::ranges::any_of(
        out.filesystems, [&](const model::FileSystem& fs) { return fs.id == space.filesystem_id; });
    if (!here) {
      continue;
    }
    auto owner = account_of(tx, out, space.owner_id);
    if (!owner) {
      return std::unexpected(owner.error());
    }
    const std::string owner_name = (*owner)->user.username;
    auto shares = tx.list<model::Share>(store::ListQuery{space.id, 0});
    if (!shares) {
      return std::unexpected(shares.error());
    }
    for (auto& share : *shares) {
      host::ShareView view{std::move(share), space, owner_name, "", {}};
      auto access = tx.share_access(view.share.id);
      if (!access) {
        return std::unexpected(access.error());
      }
      for (const auto& row : *access) {
        if (row.state != model::AclState::active) {
          continue;
        }
        auto grantee = account_of(tx, out, row.user_id);
        if (!grantee) {
          if (grantee.error().code == ErrorCode::not_found) {
            continue; // deleted meanwhile
          }
          return std::unexpected(grantee.error());
        }
        if ((*grantee)->user.is_active) { // a disabled user keeps the row, not the access
          view.grants.push_back({(*grantee)->user.username, row.level});
        }
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

Status Reconciler::provision(host::SambaAccounts& accounts, const Account& account,
                             const std::string& state) {
  const std::string& name = account.user.username;
  auto ours = accounts.is_ours(name);
  if (!ours) {
    return std::unexpected(ours.error());
  }
  if (!*ours && ::getpwnam(name.c_str()) != nullptr) {
    return fail(ErrorCode::conflict, std::string(k_foreign)); // an admin's account: never touched
  }
  if (state == k_disabled) {
    if (!*ours) {
      return {}; // never provisioned: nothing to disable
    }
    if (auto disabled = accounts.disable(name); !disabled) {
      return disabled;
    }
    return accounts.end_sessions(name);
  }
  if (!account.nt_hash) {
    // No SMB password yet (set at register, passwd or the first login): the Unix account only.
    return accounts.ensure_unix_account(name);
  }
  return accounts.provision_nt_hash(name, *account.nt_hash);
}

void Reconciler::sync_accounts(const std::map<model::Id, Account>& wanted) {
  if (m_config.samba.accounts != config::SambaAccounts::local) {
    return;
  }
  host::SambaAccounts accounts(m_runner, m_config.samba.config);
  std::set<std::string> names;
  for (const auto& [id, account] : wanted) {
    const std::string& name = account.user.username;
    names.insert(name);
    // What should be in place; the hash itself is kept only as its digest.
    const std::string state = !account.user.is_active ? std::string(k_disabled)
                              : account.nt_hash       ? "nt:" + sha256_hex(*account.nt_hash)
                                                      : std::string("unix");
    const auto it = m_accounts.find(name);
    if (it != m_accounts.end() && (it->second == state || it->second == k_foreign)) {
      continue;
    }
    auto done = provision(accounts, account, state);
    if (done) {
      m_accounts[name] = state;
      say("info", fmt::format("RECONCILE-I004 SMB account {} {}", name,
                              state == k_disabled ? "disabled" : "provisioned"));
    } else if (done.error().message == k_foreign) {
      m_accounts[name] = std::string(k_foreign);
      say("info", fmt::format("RECONCILE-I005 {} is not a sharectl account; left alone", name));
    } else {
      say("warn", fmt::format("RECONCILE-W007 SMB account {}: {}", name, done.error().message));
    }
  }
  // Accounts no longer needed here (user deleted, last grant revoked, last space gone): the
  // ones this agent provisioned, and after a start the passdb entries that are ours.
  std::set<std::string> unwanted;
  for (const auto& [name, state] : m_accounts) {
    if (!names.contains(name) && state != k_foreign) {
      unwanted.insert(name);
    }
  }
  if (!m_passdb_scanned) {
    if (auto listed = accounts.passdb_users(); listed) {
      m_passdb_scanned = true;
      for (const auto& name : *listed) {
        auto ours = accounts.is_ours(name);
        if (!names.contains(name) && ours && *ours) {
          unwanted.insert(name);
        }
      }
    }
  }
  for (const auto& name : unwanted) {
    (void)accounts.end_sessions(name);
    if (auto removed = accounts.remove(name); removed) {
      m_accounts.erase(name);
      say("info", fmt::format("RECONCILE-I006 SMB account {} removed", name));
    } else {
      say("warn", fmt::format("RECONCILE-W008 SMB account {}: {}", name, removed.error().message));
    }
  }
}

Status Reconciler::run_once() {
  // The snapshot below sees at least this revision: once the pass has applied it, this host has
  // applied every change up to it (what `--wait` of a share delete follows).
  auto before = m_store.current_revision();
  if (!before) {
    return std::unexpected(before.error());
  }
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
  sync_accounts(snapshot->accounts);
  // With local accounts, a name that is a Unix account sharectl did not make (sync_accounts
  // found it and left it alone) is never acted as: not as an owner, not as a grantee.
  const auto foreign = [&](const std::string& name) {
    if (m_config.samba.accounts != config::SambaAccounts::local) {
      return false;
    }
    const auto it = m_accounts.find(name);
    return it != m_accounts.end() && it->second == k_foreign;
  };
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
  struct Outcome {
    const model::Space* space;
    model::ObjectStatus status;
    std::string message;
  };
  std::vector<Outcome> space_outcomes;
  std::vector<const model::Space*> deleting;
  for (const auto& space : snapshot->spaces) {
    const auto fs = std::ranges::find_if(snapshot->filesystems, [&](const model::FileSystem& f) {
      return f.id == space.filesystem_id;
    });
    auto driver = driver_for(*fs);
    if (space.status == model::ObjectStatus::deleting) {
      // Removed once the include no longer serves its shares (below), so that the row goes —
      // and `space delete` returns — only when nothing of the space is left on this host.
      deleting.push_back(&space);
      continue;
    }
    const model::User& owner = snapshot->accounts.at(space.owner_id).user;
    if (foreign(owner.username)) {
      // Never served as an account sharectl did not make (its files would belong to that uid).
      const std::string message = fmt::format(
          "the Unix account {} on this host was not made by sharectl; the space is not served "
          "here (remove or rename that account, or move the space)",
          owner.username);
      say("warn", fmt::format("RECONCILE-W009 space {}: {}", space.path, message));
      space_outcomes.push_back({&space, model::ObjectStatus::error, message});
      continue;
    }
    if (space.status == model::ObjectStatus::ready) {
      ready[space.id] = true;
      continue;
    }
    // A space already on disk (a resize, or an earlier error) is resized, so that shrinking
    // below its usage is refused; its shares stay served whatever the outcome.
    const bool exists = driver && (*driver)->usage(space.path).has_value();
    Status made = driver ? Status{} : Status(std::unexpected(driver.error()));
    if (made && exists) {
      ready[space.id] = true;
      made = (*driver)->resize(space.path, space.size_bytes);
    } else if (made) {
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
    // Written after the shares are applied: `space create` (which waits for the space) returns
    // when its share is served too.
    space_outcomes.push_back({&space,
                              made ? model::ObjectStatus::ready : model::ObjectStatus::error,
                              made ? std::string() : made.error().message});
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
    // A grantee whose name is a Unix account sharectl did not make gets nothing here: an SMB
    // login under that name is the host's own user, not the sharectl user the grant was for.
    std::erase_if(views.back().grants,
                  [&](const host::ShareGrant& grant) { return foreign(grant.username); });
  }
  Status applied = {};
  bool in_place = false; // the include file holds what was rendered (even if smbd did not reload)
  if (auto text = host::render_shares(views, host::prepare_dfree(m_config.samba.include, views));
      !text) {
    applied = std::unexpected(text.error());
  } else if (auto report = m_writer.apply(*text); !report) {
    applied = std::unexpected(report.error());
    auto now = read_file(m_config.samba.include, text->size() + 1);
    in_place = now && *now == *text;
  } else if (report->written) {
    say("info", fmt::format("RECONCILE-I003 wrote {} ({} shares)", m_config.samba.include.string(),
                            views.size()));
  }
  if (!applied) {
    say("warn", "RECONCILE-W004 smb.conf include not applied: " + applied.error().message);
  }
  for (const auto& [space, status, message] : space_outcomes) {
    if (auto st = record(model::Kind::space, space->id, *space, space->revision, status, message);
        !st) {
      return st;
    }
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
  if (applied) {
    if (auto st = record_observed(snapshot->server, *before); !st) {
      return st;
    }
  } else if (!in_place) {
    return {}; // the include may still name deleting spaces' shares: remove nothing yet
  }
  // Deleting spaces go once the include no longer names their shares (a reload that failed —
  // smbd not running — cannot keep serving a directory that is gone with more access than the
  // store gives: none).
  for (const model::Space* space : deleting) {
    const auto fs = std::ranges::find_if(snapshot->filesystems, [&](const model::FileSystem& f) {
      return f.id == space->filesystem_id;
    });
    auto driver = driver_for(*fs);
    Status removed =
        driver ? (*driver)->remove(space->path) : Status(std::unexpected(driver.error()));
    if (removed) {
      auto gone = m_store.transact([&](store::Tx& tx) -> Status {
        auto r = tx.remove<model::Space>(space->id);
        return r || r.error().code == ErrorCode::not_found ? Status{} : r;
      });
      if (!gone) {
        return gone;
      }
      say("info", fmt::format("RECONCILE-I002 removed space {}", space->path));
    } else if (auto st = record(model::Kind::space, space->id, *space, space->revision,
                                model::ObjectStatus::deleting, removed.error().message);
               !st) {
      return st;
    }
  }
  return {};
}

Status Reconciler::record_observed(const model::Server& server, model::Revision revision) {
  if (revision <= std::max(m_observed, server.observed_revision)) {
    return {};
  }
  auto done = m_store.transact(
      [&](store::Tx& tx) -> Status { return tx.touch_server_observed(server.id, revision); });
  if (done) {
    m_observed = revision;
  }
  return done;
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
