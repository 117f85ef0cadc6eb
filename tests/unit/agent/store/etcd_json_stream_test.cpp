// agent/store/etcd/json_stream: back-to-back JSON documents (etcd's watch stream) come out
// whole however the bytes were split into reads.
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "agent/store/etcd/codec.hpp"
#include "agent/store/etcd/json_stream.hpp"
#include "tests/support/require.hpp"

namespace sharectl::store::etcd {

namespace {

// Three watch messages as etcd 3.4 sends them, plus strings full of braces, brackets, quotes and
// backslashes (a value of "}\"]\\" after JSON escaping), separated by nothing, a newline, and
// spaces — the splitter must not care.
const std::vector<std::string> k_documents = {
    R"({"result":{"header":{"cluster_id":"1","member_id":"2","revision":"1","raft_term":"2"},)"
    R"("created":true}})",
    R"({"result":{"header":{"revision":"2"},"events":[{"kv":{"key":"L2EveA==",)"
    R"("create_revision":"2","mod_revision":"2","version":"1","value":"djE="}}],)"
    R"("cancel_reason":"}\"]\\{[\\\"","fragment":false}})",
    R"({"result":{"header":{"revision":"3"},"events":[{"type":"DELETE","kv":{"key":"L2EveA==",)"
    R"("mod_revision":"3"}}]}})",
};

std::string joined() {
  return k_documents[0] + k_documents[1] + "\n" + k_documents[2] + "  \r\n";
}

// Feeds the pieces in order, collecting every document; REQUIREs no error.
std::vector<std::string> split(const std::vector<std::string_view>& pieces) {
  JsonStreamSplitter splitter;
  std::vector<std::string> out;
  for (const std::string_view piece : pieces) {
    splitter.feed(piece);
    while (true) {
      auto document = splitter.next();
      REQUIRE(document.has_value());
      if (!*document) {
        break;
      }
      out.push_back(std::move(**document));
    }
  }
  CHECK(splitter.pending_bytes() == 0);
  return out;
}

} // namespace

TEST_CASE("etcd json stream: documents come out whole at every split point") {
  const std::string stream = joined();
  REQUIRE(split({stream}) == k_documents);
  std::size_t cases = 0;
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    const std::string_view all(stream);
    const auto documents = split({all.substr(0, cut), all.substr(cut)});
    CHECK_MESSAGE(documents == k_documents, "split at byte " << cut);
    ++cases;
  }
  CHECK(cases == stream.size() + 1);
  // Every document is a valid watch message.
  for (const std::string& document : k_documents) {
    SHARECTL_CHECK_OK(decode_watch_message(document));
  }
}

TEST_CASE("etcd json stream: byte by byte and three-way splits") {
  const std::string stream = joined();
  std::vector<std::string_view> bytes;
  for (std::size_t i = 0; i < stream.size(); ++i) {
    bytes.push_back(std::string_view(stream).substr(i, 1));
  }
  CHECK(split(bytes) == k_documents);
  for (std::size_t first = 0; first <= stream.size(); first += 7) {
    for (std::size_t second = first; second <= stream.size(); ++second) {
      const std::string_view all(stream);
      const auto documents =
          split({all.substr(0, first), all.substr(first, second - first), all.substr(second)});
      CHECK_MESSAGE(documents == k_documents, "splits at " << first << " and " << second);
    }
  }
}

TEST_CASE("etcd json stream: a partial document waits for more bytes") {
  JsonStreamSplitter splitter;
  const std::string partial = R"({"result":{"a":"}")";
  splitter.feed(partial);
  auto none = splitter.next();
  SHARECTL_REQUIRE_OK(none);
  CHECK_FALSE(none->has_value());
  CHECK(splitter.pending_bytes() == partial.size());
  splitter.feed("}}[1,[2]]{");
  auto first = splitter.next();
  SHARECTL_REQUIRE_OK(first);
  CHECK(first->value() == R"({"result":{"a":"}"}})");
  auto second = splitter.next();
  SHARECTL_REQUIRE_OK(second);
  CHECK(second->value() == "[1,[2]]");
  auto third = splitter.next();
  SHARECTL_REQUIRE_OK(third);
  CHECK_FALSE(third->has_value());
  CHECK(splitter.pending_bytes() == 1);
}

TEST_CASE("etcd json stream: garbage at the top level fails and stays failed until reset") {
  JsonStreamSplitter splitter;
  splitter.feed(R"({"ok":1} x{"never":2})");
  auto first = splitter.next();
  SHARECTL_REQUIRE_OK(first);
  CHECK(first->value() == R"({"ok":1})");
  auto bad = splitter.next();
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().code == ErrorCode::bad_request);
  CHECK(bad.error().message.find("got 'x'") != std::string::npos);
  splitter.feed(R"({"more":3})");
  CHECK_FALSE(splitter.next().has_value());
  splitter.reset();
  splitter.feed(R"({"more":3})");
  auto again = splitter.next();
  SHARECTL_REQUIRE_OK(again);
  CHECK(again->value() == R"({"more":3})");
}

TEST_CASE("etcd json stream: a document over the size limit fails") {
  JsonStreamSplitter splitter(16);
  splitter.feed(R"({"small":1})");
  auto small = splitter.next();
  SHARECTL_REQUIRE_OK(small);
  CHECK(small->has_value());
  splitter.feed(R"({"this one is too long":)");
  auto big = splitter.next();
  REQUIRE_FALSE(big.has_value());
  CHECK(big.error().code == ErrorCode::payload_too_large);
}

} // namespace sharectl::store::etcd
