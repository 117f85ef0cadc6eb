#include "agent/reconcile/heartbeat.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include <fmt/core.h>
#include <sys/statvfs.h>

namespace sharectl::agent::reconcile {

namespace {

// The whole of a small /proc file; nullopt when it cannot be read.
std::optional<std::string> slurp(const char* path) {
  std::ifstream in(path);
  if (!in) {
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The kB value of `key:` in meminfo text, in bytes; nullopt when missing or malformed.
std::optional<std::uint64_t> meminfo_bytes(std::string_view text, std::string_view key) {
  std::size_t at = 0;
  while (at < text.size()) {
    const auto end = std::min(text.find('\n', at), text.size());
    std::string_view line = text.substr(at, end - at);
    at = end + 1;
    if (line.size() <= key.size() || line.substr(0, key.size()) != key || line[key.size()] != ':') {
      continue;
    }
    line.remove_prefix(key.size() + 1);
    while (!line.empty() && line.front() == ' ') {
      line.remove_prefix(1);
    }
    std::uint64_t kib = 0;
    const auto [ptr, ec] = std::from_chars(line.data(), line.data() + line.size(), kib);
    const std::string_view unit(ptr, static_cast<std::size_t>(line.data() + line.size() - ptr));
    if (ec != std::errc{} || ptr == line.data() || (unit != " kB" && !unit.empty()) ||
        kib > UINT64_MAX / 1024) {
      return std::nullopt;
    }
    return kib * 1024;
  }
  return std::nullopt;
}

} // namespace

bool server_up(const model::Server& server, model::Timestamp now) {
  if (server.status != model::ServerStatus::up || !server.last_heartbeat) {
    return false;
  }
  return now - *server.last_heartbeat <= k_missed_heartbeats * k_heartbeat_interval;
}

Result<double> parse_loadavg(std::string_view text) {
  const auto end = text.find(' ');
  const std::string first(text.substr(0, end));
  double value = 0;
  const auto [ptr, ec] = std::from_chars(first.data(), first.data() + first.size(), value);
  if (first.empty() || ec != std::errc{} || ptr != first.data() + first.size() || value < 0) {
    return fail(ErrorCode::bad_request, "loadavg: no load average in '" + first + "'");
  }
  return value;
}

Result<HostFigures> parse_meminfo(std::string_view text) {
  const auto total = meminfo_bytes(text, "MemTotal");
  const auto available = meminfo_bytes(text, "MemAvailable");
  if (!total || !available) {
    return fail(ErrorCode::bad_request, "meminfo: no MemTotal or MemAvailable in kB");
  }
  HostFigures out;
  out.memory_total_bytes = *total;
  out.memory_used_bytes = *available >= *total ? 0 : *total - *available;
  return out;
}

Result<HostFigures> read_host_figures() {
  const auto loadavg = slurp("/proc/loadavg");
  const auto meminfo = slurp("/proc/meminfo");
  if (!loadavg || !meminfo) {
    return fail(ErrorCode::unavailable, "cannot read /proc/loadavg or /proc/meminfo");
  }
  auto load = parse_loadavg(*loadavg);
  auto out = parse_meminfo(*meminfo);
  if (!load || !out) {
    return std::unexpected(!load ? load.error() : out.error());
  }
  out->load_average = *load;
  return out;
}

std::optional<FsFigures> measure_filesystem(const std::filesystem::path& path) {
  struct statvfs info {};
  if (::statvfs(path.c_str(), &info) != 0) {
    return std::nullopt;
  }
  return FsFigures{static_cast<std::uint64_t>(info.f_blocks) * info.f_frsize,
                   static_cast<std::uint64_t>(info.f_bavail) * info.f_frsize};
}

Heartbeat::Heartbeat(store::Store& store, config::AgentConfig config, const auth::Clock& clock)
    : m_store(store), m_config(std::move(config)), m_clock(clock),
      m_own_runner(make_process_runner()), m_usage(*m_own_runner, {}) {}

Heartbeat::Heartbeat(store::Store& store, config::AgentConfig config, const auth::Clock& clock,
                     ProcessRunner& runner, host::DfreeSetup dfree, UsageLog log)
    : m_store(store), m_config(std::move(config)), m_clock(clock),
      m_usage(runner, std::move(dfree), std::move(log)) {}

Status Heartbeat::beat() {
  auto figures = read_host_figures();
  if (!figures) {
    return std::unexpected(figures.error());
  }
  std::vector<std::pair<std::string, FsFigures>> measured;
  for (const auto& fs : m_config.filesystems) {
    if (auto m = measure_filesystem(fs.path)) {
      measured.emplace_back(fs.path.string(), *m);
    }
  }
  // This host's spaces, read before measuring them (tools run outside any transaction).
  const auto snapshot_time = std::chrono::system_clock::now();
  std::vector<model::FileSystem> filesystems;
  std::vector<model::Space> here;
  std::set<model::Id> existing;
  model::Id server_id;
  auto read = m_store.view([&](store::Tx& tx) -> Status {
    auto server = tx.find_server(m_config.server.name);
    if (!server) {
      return std::unexpected(server.error());
    }
    server_id = server->id;
    auto listed = tx.list<model::FileSystem>(store::ListQuery{server->id, 0});
    auto all = tx.list<model::Space>();
    if (!listed || !all) {
      return std::unexpected(!listed ? listed.error() : all.error());
    }
    filesystems = std::move(*listed);
    for (auto& space : *all) {
      if (std::ranges::any_of(filesystems, [&](const model::FileSystem& fs) {
            return fs.id == space.filesystem_id;
          })) {
        existing.insert(space.id);
        here.push_back(std::move(space));
      }
    }
    return {};
  });
  if (!read && read.error().code != ErrorCode::not_found) {
    return read; // not registered: reported by the transaction below
  }
  if (!server_id.empty()) {
    // Where the store tracks liveness itself (etcd's lease), this beat renews it first.
    if (auto alive = m_store.keep_server_alive(server_id, m_config.reconcile.heartbeat); !alive) {
      return alive;
    }
  }
  const std::vector<SpaceMeasure> spaces = m_usage.measure(filesystems, here);
  const auto now = m_clock.now();
  auto recorded = m_store.transact([&](store::Tx& tx) -> Status {
    auto server = tx.find_server(m_config.server.name);
    if (!server) {
      if (server.error().code == ErrorCode::not_found) {
        return fail(ErrorCode::not_found,
                    fmt::format("server {} is not registered", m_config.server.name));
      }
      return std::unexpected(server.error());
    }
    if (server->status != model::ServerStatus::up) { // a real change: a new revision
      server->status = model::ServerStatus::up;
      auto updated = tx.update(*server);
      if (!updated) {
        return std::unexpected(updated.error());
      }
      server = std::move(updated);
    }
    server->last_heartbeat = now;
    server->load_average = figures->load_average;
    server->memory_total_bytes = figures->memory_total_bytes;
    server->memory_used_bytes = figures->memory_used_bytes;
    if (auto touched = tx.touch_server(*server); !touched) {
      return touched;
    }
    for (const auto& [path, m] : measured) {
      auto fs = tx.find_filesystem(server->id, path);
      if (!fs) {
        if (fs.error().code == ErrorCode::not_found) {
          continue; // not registered (it could not be measured at start)
        }
        return std::unexpected(fs.error());
      }
      if (fs->capacity_bytes != m.capacity_bytes) { // grown or shrunk: placement must know
        fs->capacity_bytes = m.capacity_bytes;
        auto updated = tx.update(*fs);
        if (!updated) {
          return std::unexpected(updated.error());
        }
        fs = std::move(updated);
      }
      fs->free_bytes = m.free_bytes;
      if (auto touched = tx.touch_filesystem(*fs); !touched) {
        return touched;
      }
    }
    for (const SpaceMeasure& space : spaces) {
      if (!space.used_bytes) {
        continue;
      }
      auto touched = tx.touch_space_usage(space.id, *space.used_bytes, now);
      if (!touched &&
          touched.error().code != ErrorCode::not_found) { // not_found: deleted meanwhile
        return touched;
      }
    }
    return {};
  });
  if (!recorded) {
    return recorded;
  }
  m_usage.write_files(spaces, existing, snapshot_time);
  return {};
}

} // namespace sharectl::agent::reconcile
