// agent/store/etcd/watch against scripted fake members (etcd_fake_server.hpp): events in order
// from a stream cut into small pieces, resuming on the next member at the last revision + 1,
// compaction and failures ending the watch, token renewal, and stop() on a quiet stream.
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "agent/store/etcd/codec.hpp"
#include "agent/store/etcd/watch.hpp"
#include "tests/support/require.hpp"
#include "tests/unit/agent/store/etcd_fake_server.hpp"

namespace sharectl::store::etcd {

namespace {

// Collects notices and lets the test wait for one (the wait bound only guards against a hang).
class Collector {
public:
  void operator()(const WatchNotice& notice) {
    std::lock_guard lock(m_mutex);
    m_notices.push_back(notice);
    m_changed.notify_all();
  }
  // Waits until a notice of this kind arrived; REQUIREs it within 30 s.
  std::vector<WatchNotice> wait_for(WatchNotice::Kind kind) {
    std::unique_lock lock(m_mutex);
    const bool arrived = m_changed.wait_for(lock, std::chrono::seconds(30), [&] {
      for (const WatchNotice& notice : m_notices) {
        if (notice.kind == kind) {
          return true;
        }
      }
      return false;
    });
    REQUIRE(arrived);
    return m_notices;
  }
  std::vector<WatchNotice> notices() {
    std::lock_guard lock(m_mutex);
    return m_notices;
  }

private:
  std::mutex m_mutex;
  std::condition_variable m_changed;
  std::vector<WatchNotice> m_notices;
};

// Sends text in pieces of n bytes, so the client sees documents cut anywhere.
void send_in_pieces(fake::Connection& connection, std::string_view text, std::size_t n) {
  for (std::size_t at = 0; at < text.size(); at += n) {
    connection.send(text.substr(at, n));
  }
}

EtcdUrl url_for(const std::vector<std::string>& endpoints, std::string user = {}) {
  EtcdUrl url;
  url.endpoints = endpoints;
  url.user = std::move(user);
  url.password = url.user.empty() ? "" : "secret";
  return url;
}

std::string result(std::string_view body) {
  return R"({"result":{)" + std::string(body) + "}}";
}

} // namespace

TEST_CASE("etcd watch: events in order, resume on the next member, compaction ends it") {
  fake::Server first([](const fake::Request& r, fake::Connection& c) {
    if (r.path != "/v3/watch") {
      c.reply(404, "");
      return;
    }
    c.start_stream();
    const std::string stream =
        result(fake::header(10) + R"(,"created":true)") + "\n" +
        result(fake::header(11) + R"(,"events":[{"kv":{"key":"L3cvYQ==","create_revision":"11",)"
                                  R"("mod_revision":"11","version":"1","value":"djE="}}])") +
        result(fake::header(12) + R"(,"events":[{"type":"DELETE","kv":{"key":"L3cvYQ==",)"
                                  R"("mod_revision":"12"},"prev_kv":{"key":"L3cvYQ==",)"
                                  R"("create_revision":"11","mod_revision":"11","version":"1",)"
                                  R"("value":"djE="}}])");
    send_in_pieces(c, stream, 7);
    // ... and the member dies in the middle of the next document.
    c.send(R"({"result":{"header":{"revi)");
  });
  fake::Server second([](const fake::Request& r, fake::Connection& c) {
    c.start_stream();
    c.send(result(fake::header(30) + R"(,"created":true)"));
    c.send(result(R"("header":{"raft_term":"2"},"canceled":true,"compact_revision":"20")"));
    c.hang();
    (void)r;
  });
  EtcdGateway gateway(url_for({first.endpoint(), second.endpoint()}));
  Collector collector;
  const WatchCreate request = WatchCreate::of_prefix("/w/", 0, true);
  EtcdWatch watch(gateway, request, std::ref(collector));
  const auto notices = collector.wait_for(WatchNotice::Kind::compacted);

  REQUIRE(notices.size() == 4);
  CHECK(notices[0].kind == WatchNotice::Kind::events);
  CHECK(notices[0].revision == 11);
  REQUIRE(notices[0].events.size() == 1);
  CHECK(notices[0].events[0].type == EventType::put);
  CHECK(notices[0].events[0].kv == KeyValue{"/w/a", "v1", 11, 11, 1, 0});
  CHECK(notices[1].kind == WatchNotice::Kind::events);
  CHECK(notices[1].revision == 12);
  REQUIRE(notices[1].events.size() == 1);
  CHECK(notices[1].events[0].type == EventType::del);
  REQUIRE(notices[1].events[0].prev_kv.has_value());
  CHECK(notices[1].events[0].prev_kv->value == "v1");
  CHECK(notices[2].kind == WatchNotice::Kind::disconnected);
  REQUIRE(notices[2].error.has_value());
  CHECK(notices[2].error->message.find(first.endpoint()) != std::string::npos);
  CHECK(notices[3].kind == WatchNotice::Kind::compacted);
  CHECK(notices[3].revision == 20);

  // The first stream watched from "now"; the second resumed right after revision 12.
  REQUIRE(first.count("/v3/watch") == 1);
  CHECK(first.requests()[0].body == encode_watch_create(request));
  REQUIRE(second.requests().size() == 1);
  WatchCreate resumed = request;
  resumed.start_revision = 13;
  CHECK(second.requests()[0].body == encode_watch_create(resumed));
  CHECK(second.requests()[0].header("Grpc-Metadata-hasleader") == "true");
  CHECK(watch.next_revision() == 13);
  CHECK(watch.streams_opened() == 2);
  watch.stop();
  CHECK_FALSE(watch.running());
}

TEST_CASE("etcd watch: a refused token is renewed and a permission error ends the watch") {
  std::atomic<int> issued{0};
  fake::Server member([&](const fake::Request& r, fake::Connection& c) {
    if (r.path == "/v3/auth/authenticate") {
      c.reply(200, "{" + fake::header(1) + R"(,"token":"tok)" + std::to_string(++issued) + R"("})");
      return;
    }
    c.start_stream();
    if (r.header("Authorization") == "tok1") {
      c.send(result(fake::header(4) + R"(,"watch_id":"-1","created":true,"canceled":true,)"
                                      R"("cancel_reason":"rpc error: code = Unauthenticated )"
                                      R"(desc = etcdserver: invalid auth token")"));
      c.hang();
      return;
    }
    c.send(result(fake::header(4) + R"(,"created":true)"));
    c.send(result(fake::header(5) + R"(,"events":[{"kv":{"key":"YQ==","mod_revision":"5"}}])"));
    c.send(result(fake::header(5) + R"(,"canceled":true,"cancel_reason":"rpc error: code = )"
                                    R"(PermissionDenied desc = etcdserver: permission denied")"));
    c.hang();
  });
  EtcdGateway gateway(url_for({member.endpoint()}, "root"));
  Collector collector;
  WatchCreate request;
  request.key = "a";
  request.start_revision = 5;
  EtcdWatch watch(gateway, request, std::ref(collector));
  const auto notices = collector.wait_for(WatchNotice::Kind::failed);
  REQUIRE(notices.size() == 2);
  CHECK(notices[0].kind == WatchNotice::Kind::events);
  CHECK(notices[0].events.at(0).kv.key == "a");
  REQUIRE(notices[1].error.has_value());
  CHECK(notices[1].error->message.find("permission denied") != std::string::npos);
  CHECK(gateway.stats().authentications == 2);
  CHECK(member.count("/v3/watch") == 2);
  watch.stop();
  CHECK_FALSE(watch.running());
}

TEST_CASE("etcd watch: an error answer moves to the next member and stop() ends a quiet stream") {
  fake::Server busy([](const fake::Request&, fake::Connection& c) {
    c.reply(503, fake::error_body("etcdserver: no leader", 14));
  });
  fake::Server quiet([](const fake::Request&, fake::Connection& c) {
    c.start_stream();
    c.send(result(fake::header(7) + R"(,"created":true)"));
    c.send(result(fake::header(8))); // a progress notification: nothing changed up to 8
    c.hang();
  });
  EtcdGateway gateway(url_for({busy.endpoint(), quiet.endpoint()}));
  Collector collector;
  WatchCreate request;
  request.key = "q";
  request.progress_notify = true;
  EtcdWatch watch(gateway, request, std::ref(collector));
  const auto notices = collector.wait_for(WatchNotice::Kind::progress);
  REQUIRE(notices.size() == 2);
  CHECK(notices[0].kind == WatchNotice::Kind::disconnected);
  CHECK(notices[0].error->message.find("etcdserver: no leader") != std::string::npos);
  CHECK(notices[1].revision == 8);
  CHECK(watch.next_revision() == 9);
  CHECK(watch.running());
  watch.stop(); // the stream is idle: stop() must not wait for another message
  CHECK_FALSE(watch.running());
  CHECK(collector.notices().size() == 2);
  watch.stop(); // idempotent
}

} // namespace sharectl::store::etcd
