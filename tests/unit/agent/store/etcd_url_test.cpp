// agent/store/etcd/url: parsing etcd:// and etcds:// store URLs, their errors, and that the
// password never shows in a message or display form.
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "agent/store/etcd/url.hpp"
#include "tests/support/require.hpp"

namespace sharectl::store::etcd {

namespace {

// The bad_request message for url; FAILs the check when it parses.
std::string error_for(const std::string& url) {
  auto parsed = parse_etcd_url(url);
  CHECK_MESSAGE(!parsed.has_value(), url);
  if (parsed) {
    return {};
  }
  CHECK(parsed.error().code == ErrorCode::bad_request);
  return parsed.error().message;
}

} // namespace

TEST_CASE("etcd url: hosts, default port and default prefix") {
  auto url = parse_etcd_url("etcd://h1:2379,h2:2380,10.0.0.3");
  SHARECTL_REQUIRE_OK(url);
  CHECK(url->endpoints == std::vector<std::string>{"h1:2379", "h2:2380", "10.0.0.3:2379"});
  CHECK(url->scheme == "http");
  CHECK_FALSE(url->tls());
  CHECK(url->prefix == "/sharectl");
  CHECK(url->user.empty());
  CHECK(url->password.empty());
  CHECK(url->ca_file.empty());
  CHECK(url->base_url(1) == "http://h2:2380");
  CHECK(url->redacted() == "etcd://h1:2379,h2:2380,10.0.0.3:2379/sharectl");
}

TEST_CASE("etcd url: prefix, IPv6 and trailing slashes") {
  auto url = parse_etcd_url("etcd://[::1]:2379,[fe80::1]/team/store//");
  // "//" at the end is only trailing slashes: stripped.
  SHARECTL_REQUIRE_OK(url);
  CHECK(url->endpoints == std::vector<std::string>{"[::1]:2379", "[fe80::1]:2379"});
  CHECK(url->prefix == "/team/store");
  auto root = parse_etcd_url("etcd://h:2379/");
  SHARECTL_REQUIRE_OK(root);
  CHECK(root->prefix == "/sharectl");
  auto escaped = parse_etcd_url("etcd://h:2379/a%20b");
  SHARECTL_REQUIRE_OK(escaped);
  CHECK(escaped->prefix == "/a b");
}

TEST_CASE("etcd url: credentials are percent-decoded and the last '@' ends them") {
  auto url = parse_etcd_url("etcd://alice:p%40ss%3Aw%2Fd@h1:2379");
  SHARECTL_REQUIRE_OK(url);
  CHECK(url->user == "alice");
  CHECK(url->password == "p@ss:w/d");
  auto raw_at = parse_etcd_url("etcd://bob:se@cret@h1:2379,h2:2379/p");
  SHARECTL_REQUIRE_OK(raw_at);
  CHECK(raw_at->user == "bob");
  CHECK(raw_at->password == "se@cret");
  CHECK(raw_at->endpoints.size() == 2);
  CHECK(raw_at->prefix == "/p");
}

TEST_CASE("etcd url: etcds with ca, cert and key") {
  auto url = parse_etcd_url("etcds://root:pw@e1:2379,e2:2379/sc?ca=/etc/ssl/ca.pem&cert=/etc/sc/"
                            "c.pem&key=/etc/sc/k%2B.pem");
  SHARECTL_REQUIRE_OK(url);
  CHECK(url->tls());
  CHECK(url->scheme == "https");
  CHECK(url->base_url(0) == "https://e1:2379");
  CHECK(url->ca_file == "/etc/ssl/ca.pem");
  CHECK(url->cert_file == "/etc/sc/c.pem");
  CHECK(url->key_file == "/etc/sc/k+.pem");
  CHECK(url->prefix == "/sc");
  CHECK(url->redacted() == "etcds://root:***@e1:2379,e2:2379/sc?ca=/etc/ssl/ca.pem&cert=/etc/sc/"
                           "c.pem&key=/etc/sc/k+.pem");
  auto ca_only = parse_etcd_url("etcds://e1?ca=/ca.pem");
  SHARECTL_REQUIRE_OK(ca_only);
  CHECK(ca_only->ca_file == "/ca.pem");
  CHECK(ca_only->cert_file.empty());
  auto plain = parse_etcd_url("etcds://e1");
  SHARECTL_REQUIRE_OK(plain);
  CHECK(plain->ca_file.empty());
}

TEST_CASE("etcd url: each mistake is a bad_request naming it") {
  CHECK(error_for("http://h:2379").find("etcd:// or etcds://") != std::string::npos);
  CHECK(error_for("etcd://").find("no host") != std::string::npos);
  CHECK(error_for("etcd:///prefix").find("no host") != std::string::npos);
  CHECK(error_for("etcd://a:2379,,b:2379").find("empty host") != std::string::npos);
  CHECK(error_for("etcd://a:2379,").find("empty host") != std::string::npos);
  CHECK(error_for("etcd://h:0").find("bad port '0'") != std::string::npos);
  CHECK(error_for("etcd://h:65536").find("bad port '65536'") != std::string::npos);
  CHECK(error_for("etcd://h:http").find("bad port 'http'") != std::string::npos);
  CHECK(error_for("etcd://h:").find("bad port ''") != std::string::npos);
  CHECK(error_for("etcd://h:+1").find("bad port") != std::string::npos);
  CHECK(error_for("etcd://:2379").find("missing host name") != std::string::npos);
  CHECK(error_for("etcd://h%31:2379").find("bad host name") != std::string::npos);
  CHECK(error_for("etcd://[::1:2379").find("unclosed '['") != std::string::npos);
  CHECK(error_for("etcd://[xyz]:2379").find("bad IPv6") != std::string::npos);
  CHECK(error_for("etcd://a:2379,a:2379").find("listed twice") != std::string::npos);
  CHECK(error_for("etcd://a,a:2379").find("a:2379 is listed twice") != std::string::npos);
  CHECK(error_for("etcd://alice@h").find("needs a password") != std::string::npos);
  CHECK(error_for("etcd://:pw@h").find("empty user") != std::string::npos);
  CHECK(error_for("etcd://alice:@h").find("empty password for user 'alice'") != std::string::npos);
  CHECK(error_for("etcd://alice:p%zz@h").find("bad %-escape") != std::string::npos);
  CHECK(error_for("etcd://h/a//b").find("empty segment") != std::string::npos);
  CHECK(error_for("etcd://h/a%0Ab").find("control character") != std::string::npos);
  CHECK(error_for("etcd://h/a%zz").find("bad %-escape in the prefix") != std::string::npos);
  CHECK(error_for("etcd://h?ca=/ca.pem").find("etcds://") != std::string::npos);
  CHECK(error_for("etcds://h?cafile=/x").find("unknown parameter 'cafile'") != std::string::npos);
  CHECK(error_for("etcds://h?ca=/a&ca=/b").find("'ca' given twice") != std::string::npos);
  CHECK(error_for("etcds://h?ca=ca.pem").find("absolute file path") != std::string::npos);
  CHECK(error_for("etcds://h?ca=").find("absolute file path") != std::string::npos);
  CHECK(error_for("etcds://h?cert=/c.pem").find("both cert= and key=") != std::string::npos);
  CHECK(error_for("etcds://h?key=/k.pem").find("both cert= and key=") != std::string::npos);
  CHECK(error_for("etcd://h#frag").find("fragment") != std::string::npos);
}

TEST_CASE("etcd url: the password never appears in errors or display forms") {
  const std::string secret = "Sup3rS3cret";
  const std::vector<std::string> bad = {
      "etcd://alice:" + secret + "@",          "etcd://alice:" + secret + "@h:99999",
      "etcd://alice:" + secret + "@h,h",       "etcd://alice:" + secret + "@h/a//b",
      "etcd://alice:" + secret + "@h?ca=/x",   "etcds://alice:" + secret + "@h?ca=relative",
      "etcds://alice:" + secret + "@h?nope=1", "etcd://alice:" + secret + "%zz@h",
      "etcd://alice:" + secret + "@h#x",       "etcd://:" + secret + "@h",
      "ftp://alice:" + secret + "@h",          "etcd://alice:" + secret + "@:2379",
  };
  for (const std::string& url : bad) {
    const std::string message = error_for(url);
    CHECK_MESSAGE(message.find(secret) == std::string::npos, message);
    CHECK_MESSAGE(message.find("***") != std::string::npos, message);
  }
  auto good = parse_etcd_url("etcd://alice:" + secret + "@h1:2379,h2:2379/x");
  SHARECTL_REQUIRE_OK(good);
  CHECK(good->password == secret);
  CHECK(good->redacted() == "etcd://alice:***@h1:2379,h2:2379/x");
  CHECK(to_string(*good) == good->redacted());
  CHECK(to_string(*good).find(secret) == std::string::npos);
}

} // namespace sharectl::store::etcd
