#include "common/signing/order.h"

#include <gtest/gtest.h>

#include "common/core/int128.h"
#include "common/signing/cli/sign_line.h"

namespace clobmaker::signing {
namespace {

using model::Price;
using model::Side;
using model::Size;
using model::TickSize;

constexpr char kKey[] = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

TEST(LimitOrderAmounts, OfficialExamplesForAllSixTicks) {
  struct Case {
    const char* tick;
    Side side;
    const char* price;
    const char* size;
    int64_t maker, taker;
  };
  const Case cases[] = {
      {"0.1", Side::kBuy, "0.5", "21.04", 10520000, 21040000},
      {"0.01", Side::kBuy, "0.56", "21.04", 11782400, 21040000},
      {"0.01", Side::kSell, "0.56", "21.04", 21040000, 11782400},
      {"0.001", Side::kBuy, "0.056", "21.04", 1178240, 21040000},
      {"0.0001", Side::kBuy, "0.0056", "21.04", 117824, 21040000},
      {"0.005", Side::kBuy, "0.185", "4934.52", 912886200, 4934520000},
      {"0.0025", Side::kBuy, "0.6675", "2783.39", 1857912825, 2783390000},
  };
  for (const Case& c : cases) {
    auto a = LimitOrderAmounts(c.side, *Price::Parse(c.price), *Size::Parse(c.size), *TickSize::Parse(c.tick));
    ASSERT_TRUE(a.ok()) << c.tick << " " << c.price;
    EXPECT_EQ(a->maker, c.maker) << c.tick << " " << c.price;
    EXPECT_EQ(a->taker, c.taker) << c.tick << " " << c.price;
  }
}

TEST(LimitOrderAmounts, RefusesBadIntents) {
  const TickSize cent = TickSize::Cent();
  EXPECT_FALSE(LimitOrderAmounts(Side::kBuy, Price(5050), Size(1'000'000), cent).ok());  // off tick
  EXPECT_FALSE(LimitOrderAmounts(Side::kBuy, Price(0), Size(1'000'000), cent).ok());     // outside (0,1)
  EXPECT_FALSE(LimitOrderAmounts(Side::kBuy, Price(10000), Size(1'000'000), cent).ok());
  EXPECT_FALSE(LimitOrderAmounts(Side::kBuy, Price(5000), Size(0), cent).ok());          // zero size
  EXPECT_FALSE(LimitOrderAmounts(Side::kBuy, Price(5000), Size(1'001'000), cent).ok());  // 3 decimals
  EXPECT_TRUE(LimitOrderAmounts(Side::kBuy, Price(100), Size(1'000'000), cent).ok());    // = tick
  EXPECT_TRUE(LimitOrderAmounts(Side::kSell, Price(9900), Size(1'000'000), cent).ok());  // = 1 - tick
}

TEST(LimitOrderAmounts, PropertyNotionalIsExactOnEveryTick) {
  for (int64_t tick_units : TickSize::kAllowedUnits) {
    const TickSize tick = *TickSize::FromUnits(tick_units);
    for (int64_t p = tick_units; p < model::kPriceOne; p += tick_units * 7) {
      for (int64_t cents : {1, 99, 12345, 100000001}) {
        auto a = LimitOrderAmounts(Side::kBuy, Price(p), Size(cents * 10'000), tick);
        ASSERT_TRUE(a.ok());
        // maker / taker is the price exactly: maker * 10^4 == taker * p
        EXPECT_EQ(static_cast<Int128>(a->maker) * 10'000, static_cast<Int128>(a->taker) * p);
      }
    }
  }
}

UnsignedOrder SampleOrder(const crypto::PrivateKey& key) {
  UnsignedOrder o;
  o.salt = Uint256(479249096354ULL);
  o.maker = key.address();
  o.signer = key.address();
  o.token_id = Uint256(1234);
  o.maker_amount = 100'000'000;
  o.taker_amount = 50'000'000;
  o.timestamp_ms = 1'780'449'126'930ULL;
  return o;
}

TEST(SignOrder, IdIsKnownBeforeSendingAndVerifies) {
  auto key = crypto::PrivateKey::FromHex(kKey);
  const auto contracts = *ContractsForChain(137);
  for (OrderVersion v : {OrderVersion::kV1, OrderVersion::kV2, OrderVersion::kV3}) {
    const auto domain = HashDomain({.version = v, .chain_id = 137, .exchange = ExchangeFor(contracts, v, false)});
    auto s = SignOrder(SampleOrder(*key), domain, *key);
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(s->id, model::OrderId(OrderHash(SampleOrder(*key), domain)));
    auto who = VerifyOrderSignature(*s, domain);
    ASSERT_TRUE(who.ok()) << who.status();
    EXPECT_EQ(*who, key->address());
  }
}

TEST(SignOrder, DomainVersionsAndContractsDiffer) {
  const auto contracts = *ContractsForChain(137);
  EXPECT_EQ(ExchangeFor(contracts, OrderVersion::kV2, true).ToChecksum(), "0xe2222d279d744050d28e00520010520000310F59");
  EXPECT_EQ(ExchangeFor(contracts, OrderVersion::kV3, true).ToChecksum(), "0xe3333700cA9d93003F00f0F71f8515005F6c00Aa");
  EXPECT_EQ(ExchangeFor(contracts, OrderVersion::kV1, false).ToChecksum(),
            "0x4bFb41d5B3570DeFd03C39a9A4D8dE6Bd8B8982E");
  EXPECT_FALSE(ContractsForChain(1).ok());
  auto key = crypto::PrivateKey::FromHex(kKey);
  const auto v2 = HashDomain({.version = OrderVersion::kV2, .chain_id = 137, .exchange = contracts.exchange_v2});
  const auto v3 = HashDomain({.version = OrderVersion::kV3, .chain_id = 137, .exchange = contracts.exchange_v2});
  EXPECT_NE(OrderHash(SampleOrder(*key), v2), OrderHash(SampleOrder(*key), v3));
}

TEST(SignOrder, RefusesForeignSignerUnsafeSaltAnd1271OnV1) {
  auto key = crypto::PrivateKey::FromHex(kKey);
  const auto contracts = *ContractsForChain(137);
  const auto v2 = HashDomain({.version = OrderVersion::kV2, .chain_id = 137, .exchange = contracts.exchange_v2});
  UnsignedOrder foreign = SampleOrder(*key);
  foreign.signer = *crypto::Address::Parse("0x1111111111111111111111111111111111111111");
  EXPECT_FALSE(SignOrder(foreign, v2, *key).ok());
  UnsignedOrder big_salt = SampleOrder(*key);
  big_salt.salt = Uint256(1ULL << 53);
  EXPECT_FALSE(SignOrder(big_salt, v2, *key).ok());
  UnsignedOrder poly1271 = SampleOrder(*key);
  poly1271.signature_type = SignatureType::kPoly1271;
  const auto v1 = HashDomain({.version = OrderVersion::kV1, .chain_id = 137, .exchange = contracts.exchange});
  EXPECT_FALSE(SignOrder(poly1271, v1, *key).ok());
}

TEST(VerifyOrderSignature, DetectsTamperingAndForeignSignatures) {
  auto key = crypto::PrivateKey::FromHex(kKey);
  auto other = crypto::PrivateKey::FromHex("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d");
  const auto contracts = *ContractsForChain(137);
  const auto domain = HashDomain({.version = OrderVersion::kV2, .chain_id = 137, .exchange = contracts.exchange_v2});
  auto s = *SignOrder(SampleOrder(*key), domain, *key);
  SignedOrder tampered = s;
  tampered.order.maker_amount += 1;  // price changed after signing
  EXPECT_FALSE(VerifyOrderSignature(tampered, domain).ok());
  tampered.id = model::OrderId(OrderHash(tampered.order, domain));
  EXPECT_FALSE(VerifyOrderSignature(tampered, domain).ok());
  // Someone else's key claiming our address as signer.
  UnsignedOrder theirs = SampleOrder(*other);
  auto their_signed = *SignOrder(theirs, domain, *other);
  their_signed.order.signer = key->address();
  their_signed.order.maker = key->address();
  their_signed.id = model::OrderId(OrderHash(their_signed.order, domain));
  EXPECT_FALSE(VerifyOrderSignature(their_signed, domain).ok());
}

TEST(PostOrderJson, BatchIsAnArrayOfBodies) {
  auto key = crypto::PrivateKey::FromHex(kKey);
  const auto contracts = *ContractsForChain(137);
  const auto domain = HashDomain({.version = OrderVersion::kV2, .chain_id = 137, .exchange = contracts.exchange_v2});
  auto a = *SignOrder(SampleOrder(*key), domain, *key);
  const std::string one = PostOrderJson(a, "key", OrderType::kGtc, true);
  EXPECT_EQ(one.rfind("{\"deferExec\":false,\"postOnly\":true,\"order\":{\"salt\":479249096354,", 0), 0u);
  EXPECT_NE(one.find("\"orderType\":\"GTC\"}"), std::string::npos);
  EXPECT_EQ(PostOrdersJson({&a, &a}, "key", OrderType::kGtc, true), "[" + one + "," + one + "]");
  EXPECT_EQ(PostOrderJson(a, "k\"ey", OrderType::kGtd, false).find("k\"ey"), std::string::npos);  // escaped
}

TEST(SignLine, ErrorsAreLinesNotCrashes) {
  const std::string base =
      R"({"version":2,"private_key":"0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80","chain_id":137,"neg_risk":false,"tick_size":"0.01","side":"BUY","token_id":"1234","signature_type":0,"salt":"1","timestamp":"1","expiration":"0",)";
  EXPECT_EQ(SignLine(base + R"("price":"0.5","size":"10"})").find("error"), std::string::npos);
  for (const char* bad :
       {R"("price":"0.505","size":"10"})", R"("price":"1","size":"10"})", R"("price":"0","size":"10"})",
        R"("price":"0.5","size":"10.001"})", R"("price":"0.5","size":"0"})", R"("price":"abc","size":"1"})",
        R"("price":"0.5","size":"1","maker":"0x12"})"}) {
    const std::string out = SignLine(base + bad);
    EXPECT_EQ(out.rfind("{\"error\":", 0), 0u) << bad << " -> " << out;
  }
  EXPECT_EQ(SignLine("not json").rfind("{\"error\":", 0), 0u);
  EXPECT_EQ(SignLine("").rfind("{\"error\":", 0), 0u);
  const std::string bad_key =
      R"({"private_key":"0x1234","chain_id":137,"tick_size":"0.01","side":"BUY","price":"0.5","size":"1","token_id":"1","salt":"1"})";
  const std::string out = SignLine(bad_key);
  EXPECT_EQ(out.rfind("{\"error\":", 0), 0u);
  EXPECT_EQ(out.find("1234"), std::string::npos);  // never echo key material
}

}  // namespace
}  // namespace clobmaker::signing
