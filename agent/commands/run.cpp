// sharectl-agent run: the daemon in the foreground — store, HTTP server, spdlog (journald under
// systemd), sd_notify READY=1 once listening, a periodic sweep of expired apps and flush of
// last-used times, this host's heartbeat, and a graceful stop on SIGTERM or SIGINT.
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <memory>

#include <fmt/core.h>
#include <pthread.h>
#include <signal.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/sinks/systemd_sink.h>
#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "agent/api/server.hpp"
#include "agent/auth/app_expiry.hpp"
#include "agent/commands/commands.hpp"
#include "agent/commands/common.hpp"
#include "agent/commands/file_modes.hpp"
#include "agent/commands/log_sink.hpp"
#include "agent/handlers/account.hpp"
#include "agent/handlers/authenticate.hpp"
#include "agent/handlers/context.hpp"
#include "agent/host/samba/identity.hpp"
#include "agent/host/samba/usage_files.hpp"
#include "agent/reconcile/heartbeat.hpp"
#include "agent/reconcile/reconciler.hpp"
#include "agent/reconcile/usage_refresh.hpp"
#include "agent/store/store.hpp"
#include "agent/store/view/view_store.hpp"

namespace sharectl::agent::commands {

namespace {

constexpr std::chrono::seconds k_flush_interval{30};
constexpr std::chrono::seconds k_sweep_interval{300};

std::shared_ptr<spdlog::logger> make_logger(config::LogLevel level) {
  std::shared_ptr<spdlog::logger> logger;
  if (std::getenv("JOURNAL_STREAM") != nullptr) {
    logger = std::make_shared<spdlog::logger>(
        "sharectl-agent", std::make_shared<spdlog::sinks::systemd_sink_mt>("sharectl-agent"));
    logger->set_pattern("%v");
  } else {
    // On a terminal every line at once; otherwise in batches (log_sink.hpp).
    auto sink = isatty(STDERR_FILENO) != 0 ? std::make_shared<spdlog::sinks::stderr_sink_mt>()
                                           : make_buffered_stderr_sink();
    logger = std::make_shared<spdlog::logger>("sharectl-agent", std::move(sink));
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %l %v");
  }
  switch (level) {
  case config::LogLevel::trace:
    logger->set_level(spdlog::level::trace);
    break;
  case config::LogLevel::debug:
    logger->set_level(spdlog::level::debug);
    break;
  case config::LogLevel::info:
    logger->set_level(spdlog::level::info);
    break;
  case config::LogLevel::warn:
    logger->set_level(spdlog::level::warn);
    break;
  case config::LogLevel::error:
    logger->set_level(spdlog::level::err);
    break;
  }
  logger->flush_on(spdlog::level::warn); // and run's loop flushes every second
  return logger;
}

// Writes the pending last_used_at times.
void flush_last_used(handlers::AgentContext& context, spdlog::logger& log) {
  auto pending = context.last_used.flush();
  if (pending.empty()) {
    return;
  }
  auto done = context.store.transact([&](store::Tx& tx) -> Status {
    for (const auto& [id, when] : pending) {
      if (auto touched = tx.touch_app(id, when);
          !touched && touched.error().code != ErrorCode::not_found) {
        return touched;
      }
    }
    return {};
  });
  if (!done) {
    log.warn("AGENT-W001 could not record app use times: {}", done.error().message);
  }
}

// Deletes the apps that have expired (idle or absolute) and audits how many.
void sweep_expired_apps(handlers::AgentContext& context, spdlog::logger& log) {
  const auto now = context.clock.now();
  std::size_t swept = 0;
  auto done = context.store.transact([&](store::Tx& tx) -> Status {
    swept = 0;
    auto apps = tx.list<model::App>();
    if (!apps) {
      return std::unexpected(apps.error());
    }
    for (const auto& app : *apps) {
      const auto used = context.last_used.effective_last_used(app.id, app.last_used_at);
      if (!auth::app_expired(app.created_at, used, now, context.lifetime)) {
        continue;
      }
      if (auto removed = tx.remove<model::App>(app.id); !removed) {
        return removed;
      }
      ++swept;
    }
    if (swept == 0) {
      return {};
    }
    model::AuditEvent event;
    event.actor_name = "sharectl-agent";
    event.action = "apps.expire";
    event.resource = "apps";
    event.detail = fmt::format("deleted {} expired apps", swept);
    auto audit = tx.create(event);
    return audit ? Status{} : std::unexpected(audit.error());
  });
  if (!done) {
    log.warn("AGENT-W002 could not sweep expired apps: {}", done.error().message);
  } else if (swept > 0) {
    log.info("AGENT-I003 deleted {} expired apps", swept);
  }
}

} // namespace

int run(const RunOptions& options) {
  auto loaded = load_config(options.config_path);
  if (!loaded) {
    return report(std::cerr, loaded.error(), k_exit_usage);
  }
  config::AgentConfig cfg = *loaded;
  if (options.listen) {
    auto listen = config::parse_listen_address(*options.listen);
    if (!listen) {
      return report(std::cerr, Error{ErrorCode::bad_request, "--listen: " + listen.error().message},
                    k_exit_usage);
    }
    cfg.listen = *listen;
    if (auto checked = config::check_agent_config(cfg); !checked) {
      return report(std::cerr, checked.error(), k_exit_usage);
    }
  }
  auto log = make_logger(cfg.log.level);
  if (const auto loose = check_private_files(cfg); !loose.empty()) { // file_modes.hpp
    for (const auto& problem : loose) {
      log->error("AGENT-E020 refusing to start: {}", problem.message);
    }
    return k_exit_usage;
  }

  // Block the stop signals in every thread; this one waits for them with sigtimedwait.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto backend = store::open_store(cfg.store, open_options(false));
  if (!backend) {
    log->error("AGENT-E001 cannot open the store {}: {}", store::redact_store_url(cfg.store),
               backend.error().message);
    return k_exit_failure;
  }
  // Every read is answered from the read view, kept current by the store's change feed.
  store::view::ViewOptions view_options;
  view_options.warn = [log](std::string_view message) { log->warn("AGENT-W006 {}", message); };
  auto store = store::view::ViewStore::open(std::move(*backend), view_options);
  if (!store) {
    log->error("AGENT-E001 cannot load the store {}: {}", store::redact_store_url(cfg.store),
               store.error().message);
    return k_exit_failure;
  }
  {
    const auto view_stats = (*store)->stats();
    log->info("AGENT-I006 read view loaded at revision {}: {} objects, {} ACL rows in {} ms",
              view_stats.revision, view_stats.counts.documents, view_stats.counts.acl_rows,
              view_stats.load_time.count());
  }
  auth::SystemClock clock;
  handlers::AgentContext context(**store, cfg, clock);
  // Usage on request (POST …/usage): its own runner, one measure at a time.
  auto usage_runner = make_process_runner();
  // Names of new users against this host's Unix accounts (getent; safe from every API thread).
  auto names_runner = make_process_runner();
  const host::NameCheck name_rules{cfg.samba.accounts == config::SambaAccounts::external, false,
                                   host::login_uid_min()};
  context.check_unix_name = [&names_runner, name_rules](std::string_view username, bool vouched) {
    host::NameCheck rules = name_rules;
    rules.vouched = vouched;
    return host::check_new_username(*names_runner, username, rules);
  };
  reconcile::UsageRefresher usage_refresher(**store, cfg.server.name, *usage_runner,
                                            host::dfree_setup_for(cfg.samba.include));
  context.refresh_usage = [&usage_refresher](const model::Space& space) {
    return usage_refresher.refresh(space);
  };

  api::ServerConfig server_config;
  server_config.address = cfg.listen.host == "localhost" ? "127.0.0.1" : cfg.listen.host;
  server_config.port = cfg.listen.port;
  server_config.tls = cfg.tls.enabled;
  server_config.cert_file = cfg.tls.cert;
  server_config.key_file = cfg.tls.key;
  api::ServerHooks hooks;
  handlers::install_hooks(context, hooks);
  hooks.metrics_extra = [extra = hooks.metrics_extra, view = store->get()] {
    return (extra ? extra() : std::string()) + store::view::metrics_text(view->stats());
  };
  hooks.readiness = [&context]() -> Status {
    auto revision = context.store.current_revision();
    if (!revision) {
      return std::unexpected(revision.error());
    }
    return {};
  };
  hooks.access_log = [log](const api::AccessLogEntry& entry) {
    log->info("AGENT-I010 {} {} {} from {} in {} us (request {})", entry.method, entry.route,
              entry.status, entry.remote_address, entry.duration.count(), entry.request_id);
  };
  hooks.log = [log](std::string_view message) { log->warn("AGENT-W010 {}", message); };
  auto server =
      api::HttpServer::start(server_config, handlers::agent_routes(context), std::move(hooks));
  if (!server) {
    log->error("AGENT-E002 cannot start the server on {}: {}",
               config::format_listen_address(cfg.listen), server.error().message);
    return server.error().code == ErrorCode::bad_request ? k_exit_usage : k_exit_failure;
  }
  log->info("AGENT-I001 listening on {}:{} ({}), store {}", server_config.address,
            (*server)->port(), cfg.tls.enabled ? "https" : "http", (*store)->backend());
  auto runner = make_process_runner();
  reconcile::Reconciler reconciler(**store, cfg, *runner,
                                   [log](std::string_view level, std::string_view message) {
                                     if (level == "warn") {
                                       log->warn("{}", message);
                                     } else {
                                       log->info("{}", message);
                                     }
                                   });
  if (auto started = reconciler.start(); !started) {
    log->error("AGENT-E003 cannot register this host: {}", started.error().message);
  }

  using Steady = std::chrono::steady_clock;
  auto next_flush = Steady::now() + k_flush_interval;
  auto next_sweep = Steady::now() + std::chrono::seconds{5};
  const auto dfree = host::dfree_setup_for(cfg.samba.include);
  if (dfree.enabled()) {
    log->info("AGENT-I005 SMB clients see space sizes through {} (figures in {})",
              dfree.program.string(), dfree.usage_dir.string());
  } else {
    log->warn("AGENT-W004 no usable sharectl-dfree beside the agent: SMB clients see the disk's "
              "size and free space instead of their space's");
  }
  reconcile::Heartbeat heartbeat(**store, cfg, clock, *runner, dfree,
                                 [log](std::string_view level, std::string_view message) {
                                   if (level == "warn") {
                                     log->warn("{}", message);
                                   } else {
                                     log->info("{}", message);
                                   }
                                 });
  // The first beat at once (on etcd it is what makes this host alive), then every interval.
  if (auto beat = heartbeat.beat(); !beat) {
    log->warn("AGENT-W003 heartbeat not recorded: {}", beat.error().message);
  }
  sd_notifyf(0, "READY=1\nSTATUS=listening on port %u", static_cast<unsigned>((*server)->port()));
  auto next_beat = Steady::now() + cfg.reconcile.heartbeat;
  auto next_maintenance = Steady::now() + store::k_maintenance_interval;
  int signal_number = 0;
  while (signal_number <= 0) {
    timespec wait{1, 0};
    signal_number = sigtimedwait(&stop_signals, nullptr, &wait);
    log->flush(); // batched lines wait at most about a second
    const auto now = Steady::now();
    if (now >= next_flush) {
      flush_last_used(context, *log);
      next_flush = now + k_flush_interval;
    }
    if (now >= next_sweep) {
      sweep_expired_apps(context, *log);
      next_sweep = now + k_sweep_interval;
    }
    if (now >= next_beat) {
      if (auto beat = heartbeat.beat(); !beat) {
        log->warn("AGENT-W003 heartbeat not recorded: {}", beat.error().message);
      }
      next_beat = now + cfg.reconcile.heartbeat;
    }
    if (now >= next_maintenance) {
      auto warnings = (*store)->maintain();
      if (!warnings) {
        log->warn("AGENT-W005 store maintenance failed: {}", warnings.error().message);
      } else {
        for (const auto& warning : *warnings) {
          log->warn("AGENT-W005 {}", warning);
        }
      }
      next_maintenance = now + store::k_maintenance_interval;
    }
  }
  log->info("AGENT-I002 {} received; stopping", signal_number == SIGINT ? "SIGINT" : "SIGTERM");
  sd_notify(0, "STOPPING=1");
  reconciler.stop();
  (*store)->release_server_alive(); // etcd: this host shows down at once
  (*server)->stop();
  flush_last_used(context, *log);
  log->info("AGENT-I004 stopped");
  log->flush();
  return k_exit_ok;
}

} // namespace sharectl::agent::commands
