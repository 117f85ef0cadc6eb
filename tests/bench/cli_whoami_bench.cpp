// Benchmark of the client's cost over the bare request: `sharectl whoami` (file credentials)
// against `curl` sending the same GET /api/v1/whoami with the same headers (Accept, X-User-ID,
// Authorization: Bearer; read from a 0600 header file, not argv) to the same real agent on
// loopback. Paired runs in alternating order, so that drift of a loaded machine hits both alike;
// prints the medians, p90s and the ratio of medians (goal ≤ 1.2). Then the start-up time of
// `sharectl --version` beside `curl --version` and /bin/true (the cost of spawning a process).
// Every run is a fresh process started the same way (argv, no shell). Usage:
// cli_whoami_bench [PAIRS] (default 30).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <sys/stat.h>

#include "cli/credentials/credentials.hpp"
#include "tests/support/agent_process.hpp"
#include "tests/support/temp_dir.hpp"

using namespace sharectl;
using SteadyClock = std::chrono::steady_clock;

namespace {

struct Figures {
  double median_ms = 0;
  double p90_ms = 0;
};

Figures figures(std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  return {ms[ms.size() / 2], ms[std::min(ms.size() - 1, ms.size() * 9 / 10)]};
}

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "cli_whoami_bench: %s\n", what.c_str());
  std::exit(1);
}

// Runs the command once and returns its wall time in ms; dies when it fails.
double timed(ProcessRunner& runner, const Command& command) {
  const auto start = SteadyClock::now();
  auto ran = runner.run(command);
  const double ms = std::chrono::duration<double, std::milli>(SteadyClock::now() - start).count();
  if (!ran || !ran->ok()) {
    die(command.program + " failed: " + (ran ? ran->err : ran.error().message));
  }
  return ms;
}

void print_row(const char* name, const Figures& f) {
  std::printf("%-34s median %7.2f ms   p90 %7.2f ms\n", name, f.median_ms, f.p90_ms);
}

} // namespace

int main(int argc, char** argv) {
  const int pairs = argc > 1 ? std::max(5, std::atoi(argv[1])) : 30;
  auto agent = test::AgentProcess::start();
  if (!agent) {
    die("the agent did not start: " + agent.error().message);
  }
  test::CliUser shell;
  if (auto done = shell.register_and_login((*agent)->url(), "bench", "bench password 1"); !done) {
    die(done.error().message);
  }
  auto file = cli::default_credentials_path(std::nullopt, shell.home().string());
  auto stored = file ? cli::make_file_store(*file)->load((*agent)->url(), "default")
                     : Result<std::optional<cli::Credentials>>(std::unexpected(file.error()));
  if (!stored || !stored->has_value()) {
    die("no stored credentials after login");
  }

  test::TempDir dir;
  const auto headers = dir.path() / "headers";
  {
    std::ofstream out(headers);
    out << "Accept: application/json\nX-User-ID: " << (*stored)->user_id
        << "\nAuthorization: Bearer " << (*stored)->token << "\n";
  }
  ::chmod(headers.c_str(), 0600);

  const std::map<std::string, std::string> env{
      {"PATH", "/usr/local/bin:/usr/bin:/bin"},
      {"HOME", shell.home().string()},
      {"XDG_CONFIG_HOME", (shell.home() / ".config").string()},
      {"LANG", "C.UTF-8"}};
  auto command = [&](std::string program, std::vector<std::string> args) {
    Command c;
    c.program = std::move(program);
    c.args = std::move(args);
    c.env = env;
    c.timeout = std::chrono::seconds(30);
    return c;
  };
  const Command sharectl = command(test::sharectl_binary(), {"whoami", "-o", "json"});
  const Command curl = command("/usr/bin/curl", {"-sS", "--fail", "-H", "@" + headers.string(),
                                                 (*agent)->url() + "/api/v1/whoami"});
  auto runner = make_process_runner();
  timed(*runner, sharectl); // warm-up: page cache, agent's first request
  timed(*runner, curl);

  std::vector<double> ours, theirs;
  for (int i = 0; i < pairs; ++i) {
    if (i % 2 == 0) {
      ours.push_back(timed(*runner, sharectl));
      theirs.push_back(timed(*runner, curl));
    } else {
      theirs.push_back(timed(*runner, curl));
      ours.push_back(timed(*runner, sharectl));
    }
  }
  const auto a = figures(ours);
  const auto b = figures(theirs);
  std::printf("GET /api/v1/whoami, %d alternating pairs, fresh process each run\n", pairs);
  print_row("sharectl whoami (file credentials)", a);
  print_row("curl, same request and headers", b);
  std::printf("ratio sharectl / curl (medians): %.2f (goal <= 1.2)\n\n", a.median_ms / b.median_ms);

  const Command version = command(test::sharectl_binary(), {"--version"});
  const Command curl_version = command("/usr/bin/curl", {"--version"});
  const Command nothing = command("/bin/true", {});
  std::vector<double> v, cv, t;
  for (int i = 0; i < pairs; ++i) {
    v.push_back(timed(*runner, version));
    cv.push_back(timed(*runner, curl_version));
    t.push_back(timed(*runner, nothing));
  }
  std::printf("start-up, %d runs each\n", pairs);
  print_row("sharectl --version", figures(v));
  print_row("curl --version", figures(cv));
  print_row("/bin/true (spawning a process)", figures(t));
  return 0;
}
