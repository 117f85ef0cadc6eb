// Where `login` keeps {server, user_id, app_id, token}: the Secret Service over libsecret
// (schema "org.sharectl.Credentials", attributes server + profile) when a session bus and an
// unlocked keyring exist, else $XDG_CONFIG_HOME/sharectl/credentials.yaml (0600 in a 0700
// directory, refused when looser or owned by someone else). libsecret and yaml-cpp stay in the
// .cpp files.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/util/error.hpp"

namespace sharectl::cli {

// What a successful login leaves behind.
struct Credentials {
  std::string server;
  std::string user_id;
  std::string app_id; // "" for SHARECTL_TOKEN credentials
  std::string token;

  friend bool operator==(const Credentials&, const Credentials&) = default;
};

// A place to keep credentials, keyed by server URL and profile name.
class CredentialStore {
public:
  virtual ~CredentialStore() = default;
  // The credentials for (server, profile); nullopt when none are stored. Fails (internal) when
  // the store cannot be read or is unsafe, with a message saying how to fix it.
  virtual Result<std::optional<Credentials>> load(const std::string& server,
                                                  const std::string& profile) = 0;
  // Stores (replaces) the credentials of (credentials.server, profile). Fails (internal).
  virtual Status save(const std::string& profile, const Credentials& credentials) = 0;
  // Forgets the credentials of (server, profile); absent ones are no error. Fails (internal).
  virtual Status remove(const std::string& server, const std::string& profile) = 0;
  // Where it keeps them, for "stored in …" messages ("the Secret Service (login keyring)",
  // "/home/u/.config/sharectl/credentials.yaml").
  virtual std::string describe() const = 0;
};

// The credentials file store at `path`. Never fails (errors come from its operations).
std::unique_ptr<CredentialStore> make_file_store(std::filesystem::path path);

// $XDG_CONFIG_HOME/sharectl/credentials.yaml (or ~/.config/…); internal when neither
// XDG_CONFIG_HOME nor HOME is an absolute path.
Result<std::filesystem::path> default_credentials_path(std::optional<std::string> xdg_config_home,
                                                       std::optional<std::string> home);

// Checks that an existing credentials file is ours and not readable by others: fails
// (internal) with "… is accessible by group or others (mode 0644); fix it with: chmod 600 PATH"
// or "… belongs to uid N, not to you (uid M); …". A missing file passes.
Status check_credentials_file(const std::filesystem::path& path);

// The Secret Service store when a session bus (DBUS_SESSION_BUS_ADDRESS non-empty) is given
// and the default collection exists and is unlocked; nullptr otherwise. Never fails.
std::unique_ptr<CredentialStore> make_secret_service_store(std::optional<std::string> bus_address);

} // namespace sharectl::cli
