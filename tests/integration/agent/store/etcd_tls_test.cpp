// EtcdGateway and EtcdWatch over etcds:// against a real 3-member etcd 3.4 cluster serving
// HTTPS with client-certificate authentication: the URL's ca=, cert= and key= reach both the
// gateway's HttpClients and the watch's own libcurl handle.
#include <string>

#include <doctest/doctest.h>

#include "agent/store/etcd/errors.hpp"
#include "agent/store/etcd/watch.hpp"
#include "tests/integration/agent/store/etcd_cluster_support.hpp"

namespace sharectl::store::etcd {

using namespace itest;

namespace {

// The etcds:// URL of a TLS cluster with the given query.
EtcdUrl tls_url(const test::EtcdCluster& cluster, const std::string& query) {
  auto url = parse_etcd_url("etcds://" + cluster.endpoints() + "/tls" + query);
  REQUIRE_MESSAGE(url.has_value(), test::error_text(url));
  return *url;
}

} // namespace

TEST_CASE("etcd gateway on a TLS cluster: CA and client certificate from the etcds URL") {
  if (!etcd_available()) {
    return;
  }
  test::EtcdCluster cluster({.members = 3, .auth_token_ttl_seconds = std::nullopt, .tls = true});
  SHARECTL_REQUIRE_OK(cluster.start());
  CHECK(cluster.client_url(0).starts_with("https://127.0.0.1:"));
  const std::string query = "?ca=" + cluster.ca_file().string() +
                            "&cert=" + cluster.client_cert_file().string() +
                            "&key=" + cluster.client_key_file().string();
  EtcdGateway gateway(tls_url(cluster, query));
  CHECK(gateway.url().base_url(0) == cluster.client_url(0));

  const std::int64_t start = current_revision(gateway) + 1;
  std::mutex mutex;
  std::vector<Event> events;
  EtcdWatch watch(gateway, WatchCreate::of_prefix("/tls/", start), [&](const WatchNotice& n) {
    std::lock_guard lock(mutex);
    events.insert(events.end(), n.events.begin(), n.events.end());
  });
  put(gateway, "/tls/k", "over https");
  auto read = gateway.range(RangeRequest::of_key("/tls/k"));
  SHARECTL_REQUIRE_OK(read);
  CHECK(read->kvs.at(0).value == "over https");
  eventually(
      [&] {
        std::lock_guard lock(mutex);
        return !events.empty();
      },
      "the TLS watch saw nothing");
  {
    std::lock_guard lock(mutex);
    CHECK(events.at(0).kv.value == "over https");
  }
  watch.stop();

  // Without the client certificate etcd refuses the connection.
  EtcdGateway no_cert(tls_url(cluster, "?ca=" + cluster.ca_file().string()));
  auto refused = no_cert.range(RangeRequest::of_key("/tls/k"));
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code == ErrorCode::unavailable);
  CHECK(refused.error().message.starts_with("no etcd member answered the range"));
  // With TLS 1.3 the client sends its request before etcd has checked (and rejected) the client
  // certificate, so a write cannot tell this from a request lost after sending: unavailable,
  // possibly "outcome unknown".
  auto refused_write = no_cert.put(PutRequest::of("/tls/k", "x"));
  REQUIRE_FALSE(refused_write.has_value());
  CHECK(refused_write.error().code == ErrorCode::unavailable);
  auto still = gateway.range(RangeRequest::of_key("/tls/k"));
  SHARECTL_REQUIRE_OK(still);
  CHECK(still->kvs.at(0).value == "over https");

  // Without the CA the server's certificate is not trusted.
  EtcdGateway no_ca(tls_url(cluster, "?cert=" + cluster.client_cert_file().string() +
                                         "&key=" + cluster.client_key_file().string()));
  auto untrusted = no_ca.put(PutRequest::of("/tls/k", "x"));
  REQUIRE_FALSE(untrusted.has_value());
  CHECK(untrusted.error().code == ErrorCode::unavailable);
  CHECK_FALSE(is_outcome_unknown(untrusted.error()));
  CHECK(untrusted.error().message.find("certificate not trusted") != std::string::npos);
}

} // namespace sharectl::store::etcd
