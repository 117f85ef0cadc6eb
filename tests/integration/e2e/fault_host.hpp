// Shared pieces of the fault tests and space benchmarks: a storage host made of the real agent
// (tests/support/agent_process.hpp) wired to a private smbd (its smb.conf includes the agent's
// include file, which lives beside it in the smbd's directory) with a `dir` filesystem under the
// smbd's 0755 data directory; a user speaking the HTTP API with a token (ApiUser); the Unix
// accounts the agent creates for space owners, deleted on teardown (HostAccounts); and readers
// for the include file (its share sections, testparm's verdict, temporary files beside it).
// Space owners are named like TestUser accounts (sctest_<label>_<pid>_<hex>) so a crashed run's
// leftovers are removed by the next one. Failures are Errors; destructors never throw.
#pragma once

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <unistd.h>

#include "common/http/client.hpp"
#include "common/util/process.hpp"
#include "tests/support/agent_process.hpp"
#include "tests/support/smbd_fixture.hpp"
#include "tests/support/test_user.hpp"

namespace sharectl::test::fault {

// A user name the agent may turn into a Unix account: sctest_<label>_<pid>_<4 hex>.
inline std::string owner_name(std::string_view label) {
  return std::string(k_test_user_prefix) + std::string(label) + "_" + std::to_string(::getpid()) +
         "_" + random_hex(4);
}

// Polls check every step until it returns true or timeout passes; returns its last answer.
template <typename F>
bool poll_until(F&& check, std::chrono::milliseconds timeout,
                std::chrono::milliseconds step = std::chrono::milliseconds(20)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (check()) {
      return true;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(step);
  }
}

// One logged-in user of the HTTP API (token headers, one keep-alive client).
class ApiUser {
public:
  // Registers username (open registration) when register_first, then logs in.
  static Result<ApiUser> login(const std::string& base_url, const std::string& username,
                               const std::string& password, bool register_first = true) {
    ApiUser user(base_url, username);
    if (register_first) {
      auto made = user.raw("POST", "/api/v1/users",
                           nlohmann::json{{"username", username},
                                          {"email", username + "@example.org"},
                                          {"password", password}}
                               .dump());
      if (!made) {
        return std::unexpected(made.error());
      }
      if (made->status != 201) {
        return fail(ErrorCode::internal, "register " + username + ": " + made->body);
      }
    }
    auto app = user.raw("POST", "/api/v1/apps",
                        nlohmann::json{{"username", username}, {"password", password}}.dump());
    if (!app) {
      return std::unexpected(app.error());
    }
    if (app->status != 201) {
      return fail(ErrorCode::internal, "login " + username + ": " + app->body);
    }
    const auto answer = nlohmann::json::parse(app->body);
    user.m_headers = {{"X-User-ID", answer.at("user_id").get<std::string>()},
                      {"Authorization", "Bearer " + answer.at("token").get<std::string>()}};
    return user;
  }

  // One request with the user's credentials; body is sent as given (JSON or hostile bytes).
  Result<http::HttpResponse> raw(std::string_view method, const std::string& path,
                                 std::string_view body = {}) {
    auto headers = m_headers;
    if (!body.empty()) {
      headers.emplace_back("Content-Type", "application/json");
    }
    return m_client->request(method, m_base + path, headers, body, std::chrono::seconds(60));
  }

  // raw() with a JSON body.
  Result<http::HttpResponse> call(std::string_view method, const std::string& path,
                                  const nlohmann::json& body = nullptr) {
    return raw(method, path, body.is_null() ? std::string() : body.dump());
  }

  // GET path as JSON; fails unless 200.
  Result<nlohmann::json> get(const std::string& path) {
    auto got = raw("GET", path);
    if (!got) {
      return std::unexpected(got.error());
    }
    if (got->status != 200) {
      return fail(ErrorCode::internal,
                  "GET " + path + ": " + std::to_string(got->status) + " " + got->body);
    }
    return nlohmann::json::parse(got->body);
  }

  const std::string& username() const { return m_username; }

private:
  ApiUser(std::string base, std::string username)
      : m_base(std::move(base)), m_username(std::move(username)),
        m_client(std::make_unique<http::HttpClient>()) {}

  std::string m_base;
  std::string m_username;
  std::unique_ptr<http::HttpClient> m_client;
  http::HttpHeaders m_headers;
};

// Unix accounts the agent made for space owners (useradd --user-group): userdel at teardown.
class HostAccounts {
public:
  HostAccounts() = default;
  HostAccounts(const HostAccounts&) = delete;
  HostAccounts& operator=(const HostAccounts&) = delete;
  ~HostAccounts() {
    auto runner = make_process_runner();
    for (const auto& name : m_names) {
      if (!unix_user_exists(name)) {
        continue;
      }
      Command command;
      command.program = "userdel";
      command.args = {name};
      command.env_overrides["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin";
      (void)runner->run(command);
    }
  }
  void add(std::string name) { m_names.push_back(std::move(name)); }

private:
  std::vector<std::string> m_names;
};

// The agent on loopback, a private smbd including the agent's file, a dir filesystem.
struct Host {
  SmbdServer smbd;
  std::filesystem::path include;
  std::filesystem::path spaces;
  std::unique_ptr<AgentProcess> agent;

  // Starts smbd (its config includes include) and the agent (reconcile.resync = resync).
  Status start(std::string resync = "2s", std::string extra_yaml = {}) {
    include = smbd.dir() / "sharectl.conf";
    if (auto added = smbd.add_include(include); !added) {
      return added;
    }
    auto made = smbd.make_directory("spaces");
    if (!made) {
      return std::unexpected(made.error());
    }
    spaces = *made;
    if (auto started = smbd.start(); !started) {
      return started;
    }
    AgentOptions options;
    options.samba_config = smbd.config_path();
    options.samba_include = include;
    options.filesystems = {{spaces, "dir"}};
    options.resync = std::move(resync);
    options.extra_yaml = std::move(extra_yaml);
    auto running = AgentProcess::start(options);
    if (!running) {
      return std::unexpected(running.error());
    }
    agent = std::move(*running);
    return {};
  }

  // The include file's text ("" when it does not exist).
  std::string include_text() const {
    std::ifstream in(include, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
  }
};

// One rendered share section of the include file.
struct Section {
  std::map<std::string, std::string> params; // name → value as written
  std::set<std::string> list(const std::string& key) const {
    std::set<std::string> names;
    const auto found = params.find(key);
    if (found == params.end()) {
      return names;
    }
    std::string word;
    for (const char c : found->second + ",") {
      if (c == ',' || c == ' ') {
        if (!word.empty()) {
          names.insert(word);
        }
        word.clear();
      } else {
        word += c;
      }
    }
    return names;
  }
};

// The share sections of an include file by name (as the agent writes them: "[name]" headers and
// "\tkey = value" lines).
inline std::map<std::string, Section> include_sections(std::string_view text) {
  std::map<std::string, Section> out;
  Section* current = nullptr;
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() > 2 && line.front() == '[' && line.back() == ']') {
      current = &out[line.substr(1, line.size() - 2)];
      continue;
    }
    const auto eq = line.find(" = ");
    if (current != nullptr && eq != std::string::npos) {
      const auto start = line.find_first_not_of(" \t");
      current->params[line.substr(start, eq - start)] = line.substr(eq + 3);
    }
  }
  return out;
}

// `testparm -s --suppress-prompt CONFIG`: exit code, stdout (the dump) and stderr.
inline Result<ProcessResult> testparm(const std::filesystem::path& config) {
  Command command;
  command.program = "testparm";
  command.args = {"-s", "--suppress-prompt", config.string()};
  command.env_overrides = {{"PATH", "/usr/sbin:/usr/bin:/sbin:/bin"}, {"LANG", "C.UTF-8"}};
  command.timeout = std::chrono::seconds(60);
  return make_process_runner()->run(command);
}

// Files beside the include file that are not it and not smbd's own (the agent's temporaries are
// ".NAME.tmp-…"; ".NAME.pending" marks a reload and close-shares still owed).
inline std::vector<std::string> temp_files_beside(const std::filesystem::path& include) {
  std::vector<std::string> found;
  const std::string prefix = "." + include.filename().string();
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(include.parent_path(), ec)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with(prefix)) {
      found.push_back(name);
    }
  }
  return found;
}

} // namespace sharectl::test::fault
