// register, login, logout, whoami, apps list, passwd: the caller's own identity and sessions.
#include <fmt/core.h>
#include <unistd.h>

#include "cli/commands/helpers.hpp"
#include "cli/credentials/credentials.hpp"
#include "cli/credentials/password.hpp"
#include "common/config/client_config.hpp"
#include "common/http/client.hpp"

namespace sharectl::cli {

namespace {

const View k_app_view{{{"CURRENT", "_current"},
                       {"APP_ID", "id"},
                       {"NAME", "name"},
                       {"CREATED", "created_at"},
                       {"LAST_USED", "last_used_at"},
                       {"EXPIRES", "expires_at"}},
                      "id"};

const View k_login_view{
    {{"SERVER", "server"}, {"USER_ID", "user_id"}, {"APP_ID", "app_id"}, {"EXPIRES", "expires_at"}},
    "app_id"};

const View k_whoami_view{{{"USERNAME", "/user/username"},
                          {"USER_ID", "/user/id"},
                          {"EMAIL", "/user/email"},
                          {"ROLES", "/roles", ColumnKind::list},
                          {"APP", "/app/name"},
                          {"APP_ID", "/app/id"}},
                         "/user/username"};

// The password for register/login: one line of stdin, or a no-echo prompt (twice when
// `confirm`).
CliResult<std::string> new_password(Invocation& invocation, std::string_view prompt, bool confirm) {
  if (invocation.has("--password-stdin")) {
    auto line = read_password_line(invocation.context().io().in);
    if (!line) {
      return usage_error(line.error().message);
    }
    return *line;
  }
  auto first = prompt_password(prompt);
  if (!first) {
    return usage_error(first.error().message);
  }
  if (confirm) {
    auto second = prompt_password("Repeat the password: ");
    if (!second) {
      return usage_error(second.error().message);
    }
    if (*second != *first) {
      return usage_error("the passwords do not match");
    }
  }
  return *first;
}

std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof(name) - 1) != 0 || name[0] == '\0') {
    return "sharectl";
  }
  return name;
}

// How to trust the agent for login: the CA file, a pinned fingerprint (from the profile, or
// accepted now on a terminal), or the system store. Fails (exit 8) for an untrusted
// certificate in a script.
CliResult<std::string> trust_fingerprint(Invocation& invocation, const std::string& server,
                                         const config::ClientProfile& profile,
                                         const std::string& profile_name,
                                         std::chrono::seconds timeout) {
  auto& context = invocation.context();
  if (profile.fingerprint && profile.server == server) {
    return *profile.fingerprint;
  }
  if (server.rfind("https://", 0) != 0 || context.options().ca_file || profile.ca_file) {
    return std::string();
  }
  http::HttpClient probe;
  auto answer =
      probe.request("GET", server + "/healthz", {}, {},
                    std::min<std::chrono::milliseconds>(timeout, std::chrono::seconds(10)));
  if (answer) {
    return std::string();
  }
  auto fingerprint = http::fetch_server_fingerprint(server);
  if (!fingerprint) {
    return std::unexpected(
        CliError{ExitCode::unavailable,
                 fmt::format("cannot reach the agent at {}: {}", server, answer.error().message)});
  }
  const std::string shown = http::display_fingerprint(*fingerprint);
  auto& err = context.io().err;
  err << fmt::format("The certificate of {} is not signed by a CA this system trusts.\n"
                     "Its SHA-256 fingerprint is:\n  {}\n"
                     "Compare it with the one `sharectl-agent init` printed on the server.\n",
                     server, shown);
  if (!context.io().in_is_tty || !have_terminal()) {
    return std::unexpected(CliError{
        ExitCode::unavailable,
        fmt::format("refusing an untrusted certificate without a terminal to ask on; pin it with "
                    "`fingerprint: {}` in profile \"{}\" of the config file, or pass --ca-file",
                    *fingerprint, profile_name)});
  }
  auto reply = prompt_line("Trust this certificate and pin it in the profile (yes/no)? ");
  if (!reply || (*reply != "yes" && *reply != "y")) {
    return std::unexpected(CliError{ExitCode::unavailable, "certificate not trusted"});
  }
  return *fingerprint;
}

// An unauthenticated client for register and login, trusting the agent as trust_fingerprint()
// decides (asking on a terminal the first time), with what the profile needs to remember.
struct Anonymous {
  std::string server;
  std::string profile_name;
  std::string pinned; // "" when trusted through a CA
  std::unique_ptr<ApiClient> api;
};

CliResult<Anonymous> anonymous_client(Invocation& invocation) {
  auto& context = invocation.context();
  auto server = context.server_url();
  if (!server) {
    return std::unexpected(server.error());
  }
  auto profile_name = context.profile_name();
  auto profile = context.profile();
  auto limit = context.timeout();
  if (!profile_name || !profile || !limit) {
    return std::unexpected(!profile_name ? profile_name.error()
                           : !profile    ? profile.error()
                                         : limit.error());
  }
  auto pinned = trust_fingerprint(invocation, *server, *profile, *profile_name, *limit);
  if (!pinned) {
    return std::unexpected(pinned.error());
  }
  ApiClientOptions options;
  options.server = *server;
  options.timeout = *limit;
  options.pinned_fingerprint = *pinned;
  if (context.options().ca_file) {
    options.ca_file = *context.options().ca_file;
  } else if (profile->ca_file) {
    options.ca_file = *profile->ca_file;
  }
  if (context.options().verbose) {
    options.verbose = &context.io().err;
  }
  return Anonymous{*server, *profile_name, *pinned, std::make_unique<ApiClient>(options)};
}

// Records the server and how to trust it (pinned fingerprint, --ca-file) in the current profile.
CliResult<void> remember_server(Invocation& invocation, const Anonymous& anonymous) {
  auto& context = invocation.context();
  auto loaded = context.config();
  if (!loaded) {
    return std::unexpected(loaded.error());
  }
  config::ClientConfig* file = *loaded;
  auto& entry = file->profiles[anonymous.profile_name];
  entry.server = anonymous.server;
  if (!anonymous.pinned.empty()) {
    entry.fingerprint = anonymous.pinned;
  }
  if (context.options().ca_file) {
    entry.ca_file = std::filesystem::absolute(*context.options().ca_file);
  }
  auto path = context.config_path();
  if (!path) {
    return std::unexpected(path.error());
  }
  if (auto saved = config::save_client_config(*path, *file); !saved) {
    return std::unexpected(CliError{ExitCode::failure, saved.error().message});
  }
  return {};
}

int login(Invocation& invocation) {
  auto& context = invocation.context();
  std::string identifier = invocation.value("USER");
  if (identifier.empty()) {
    if (invocation.has("--password-stdin") || !have_terminal()) {
      return context.fail(
          CliError{ExitCode::usage, "name the user: sharectl login USERNAME|EMAIL"});
    }
    auto typed = prompt_line("Username or email: ");
    if (!typed || typed->empty()) {
      return context.fail(CliError{ExitCode::usage, "no username given"});
    }
    identifier = *typed;
  }
  auto password = new_password(invocation, "Password: ", false);
  if (!password) {
    return context.fail(password.error());
  }
  auto anonymous = anonymous_client(invocation);
  if (!anonymous) {
    return context.fail(anonymous.error());
  }
  const std::string& server = anonymous->server;
  nlohmann::json body{{"password", *password}};
  body[identifier.find('@') == std::string::npos ? "username" : "email"] = identifier;
  if (invocation.has("--app-name")) {
    body["name"] = invocation.value("--app-name");
  } else {
    body["name"] = host_name();
  }
  auto answer = anonymous->api->call("POST", "/api/v1/apps", body.dump());
  if (!answer) {
    return context.fail(answer.error());
  }
  const auto app = nlohmann::json::parse(*answer, nullptr, false);
  if (!app.is_object() || !app.contains("token") || !app["token"].is_string() ||
      !app.contains("user_id") || !app.contains("app_id")) {
    return context.fail(CliError{ExitCode::failure, "the agent's login answer lacks the token"});
  }
  Credentials credentials{server, app.value("user_id", ""), app.value("app_id", ""),
                          app.value("token", "")};
  auto store = context.credential_store();
  if (!store) {
    return context.fail(store.error());
  }
  if (auto saved = (*store)->save(anonymous->profile_name, credentials); !saved) {
    return context.fail(saved.error());
  }
  if (auto remembered = remember_server(invocation, *anonymous); !remembered) {
    return context.fail(remembered.error());
  }
  context.note(fmt::format("Logged in to {} as {}; credentials stored in {}", server, identifier,
                           (*store)->describe()));
  nlohmann::json shown{
      {"server", server}, {"user_id", credentials.user_id}, {"app_id", credentials.app_id}};
  if (app.contains("expires_at")) {
    shown["expires_at"] = app["expires_at"];
  }
  return print_result(invocation, shown, k_login_view);
}

int register_user(Invocation& invocation) {
  auto& context = invocation.context();
  auto password = new_password(invocation, "Choose a password: ", true);
  if (!password) {
    return context.fail(password.error());
  }
  auto anonymous = anonymous_client(invocation);
  if (!anonymous) {
    return context.fail(anonymous.error());
  }
  const nlohmann::json body{{"username", invocation.value("USERNAME")},
                            {"email", invocation.value("EMAIL")},
                            {"password", *password}};
  auto answer = anonymous->api->call("POST", "/api/v1/users", body.dump());
  if (!answer) {
    return context.fail(answer.error());
  }
  // The next command (login) needs the server and the trust decision again.
  if (auto remembered = remember_server(invocation, *anonymous); !remembered) {
    return context.fail(remembered.error());
  }
  context.note(fmt::format("Registered {}; now run `sharectl login {}`",
                           invocation.value("USERNAME"), invocation.value("USERNAME")));
  const auto user = nlohmann::json::parse(*answer, nullptr, false);
  return print_result(invocation, user.is_discarded() ? nlohmann::json::object() : user,
                      user_view());
}

int forget_local(Invocation& invocation, const Credentials& credentials) {
  auto& context = invocation.context();
  auto profile_name = context.profile_name();
  auto store = context.credential_store();
  if (!profile_name || !store) {
    return context.fail(!profile_name ? profile_name.error() : store.error());
  }
  if (auto removed = (*store)->remove(credentials.server, *profile_name); !removed) {
    return context.fail(removed.error());
  }
  return 0;
}

int logout(Invocation& invocation) {
  auto& context = invocation.context();
  const bool all = invocation.has("--all");
  std::string app_id = invocation.value("APP_ID");
  if (all && !app_id.empty()) {
    return context.fail(CliError{ExitCode::usage, "give either APP_ID or --all, not both"});
  }
  auto credentials = context.credentials();
  if (!credentials) {
    return context.fail(credentials.error());
  }
  const bool this_app = all || app_id.empty() || app_id == credentials->app_id;
  if (!all && app_id.empty()) {
    if (credentials->app_id.empty()) {
      return context.fail(CliError{
          ExitCode::usage, "with SHARECTL_TOKEN the current app is unknown; name it: sharectl "
                           "logout APP_ID"});
    }
    app_id = credentials->app_id;
  }
  auto answer =
      call_json(invocation, "DELETE", all ? "/api/v1/apps" : "/api/v1/apps/" + seg(app_id));
  // An expired or already deleted token still leaves a local copy to forget.
  const bool gone = answer || answer.error().exit == ExitCode::unauthenticated;
  if (this_app && gone && !credentials->app_id.empty()) {
    if (const int rc = forget_local(invocation, *credentials); rc != 0) {
      return rc;
    }
  }
  if (!answer) {
    if (!this_app || answer.error().exit != ExitCode::unauthenticated) {
      return context.fail(answer.error());
    }
    context.note("the agent no longer knew this app; removed the local credentials");
    return 0;
  }
  context.note(all ? "Logged out of every app" : fmt::format("Logged out app {}", app_id));
  return 0;
}

int whoami(Invocation& invocation) {
  return show(invocation, "/api/v1/whoami", k_whoami_view);
}

int apps_list(Invocation& invocation) {
  auto& context = invocation.context();
  auto answer = call_json(invocation, "GET", "/api/v1/apps");
  if (!answer) {
    return context.fail(answer.error());
  }
  nlohmann::json items = list_items(*answer);
  auto format = context.output_format();
  if (format && *format == config::OutputFormat::table) {
    const auto credentials = context.credentials();
    for (auto& item : items) {
      const bool current = credentials && item.is_object() &&
                           (item.value("id", "") == credentials->app_id ||
                            item.value("app_id", "") == credentials->app_id);
      item["_current"] = current ? "*" : "";
    }
  }
  return print_result(invocation, items, k_app_view);
}

int passwd(Invocation& invocation) {
  auto& context = invocation.context();
  std::string old_password;
  std::string new_password_text;
  if (invocation.has("--password-stdin")) {
    auto first = read_password_line(context.io().in);
    auto second = first ? read_password_line(context.io().in) : first;
    if (!first || !second) {
      return context.fail(CliError{
          ExitCode::usage,
          "--password-stdin: passwd reads two lines, the current password then the new one"});
    }
    old_password = *first;
    new_password_text = *second;
  } else {
    auto first = prompt_password("Current password: ");
    if (!first) {
      return context.fail(CliError{ExitCode::usage, first.error().message});
    }
    old_password = *first;
    auto second = new_password(invocation, "New password: ", true);
    if (!second) {
      return context.fail(second.error());
    }
    new_password_text = *second;
  }
  const nlohmann::json body{{"old_password", old_password}, {"new_password", new_password_text}};
  auto answer = call_json(invocation, "PUT", "/api/v1/users/me/password", body);
  if (!answer) {
    return context.fail(answer.error());
  }
  context.note("Password changed; your other apps were logged out");
  return 0;
}

} // namespace

void add_account_commands(CommandTable& table) {
  const FlagSpec password_stdin{"--password-stdin", "",
                                "read the password as one line from standard input"};
  table.groups.push_back({{"apps"}, "Your login sessions (apps)"});
  table.commands.push_back({{"register"},
                            "USERNAME EMAIL [--password-stdin]",
                            "Create an account on the agent (when registration is open)",
                            {{"USERNAME", "the new username", CompletionSource::none},
                             {"EMAIL", "your email address", CompletionSource::none}},
                            {password_stdin},
                            register_user});
  table.commands.push_back(
      {{"login"},
       "[USERNAME|EMAIL] [--password-stdin] [--app-name NAME]",
       "Log in, store the token and record the server in the profile",
       {{"USER", "username or email (asked on a terminal when left out)", CompletionSource::none,
         false}},
       {password_stdin, {"--app-name", "NAME", "name of this login session (default: host name)"}},
       login});
  table.commands.push_back(
      {{"logout"},
       "[APP_ID | --all]",
       "End this app (or APP_ID, or --all of them) on the agent and locally",
       {{"APP_ID", "the app to end (default: this one)", CompletionSource::none, false}},
       {{"--all", "", "end every app of the user"}},
       logout});
  table.commands.push_back(
      {{"whoami"}, "", "Show the current user, roles and app", {}, {}, whoami});
  table.commands.push_back(
      {{"apps", "list"}, "", "List your apps; the current one is marked", {}, {}, apps_list});
  table.commands.push_back(
      {{"passwd"},
       "[--password-stdin]",
       "Change your password (ends your other apps)",
       {},
       {{"--password-stdin", "", "read two lines from standard input: current, then new password"}},
       passwd});
}

} // namespace sharectl::cli
