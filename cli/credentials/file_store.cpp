// The credentials file: $XDG_CONFIG_HOME/sharectl/credentials.yaml, a YAML list of
// {profile, server, user_id, app_id, token}, written atomically with mode 0600 in a 0700
// directory and refused when its mode or owner would let someone else read it.
#include <cerrno>
#include <cstring>
#include <system_error>

#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include "cli/credentials/credentials.hpp"
#include "common/util/atomic_file.hpp"

namespace sharectl::cli {

namespace {

constexpr std::size_t k_max_file_bytes = 1024 * 1024;

struct Entry {
  std::string profile;
  Credentials credentials;
};

Result<std::vector<Entry>> parse_entries(const std::string& text, const std::string& origin) {
  std::vector<Entry> entries;
  try {
    const YAML::Node root = YAML::Load(text);
    if (!root || root.IsNull()) {
      return entries;
    }
    const YAML::Node list = root["credentials"];
    if (!root.IsMap() || (list && !list.IsSequence())) {
      return fail(ErrorCode::internal,
                  fmt::format("{}: expected a map with a \"credentials\" list", origin));
    }
    if (!list) {
      return entries;
    }
    for (const auto& node : list) {
      Entry entry;
      entry.profile = node["profile"].as<std::string>("");
      entry.credentials.server = node["server"].as<std::string>("");
      entry.credentials.user_id = node["user_id"].as<std::string>("");
      entry.credentials.app_id = node["app_id"].as<std::string>("");
      entry.credentials.token = node["token"].as<std::string>("");
      entries.push_back(std::move(entry));
    }
  } catch (const YAML::Exception& e) {
    return fail(ErrorCode::internal, fmt::format("{}: invalid YAML: {}", origin, e.what()));
  }
  return entries;
}

std::string render_entries(const std::vector<Entry>& entries) {
  YAML::Emitter out;
  out << YAML::Comment("sharectl credentials: keep this file private (mode 0600)");
  out << YAML::BeginMap << YAML::Key << "credentials" << YAML::Value << YAML::BeginSeq;
  for (const auto& entry : entries) {
    out << YAML::BeginMap;
    out << YAML::Key << "profile" << YAML::Value << YAML::DoubleQuoted << entry.profile;
    out << YAML::Key << "server" << YAML::Value << YAML::DoubleQuoted << entry.credentials.server;
    out << YAML::Key << "user_id" << YAML::Value << YAML::DoubleQuoted << entry.credentials.user_id;
    out << YAML::Key << "app_id" << YAML::Value << YAML::DoubleQuoted << entry.credentials.app_id;
    out << YAML::Key << "token" << YAML::Value << YAML::DoubleQuoted << entry.credentials.token;
    out << YAML::EndMap;
  }
  out << YAML::EndSeq << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

class FileStore final : public CredentialStore {
public:
  explicit FileStore(std::filesystem::path path) : m_path(std::move(path)) {}

  Result<std::optional<Credentials>> load(const std::string& server,
                                          const std::string& profile) override {
    auto entries = read();
    if (!entries) {
      return std::unexpected(entries.error());
    }
    for (const auto& entry : *entries) {
      if (entry.profile == profile && entry.credentials.server == server) {
        return entry.credentials;
      }
    }
    return std::optional<Credentials>();
  }

  Status save(const std::string& profile, const Credentials& credentials) override {
    auto entries = read();
    if (!entries) {
      return std::unexpected(entries.error());
    }
    std::erase_if(*entries, [&](const Entry& entry) {
      return entry.profile == profile && entry.credentials.server == credentials.server;
    });
    entries->push_back(Entry{profile, credentials});
    return write(*entries);
  }

  Status remove(const std::string& server, const std::string& profile) override {
    auto entries = read();
    if (!entries) {
      return std::unexpected(entries.error());
    }
    const auto removed = std::erase_if(*entries, [&](const Entry& entry) {
      return entry.profile == profile && entry.credentials.server == server;
    });
    if (removed == 0) {
      return {};
    }
    return write(*entries);
  }

  std::string describe() const override { return m_path.string(); }

private:
  Result<std::vector<Entry>> read() {
    if (auto safe = check_credentials_file(m_path); !safe) {
      return std::unexpected(safe.error());
    }
    auto text = read_file(m_path, k_max_file_bytes);
    if (!text) {
      if (text.error().code == ErrorCode::not_found) {
        return std::vector<Entry>();
      }
      return fail(ErrorCode::internal, text.error().message);
    }
    return parse_entries(*text, m_path.string());
  }

  Status write(const std::vector<Entry>& entries) {
    const auto directory = m_path.parent_path();
    std::error_code ec;
    if (!std::filesystem::exists(directory, ec)) {
      std::filesystem::create_directories(directory, ec);
      if (ec) {
        return fail(ErrorCode::internal,
                    fmt::format("cannot create {}: {}", directory.string(), ec.message()));
      }
      if (::chmod(directory.c_str(), 0700) != 0) {
        return fail(ErrorCode::internal, fmt::format("cannot chmod 0700 {}: {}", directory.string(),
                                                     std::strerror(errno)));
      }
    }
    AtomicWriteOptions options;
    options.mode = 0600;
    auto written = write_file_atomic(m_path, render_entries(entries), options);
    if (!written) {
      return fail(ErrorCode::internal, written.error().message);
    }
    return {};
  }

  std::filesystem::path m_path;
};

} // namespace

std::unique_ptr<CredentialStore> make_file_store(std::filesystem::path path) {
  return std::make_unique<FileStore>(std::move(path));
}

Result<std::filesystem::path> default_credentials_path(std::optional<std::string> xdg_config_home,
                                                       std::optional<std::string> home) {
  if (xdg_config_home && !xdg_config_home->empty() && xdg_config_home->front() == '/') {
    return std::filesystem::path(*xdg_config_home) / "sharectl" / "credentials.yaml";
  }
  if (home && !home->empty() && home->front() == '/') {
    return std::filesystem::path(*home) / ".config" / "sharectl" / "credentials.yaml";
  }
  return fail(ErrorCode::internal,
              "cannot locate the credentials file: neither XDG_CONFIG_HOME nor HOME is set");
}

Status check_credentials_file(const std::filesystem::path& path) {
  struct stat info {};
  if (::lstat(path.c_str(), &info) != 0) {
    if (errno == ENOENT) {
      return {};
    }
    return fail(ErrorCode::internal,
                fmt::format("cannot read {}: {}", path.string(), std::strerror(errno)));
  }
  if (!S_ISREG(info.st_mode)) {
    return fail(ErrorCode::internal,
                fmt::format("refusing to read credentials from {}: not a regular file; remove it "
                            "and log in again",
                            path.string()));
  }
  if (info.st_uid != ::geteuid()) {
    return fail(ErrorCode::internal,
                fmt::format("refusing to read credentials from {}: it belongs to uid {}, not to "
                            "you (uid {}); remove it (rm {}) and log in again",
                            path.string(), info.st_uid, ::geteuid(), path.string()));
  }
  if ((info.st_mode & 0077) != 0) {
    return fail(ErrorCode::internal,
                fmt::format("refusing to read credentials from {}: it is accessible by group or "
                            "others (mode {:04o}); fix it with: chmod 600 {}",
                            path.string(), info.st_mode & 07777, path.string()));
  }
  return {};
}

} // namespace sharectl::cli
