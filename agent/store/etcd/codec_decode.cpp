#include <nlohmann/json.hpp>

#include "agent/store/etcd/codec.hpp"
#include "agent/store/etcd/codec_read.hpp"

namespace sharectl::store::etcd {

using namespace detail;
using nlohmann::json;

namespace {

Result<ResponseOp> response_op_from(const json& obj, const std::string& where) {
  if (!obj.is_object()) {
    return malformed(where, "is not an object");
  }
  // An operation whose result is entirely zero-valued may arrive as {"response_put":{}}.
  if (const json* range = member(obj, "response_range")) {
    auto out = range_from(*range, where + ".response_range");
    return out ? Result<ResponseOp>(std::move(*out)) : std::unexpected(out.error());
  }
  if (const json* put = member(obj, "response_put")) {
    auto out = put_from(*put, where + ".response_put");
    return out ? Result<ResponseOp>(std::move(*out)) : std::unexpected(out.error());
  }
  if (const json* del = member(obj, "response_delete_range")) {
    auto out = delete_from(*del, where + ".response_delete_range");
    return out ? Result<ResponseOp>(std::move(*out)) : std::unexpected(out.error());
  }
  return malformed(where, "is not a range, put or delete_range response");
}

} // namespace

Result<ResponseHeader> decode_header_only(std::string_view body) {
  auto doc = parse_object(body);
  if (!doc) {
    return std::unexpected(doc.error());
  }
  return header_from(*doc, "response");
}

Result<RangeResponse> decode_range(std::string_view body) {
  auto doc = parse_object(body);
  if (!doc) {
    return std::unexpected(doc.error());
  }
  return range_from(*doc, "range");
}

Result<PutResponse> decode_put(std::string_view body) {
  auto doc = parse_object(body);
  if (!doc) {
    return std::unexpected(doc.error());
  }
  return put_from(*doc, "put");
}

Result<DeleteRangeResponse> decode_delete_range(std::string_view body) {
  auto doc = parse_object(body);
  if (!doc) {
    return std::unexpected(doc.error());
  }
  return delete_from(*doc, "deleterange");
}

Result<TxnResponse> decode_txn(std::string_view body) {
  auto doc = parse_object(body);
  if (!doc) {
    return std::unexpected(doc.error());
  }
  TxnResponse out;
  auto header = header_from(*doc, "txn");
  if (!header) {
    return std::unexpected(header.error());
  }
  out.header = *header;
  SHARECTL_ETCD_TRY(read_bool(*doc, "succeeded", "txn", out.succeeded));
  auto responses = read_array(*doc, "responses", "txn");
  if (!responses) {
    return std::unexpected(responses.error());
  }
  if (*responses != nullptr) {
    for (std::size_t i = 0; i < (*responses)->size(); ++i) {
      auto op = response_op_from((**responses)[i], "txn.responses[" + std::to_string(i) + "]");
      if (!op) {
        return std::unexpected(op.error());
      }
      out.responses.push_back(std::move(*op));
    }
  }
  return out;
}

Result<LeaseGrantResponse> decode_lease_grant(std::string_view body) {
  auto doc = parse_object(body);
  if (!doc) {
    return std::unexpected(doc.error());
  }
  LeaseGrantResponse out;
  auto header = header_from(*doc, "lease");
  if (!header) {
    return std::unexpected(header.error());
  }
  out.header = *header;
  SHARECTL_ETCD_TRY(read_integer(*doc, "ID", "lease", out.id));
  SHARECTL_ETCD_TRY(read_integer(*doc, "TTL", "lease", out.ttl));
  std::string error;
  SHARECTL_ETCD_TRY(read_string(*doc, "error", "lease", error));
  if (!error.empty()) {
    return fail(ErrorCode::unavailable, "etcd lease grant failed: " + error);
  }
  return out;
}

Result<MemberListResponse> decode_member_list(std::string_view body) {
  auto doc = parse_object(body);
  if (!doc) {
    return std::unexpected(doc.error());
  }
  MemberListResponse out;
  auto header = header_from(*doc, "members");
  if (!header) {
    return std::unexpected(header.error());
  }
  out.header = *header;
  auto members = read_array(*doc, "members", "members");
  if (!members) {
    return std::unexpected(members.error());
  }
  if (*members == nullptr) {
    return out;
  }
  for (std::size_t i = 0; i < (*members)->size(); ++i) {
    const json& m = (**members)[i];
    const std::string where = "members[" + std::to_string(i) + "]";
    if (!m.is_object()) {
      return malformed(where, "is not an object");
    }
    Member member_out;
    SHARECTL_ETCD_TRY(read_integer(m, "ID", where, member_out.id));
    SHARECTL_ETCD_TRY(read_string(m, "name", where, member_out.name));
    SHARECTL_ETCD_TRY(read_bool(m, "isLearner", where, member_out.is_learner));
    for (const auto& [field, target] : {std::pair{"peerURLs", &member_out.peer_urls},
                                        std::pair{"clientURLs", &member_out.client_urls}}) {
      auto urls = read_array(m, field, where);
      if (!urls) {
        return std::unexpected(urls.error());
      }
      if (*urls == nullptr) {
        continue;
      }
      for (const json& url : **urls) {
        if (!url.is_string()) {
          return malformed(where + "." + field, "holds a non-string");
        }
        target->push_back(url.get<std::string>());
      }
    }
    out.members.push_back(std::move(member_out));
  }
  return out;
}

Result<StatusResponse> decode_status(std::string_view body) {
  auto doc = parse_object(body);
  if (!doc) {
    return std::unexpected(doc.error());
  }
  StatusResponse out;
  auto header = header_from(*doc, "status");
  if (!header) {
    return std::unexpected(header.error());
  }
  out.header = *header;
  SHARECTL_ETCD_TRY(read_string(*doc, "version", "status", out.version));
  SHARECTL_ETCD_TRY(read_integer(*doc, "dbSize", "status", out.db_size));
  SHARECTL_ETCD_TRY(read_integer(*doc, "leader", "status", out.leader));
  SHARECTL_ETCD_TRY(read_integer(*doc, "raftIndex", "status", out.raft_index));
  SHARECTL_ETCD_TRY(read_integer(*doc, "raftTerm", "status", out.raft_term));
  auto errors = read_array(*doc, "errors", "status");
  if (!errors) {
    return std::unexpected(errors.error());
  }
  if (*errors != nullptr) {
    for (const json& error : **errors) {
      if (!error.is_string()) {
        return malformed("status.errors", "holds a non-string");
      }
      out.errors.push_back(error.get<std::string>());
    }
  }
  return out;
}

Result<std::string> decode_authenticate(std::string_view body) {
  auto doc = parse_object(body);
  if (!doc) {
    return std::unexpected(doc.error());
  }
  std::string token;
  SHARECTL_ETCD_TRY(read_string(*doc, "token", "authenticate", token));
  if (token.empty()) {
    return malformed("authenticate", "has no token (is auth enabled on the cluster?)");
  }
  return token;
}

} // namespace sharectl::store::etcd
