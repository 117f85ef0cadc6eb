// Samba's `dfree command` in the rendered include (agent/host/samba/render.hpp) and the files
// behind it (usage_files.hpp): the two allow-listed parameters appear only with an enabled
// setup and a path fit for smb.conf; the figures files and links are written, kept, re-pointed
// and removed as the heartbeat and the reconciler need.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include <doctest/doctest.h>
#include <sys/stat.h>

#include "agent/host/samba/render.hpp"
#include "agent/host/samba/usage_files.hpp"
#include "tests/support/require.hpp"
#include "tests/support/temp_dir.hpp"

using namespace sharectl;
using namespace sharectl::agent::host;
namespace fs = std::filesystem;

namespace {

constexpr const char* k_id = "0b5e8a52-6c1f-4d3e-9a7b-2f4c6d8e0a1b";
constexpr const char* k_other = "7d1c2b3a-4e5f-4a6b-8c9d-0e1f2a3b4c5d";

ShareView make_view() {
  ShareView view;
  view.share.name = "projects";
  view.space.id = k_id;
  view.space.path = "/srv/sharectl/alice/projects";
  view.space.size_bytes = 20u << 20;
  view.owner = "alice";
  return view;
}

std::string slurp(const fs::path& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

} // namespace

TEST_SUITE("host") {

  TEST_CASE("render: dfree command and cache time only with an enabled, safe setup") {
    const DfreeSetup setup{"/usr/bin/sharectl-dfree", "/etc/samba/sharectl-usage"};
    auto text = render_shares({make_view()}, setup);
    SHARECTL_REQUIRE_OK(text);
    CHECK(text->ends_with("\tdirectory mask = 0750\n"
                          "\tdfree command = /etc/samba/sharectl-usage/" +
                          std::string(k_id) +
                          ".dfree\n"
                          "\tdfree cache time = 10\n"));
    auto plain = render_shares({make_view()});
    SHARECTL_REQUIRE_OK(plain);
    CHECK(plain->find("dfree") == std::string::npos);
    auto disabled = render_shares({make_view()}, DfreeSetup{"", "/etc/samba/sharectl-usage"});
    CHECK(disabled->find("dfree") == std::string::npos);
  }

  TEST_CASE("render: an unsafe dfree path or space id leaves the parameters out") {
    for (const char* dir : {"/etc/samba/share ctl", "/etc/samba/a;b", "/etc/samba/%u",
                            "etc/samba/usage", "/etc/samba/../x", "/etc//samba", "/etc/sa\nmba",
                            "/etc/samba/x#y", "/etc/samba/x\\y", "/etc/samba/ü"}) {
      CAPTURE(std::string(dir));
      auto text = render_shares({make_view()}, DfreeSetup{"/usr/bin/sharectl-dfree", dir});
      SHARECTL_REQUIRE_OK(text); // the share itself is still served
      CHECK(text->find("dfree") == std::string::npos);
    }
    ShareView bad_id = make_view();
    bad_id.space.id = "../../bin/sh";
    auto text = render_shares({bad_id}, DfreeSetup{"/usr/bin/sharectl-dfree", "/etc/samba/usage"});
    SHARECTL_REQUIRE_OK(text);
    CHECK(text->find("dfree") == std::string::npos);
  }

  TEST_CASE("dfree paths: the character set, components and length") {
    SHARECTL_CHECK_OK(check_dfree_path("/etc/samba/sharectl-usage/x_y+z.dfree"));
    CHECK_FALSE(check_dfree_path(""));
    CHECK_FALSE(check_dfree_path("/"));
    CHECK_FALSE(check_dfree_path("/a/"));
    CHECK_FALSE(check_dfree_path("/a/./b"));
    CHECK_FALSE(check_dfree_path("/a b"));
    CHECK_FALSE(check_dfree_path("/" + std::string(1100, 'a')));
    SHARECTL_CHECK_OK(check_space_id(k_id));
    CHECK_FALSE(check_space_id("0B5E8A52-6C1F-4D3E-9A7B-2F4C6D8E0A1B"));
    CHECK_FALSE(check_space_id("0b5e8a52x6c1f-4d3e-9a7b-2f4c6d8e0a1b"));
    CHECK_FALSE(check_space_id("0b5e8a52"));
    CHECK(usage_dir_for("/etc/samba/sharectl.conf") == "/etc/samba/sharectl-usage");
    CHECK(figures_text(20971520, 42) == "20971520 42\n");
  }

  TEST_CASE("dfree files: written 0644 in a 0755 directory, with a link to the program") {
    test::TempDir dir;
    const DfreeSetup setup{"/usr/bin/sharectl-dfree", dir.path() / "sharectl-usage"};
    SHARECTL_REQUIRE_OK(ensure_usage_dir(setup.usage_dir));
    struct stat st {};
    REQUIRE(::stat(setup.usage_dir.c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0755);
    SHARECTL_REQUIRE_OK(write_space_figures(setup, k_id, 20u << 20, 8u << 20));
    const auto file = setup.usage_dir / k_id;
    CHECK(slurp(file) == "20971520 8388608\n");
    REQUIRE(::stat(file.c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0644);
    const auto link = setup.usage_dir / (std::string(k_id) + ".dfree");
    CHECK(fs::is_symlink(link));
    CHECK(fs::read_symlink(link) == setup.program);

    // keep_used: a resize changes the size only; a new file takes the given figure.
    SHARECTL_REQUIRE_OK(write_space_figures(setup, k_id, 40u << 20, 0, FiguresWrite::keep_used));
    CHECK(slurp(file) == "41943040 8388608\n");
    SHARECTL_REQUIRE_OK(write_space_figures(setup, k_other, 10u << 20, 5, FiguresWrite::keep_used));
    CHECK(slurp(setup.usage_dir / k_other) == "10485760 5\n");

    // A moved program: the link follows.
    const DfreeSetup moved{"/opt/sharectl/bin/sharectl-dfree", setup.usage_dir};
    SHARECTL_REQUIRE_OK(write_space_figures(moved, k_id, 40u << 20, 9));
    CHECK(fs::read_symlink(link) == moved.program);

    // Refusals: a bad id, a disabled setup, a non-link where the link goes, a symlinked dir.
    CHECK(write_space_figures(setup, "nope", 1, 0).error().code == ErrorCode::bad_request);
    CHECK(write_space_figures(DfreeSetup{}, k_id, 1, 0).error().code == ErrorCode::bad_request);
    fs::remove(link);
    { std::ofstream(link) << "x"; }
    CHECK(write_space_figures(setup, k_id, 1, 0).error().code == ErrorCode::conflict);
    fs::create_directory_symlink(setup.usage_dir, dir.path() / "sneaky");
    CHECK(ensure_usage_dir(dir.path() / "sneaky").error().code == ErrorCode::conflict);
  }

  TEST_CASE("dfree files: those of gone spaces are removed, fresh ones and others stay") {
    test::TempDir dir;
    const DfreeSetup setup{"/usr/bin/sharectl-dfree", dir.path() / "usage"};
    SHARECTL_REQUIRE_OK(ensure_usage_dir(setup.usage_dir));
    SHARECTL_REQUIRE_OK(write_space_figures(setup, k_id, 1024, 0));
    SHARECTL_REQUIRE_OK(write_space_figures(setup, k_other, 1024, 0));
    { std::ofstream(setup.usage_dir / "README") << "not ours"; }
    // Written after the snapshot: kept even though the snapshot did not know the space.
    const auto before = std::chrono::system_clock::now() - std::chrono::hours(1);
    auto none = remove_stale_figures(setup.usage_dir, {k_id}, before);
    SHARECTL_REQUIRE_OK(none);
    CHECK(*none == 0);
    const auto after = std::chrono::system_clock::now() + std::chrono::seconds(5);
    auto removed = remove_stale_figures(setup.usage_dir, {k_id}, after);
    SHARECTL_REQUIRE_OK(removed);
    CHECK(*removed == 2); // k_other's file and link
    CHECK(fs::exists(setup.usage_dir / k_id));
    CHECK(fs::is_symlink(setup.usage_dir / (std::string(k_id) + ".dfree")));
    CHECK_FALSE(fs::exists(setup.usage_dir / k_other));
    CHECK_FALSE(fs::is_symlink(setup.usage_dir / (std::string(k_other) + ".dfree")));
    CHECK(fs::exists(setup.usage_dir / "README"));
    auto missing = remove_stale_figures(dir.path() / "absent", {}, after);
    SHARECTL_REQUIRE_OK(missing);
    CHECK(*missing == 0);
  }

  TEST_CASE("prepare_dfree: disabled without the program beside the executable") {
    // The unit test binary has no sharectl-dfree beside it: nothing is made.
    test::TempDir dir;
    const auto setup = prepare_dfree(dir.path() / "sharectl.conf", {make_view()});
    if (setup.enabled()) {
      CHECK(fs::exists(setup.usage_dir / k_id));
    } else {
      CHECK_FALSE(fs::exists(dir.path() / "sharectl-usage"));
    }
  }
}
