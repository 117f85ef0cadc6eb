// The store conformance suite on a real 3-member etcd cluster (tests/support/etcd_fixture,
// loopback, stock limits), the third run beside SQLite and PostgreSQL. Each test gets its own
// key prefix on one cluster shared by the process. Under CI a cluster that cannot start fails.
#include <atomic>
#include <memory>

#include <unistd.h>

#include "tests/integration/agent/store/conformance_access.hpp"
#include "tests/integration/agent/store/etcd_cluster_support.hpp"

namespace sharectl::store::conformance {
namespace {

// The cluster of this test process, started on first use; nullptr (already reported as skipped,
// or failed under CI) when etcd cannot run here.
test::EtcdCluster* shared_cluster() {
  static std::unique_ptr<test::EtcdCluster> cluster;
  static bool tried = false;
  if (!tried) {
    tried = true;
    if (!etcd::itest::etcd_available()) {
      return nullptr;
    }
    cluster = std::make_unique<test::EtcdCluster>();
    auto st = cluster->start();
    if (!test::prerequisite(st.has_value(), "a running etcd cluster: " + test::error_text(st))) {
      cluster.reset();
    }
  }
  return cluster.get();
}

} // namespace

// A fresh key prefix on the shared cluster.
struct EtcdBackend {
  test::EtcdCluster* cluster = shared_cluster();
  std::string prefix;

  EtcdBackend() {
    static std::atomic<int> counter{0};
    prefix = "/conformance-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
  }
  bool ready() const { return cluster != nullptr; }
  std::string url() const { return "etcd://" + cluster->endpoints() + prefix; }
  Result<std::unique_ptr<Store>> open(const OpenOptions& options = {}) {
    return open_store(url(), options);
  }
  Status record_schema_version(int version) {
    auto parsed = etcd::parse_etcd_url(url());
    if (!parsed) {
      return std::unexpected(parsed.error());
    }
    etcd::EtcdGateway gateway(*parsed);
    auto put = gateway.put(etcd::PutRequest::of(prefix + "/meta/schema",
                                                "{\"version\":" + std::to_string(version) + "}"));
    return put ? Status{} : std::unexpected(put.error());
  }
};

} // namespace sharectl::store::conformance

TYPE_TO_STRING(sharectl::store::conformance::EtcdBackend);

TEST_SUITE_BEGIN("store");

namespace sharectl::store::conformance {

SHARECTL_STORE_CONFORMANCE(EtcdBackend);

} // namespace sharectl::store::conformance

TEST_SUITE_END();
