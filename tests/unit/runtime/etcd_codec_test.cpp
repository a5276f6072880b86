#include "troupe/runtime/etcd_codec.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace troupe::runtime::etcd;
using nlohmann::json;

TEST(runtimeEtcdCodec, Base64RoundTripsEveryLengthAndByte) {
  std::string bytes;
  for (int i = 0; i < 300; ++i) {
    auto text = base64_encode(bytes);
    EXPECT_EQ(text.size() % 4, 0u);
    auto back = base64_decode(text);
    ASSERT_TRUE(back) << i;
    EXPECT_EQ(*back, bytes);
    bytes += static_cast<char>(i * 7);
  }
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("f"), "Zg==");
}

TEST(runtimeEtcdCodec, Base64RefusesMalformedText) {
  EXPECT_FALSE(base64_decode("Zm9"));
  EXPECT_FALSE(base64_decode("Zm9*"));
  EXPECT_FALSE(base64_decode("Z==="));
  EXPECT_FALSE(base64_decode("Zg==Zm9v"));
  EXPECT_FALSE(base64_decode("Z=g="));
}

TEST(runtimeEtcdCodec, PrefixEndIsTheNextKeyAfterEveryKeyWithThePrefix) {
  EXPECT_EQ(prefix_end("/troupe/"), "/troupe0");
  EXPECT_EQ(prefix_end(std::string{"a\xff", 2}), "b");
  EXPECT_EQ(prefix_end(""), std::string(1, '\0'));
}

TEST(runtimeEtcdCodec, TransactionsRenderEtcdsGatewayJson) {
  txn_request req;
  req.compares.push_back(compare::mod_revision("k", 42));
  req.compares.push_back(compare::mod_revision("new", 0));
  req.compares.push_back(compare::exists("m"));
  req.compares.push_back(compare::absent("gone"));
  req.success.push_back(operation::put("k", "v", 7));
  req.failure.push_back(operation::range("k"));
  req.failure.push_back(operation::prefix("p/", 5));
  auto j = json::parse(encode_txn(req));
  auto c = j["compare"];
  ASSERT_EQ(c.size(), 4u);
  EXPECT_EQ(c[0], (json{{"key", "aw=="},
                        {"target", "MOD"},
                        {"result", "EQUAL"},
                        {"mod_revision", "42"}}));
  EXPECT_EQ(c[1]["target"], "CREATE");
  EXPECT_EQ(c[1]["create_revision"], "0");
  EXPECT_EQ(c[2]["target"], "VERSION");
  EXPECT_EQ(c[2]["result"], "GREATER");
  EXPECT_EQ(c[3]["result"], "EQUAL");
  EXPECT_EQ(c[3]["version"], "0");
  EXPECT_EQ(j["success"][0]["request_put"],
            (json{{"key", "aw=="}, {"value", "dg=="}, {"lease", "7"}}));
  EXPECT_EQ(j["failure"][0]["request_range"], (json{{"key", "aw=="}}));
  EXPECT_EQ(j["failure"][1]["request_range"],
            (json{{"key", base64_encode("p/")},
                  {"range_end", base64_encode("p0")},
                  {"min_mod_revision", "5"}}));
}

TEST(runtimeEtcdCodec, TransactionAnswersAreRead) {
  // As etcd 3.4 answers: int64s as strings, defaults left out.
  auto body = R"({"header":{"revision":"12","raft_term":"2"},
    "succeeded":true,"responses":[{"response_put":{"header":{}}},
    {"response_range":{"kvs":[{"key":"aw==","create_revision":"3",
     "mod_revision":"11","version":"4","value":"dg==","lease":"99"}],
     "count":"1"}},{"response_range":{}}]})";
  std::string why;
  auto res = decode_txn(body, &why);
  ASSERT_TRUE(res) << why;
  EXPECT_TRUE(res->succeeded);
  EXPECT_EQ(res->revision, 12);
  ASSERT_EQ(res->ranges.size(), 2u);
  ASSERT_EQ(res->ranges[0].size(), 1u);
  const auto& kv = res->ranges[0][0];
  EXPECT_EQ(kv.key, "k");
  EXPECT_EQ(kv.value, "v");
  EXPECT_EQ(kv.create_revision, 3);
  EXPECT_EQ(kv.mod_revision, 11);
  EXPECT_EQ(kv.version, 4);
  EXPECT_EQ(kv.lease, 99);
  EXPECT_TRUE(res->ranges[1].empty());
  auto failed = decode_txn(R"({"header":{"revision":"5"}})", &why);
  ASSERT_TRUE(failed);
  EXPECT_FALSE(failed->succeeded);
}

TEST(runtimeEtcdCodec, ErrorsAndOddAnswersAreNamed) {
  std::string why;
  EXPECT_FALSE(decode_txn(
      R"({"error":"etcdserver: too many operations in txn request","code":3})",
      &why));
  EXPECT_EQ(why, "etcd: etcdserver: too many operations in txn request");
  EXPECT_FALSE(decode_txn("<html>", &why));
  EXPECT_FALSE(decode_txn(R"({"responses":[]})", &why)); // no header
  EXPECT_FALSE(decode_txn(
      R"({"header":{"revision":"1"},"responses":[{"response_range":
      {"kvs":[{"key":"not base64!"}]}}]})",
      &why));
  EXPECT_FALSE(decode_txn(R"({"header":{"revision":"x1"}})", &why));
}

TEST(runtimeEtcdCodec, LeasesAreGrantedRenewedAndFoundGone) {
  std::string why;
  auto g = decode_grant(R"({"header":{},"ID":"7587","TTL":"2"})", &why);
  ASSERT_TRUE(g) << why;
  EXPECT_EQ(g->id, 7587);
  EXPECT_EQ(g->ttl, 2);
  EXPECT_FALSE(decode_grant(R"({"header":{}})", &why));
  EXPECT_EQ(json::parse(encode_grant(2)), (json{{"TTL", "2"}}));
  EXPECT_EQ(json::parse(encode_lease_id(7587)), (json{{"ID", "7587"}}));
  auto alive = decode_keepalive(R"({"result":{"ID":"7587","TTL":"2"}})", &why);
  ASSERT_TRUE(alive);
  EXPECT_EQ(*alive, 2);
  // An expired lease: the TTL is left out (0).
  auto gone = decode_keepalive(R"({"result":{"ID":"7587"}})", &why);
  ASSERT_TRUE(gone);
  EXPECT_EQ(*gone, 0);
  auto missing = decode_keepalive(
      R"({"error":"etcdserver: requested lease not found","code":5})", &why);
  ASSERT_TRUE(missing);
  EXPECT_EQ(*missing, 0);
  EXPECT_FALSE(decode_keepalive(R"({"error":"etcdserver: no leader"})", &why));
  EXPECT_EQ(why, "etcd: etcdserver: no leader");
}
