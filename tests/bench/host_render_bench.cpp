// Benchmark of the smb.conf include path for 10, 1,000 and 10,000 shares: render, a full
// apply (real `testparm -s` on the temporary file, fsync, rename; smbcontrol answered by a stub
// since no smbd runs here), and the no-op apply (same text: one read and compare). No
// thresholds: the figures are for reading.
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "agent/host/samba/config_writer.hpp"
#include "agent/host/samba/render.hpp"
#include "tests/support/temp_dir.hpp"

using namespace sharectl;
using namespace sharectl::agent::host;
using SteadyClock = std::chrono::steady_clock;

namespace {

// Runs testparm for real and pretends every smbcontrol call succeeded.
class StubSmbcontrol final : public ProcessRunner {
public:
  Result<ProcessResult> run(const Command& command) override {
    if (command.program == "smbcontrol") {
      return ProcessResult{};
    }
    return m_real->run(command);
  }

private:
  std::unique_ptr<ProcessRunner> m_real = make_process_runner();
};

double ms_since(SteadyClock::time_point start) {
  return std::chrono::duration<double, std::milli>(SteadyClock::now() - start).count();
}

std::vector<ShareView> make_views(int count) {
  std::vector<ShareView> views;
  views.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    ShareView view;
    view.share.name = "share" + std::to_string(i);
    view.share.comment = "Benchmark share " + std::to_string(i);
    view.owner = "user" + std::to_string(i % 500);
    view.space.path = "/srv/sharectl/" + view.owner + "/" + view.share.name;
    view.grants = {{"reader" + std::to_string(i % 97), model::ShareLevel::read},
                   {"writer" + std::to_string(i % 89), model::ShareLevel::write}};
    views.push_back(std::move(view));
  }
  return views;
}

} // namespace

int main() {
  std::printf("%8s %10s %10s %14s %14s %12s\n", "shares", "bytes", "render ms", "full apply ms",
              "no-op apply ms", "+1 share ms");
  for (const int count : {10, 1000, 10000}) {
    test::TempDir dir;
    StubSmbcontrol runner;
    SambaConfigWriter writer(runner, {dir.path() / "smb.conf", dir.path() / "sharectl.conf"});
    auto views = make_views(count);
    auto start = SteadyClock::now();
    auto text = render_shares(views);
    const double render_ms = ms_since(start);
    if (!text) {
      std::fprintf(stderr, "render failed: %s\n", to_string(text.error()).c_str());
      return 1;
    }
    start = SteadyClock::now();
    auto full = writer.apply(*text);
    const double full_ms = ms_since(start);
    if (!full) {
      std::fprintf(stderr, "apply failed: %s\n", to_string(full.error()).c_str());
      return 1;
    }
    start = SteadyClock::now();
    auto noop = writer.apply(*text);
    const double noop_ms = ms_since(start);
    if (!noop || noop->written) {
      std::fprintf(stderr, "no-op apply wrote\n");
      return 1;
    }
    // One more share end to end: render everything again and apply.
    views.push_back(make_views(count + 1).back());
    start = SteadyClock::now();
    auto more = render_shares(views);
    auto added = more ? writer.apply(*more) : Result<ApplyReport>(std::unexpected(more.error()));
    const double add_ms = ms_since(start);
    if (!added) {
      std::fprintf(stderr, "apply failed: %s\n", to_string(added.error()).c_str());
      return 1;
    }
    std::printf("%8d %10zu %10.2f %14.1f %14.3f %12.1f\n", count, text->size(), render_ms, full_ms,
                noop_ms, add_ms);
  }
  return 0;
}
