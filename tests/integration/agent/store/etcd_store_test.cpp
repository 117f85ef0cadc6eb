// The store conformance suite on a real 3-member etcd cluster (tests/support/etcd_fixture,
// loopback, stock limits), the third run beside SQLite and PostgreSQL. Each test gets its own
// key prefix on one cluster shared by the process. Under CI a cluster that cannot start fails.
#include <algorithm>
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

// Stock etcd refuses a txn of more than 128 operations; the key layout keeps each of these one
// atomic change of a handful of keys whatever the sizes (agent/store/README.md).
TEST_CASE("etcd store: big groups and many shares are each one change on a stock cluster") {
  EtcdBackend b;
  if (!b.ready()) {
    return;
  }
  auto store = open_ok(b);
  World w = make_world(*store);
  constexpr int k_shares = 1000;
  constexpr int k_members = 500;
  // 1,000 shares and 500 users, in batches the limit allows (setup, not the point).
  std::vector<Id> shares{w.share.id};
  for (int batch = 0; batch < k_shares / 20; ++batch) {
    SHARECTL_REQUIRE_OK(store->transact([&](Tx& tx) -> Status {
      for (int i = 0; i < 20 && shares.size() < k_shares; ++i) {
        Share s;
        s.name = "s" + std::to_string(batch) + "-" + std::to_string(i);
        s.space_id = w.space.id;
        auto made = tx.create(s);
        if (!made) {
          return std::unexpected(made.error());
        }
        shares.push_back(made->id);
      }
      return {};
    }));
  }
  std::vector<Id> users;
  for (int batch = 0; batch < k_members / 25; ++batch) {
    SHARECTL_REQUIRE_OK(store->transact([&](Tx& tx) -> Status {
      for (int i = 0; i < 25; ++i) {
        auto made = tx.create(user_named("m" + std::to_string(batch) + "-" + std::to_string(i)));
        if (!made) {
          return std::unexpected(made.error());
        }
        users.push_back(made->id);
      }
      return {};
    }));
  }
  Group g;
  g.name = "everyone";
  auto group = create_one(*store, g);
  SHARECTL_REQUIRE_OK(group);
  for (std::size_t first = 0; first < shares.size(); first += 30) {
    SHARECTL_REQUIRE_OK(store->transact([&](Tx& tx) -> Status {
      for (std::size_t i = first; i < std::min(shares.size(), first + 30); ++i) {
        if (auto r = tx.grant_group(shares[i], group->id, ShareLevel::read, AclState::active); !r) {
          return std::unexpected(r.error());
        }
      }
      return {};
    }));
  }
  for (std::size_t first = 0; first < users.size(); first += 50) {
    SHARECTL_REQUIRE_OK(store->transact([&](Tx& tx) -> Status {
      for (std::size_t i = first; i < std::min(users.size(), first + 50); ++i) {
        if (auto r = tx.add_group_member(group->id, users[i], AclState::active); !r) {
          return std::unexpected(r.error());
        }
      }
      return {};
    }));
  }

  // A member added to a group granted on 1,000 shares: one change, access on every share.
  auto before = *store->current_revision();
  SHARECTL_REQUIRE_OK(store->transact_result(
      [&](Tx& tx) { return tx.add_group_member(group->id, w.bob.id, AclState::active); }));
  CHECK(*store->current_revision() == before + 1);
  for (const Id& share : {shares.front(), shares[500], shares.back()}) {
    auto a = access_of(*store, w.bob.id, share);
    REQUIRE(a);
    CHECK(a->level == ShareLevel::read);
  }
  auto bobs = store->view_result([&](Tx& tx) { return tx.list_user_acl(w.bob.id); });
  SHARECTL_REQUIRE_OK(bobs);
  CHECK(bobs->size() == k_shares);

  // A group of 501 granted write on a share: one change; everyone's level moves.
  before = *store->current_revision();
  SHARECTL_REQUIRE_OK(store->transact_result([&](Tx& tx) {
    return tx.grant_group(w.share.id, group->id, ShareLevel::write, AclState::active);
  }));
  CHECK(*store->current_revision() == before + 1);
  auto everyone = store->view_result([&](Tx& tx) { return tx.share_access(w.share.id); });
  SHARECTL_REQUIRE_OK(everyone);
  CHECK(everyone->size() == k_members + 1);
  CHECK(std::ranges::all_of(*everyone,
                            [](const UserAccess& a) { return a.level == ShareLevel::write; }));

  // The group deleted with its 501 members and 1,000 grants: one change; nobody keeps access.
  before = *store->current_revision();
  SHARECTL_REQUIRE_OK(store->transact([&](Tx& tx) { return tx.remove<Group>(group->id); }));
  CHECK(*store->current_revision() == before + 1);
  CHECK_FALSE(access_of(*store, w.bob.id, shares[500]));
  CHECK_FALSE(access_of(*store, users.front(), w.share.id));
  auto left = store->view_result([&](Tx& tx) { return tx.share_access(shares.back()); });
  SHARECTL_REQUIRE_OK(left);
  CHECK(left->empty());
  auto grants = store->view_result([&](Tx& tx) { return tx.list_group_grants(shares[7]); });
  SHARECTL_REQUIRE_OK(grants);
  CHECK(grants->empty());
  auto groups = store->view_result([&](Tx& tx) { return tx.list_user_groups(users.back()); });
  SHARECTL_REQUIRE_OK(groups);
  CHECK(groups->empty());
}

} // namespace sharectl::store::conformance

TEST_SUITE_END();
