#include "cli/commands/helpers.hpp"

#include <chrono>
#include <ostream>
#include <thread>

#include <fmt/core.h>

#include "cli/credentials/password.hpp"
#include "common/validate/size.hpp"

namespace sharectl::cli {

namespace {

// --wait polls the object every 25 ms during the first second (a host usually applies a change
// within a few hundred milliseconds, and a GET costs the agent little), then twice as long each
// time up to once a second.
constexpr std::chrono::milliseconds k_first_poll{25};
constexpr std::chrono::milliseconds k_max_poll{1000};
constexpr std::chrono::milliseconds k_fast_polling{1000};

// The pause after `pause` once `waited` has passed.
std::chrono::milliseconds next_poll(std::chrono::milliseconds pause,
                                    std::chrono::steady_clock::duration waited) {
  return waited < k_fast_polling ? pause : std::min(pause * 2, k_max_poll);
}

// A one-line progress indicator on stderr, only when stderr is a terminal and not --quiet.
class Spinner {
public:
  Spinner(Invocation& invocation, std::string what)
      : m_io(invocation.context().io()), m_what(std::move(what)),
        m_on(m_io.err_is_tty && !invocation.context().options().quiet) {}
  ~Spinner() {
    if (m_on && m_drawn) {
      m_io.err << "\r\033[K" << std::flush;
    }
  }
  Spinner(const Spinner&) = delete;
  Spinner& operator=(const Spinner&) = delete;

  void tick(std::string_view status) {
    if (!m_on) {
      return;
    }
    static constexpr std::string_view k_frames = "|/-\\";
    m_io.err << "\r\033[K" << k_frames[m_frame++ % k_frames.size()] << " waiting for " << m_what
             << " (" << status << ")" << std::flush;
    m_drawn = true;
  }

private:
  Io& m_io;
  std::string m_what;
  bool m_on = false;
  bool m_drawn = false;
  std::size_t m_frame = 0;
};

std::string status_of(const nlohmann::json& object) {
  if (object.is_object()) {
    const auto it = object.find("status");
    if (it != object.end() && it->is_string()) {
      return it->get<std::string>();
    }
  }
  return "";
}

std::string status_message_of(const nlohmann::json& object) {
  const auto it = object.find("status_message");
  return it != object.end() && it->is_string() ? it->get<std::string>() : "no message";
}

} // namespace

std::string seg(const std::string& text) {
  return url_encode(text);
}

CliResult<nlohmann::json> call_json(Invocation& invocation, std::string_view method,
                                    const std::string& path, const nlohmann::json& body,
                                    const QueryParams& query) {
  auto api = invocation.context().api();
  if (!api) {
    return std::unexpected(api.error());
  }
  auto answer = (*api)->call(method, path, body.is_null() ? std::string() : body.dump(), query);
  if (!answer) {
    return std::unexpected(to_cli_error(answer.error()));
  }
  if (answer->empty()) {
    return nlohmann::json();
  }
  auto parsed = nlohmann::json::parse(*answer, nullptr, false);
  if (parsed.is_discarded()) {
    return std::unexpected(CliError{
        ExitCode::failure, fmt::format("the agent's answer to {} {} is not JSON", method, path)});
  }
  return parsed;
}

nlohmann::json list_items(const nlohmann::json& answer) {
  if (answer.is_array()) {
    return answer;
  }
  if (answer.is_object()) {
    const auto it = answer.find("items");
    if (it != answer.end() && it->is_array()) {
      return *it;
    }
  }
  return nlohmann::json::array();
}

int print_result(Invocation& invocation, const nlohmann::json& value, const View& view) {
  auto& context = invocation.context();
  auto format = context.output_format();
  if (!format) {
    return context.fail(format.error());
  }
  if (!context.options().quiet) {
    context.io().out << render(value, *format, view);
  }
  return 0;
}

int show(Invocation& invocation, const std::string& path, const View& view) {
  auto answer = call_json(invocation, "GET", path);
  if (!answer) {
    return invocation.context().fail(answer.error());
  }
  return print_result(invocation, *answer, view);
}

int list(Invocation& invocation, const std::string& path, const View& view,
         const QueryParams& query) {
  auto answer = call_json(invocation, "GET", path, nullptr, query);
  if (!answer) {
    return invocation.context().fail(answer.error());
  }
  return print_result(invocation, list_items(*answer), view);
}

int wait_and_print(Invocation& invocation, nlohmann::json object, const std::string& path,
                   const View& view, std::string_view what) {
  auto& context = invocation.context();
  if (!context.options().wait || status_of(object).empty()) {
    return print_result(invocation, object, view);
  }
  auto limit = context.timeout();
  if (!limit) {
    return context.fail(limit.error());
  }
  const auto started = std::chrono::steady_clock::now();
  const auto deadline = started + *limit;
  auto pause = k_first_poll;
  Spinner spinner(invocation, std::string(what));
  while (true) {
    const auto status = status_of(object);
    if (status == "ready") {
      break;
    }
    if (status == "error") {
      return context.fail(
          CliError{ExitCode::apply_failed, fmt::format("the host failed to apply {}: {}", what,
                                                       status_message_of(object))});
    }
    if (std::chrono::steady_clock::now() + pause > deadline) {
      return context.fail(CliError{
          ExitCode::wait_timeout,
          fmt::format("timed out after {}s waiting for {} (status {}); the agent may still "
                      "apply it",
                      limit->count(), what, status)});
    }
    spinner.tick(status);
    std::this_thread::sleep_for(pause);
    pause = next_poll(pause, std::chrono::steady_clock::now() - started);
    auto next = call_json(invocation, "GET", path);
    if (!next) {
      return context.fail(next.error());
    }
    object = std::move(*next);
  }
  return print_result(invocation, object, view);
}

int confirm(Invocation& invocation, const std::string& question, std::string_view what) {
  auto& context = invocation.context();
  if (invocation.has("--yes")) {
    return 0;
  }
  if (!context.io().in_is_tty || !have_terminal()) {
    return context.fail(
        CliError{ExitCode::usage,
                 fmt::format("refusing to delete {} without --yes (no terminal to ask on)", what)});
  }
  auto answer = prompt_line(question);
  if (!answer || (*answer != "y" && *answer != "yes")) {
    return context.fail(CliError{ExitCode::failure, "not deleted"});
  }
  return 0;
}

int delete_and_wait(Invocation& invocation, const std::string& path, std::string_view what) {
  auto& context = invocation.context();
  if (int asked = confirm(invocation, fmt::format("Delete {}? [y/N] ", what), what); asked != 0) {
    return asked;
  }
  auto answer = call_json(invocation, "DELETE", path);
  if (!answer) {
    return context.fail(answer.error());
  }
  if (context.options().wait && !status_of(*answer).empty()) {
    auto limit = context.timeout();
    if (!limit) {
      return context.fail(limit.error());
    }
    const auto started = std::chrono::steady_clock::now();
    const auto deadline = started + *limit;
    auto pause = k_first_poll;
    Spinner spinner(invocation, std::string(what));
    nlohmann::json object = *answer;
    while (true) {
      if (status_of(object) == "error") {
        return context.fail(
            CliError{ExitCode::apply_failed, fmt::format("the host failed to delete {}: {}", what,
                                                         status_message_of(object))});
      }
      if (std::chrono::steady_clock::now() + pause > deadline) {
        return context.fail(CliError{
            ExitCode::wait_timeout,
            fmt::format("timed out after {}s waiting for {} to be deleted", limit->count(), what)});
      }
      spinner.tick(status_of(object));
      std::this_thread::sleep_for(pause);
      pause = next_poll(pause, std::chrono::steady_clock::now() - started);
      auto next = call_json(invocation, "GET", path);
      if (!next) {
        if (next.error().exit == ExitCode::not_found) {
          break;
        }
        return context.fail(next.error());
      }
      object = std::move(*next);
    }
  }
  context.note(fmt::format("deleted {}", what));
  return 0;
}

std::optional<std::int64_t> change_revision(Invocation& invocation) {
  auto api = invocation.context().api();
  return api ? (*api)->last_revision() : std::nullopt;
}

int wait_applied(Invocation& invocation, std::optional<std::int64_t> revision,
                 const std::string& path, std::string_view what, WaitFor which) {
  auto& context = invocation.context();
  if (!context.options().wait || !revision) {
    return 0;
  }
  auto limit = context.timeout();
  if (!limit) {
    return context.fail(limit.error());
  }
  const auto number = [](const nlohmann::json& object, const char* key) -> std::int64_t {
    const auto it = object.find(key);
    return it != object.end() && it->is_number_integer() ? it->get<std::int64_t>() : 0;
  };
  const auto started = std::chrono::steady_clock::now();
  const auto deadline = started + *limit;
  auto pause = k_first_poll;
  Spinner spinner(invocation, std::string(what));
  while (true) {
    auto answer = call_json(invocation, "GET", path);
    if (!answer && answer.error().exit != ExitCode::not_found) {
      return context.fail(answer.error());
    }
    const nlohmann::json objects = !answer              ? nlohmann::json::array()
                                   : answer->is_array() ? *answer
                                                        : nlohmann::json::array({*answer});
    std::string waiting_on;
    for (const auto& object : objects) {
      if (!object.is_object()) {
        continue;
      }
      const std::string status = status_of(object);
      const bool touched = which == WaitFor::all || number(object, "revision") >= *revision;
      const bool seen = number(object, "observed_revision") >= *revision;
      if (status == "error" && seen) {
        const auto name = object.value("name", object.value("share", std::string()));
        return context.fail(
            CliError{ExitCode::apply_failed, fmt::format("the host failed to apply {}{}: {}", what,
                                                         name.empty() ? "" : " (" + name + ")",
                                                         status_message_of(object))});
      }
      const bool settled = status != "pending" && status != "deleting";
      if (!settled || (touched && !seen)) {
        waiting_on = status.empty() ? "pending" : status;
        break;
      }
    }
    if (waiting_on.empty()) {
      return 0;
    }
    if (std::chrono::steady_clock::now() + pause > deadline) {
      return context.fail(CliError{
          ExitCode::wait_timeout,
          fmt::format("timed out after {}s waiting for the host to apply {}; the agent may still "
                      "apply it",
                      limit->count(), what)});
    }
    spinner.tick(waiting_on);
    std::this_thread::sleep_for(pause);
    pause = next_poll(pause, std::chrono::steady_clock::now() - started);
  }
}

int change(Invocation& invocation, std::string_view method, const std::string& path,
           const nlohmann::json& body, const View& view, std::string_view done_note) {
  auto answer = call_json(invocation, method, path, body);
  if (!answer) {
    return invocation.context().fail(answer.error());
  }
  if (!done_note.empty()) {
    invocation.context().note(done_note);
  }
  if (answer->is_null()) {
    return 0;
  }
  return print_result(invocation, *answer, view);
}

CliResult<std::uint64_t> size_argument(std::string_view flag, const std::string& text) {
  auto size = validate::parse_size(text);
  if (!size) {
    return usage_error(fmt::format("{}: {}", flag, size.error().message));
  }
  return *size;
}

const View& user_view() {
  static const View k_view{{{"USERNAME", "username"},
                            {"EMAIL", "email"},
                            {"SOURCE", "auth_source"},
                            {"ACTIVE", "is_active", ColumnKind::boolean},
                            {"ADMIN", "is_admin", ColumnKind::boolean},
                            {"ALLOWANCE", "allowance_bytes", ColumnKind::size},
                            {"ID", "id"}},
                           "username"};
  return k_view;
}

} // namespace sharectl::cli
