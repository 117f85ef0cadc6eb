// The smb.conf include renderer: exact output, determinism, the permission model and refusal
// of every hostile name, comment, path and account.
#include <algorithm>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "agent/host/samba/render.hpp"
#include "tests/support/require.hpp"

using namespace sharectl;
using namespace sharectl::agent::host;

namespace {

ShareView make_view(std::string name, std::string owner = "alice") {
  ShareView view;
  view.share.name = std::move(name);
  view.space.path = "/srv/sharectl/" + owner + "/" + view.share.name;
  view.owner = std::move(owner);
  return view;
}

} // namespace

TEST_SUITE("host") {

  TEST_CASE("render: an owner-only share is rendered with the permission model") {
    ShareView view = make_view("projects");
    view.share.comment = "Team projects";
    auto text = render_shares({view});
    SHARECTL_REQUIRE_OK(text);
    CHECK(*text == "# managed by sharectl-agent; edits are overwritten\n"
                   "\n[projects]\n"
                   "\tpath = /srv/sharectl/alice/projects\n"
                   "\tcomment = Team projects\n"
                   "\tread only = no\n"
                   "\tbrowseable = yes\n"
                   "\tvalid users = alice\n"
                   "\twrite list = alice\n"
                   "\tforce user = alice\n"
                   "\tforce group = alice\n"
                   "\tcreate mask = 0640\n"
                   "\tdirectory mask = 0750\n");
  }

  TEST_CASE("render: readers, writers, duplicates and the owner") {
    ShareView view = make_view("data");
    view.grants = {{"bob", model::ShareLevel::read},
                   {"carol", model::ShareLevel::write},
                   {"bob", model::ShareLevel::write}, // group row: max wins
                   {"dave", model::ShareLevel::read},
                   {"alice", model::ShareLevel::read}}; // the owner always writes
    view.share.browseable = false;
    view.owner_group = "staff";
    auto text = render_shares({view});
    SHARECTL_REQUIRE_OK(text);
    CHECK(text->find("\tvalid users = alice, bob, carol, dave\n") != std::string::npos);
    CHECK(text->find("\tread list = dave\n") != std::string::npos);
    CHECK(text->find("\twrite list = alice, bob, carol\n") != std::string::npos);
    CHECK(text->find("\tbrowseable = no\n") != std::string::npos);
    CHECK(text->find("\tforce group = staff\n") != std::string::npos);
    CHECK(text->find("comment") == std::string::npos); // empty comment: no line
  }

  TEST_CASE("render: a read-only share has no write list (it would override read only)") {
    ShareView view = make_view("archive");
    view.share.read_only = true;
    view.grants = {{"bob", model::ShareLevel::write}};
    auto text = render_shares({view});
    SHARECTL_REQUIRE_OK(text);
    CHECK(text->find("\tread only = yes\n") != std::string::npos);
    CHECK(text->find("write list") == std::string::npos);
    CHECK(text->find("\tread list = alice, bob\n") != std::string::npos);
  }

  TEST_CASE("render: a subdirectory share serves space path/subdir") {
    ShareView view = make_view("reports");
    view.share.subdir = "2024/q1";
    auto text = render_shares({view});
    SHARECTL_REQUIRE_OK(text);
    CHECK(text->find("\tpath = /srv/sharectl/alice/reports/2024/q1\n") != std::string::npos);
  }

  TEST_CASE("render: sorted by name and byte-identical whatever the input order") {
    std::vector<ShareView> views = {make_view("zeta"), make_view("Alpha"), make_view("mid", "bob")};
    auto first = render_shares(views);
    std::ranges::reverse(views);
    auto second = render_shares(views);
    SHARECTL_REQUIRE_OK(first);
    SHARECTL_REQUIRE_OK(second);
    CHECK(*first == *second);
    CHECK(first->find("[Alpha]") < first->find("[mid]"));
    CHECK(first->find("[mid]") < first->find("[zeta]"));
    auto empty = render_shares({});
    SHARECTL_REQUIRE_OK(empty);
    CHECK(*empty == "# managed by sharectl-agent; edits are overwritten\n");
  }

  TEST_CASE("render: hostile input refuses the whole file") {
    const ShareView good = make_view("good");
    std::vector<ShareView> hostile;
    for (const std::string& name :
         std::vector<std::string>{"a]b", "x\n[global]", "global", "HOMES", "-x", "a b", "a;b", "",
                                  std::string(81, 'a'), "caf\xc3\xa9"}) {
      hostile.push_back(make_view("ok"));
      hostile.back().share.name = name;
    }
    for (const std::string comment :
         {"x\ninclude = /etc/passwd", "100%", "a\\", "; hidden", "# hidden", "tab\there", " pad"}) {
      hostile.push_back(make_view("ok"));
      hostile.back().share.comment = comment;
    }
    for (const std::string path : {"relative", "/srv/../etc", "/srv/a b", "/srv/%U", "/srv/x;y"}) {
      hostile.push_back(make_view("ok"));
      hostile.back().space.path = path;
    }
    for (const std::string subdir : {"../up", "/abs", "a/../b"}) {
      hostile.push_back(make_view("ok"));
      hostile.back().share.subdir = subdir;
    }
    for (const std::string user : {"root", "@staff", "+unix", "Bob", "a,b", "a b", "x\ny", ""}) {
      hostile.push_back(make_view("ok"));
      hostile.back().grants = {{user, model::ShareLevel::read}};
      hostile.push_back(make_view("ok"));
      hostile.back().owner = user;
    }
    hostile.push_back(make_view("ok"));
    hostile.back().owner_group = "root";
    for (const ShareView& bad : hostile) {
      CAPTURE(bad.share.name);
      CAPTURE(bad.share.comment);
      CAPTURE(bad.owner);
      auto text = render_shares({good, bad});
      REQUIRE_FALSE(text.has_value());
      CHECK(text.error().code == ErrorCode::bad_request);
      CHECK_FALSE(validate_share_view(bad).has_value());
    }
  }

  TEST_CASE("render: names differing only in case are refused") {
    auto text = render_shares({make_view("Data"), make_view("data", "bob")});
    REQUIRE_FALSE(text.has_value());
    CHECK(text.error().message.find("letter case") != std::string::npos);
  }

} // TEST_SUITE
