// Shared by the etcd gateway and watch integration tests: the skip policy for etcd, a URL for a
// test cluster, and small helpers that REQUIRE success.
#pragma once

#include <chrono>
#include <string>
#include <thread>

#include <doctest/doctest.h>

#include "agent/store/etcd/gateway.hpp"
#include "agent/store/etcd/url.hpp"
#include "tests/support/etcd_fixture.hpp"
#include "tests/support/require.hpp"

namespace sharectl::store::etcd::itest {

// Skips (or fails under CI) unless etcd is installed.
inline bool etcd_available() {
  return test::programs_available({"etcd"});
}

// The etcd:// URL of cluster, with "user:password@" credentials when given.
inline EtcdUrl url_of(const test::EtcdCluster& cluster, const std::string& credentials = {}) {
  auto url = parse_etcd_url("etcd://" + (credentials.empty() ? "" : credentials + "@") +
                            cluster.endpoints() + "/itest");
  REQUIRE_MESSAGE(url.has_value(), test::error_text(url));
  return *url;
}

// Puts key = value; REQUIREs success and returns the new revision.
inline std::int64_t put(EtcdGateway& gateway, const std::string& key, const std::string& value) {
  auto response = gateway.put(PutRequest::of(key, value));
  REQUIRE_MESSAGE(response.has_value(), test::error_text(response));
  return response->header.revision;
}

// The current store revision; REQUIREs success.
inline std::int64_t current_revision(EtcdGateway& gateway) {
  auto response = gateway.range(RangeRequest::of_key("/"));
  REQUIRE_MESSAGE(response.has_value(), test::error_text(response));
  return response->header.revision;
}

// Polls condition every 50 ms until it holds; REQUIREs that within 30 s (a guard against a
// hang, not a performance bound).
template <typename Condition>
void eventually(Condition condition, const char* what) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!condition()) {
    REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline, what);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

} // namespace sharectl::store::etcd::itest
