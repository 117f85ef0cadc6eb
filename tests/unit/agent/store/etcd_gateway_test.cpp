// agent/store/etcd/gateway and errors: fail-over, "outcome unknown" for writes that may have been
// applied, error mapping and token renewal, against scripted fake members (etcd_fake_server.hpp)
// and ports where nothing listens. The real cluster is in tests/integration/agent/store/.
#include <string>

#include <doctest/doctest.h>

#include "agent/store/etcd/errors.hpp"
#include "agent/store/etcd/gateway.hpp"
#include "tests/support/ports.hpp"
#include "tests/support/require.hpp"
#include "tests/unit/agent/store/etcd_fake_server.hpp"

namespace sharectl::store::etcd {

namespace {

const std::string k_ok = "{" + fake::header(5) + "}";

// A member that answers every request with 200 and an empty response at revision 5.
fake::Server healthy_member() {
  return fake::Server([](const fake::Request&, fake::Connection& c) { c.reply(200, k_ok); });
}

// A gateway over these endpoints with short timeouts.
EtcdGateway gateway_for(const std::vector<std::string>& endpoints, std::string user = {},
                        std::string password = {}) {
  EtcdUrl url;
  url.endpoints = endpoints;
  url.user = std::move(user);
  url.password = std::move(password);
  GatewayOptions options;
  options.request_timeout = std::chrono::milliseconds(400);
  options.connect_timeout = std::chrono::milliseconds(400);
  return EtcdGateway(std::move(url), options);
}

// "127.0.0.1:P" where nothing listens (connections are refused).
std::string closed_endpoint() {
  return "127.0.0.1:" + std::to_string(test::free_tcp_port());
}

} // namespace

TEST_CASE("etcd errors: classification and mapping follow etcd 3.4's error strings") {
  CHECK(classify({503, 14, "etcdserver: no leader"}) == ErrorClass::retry_elsewhere);
  CHECK(classify({429, 8, "etcdserver: too many requests"}) == ErrorClass::retry_elsewhere);
  CHECK(classify({400, 3, "etcdserver: revision of auth store is old"}) ==
        ErrorClass::retry_elsewhere);
  CHECK(classify({503, 14, "etcdserver: request timed out"}) == ErrorClass::maybe_applied);
  CHECK(classify({503, 14, "etcdserver: leader changed"}) == ErrorClass::maybe_applied);
  CHECK(classify({503, 14, "HTTP 503: busy"}) == ErrorClass::maybe_applied);
  CHECK(classify({504, 4, "context deadline exceeded"}) == ErrorClass::maybe_applied);
  CHECK(classify({401, 16, "etcdserver: invalid auth token"}) == ErrorClass::invalid_token);
  CHECK(classify({0, 2, "auth: invalid auth token"}) == ErrorClass::invalid_token);
  CHECK(classify({400, 3, "etcdserver: duplicate key given in txn request"}) ==
        ErrorClass::definite);
  CHECK(classify({400, 11, "etcdserver: mvcc: required revision has been compacted"}) ==
        ErrorClass::definite);

  const auto code = [](int grpc, std::string_view message) {
    return to_error({400, grpc, std::string(message)}, "txn", "h:1").code;
  };
  CHECK(code(3, "etcdserver: duplicate key given in txn request") == ErrorCode::bad_request);
  CHECK(code(3, "etcdserver: request is too large") == ErrorCode::payload_too_large);
  CHECK(code(3, "etcdserver: too many operations in txn request") == ErrorCode::payload_too_large);
  CHECK(code(3, "etcdserver: user name is empty") == ErrorCode::unavailable);
  CHECK(code(5, "etcdserver: requested lease not found") == ErrorCode::not_found);
  CHECK(code(11, "etcdserver: mvcc: required revision is a future revision") ==
        ErrorCode::bad_request);
  CHECK(code(9, "etcdserver: authentication is not enabled") == ErrorCode::conflict);
  CHECK(code(7, "etcdserver: permission denied") == ErrorCode::unavailable);
  CHECK(code(12, "HTTP 404: 404 page not found") == ErrorCode::unavailable);
  CHECK(code(13, "internal") == ErrorCode::internal);

  const Error compacted =
      to_error({400, 11, "etcdserver: mvcc: required revision has been compacted"}, "range", "h:1");
  CHECK(compacted.message == "etcd range at h:1: etcdserver: mvcc: required revision has been "
                             "compacted");
  CHECK(is_compacted(compacted));
  CHECK_FALSE(is_outcome_unknown(compacted));
  const Error unknown = outcome_unknown("put", "h:1", "Operation timed out");
  CHECK(unknown.code == ErrorCode::unavailable);
  CHECK(unknown.message.starts_with("outcome unknown: etcd put sent to h:1"));
  CHECK(is_outcome_unknown(unknown));
  CHECK_FALSE(is_compacted(unknown));
  CHECK_FALSE(is_outcome_unknown(Error{ErrorCode::unavailable, "no etcd member answered"}));
}

TEST_CASE("etcd gateway: a refused connection moves a write on and remembers who answered") {
  fake::Server member = healthy_member();
  EtcdGateway gateway = gateway_for({closed_endpoint(), member.endpoint()});
  auto put = gateway.put(PutRequest::of("k", "v"));
  SHARECTL_REQUIRE_OK(put);
  CHECK(put->header.revision == 5);
  CHECK(gateway.stats().failovers == 1);
  CHECK(gateway.preferred_endpoint() == 1);
  SHARECTL_REQUIRE_OK(gateway.range(RangeRequest::of_key("k")));
  CHECK(gateway.stats().failovers == 1); // went straight to the member that answered
  CHECK(member.count("/v3/kv/put") == 1);
  CHECK(member.count("/v3/kv/range") == 1);
  const auto requests = member.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].header("Content-Type") == "application/json");
  CHECK(requests[0].header("Grpc-Metadata-hasleader") == "true");
  CHECK(requests[0].header("Authorization").empty());
  CHECK(requests[0].body == R"({"key":"aw==","value":"dg=="})");
}

TEST_CASE("etcd gateway: a write that timed out at a member is 'outcome unknown', not resent") {
  fake::Server hanging([](const fake::Request&, fake::Connection& c) { c.hang(); });
  fake::Server member = healthy_member();
  EtcdGateway gateway = gateway_for({hanging.endpoint(), member.endpoint()});
  auto put = gateway.put(PutRequest::of("k", "v"));
  REQUIRE_FALSE(put.has_value());
  CHECK(is_outcome_unknown(put.error()));
  CHECK(put.error().message.find(hanging.endpoint()) != std::string::npos);
  CHECK(member.requests().empty());
  TxnRequest write;
  write.success = {PutRequest::of("k", "")};
  auto txn = gateway.txn(write);
  REQUIRE_FALSE(txn.has_value());
  CHECK(is_outcome_unknown(txn.error()));
  CHECK(member.requests().empty());
  // Reads are safe to repeat: they move on.
  SHARECTL_REQUIRE_OK(gateway.range(RangeRequest::of_key("k")));
  TxnRequest read;
  read.success = {RangeRequest::of_key("k")};
  SHARECTL_REQUIRE_OK(gateway.txn(read));
  CHECK(member.count("/v3/kv/range") == 1);
  CHECK(member.count("/v3/kv/txn") == 1);
}

TEST_CASE("etcd gateway: 'no leader' moves a write on, 'request timed out' does not") {
  std::string answer = fake::error_body("etcdserver: no leader", 14);
  fake::Server refusing([&](const fake::Request&, fake::Connection& c) { c.reply(503, answer); });
  fake::Server member = healthy_member();
  EtcdGateway gateway = gateway_for({refusing.endpoint(), member.endpoint()});
  SHARECTL_REQUIRE_OK(gateway.put(PutRequest::of("a", "")));
  CHECK(member.count("/v3/kv/put") == 1);

  answer = fake::error_body("etcdserver: request timed out", 14);
  EtcdGateway again = gateway_for({refusing.endpoint(), member.endpoint()});
  auto put = again.put(PutRequest::of("b", ""));
  REQUIRE_FALSE(put.has_value());
  CHECK(is_outcome_unknown(put.error()));
  CHECK(put.error().message.find("etcdserver: request timed out") != std::string::npos);
  CHECK(member.count("/v3/kv/put") == 1);
  SHARECTL_REQUIRE_OK(again.range(RangeRequest::of_key("b")));
  CHECK(member.count("/v3/kv/range") == 1);
}

TEST_CASE("etcd gateway: etcd's definite answers are returned, not retried elsewhere") {
  fake::Server refusing([](const fake::Request&, fake::Connection& c) {
    c.reply(400, fake::error_body("etcdserver: duplicate key given in txn request", 3));
  });
  fake::Server member = healthy_member();
  EtcdGateway gateway = gateway_for({refusing.endpoint(), member.endpoint()});
  auto txn = gateway.txn({});
  REQUIRE_FALSE(txn.has_value());
  CHECK(txn.error().code == ErrorCode::bad_request);
  CHECK(txn.error().message ==
        "etcd txn at " + refusing.endpoint() + ": etcdserver: duplicate key given in txn request");
  CHECK(member.requests().empty());
}

TEST_CASE("etcd gateway: no member answering is unavailable, listing every endpoint") {
  const std::string first = closed_endpoint();
  const std::string second = closed_endpoint();
  EtcdGateway gateway = gateway_for({first, second});
  auto range = gateway.range(RangeRequest::of_key("k"));
  REQUIRE_FALSE(range.has_value());
  CHECK(range.error().code == ErrorCode::unavailable);
  CHECK(range.error().message.starts_with("no etcd member answered the range (tried " + first));
  CHECK(range.error().message.find(second) != std::string::npos);
  CHECK_FALSE(is_outcome_unknown(range.error()));
  // A refused connection means the write certainly was not applied: a plain unavailable.
  auto put = gateway.put(PutRequest::of("k", ""));
  REQUIRE_FALSE(put.has_value());
  CHECK(put.error().code == ErrorCode::unavailable);
  CHECK(put.error().message.starts_with("no etcd member answered the put"));
  CHECK_FALSE(is_outcome_unknown(put.error()));
}

TEST_CASE("etcd gateway: the token is renewed once after 'invalid auth token'") {
  std::atomic<int> issued{0};
  std::atomic<bool> always_refuse{false};
  fake::Server member([&](const fake::Request& r, fake::Connection& c) {
    if (r.path == "/v3/auth/authenticate") {
      if (r.body != R"({"name":"root","password":"pa ss\"word"})") {
        c.reply(400, fake::error_body(
                         "etcdserver: authentication failed, invalid user ID or password", 3));
        return;
      }
      c.reply(200, "{" + fake::header(1) + R"(,"token":"tok)" + std::to_string(++issued) + R"("})");
      return;
    }
    if (always_refuse || r.header("Authorization") == "tok1") {
      c.reply(401, fake::error_body("etcdserver: invalid auth token", 16));
      return;
    }
    c.reply(200, k_ok);
  });
  EtcdGateway gateway = gateway_for({member.endpoint()}, "root", "pa ss\"word");
  SHARECTL_REQUIRE_OK(gateway.range(RangeRequest::of_key("k")));
  CHECK(gateway.stats().authentications == 2);
  CHECK(gateway.stats().token_renewals == 1);
  SHARECTL_REQUIRE_OK(gateway.range(RangeRequest::of_key("k"))); // tok2 is kept
  CHECK(gateway.stats().authentications == 2);
  for (const fake::Request& request : member.requests()) {
    CHECK(request.path.find("pa ss") == std::string::npos);
    for (const auto& [name, value] : request.headers) {
      CHECK(value.find("pa ss") == std::string::npos);
    }
  }
  const auto requests = member.requests();
  REQUIRE(requests.size() == 5);
  CHECK(requests[1].header("Authorization") == "tok1");
  CHECK(requests[3].header("Authorization") == "tok2");

  // A member that refuses every token: one renewal, then the error (no loop).
  always_refuse = true;
  auto refused = gateway.range(RangeRequest::of_key("k"));
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code == ErrorCode::unavailable);
  CHECK(refused.error().message.find("invalid auth token") != std::string::npos);
  CHECK(gateway.stats().authentications == 3);
  CHECK(gateway.stats().token_renewals == 2);

  EtcdGateway wrong = gateway_for({member.endpoint()}, "root", "Wr0ngPassw0rd");
  auto denied = wrong.range(RangeRequest::of_key("k"));
  REQUIRE_FALSE(denied.has_value());
  CHECK(denied.error().code == ErrorCode::unavailable);
  CHECK(denied.error().message.find("refused the credentials of user 'root'") != std::string::npos);
  CHECK(denied.error().message.find("Wr0ngPassw0rd") == std::string::npos);
}

TEST_CASE("etcd gateway: keepalive of an expired lease is not_found") {
  fake::Server member([](const fake::Request& r, fake::Connection& c) {
    if (r.body == R"({"ID":"7"})") {
      c.reply(200, R"({"result":{)" + fake::header(3) + R"(,"ID":"7","TTL":"4"}})");
    } else {
      c.reply(200, R"({"result":{)" + fake::header(3) + R"(,"ID":"8"}})");
    }
  });
  EtcdGateway gateway = gateway_for({member.endpoint()});
  auto alive = gateway.lease_keepalive(7);
  SHARECTL_REQUIRE_OK(alive);
  CHECK(alive->ttl == 4);
  auto expired = gateway.lease_keepalive(8);
  REQUIRE_FALSE(expired.has_value());
  CHECK(expired.error().code == ErrorCode::not_found);
  CHECK(gateway.status(5).error().code == ErrorCode::bad_request);
}

} // namespace sharectl::store::etcd
