// agent/store/etcd/codec: the JSON etcd 3.4's gateway speaks — base64 keys and values, int64
// fields as strings, omitted zero values, enum names — and its error bodies. The response
// samples are what etcd 3.4.23 answered here (cluster and member ids shortened).
#include <string>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "agent/store/etcd/codec.hpp"
#include "tests/support/require.hpp"

namespace sharectl::store::etcd {

namespace {

using nlohmann::json;

constexpr std::string_view k_header = R"("header":{"cluster_id":"9016161115785207335",)"
                                      R"("member_id":"17974846781814179050","revision":"7",)"
                                      R"("raft_term":"2"})";

std::string with_header(std::string_view rest) {
  return "{" + std::string(k_header) + std::string(rest) + "}";
}

} // namespace

TEST_CASE("etcd codec: prefix_range_end increments the last byte below 0xff") {
  CHECK(prefix_range_end("/sharectl/") == "/sharectl0");
  CHECK(prefix_range_end("a") == "b");
  CHECK(prefix_range_end(std::string("a\xff", 2)) == "b");
  CHECK(prefix_range_end(std::string("\xff\xff", 2)) == std::string(1, '\0'));
  CHECK(prefix_range_end("") == std::string(1, '\0'));
}

TEST_CASE("etcd codec: requests carry base64 bytes, int64 strings and enum names") {
  RangeRequest range;
  range.key = std::string("/k\0\xff", 4);
  range.range_end = prefix_range_end("/k");
  range.limit = 10;
  range.revision = 9007199254740993; // beyond a double's exact integers
  range.sort_order = SortOrder::descend;
  range.sort_target = SortTarget::mod;
  range.keys_only = true;
  const json r = json::parse(encode_range(range));
  CHECK(r["key"] == "L2sA/w==");
  CHECK(r["range_end"] == "L2w=");
  CHECK(r["limit"] == "10");
  CHECK(r["revision"] == "9007199254740993");
  CHECK(r["sort_order"] == "DESCEND");
  CHECK(r["sort_target"] == "MOD");
  CHECK(r["keys_only"] == true);
  CHECK_FALSE(r.contains("count_only"));
  CHECK_FALSE(r.contains("serializable"));
  // Defaults are left out, like the gateway does.
  CHECK(json::parse(encode_range(RangeRequest::of_key("a"))) == json{{"key", "YQ=="}});
  CHECK(json::parse(encode_range(RangeRequest::of_prefix("/p/"))) ==
        json{{"key", "L3Av"}, {"range_end", "L3Aw"}});

  PutRequest put_request = PutRequest::of("k", "", 42);
  put_request.prev_kv = true;
  const json put = json::parse(encode_put(put_request));
  CHECK(put == json{{"key", "aw=="}, {"value", ""}, {"lease", "42"}, {"prev_kv", true}});
  DeleteRangeRequest del = DeleteRangeRequest::of_key("a");
  del.range_end = "b";
  del.prev_kv = true;
  CHECK(json::parse(encode_delete_range(del)) ==
        json{{"key", "YQ=="}, {"range_end", "Yg=="}, {"prev_kv", true}});
  CHECK(json::parse(encode_compaction(12, true)) == json{{"revision", "12"}, {"physical", true}});
  CHECK(json::parse(encode_lease_grant(5, 0)) == json{{"TTL", "5"}});
  CHECK(json::parse(encode_lease_id(-3)) == json{{"ID", "-3"}});
  CHECK(
      json::parse(encode_watch_create(WatchCreate::of_prefix("/p/", 8, true))) ==
      json{{"create_request",
            {{"key", "L3Av"}, {"range_end", "L3Aw"}, {"start_revision", "8"}, {"prev_kv", true}}}});
}

TEST_CASE("etcd codec: a txn names each compare target's operand field") {
  TxnRequest txn;
  txn.compare = {Compare::version("a", CompareResult::equal, 0),
                 Compare::create("b", CompareResult::greater, 3),
                 Compare::mod("c", CompareResult::less, 4),
                 Compare::value_of("d", CompareResult::not_equal, "v"),
                 Compare::lease("e", CompareResult::equal, 77)};
  txn.success = {PutRequest::of("a", "1"), DeleteRangeRequest::of_key("b")};
  txn.failure = {RangeRequest::of_key("a")};
  const json t = json::parse(encode_txn(txn));
  REQUIRE(t["compare"].size() == 5);
  CHECK(t["compare"][0] ==
        json{{"key", "YQ=="}, {"result", "EQUAL"}, {"target", "VERSION"}, {"version", "0"}});
  CHECK(t["compare"][1]["target"] == "CREATE");
  CHECK(t["compare"][1]["result"] == "GREATER");
  CHECK(t["compare"][1]["create_revision"] == "3");
  CHECK(t["compare"][2]["target"] == "MOD");
  CHECK(t["compare"][2]["result"] == "LESS");
  CHECK(t["compare"][2]["mod_revision"] == "4");
  CHECK(t["compare"][3]["target"] == "VALUE");
  CHECK(t["compare"][3]["result"] == "NOT_EQUAL");
  CHECK(t["compare"][3]["value"] == "dg==");
  CHECK(t["compare"][4]["target"] == "LEASE");
  CHECK(t["compare"][4]["lease"] == "77");
  CHECK(t["success"] == json::array({{{"request_put", {{"key", "YQ=="}, {"value", "MQ=="}}}},
                                     {{"request_delete_range", {{"key", "Yg=="}}}}}));
  CHECK(t["failure"] == json::array({{{"request_range", {{"key", "YQ=="}}}}}));
  CHECK(json::parse(encode_txn({})) == json::object());
}

TEST_CASE("etcd codec: authenticate keeps any password intact inside the JSON body") {
  const std::string password = "p\"a}s{s\\w\n\xc3\xa9";
  const json body = json::parse(encode_authenticate("root", password));
  CHECK(body["name"] == "root");
  CHECK(body["password"] == password);
  // Invalid UTF-8 does not throw (etcd would refuse such a password anyway).
  CHECK_NOTHROW((void)encode_authenticate("root", std::string("\xff", 1)));
}

TEST_CASE("etcd codec: a range response decodes string int64s and omitted fields") {
  auto range = decode_range(with_header(
      R"(,"kvs":[{"key":"L2EveA==","create_revision":"2","mod_revision":"9007199254740993",)"
      R"("version":"1","value":"djE=","lease":"7587862"}],"count":"1","more":true)"));
  SHARECTL_REQUIRE_OK(range);
  CHECK(range->header.revision == 7);
  CHECK(range->header.cluster_id == 9016161115785207335ULL);
  CHECK(range->header.member_id == 17974846781814179050ULL); // above INT64_MAX
  CHECK(range->header.raft_term == 2);
  REQUIRE(range->kvs.size() == 1);
  CHECK(range->kvs[0] == KeyValue{"/a/x", "v1", 2, 9007199254740993, 1, 7587862});
  CHECK(range->count == 1);
  CHECK(range->more);

  // An empty range: no "kvs", no "count", no "more".
  auto empty = decode_range(with_header(""));
  SHARECTL_REQUIRE_OK(empty);
  CHECK(empty->kvs.empty());
  CHECK(empty->count == 0);
  CHECK_FALSE(empty->more);
  // A key with an empty value and no lease: "value" and "lease" omitted.
  auto bare = decode_range(R"({"kvs":[{"key":"YQ==","create_revision":"3","mod_revision":"3",)"
                           R"("version":"1"}],"count":"1"})");
  SHARECTL_REQUIRE_OK(bare);
  CHECK(bare->header.revision == 0);
  CHECK(bare->kvs[0] == KeyValue{"a", "", 3, 3, 1, 0});
  // Numbers are accepted where strings are expected (other gateways, hand-written JSON).
  auto numbers = decode_range(R"({"header":{"revision":12},"count":2})");
  SHARECTL_REQUIRE_OK(numbers);
  CHECK(numbers->header.revision == 12);
  CHECK(numbers->count == 2);
}

TEST_CASE("etcd codec: malformed responses fail with internal naming the field") {
  const auto message = [](const Result<RangeResponse>& r) {
    CHECK_FALSE(r.has_value());
    if (r) {
      return std::string();
    }
    CHECK(r.error().code == ErrorCode::internal);
    return r.error().message;
  };
  CHECK(message(decode_range("not json")).find("not a JSON object") != std::string::npos);
  CHECK(message(decode_range("[]")).find("not a JSON object") != std::string::npos);
  CHECK(message(decode_range(R"({"kvs":[{"key":"***"}]})")).find("range.kvs[0].key") !=
        std::string::npos);
  CHECK(message(decode_range(R"({"header":{"revision":"7x"}})")).find("range.header.revision") !=
        std::string::npos);
  CHECK(message(decode_range(R"({"count":"-"})")).find("not an integer string") !=
        std::string::npos);
  CHECK(message(decode_range(R"({"count":true})")).find("not an integer") != std::string::npos);
  CHECK(message(decode_range(R"({"kvs":{}})")).find("not an array") != std::string::npos);
  CHECK(message(decode_range(R"({"header":{"member_id":"-1"}})")).find("member_id") !=
        std::string::npos);
  CHECK(message(decode_range(R"({"more":"yes"})")).find("not a boolean") != std::string::npos);
}

TEST_CASE("etcd codec: a txn whose compare failed has no \"succeeded\"") {
  auto failed = decode_txn(with_header(
      R"(,"responses":[{"response_range":{"header":{"revision":"2"},"kvs":[{"key":"L2EveA==",)"
      R"("create_revision":"2","mod_revision":"2","version":"1","value":"djE="}],"count":"1"}}])"));
  SHARECTL_REQUIRE_OK(failed);
  CHECK_FALSE(failed->succeeded);
  REQUIRE(failed->responses.size() == 1);
  const auto* range = std::get_if<RangeResponse>(&failed->responses[0]);
  REQUIRE(range != nullptr);
  CHECK(range->header.revision == 2);
  CHECK(range->kvs.at(0).value == "v1");

  auto succeeded = decode_txn(with_header(
      R"(,"succeeded":true,"responses":[{"response_put":{"header":{"revision":"8"}}},)"
      R"({"response_put":{}},{"response_delete_range":{"header":{"revision":"8"},"deleted":"1"}}])"));
  SHARECTL_REQUIRE_OK(succeeded);
  CHECK(succeeded->succeeded);
  REQUIRE(succeeded->responses.size() == 3);
  CHECK(std::get<PutResponse>(succeeded->responses[0]).header.revision == 8);
  CHECK_FALSE(std::get<PutResponse>(succeeded->responses[1]).prev_kv.has_value());
  CHECK(std::get<DeleteRangeResponse>(succeeded->responses[2]).deleted == 1);

  auto nothing = decode_txn(with_header(""));
  SHARECTL_REQUIRE_OK(nothing);
  CHECK_FALSE(nothing->succeeded);
  CHECK(nothing->responses.empty());
  CHECK_FALSE(decode_txn(R"({"responses":[{"response_txn":{}}]})").has_value());
}

TEST_CASE("etcd codec: put, delete, lease, member list, status and authenticate responses") {
  auto put = decode_put(with_header(
      R"(,"prev_kv":{"key":"YQ==","create_revision":"2","mod_revision":"3","version":"2",)"
      R"("value":"b2xk"})"));
  SHARECTL_REQUIRE_OK(put);
  REQUIRE(put->prev_kv.has_value());
  CHECK(put->prev_kv->value == "old");
  auto del = decode_delete_range(with_header(
      R"(,"deleted":"2","prev_kvs":[{"key":"YQ==","mod_revision":"3"},{"key":"Yg=="}])"));
  SHARECTL_REQUIRE_OK(del);
  CHECK(del->deleted == 2);
  REQUIRE(del->prev_kvs.size() == 2);
  CHECK(del->prev_kvs[1].key == "b");

  auto lease = decode_lease_grant(with_header(R"(,"ID":"354273995855835919","TTL":"5")"));
  SHARECTL_REQUIRE_OK(lease);
  CHECK(lease->id == 354273995855835919);
  CHECK(lease->ttl == 5);
  auto lease_error = decode_lease_grant(R"({"error":"lease already exists"})");
  REQUIRE_FALSE(lease_error.has_value());
  CHECK(lease_error.error().code == ErrorCode::unavailable);

  auto members = decode_member_list(
      R"({"header":{"raft_term":"2"},"members":[{"ID":"2230250625983715311","name":"m2",)"
      R"("peerURLs":["http://127.0.0.1:48813"],"clientURLs":["http://127.0.0.1:34227"]},)"
      R"({"ID":"9681298104006347397","peerURLs":["http://127.0.0.1:1"],"isLearner":true}]})");
  SHARECTL_REQUIRE_OK(members);
  REQUIRE(members->members.size() == 2);
  CHECK(members->members[0].id == 2230250625983715311ULL);
  CHECK(members->members[0].name == "m2");
  CHECK(members->members[0].client_urls == std::vector<std::string>{"http://127.0.0.1:34227"});
  CHECK(members->members[1].name.empty());
  CHECK(members->members[1].client_urls.empty());
  CHECK(members->members[1].is_learner);

  // Status uses the proto's camelCase names (dbSize, raftIndex); a member without a leader
  // omits "leader" and lists the error.
  auto status = decode_status(with_header(
      R"(,"version":"3.4.23","dbSize":"20480","raftIndex":"21","raftTerm":"2",)"
      R"("raftAppliedIndex":"21","errors":["etcdserver: no leader"],"dbSizeInUse":"16384")"));
  SHARECTL_REQUIRE_OK(status);
  CHECK(status->version == "3.4.23");
  CHECK(status->db_size == 20480);
  CHECK(status->leader == 0);
  CHECK(status->raft_index == 21);
  CHECK(status->errors == std::vector<std::string>{"etcdserver: no leader"});

  auto token = decode_authenticate(with_header(R"(,"token":"YPVMGYoOwsURFTWh.14")"));
  SHARECTL_REQUIRE_OK(token);
  CHECK(*token == "YPVMGYoOwsURFTWh.14");
  CHECK_FALSE(decode_authenticate(with_header("")).has_value());
  auto header = decode_header_only(with_header(""));
  SHARECTL_REQUIRE_OK(header);
  CHECK(header->revision == 7);
}

TEST_CASE("etcd codec: error bodies keep etcd's code and words") {
  const GatewayError duplicate = decode_gateway_error(
      400, R"({"error":"etcdserver: duplicate key given in txn request","message":)"
           R"("etcdserver: duplicate key given in txn request","code":3})");
  CHECK(duplicate == GatewayError{400, 3, "etcdserver: duplicate key given in txn request"});
  const GatewayError token =
      decode_gateway_error(401, R"({"error":"etcdserver: invalid auth token","message":)"
                                R"("etcdserver: invalid auth token","code":16})");
  CHECK(token.grpc_code == 16);
  CHECK(token.message == "etcdserver: invalid auth token");
  // Only "error" (older gateways): still etcd's words.
  CHECK(decode_gateway_error(503, R"({"error":"etcdserver: no leader","code":14})").message ==
        "etcdserver: no leader");
  // Not etcd's JSON: the status decides the code, the body is quoted (control bytes blanked).
  const GatewayError proxy = decode_gateway_error(503, "<html>\nbusy</html>");
  CHECK(proxy.grpc_code == 14);
  CHECK(proxy.message == "HTTP 503: <html> busy</html>");
  CHECK(decode_gateway_error(404, "404 page not found\n").grpc_code == 12);
  CHECK(decode_gateway_error(502, "").message == "HTTP 502 with an empty body");
  CHECK(decode_gateway_error(504, "{}").grpc_code == 4);
  CHECK(decode_gateway_error(418, "[1]").grpc_code == 2);
}

TEST_CASE("etcd codec: watch stream messages") {
  auto created =
      decode_watch_message(R"({"result":{)" + std::string(k_header) + R"(,"created":true}})");
  SHARECTL_REQUIRE_OK(created);
  const auto& c = std::get<WatchResponse>(*created);
  CHECK(c.created);
  CHECK_FALSE(c.canceled);
  CHECK(c.watch_id == 0);
  CHECK(c.header.revision == 7);

  auto events = decode_watch_message(
      R"({"result":{"header":{"revision":"4"},"events":[{"kv":{"key":"L2EveA==",)"
      R"("create_revision":"2","mod_revision":"3","version":"2","value":"djI="},"prev_kv":)"
      R"({"key":"L2EveA==","create_revision":"2","mod_revision":"2","version":"1","value":"djE="}},)"
      R"({"type":"DELETE","kv":{"key":"L2EveA==","mod_revision":"4"}}]}})");
  SHARECTL_REQUIRE_OK(events);
  const auto& e = std::get<WatchResponse>(*events);
  REQUIRE(e.events.size() == 2);
  CHECK(e.events[0].type == EventType::put); // PUT is the zero value: no "type"
  CHECK(e.events[0].kv.value == "v2");
  REQUIRE(e.events[0].prev_kv.has_value());
  CHECK(e.events[0].prev_kv->value == "v1");
  CHECK(e.events[1].type == EventType::del);
  CHECK(e.events[1].kv == KeyValue{"/a/x", "", 0, 4, 0, 0});
  CHECK_FALSE(e.events[1].prev_kv.has_value());

  auto compacted = decode_watch_message(
      R"({"result":{"header":{"raft_term":"2"},"canceled":true,"compact_revision":"3"}})");
  SHARECTL_REQUIRE_OK(compacted);
  const auto& k = std::get<WatchResponse>(*compacted);
  CHECK(k.canceled);
  CHECK(k.compact_revision == 3);
  CHECK(k.header.revision == 0);

  auto refused = decode_watch_message(
      R"({"result":{"watch_id":"-1","created":true,"canceled":true,"cancel_reason":)"
      R"("rpc error: code = Unauthenticated desc = etcdserver: invalid auth token"}})");
  SHARECTL_REQUIRE_OK(refused);
  CHECK(std::get<WatchResponse>(*refused).watch_id == -1);
  CHECK(std::get<WatchResponse>(*refused).cancel_reason.find("invalid auth token") !=
        std::string::npos);

  auto stream_error = decode_watch_message(
      R"({"error":{"grpc_code":14,"http_code":503,"message":"etcdserver: no leader",)"
      R"("http_status":"Service Unavailable"}})");
  SHARECTL_REQUIRE_OK(stream_error);
  CHECK(std::get<GatewayError>(*stream_error) == GatewayError{503, 14, "etcdserver: no leader"});

  CHECK_FALSE(decode_watch_message(R"({"other":{}})").has_value());
  CHECK_FALSE(decode_watch_message(R"({"result":{"events":[{"type":"EXPIRE"}]}})").has_value());

  auto alive = decode_keepalive_message(R"({"result":{)" + std::string(k_header) +
                                        R"(,"ID":"123","TTL":"9"}})");
  SHARECTL_REQUIRE_OK(alive);
  CHECK(std::get<LeaseKeepAliveResponse>(*alive).ttl == 9);
  auto expired = decode_keepalive_message(R"({"result":{"ID":"123"}})");
  SHARECTL_REQUIRE_OK(expired);
  CHECK(std::get<LeaseKeepAliveResponse>(*expired).id == 123);
  CHECK(std::get<LeaseKeepAliveResponse>(*expired).ttl == 0);
}

} // namespace sharectl::store::etcd
