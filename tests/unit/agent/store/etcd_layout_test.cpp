// The etcd key layout keeps user text inside one key component: '/' and '%' are escaped, so a
// prefix range over one name never reaches another name that merely starts with it.
#include <doctest/doctest.h>

#include "agent/store/etcd/layout.hpp"

using namespace sharectl::store::etcd;

TEST_CASE("etcd layout: user text stays one key component") {
  CHECK(key_part("plain-name_1.x") == "plain-name_1.x");
  CHECK(key_part("cn=a/b,ou=x") == "cn=a%2Fb,ou=x");
  CHECK(key_part("100%") == "100%25");
  CHECK(key_part("%2F") == "%252F"); // an escape in the input is not taken for ours
  const Layout l("/sc");
  CHECK(l.index("user-name", {"a/b"}) == "/sc/i/user-name/a%2Fb");
  const auto x = l.bindings_of(sharectl::model::SubjectKind::external_group, "cn=x");
  const auto xy = l.bindings_of(sharectl::model::SubjectKind::external_group, "cn=x/y");
  CHECK(x == "/sc/x/bind/external_group/cn=x/");
  CHECK(xy.rfind(x, 0) != 0); // "cn=x/y" is not under the prefix of "cn=x"
}
