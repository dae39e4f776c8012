#include "common/signing/order_json.h"

#include <gtest/gtest.h>

namespace clobmaker::signing {
namespace {

constexpr char kKey[] = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

SignedOrder Sample(OrderVersion version) {
  auto key = crypto::PrivateKey::FromHex(kKey);
  UnsignedOrder o;
  o.salt = Uint256(479249096354ULL);
  o.maker = key->address();
  o.signer = key->address();
  o.token_id = *Uint256::FromDecimal("71321045679252212594626385532706912750332728571942532289631379312455583992563");
  o.maker_amount = 11'782'400;
  o.taker_amount = 21'040'000;
  o.side = model::Side::kSell;
  o.timestamp_ms = 1'780'449'126'930ULL;
  o.nonce = 3;
  o.fee_rate_bps = 7;
  o.metadata[31] = 1;
  const auto contracts = *ContractsForChain(137);
  return *SignOrder(
      o, HashDomain({.version = version, .chain_id = 137, .exchange = ExchangeFor(contracts, version, false)}), *key);
}

TEST(ParsePostOrderJson, RoundTripsV2AndV1) {
  for (OrderVersion v : {OrderVersion::kV2, OrderVersion::kV1}) {
    const SignedOrder s = Sample(v);
    auto parsed = ParsePostOrderJson(PostOrderJson(s, "owner-key", OrderType::kGtd, true));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(parsed->v1_shape, v == OrderVersion::kV1);
    EXPECT_EQ(parsed->owner, "owner-key");
    EXPECT_EQ(parsed->type, OrderType::kGtd);
    EXPECT_TRUE(parsed->post_only);
    const auto contracts = *ContractsForChain(137);
    const auto domain = HashDomain({.version = v, .chain_id = 137, .exchange = ExchangeFor(contracts, v, false)});
    EXPECT_EQ(OrderHash(parsed->order.order, domain), s.id.bytes());
    EXPECT_EQ(parsed->order.signature, s.signature);
    EXPECT_EQ(parsed->order.order.side, model::Side::kSell);
  }
}

TEST(ParsePostOrderJson, BatchesAndBadPayloads) {
  const SignedOrder s = Sample(OrderVersion::kV2);
  auto batch = ParsePostOrdersJson(PostOrdersJson({&s, &s}, "k", OrderType::kGtc, false));
  ASSERT_TRUE(batch.ok());
  EXPECT_EQ(batch->size(), 2u);
  EXPECT_FALSE(ParsePostOrderJson("{").ok());
  EXPECT_FALSE(ParsePostOrderJson(R"({"order":{},"owner":"k","orderType":"GTC"})").ok());
  EXPECT_FALSE(ParsePostOrdersJson(PostOrderJson(s, "k", OrderType::kGtc, false)).ok());  // not an array
  std::string bad_side = PostOrderJson(s, "k", OrderType::kGtc, false);
  bad_side.replace(bad_side.find("\"SELL\""), 6, "\"BID\"");
  EXPECT_FALSE(ParsePostOrderJson(bad_side).ok());
}

}  // namespace
}  // namespace clobmaker::signing
