// EtcdGateway against a real 3-member etcd 3.4 cluster (tests/support/etcd_fixture): key-value
// operations, transactions and etcd's own limits, leases, compaction, members, fail-over when
// members die, and auth token renewal.
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

#include "agent/store/etcd/codec.hpp"
#include "agent/store/etcd/errors.hpp"
#include "tests/integration/agent/store/etcd_cluster_support.hpp"

namespace sharectl::store::etcd {

using namespace itest;

TEST_CASE("etcd gateway on a cluster: put, range, prefix range and delete") {
  if (!etcd_available()) {
    return;
  }
  test::EtcdCluster cluster;
  SHARECTL_REQUIRE_OK(cluster.start());
  EtcdGateway gateway(url_of(cluster));

  const std::int64_t first = put(gateway, "/t/a", "1");
  put(gateway, "/t/b", "2");
  put(gateway, "/t/c/d", "3");
  put(gateway, "/u/x", "9");
  const std::string binary("/t/\0\xff", 5);
  put(gateway, binary, std::string("\0v\xfe", 3));

  auto one = gateway.range(RangeRequest::of_key("/t/a"));
  SHARECTL_REQUIRE_OK(one);
  REQUIRE(one->kvs.size() == 1);
  CHECK(one->count == 1);
  CHECK(one->kvs[0].value == "1");
  CHECK(one->kvs[0].create_revision == first);
  CHECK(one->kvs[0].mod_revision == first);
  CHECK(one->kvs[0].version == 1);
  CHECK(one->kvs[0].lease == 0);

  PutRequest again = PutRequest::of("/t/a", "1b");
  again.prev_kv = true;
  auto replaced = gateway.put(again);
  SHARECTL_REQUIRE_OK(replaced);
  REQUIRE(replaced->prev_kv.has_value());
  CHECK(replaced->prev_kv->value == "1");
  auto old = gateway.range([&] {
    RangeRequest r = RangeRequest::of_key("/t/a");
    r.revision = first;
    return r;
  }());
  SHARECTL_REQUIRE_OK(old);
  CHECK(old->kvs.at(0).value == "1");

  auto prefix = gateway.range(RangeRequest::of_prefix("/t/"));
  SHARECTL_REQUIRE_OK(prefix);
  REQUIRE(prefix->kvs.size() == 4);
  CHECK(prefix->kvs[0].key == binary); // keys sort bytewise: "/t/\0" first
  CHECK(prefix->kvs[0].value == std::string("\0v\xfe", 3));
  CHECK(prefix->kvs[1].key == "/t/a");
  CHECK(prefix->kvs[1].value == "1b");
  CHECK(prefix->kvs[1].version == 2);
  CHECK(prefix->kvs[3].key == "/t/c/d");

  RangeRequest limited = RangeRequest::of_prefix("/t/");
  limited.limit = 2;
  limited.sort_order = SortOrder::descend;
  limited.keys_only = true;
  auto page = gateway.range(limited);
  SHARECTL_REQUIRE_OK(page);
  REQUIRE(page->kvs.size() == 2);
  CHECK(page->more);
  CHECK(page->count == 4);
  CHECK(page->kvs[0].key == "/t/c/d");
  CHECK(page->kvs[0].value.empty());
  RangeRequest counting = RangeRequest::of_prefix("/t/");
  counting.count_only = true;
  auto counted = gateway.range(counting);
  SHARECTL_REQUIRE_OK(counted);
  CHECK(counted->kvs.empty());
  CHECK(counted->count == 4);

  DeleteRangeRequest single = DeleteRangeRequest::of_key("/t/a");
  single.prev_kv = true;
  auto removed = gateway.delete_range(single);
  SHARECTL_REQUIRE_OK(removed);
  CHECK(removed->deleted == 1);
  CHECK(removed->prev_kvs.at(0).value == "1b");
  auto removed_prefix = gateway.delete_range(DeleteRangeRequest::of_prefix("/t/"));
  SHARECTL_REQUIRE_OK(removed_prefix);
  CHECK(removed_prefix->deleted == 3);
  auto gone = gateway.range(RangeRequest::of_prefix("/t/"));
  SHARECTL_REQUIRE_OK(gone);
  CHECK(gone->kvs.empty());
  CHECK(gone->count == 0);
  auto kept = gateway.range(RangeRequest::of_key("/u/x"));
  SHARECTL_REQUIRE_OK(kept);
  CHECK(kept->kvs.size() == 1);
  auto nothing = gateway.delete_range(DeleteRangeRequest::of_key("/nope"));
  SHARECTL_REQUIRE_OK(nothing);
  CHECK(nothing->deleted == 0);
}

TEST_CASE("etcd gateway on a cluster: txn with a true and a false compare") {
  if (!etcd_available()) {
    return;
  }
  test::EtcdCluster cluster;
  SHARECTL_REQUIRE_OK(cluster.start());
  EtcdGateway gateway(url_of(cluster));

  // Create-if-absent, as the store's uniqueness index does.
  TxnRequest create;
  create.compare = {Compare::create("/idx/name", CompareResult::equal, 0)};
  create.success = {PutRequest::of("/idx/name", "id-1"), PutRequest::of("/doc/id-1", "{}")};
  create.failure = {RangeRequest::of_key("/idx/name")};
  auto created = gateway.txn(create);
  SHARECTL_REQUIRE_OK(created);
  CHECK(created->succeeded);
  REQUIRE(created->responses.size() == 2);
  CHECK(std::holds_alternative<PutResponse>(created->responses[0]));
  const std::int64_t revision = created->header.revision;

  auto taken = gateway.txn(create);
  SHARECTL_REQUIRE_OK(taken);
  CHECK_FALSE(taken->succeeded); // the gateway omitted "succeeded"
  CHECK(taken->header.revision == revision);
  REQUIRE(taken->responses.size() == 1);
  const auto& existing = std::get<RangeResponse>(taken->responses[0]);
  REQUIRE(existing.kvs.size() == 1);
  CHECK(existing.kvs[0].value == "id-1");
  CHECK(existing.kvs[0].mod_revision == revision);

  // Optimistic update on mod_revision: the right revision wins once, a stale one loses.
  TxnRequest update;
  update.compare = {Compare::mod("/doc/id-1", CompareResult::equal, revision)};
  update.success = {PutRequest::of("/doc/id-1", R"({"v":2})")};
  auto updated = gateway.txn(update);
  SHARECTL_REQUIRE_OK(updated);
  CHECK(updated->succeeded);
  CHECK(updated->header.revision == revision + 1);
  auto stale = gateway.txn(update);
  SHARECTL_REQUIRE_OK(stale);
  CHECK_FALSE(stale->succeeded);
  CHECK(stale->responses.empty());

  TxnRequest by_value;
  by_value.compare = {Compare::value_of("/idx/name", CompareResult::equal, "id-1"),
                      Compare::version("/doc/id-1", CompareResult::greater, 1)};
  by_value.success = {DeleteRangeRequest::of_key("/idx/name"), RangeRequest::of_key("/doc/id-1")};
  auto deleted = gateway.txn(by_value);
  SHARECTL_REQUIRE_OK(deleted);
  CHECK(deleted->succeeded);
  REQUIRE(deleted->responses.size() == 2);
  CHECK(std::get<DeleteRangeResponse>(deleted->responses[0]).deleted == 1);
  CHECK(std::get<RangeResponse>(deleted->responses[1]).kvs.at(0).value == R"({"v":2})");
}

TEST_CASE("etcd gateway on a cluster: etcd's stock limits are clear errors") {
  if (!etcd_available()) {
    return;
  }
  test::EtcdCluster cluster;
  SHARECTL_REQUIRE_OK(cluster.start());
  EtcdGateway gateway(url_of(cluster));

  TxnRequest twice;
  twice.success = {PutRequest::of("/dup", "1"), PutRequest::of("/dup", "2")};
  auto duplicate = gateway.txn(twice);
  REQUIRE_FALSE(duplicate.has_value());
  CHECK(duplicate.error().code == ErrorCode::bad_request);
  CHECK(duplicate.error().message.find("etcdserver: duplicate key given in txn request") !=
        std::string::npos);
  CHECK_FALSE(is_outcome_unknown(duplicate.error()));

  TxnRequest many;
  for (int i = 0; i < 128; ++i) {
    many.success.push_back(PutRequest::of("/many/" + std::to_string(i), "x"));
  }
  SHARECTL_REQUIRE_OK(gateway.txn(many)); // 128 is the limit, inclusive
  many.success.push_back(PutRequest::of("/many/128", "x"));
  auto too_many = gateway.txn(many);
  REQUIRE_FALSE(too_many.has_value());
  CHECK(too_many.error().code == ErrorCode::payload_too_large);
  CHECK(too_many.error().message.find("etcdserver: too many operations in txn request") !=
        std::string::npos);

  auto too_large = gateway.put(PutRequest::of("/big", std::string(1600 * 1024, 'x')));
  REQUIRE_FALSE(too_large.has_value());
  CHECK(too_large.error().code == ErrorCode::payload_too_large);
  CHECK(too_large.error().message.find("etcdserver: request is too large") != std::string::npos);
  SHARECTL_REQUIRE_OK(gateway.put(PutRequest::of("/big", std::string(1024 * 1024, 'x'))));
}

TEST_CASE("etcd gateway on a cluster: lease grant, keepalive, expiry and revoke") {
  if (!etcd_available()) {
    return;
  }
  test::EtcdCluster cluster;
  SHARECTL_REQUIRE_OK(cluster.start());
  EtcdGateway gateway(url_of(cluster));

  auto lease = gateway.lease_grant(2);
  SHARECTL_REQUIRE_OK(lease);
  CHECK(lease->id != 0);
  CHECK(lease->ttl >= 2);
  SHARECTL_REQUIRE_OK(gateway.put(PutRequest::of("/lease/key", "v", lease->id)));
  auto alive = gateway.lease_keepalive(lease->id);
  SHARECTL_REQUIRE_OK(alive);
  CHECK(alive->id == lease->id);
  CHECK(alive->ttl > 0);
  auto attached = gateway.range(RangeRequest::of_key("/lease/key"));
  SHARECTL_REQUIRE_OK(attached);
  CHECK(attached->kvs.at(0).lease == lease->id);

  // Without keepalives the lease expires and takes its key with it.
  eventually(
      [&] {
        auto left = gateway.range(RangeRequest::of_key("/lease/key"));
        REQUIRE_MESSAGE(left.has_value(), test::error_text(left));
        return left->kvs.empty();
      },
      "the leased key was never removed");
  auto expired = gateway.lease_keepalive(lease->id);
  REQUIRE_FALSE(expired.has_value());
  CHECK(expired.error().code == ErrorCode::not_found);

  auto second = gateway.lease_grant(60);
  SHARECTL_REQUIRE_OK(second);
  SHARECTL_REQUIRE_OK(gateway.put(PutRequest::of("/lease/other", "v", second->id)));
  SHARECTL_REQUIRE_OK(gateway.lease_revoke(second->id));
  auto revoked = gateway.range(RangeRequest::of_key("/lease/other"));
  SHARECTL_REQUIRE_OK(revoked);
  CHECK(revoked->kvs.empty());
  auto again = gateway.lease_revoke(second->id);
  REQUIRE_FALSE(again.has_value());
  CHECK(again.error().code == ErrorCode::not_found);
  CHECK(again.error().message.find("etcdserver: requested lease not found") != std::string::npos);
}

TEST_CASE("etcd gateway on a cluster: compaction, members and status") {
  if (!etcd_available()) {
    return;
  }
  test::EtcdCluster cluster;
  SHARECTL_REQUIRE_OK(cluster.start());
  EtcdGateway gateway(url_of(cluster));
  const std::int64_t r1 = put(gateway, "/c/k", "1");
  const std::int64_t r2 = put(gateway, "/c/k", "2");
  put(gateway, "/c/k", "3");
  SHARECTL_REQUIRE_OK(gateway.compact(r2));
  RangeRequest at_r1 = RangeRequest::of_key("/c/k");
  at_r1.revision = r1;
  auto compacted = gateway.range(at_r1);
  REQUIRE_FALSE(compacted.has_value());
  CHECK(is_compacted(compacted.error()));
  CHECK(compacted.error().message.find("etcdserver: mvcc: required revision has been compacted") !=
        std::string::npos);
  RangeRequest at_r2 = RangeRequest::of_key("/c/k");
  at_r2.revision = r2;
  auto kept = gateway.range(at_r2);
  SHARECTL_REQUIRE_OK(kept);
  CHECK(kept->kvs.at(0).value == "2");
  auto again = gateway.compact(r2);
  REQUIRE_FALSE(again.has_value());
  CHECK(is_compacted(again.error()));
  RangeRequest future = RangeRequest::of_key("/c/k");
  future.revision = r2 + 1000;
  auto ahead = gateway.range(future);
  REQUIRE_FALSE(ahead.has_value());
  CHECK(ahead.error().code == ErrorCode::bad_request);

  auto members = gateway.member_list();
  SHARECTL_REQUIRE_OK(members);
  REQUIRE(members->members.size() == 3);
  std::vector<std::uint64_t> leaders;
  for (int i = 0; i < 3; ++i) {
    auto status = gateway.status(static_cast<std::size_t>(i));
    SHARECTL_REQUIRE_OK(status);
    CHECK(status->version.starts_with("3.4."));
    CHECK(status->errors.empty());
    leaders.push_back(status->leader);
    bool listed = false;
    for (const Member& member : members->members) {
      listed = listed || (member.id == status->header.member_id &&
                          member.client_urls.at(0) == cluster.client_url(i));
    }
    CHECK(listed);
  }
  CHECK(leaders[0] != 0);
  CHECK(leaders[0] == leaders[1]);
  CHECK(leaders[1] == leaders[2]);
}

TEST_CASE("etcd gateway on a cluster: requests keep working when the member in use dies") {
  if (!etcd_available()) {
    return;
  }
  test::EtcdCluster cluster;
  SHARECTL_REQUIRE_OK(cluster.start());
  EtcdGateway gateway(url_of(cluster));
  put(gateway, "/f/before", "1");
  const std::size_t used = gateway.preferred_endpoint();
  SHARECTL_REQUIRE_OK(cluster.kill(static_cast<int>(used)));
  SHARECTL_REQUIRE_OK(cluster.leader()); // the two left have (re-)elected a leader

  auto read = gateway.range(RangeRequest::of_key("/f/before"));
  SHARECTL_REQUIRE_OK(read);
  CHECK(read->kvs.at(0).value == "1");
  CHECK(gateway.preferred_endpoint() != used);
  CHECK(gateway.stats().failovers >= 1);
  put(gateway, "/f/after", "2");
  TxnRequest txn;
  txn.compare = {Compare::version("/f/after", CompareResult::equal, 1)};
  txn.success = {PutRequest::of("/f/after", "3")};
  auto committed = gateway.txn(txn);
  SHARECTL_REQUIRE_OK(committed);
  CHECK(committed->succeeded);

  // The member comes back on its data; then the one now in use dies too.
  SHARECTL_REQUIRE_OK(cluster.restart(static_cast<int>(used)));
  const std::size_t now_used = gateway.preferred_endpoint();
  SHARECTL_REQUIRE_OK(cluster.kill(static_cast<int>(now_used)));
  SHARECTL_REQUIRE_OK(cluster.leader());
  auto after = gateway.range(RangeRequest::of_key("/f/after"));
  SHARECTL_REQUIRE_OK(after);
  CHECK(after->kvs.at(0).value == "3");
}

TEST_CASE("etcd gateway on a cluster: without quorum, writes are refused at once as no leader") {
  if (!etcd_available()) {
    return;
  }
  test::EtcdCluster cluster;
  SHARECTL_REQUIRE_OK(cluster.start());
  EtcdGateway gateway(url_of(cluster));
  put(gateway, "/q/k", "1");
  SHARECTL_REQUIRE_OK(cluster.kill(1));
  SHARECTL_REQUIRE_OK(cluster.kill(2));
  // Wait until the survivor itself knows it lost the leader.
  eventually(
      [&] {
        auto status = gateway.status(0);
        REQUIRE_MESSAGE(status.has_value(), test::error_text(status));
        return status->leader == 0;
      },
      "member 0 never noticed it lost its leader");
  // "hasleader" makes it refuse before proposing: a plain unavailable, not "outcome unknown".
  auto refused = gateway.put(PutRequest::of("/q/k", "2"));
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code == ErrorCode::unavailable);
  CHECK_FALSE(is_outcome_unknown(refused.error()));
  CHECK(refused.error().message.find("etcdserver: no leader") != std::string::npos);
  auto read = gateway.range(RangeRequest::of_key("/q/k"));
  REQUIRE_FALSE(read.has_value());
  CHECK(read.error().message.find("etcdserver: no leader") != std::string::npos);
}

TEST_CASE("etcd gateway on a cluster: all members stopped is unavailable") {
  if (!etcd_available()) {
    return;
  }
  test::EtcdCluster cluster;
  SHARECTL_REQUIRE_OK(cluster.start());
  EtcdGateway gateway(url_of(cluster));
  put(gateway, "/x", "1");
  for (int i = 0; i < 3; ++i) {
    SHARECTL_REQUIRE_OK(cluster.stop(i));
  }
  const auto check_unavailable = [&](const Error& error, const std::string& operation) {
    CHECK(error.code == ErrorCode::unavailable);
    CHECK_FALSE(is_outcome_unknown(error)); // refused connections: nothing was sent
    CHECK(error.message.starts_with("no etcd member answered the " + operation + " (tried "));
    for (int i = 0; i < 3; ++i) {
      CHECK_MESSAGE(error.message.find(cluster.endpoint(i)) != std::string::npos, error.message);
    }
  };
  auto read = gateway.range(RangeRequest::of_key("/x"));
  REQUIRE_FALSE(read.has_value());
  check_unavailable(read.error(), "range");
  auto write = gateway.put(PutRequest::of("/x", "2"));
  REQUIRE_FALSE(write.has_value());
  check_unavailable(write.error(), "put");
  // With credentials, authentication is what fails first; the password is not in the message.
  EtcdGateway with_user(url_of(cluster, "nobody:n0t-a-secret"));
  auto denied = with_user.range(RangeRequest::of_key("/x"));
  REQUIRE_FALSE(denied.has_value());
  check_unavailable(denied.error(), "authenticate");
  CHECK(denied.error().message.find("n0t-a-secret") == std::string::npos);
}

TEST_CASE("etcd gateway on a cluster: an expired auth token is renewed") {
  if (!etcd_available()) {
    return;
  }
  test::EtcdCluster cluster({.members = 3, .auth_token_ttl_seconds = 1});
  SHARECTL_REQUIRE_OK(cluster.start());
  const std::string password = "r00t pass:word@/x";
  SHARECTL_REQUIRE_OK(cluster.enable_auth(password));
  EtcdGateway gateway(url_of(cluster, "root:r00t%20pass%3Aword%40%2Fx"));
  put(gateway, "/auth/k", "1");
  CHECK(gateway.stats().authentications == 1);
  CHECK(gateway.stats().token_renewals == 0);
  // Leave the token unused past its TTL (etcd checks once a second), then use it again.
  for (int attempt = 0; attempt < 10 && gateway.stats().token_renewals == 0; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    auto read = gateway.range(RangeRequest::of_key("/auth/k"));
    SHARECTL_REQUIRE_OK(read);
    CHECK(read->kvs.at(0).value == "1");
  }
  CHECK(gateway.stats().token_renewals >= 1);
  CHECK(gateway.stats().authentications >= 2);

  EtcdGateway wrong(url_of(cluster, "root:not-the-password"));
  auto refused = wrong.range(RangeRequest::of_key("/auth/k"));
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code == ErrorCode::unavailable);
  CHECK(refused.error().message.find("etcd refused the credentials of user 'root'") !=
        std::string::npos);
  CHECK(refused.error().message.find("not-the-password") == std::string::npos);
  EtcdGateway anonymous(url_of(cluster));
  auto anonymous_read = anonymous.range(RangeRequest::of_key("/auth/k"));
  REQUIRE_FALSE(anonymous_read.has_value());
  CHECK(anonymous_read.error().code == ErrorCode::unavailable);
  CHECK(anonymous_read.error().message.find("requires authentication") != std::string::npos);
}

TEST_CASE("etcd gateway on a cluster: threads share one gateway (compare-and-swap counter)") {
  if (!etcd_available()) {
    return;
  }
  test::EtcdCluster cluster;
  SHARECTL_REQUIRE_OK(cluster.start());
  EtcdGateway gateway(url_of(cluster));
  put(gateway, "/counter", "0");
  constexpr int k_threads = 4;
  constexpr int k_increments = 25;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < k_threads; ++t) {
    threads.emplace_back([&] {
      for (int done = 0; done < k_increments;) {
        auto current = gateway.range(RangeRequest::of_key("/counter"));
        if (!current || current->kvs.empty()) {
          ++failures;
          return;
        }
        const KeyValue& kv = current->kvs[0];
        TxnRequest txn;
        txn.compare = {Compare::mod("/counter", CompareResult::equal, kv.mod_revision)};
        txn.success = {PutRequest::of("/counter", std::to_string(std::stoi(kv.value) + 1))};
        auto result = gateway.txn(txn);
        if (!result) {
          ++failures;
          return;
        }
        done += result->succeeded ? 1 : 0;
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  CHECK(failures.load() == 0);
  auto total = gateway.range(RangeRequest::of_key("/counter"));
  SHARECTL_REQUIRE_OK(total);
  CHECK(total->kvs.at(0).value == std::to_string(k_threads * k_increments));
}

} // namespace sharectl::store::etcd
