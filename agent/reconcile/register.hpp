// Registering this host in the store: its Server row (from config `server:`) and one
// FileSystem row per config `filesystems:` entry, with capacity and free bytes from statvfs.
// Idempotent: existing rows are refreshed (status up, heartbeat, capacity, free bytes), none are
// duplicated. Fails with
// the store's errors; a filesystem path that cannot be measured is skipped with a warning in
// the returned list.
#pragma once

#include <string>
#include <vector>

#include "agent/store/store.hpp"
#include "common/config/agent_config.hpp"

namespace sharectl::agent::reconcile {

// The model driver of a config driver. Never fails.
model::FsDriver to_model_driver(config::FilesystemDriver driver);

// What register_host() did.
struct Registration {
  model::Server server;                       // this host's row
  std::vector<model::FileSystem> filesystems; // the rows of the configured filesystems
  std::vector<std::string> warnings;          // filesystems that could not be measured
};

// Creates or refreshes this host's Server and FileSystem rows in one transaction (dir-driver
// roots are created first when missing).
Result<Registration> register_host(store::Store& store, const config::AgentConfig& config);

} // namespace sharectl::agent::reconcile
