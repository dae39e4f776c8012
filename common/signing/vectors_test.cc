// Every signing/auth vector in shared/testdata, through the production code paths.
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/core/hex.h"
#include "common/signing/auth.h"
#include "common/signing/cli/sign_line.h"
#include "common/signing/order.h"

namespace clobmaker::signing {
namespace {

std::string TestDataDir() {
  if (const char* env = std::getenv("CLOBMAKER_TESTDATA")) return env;
  return std::string(CLOBMAKER_SOURCE_DIR) + "/../shared/testdata";
}

std::string ReadFile(const std::string& name) {
  std::ifstream in(TestDataDir() + "/" + name);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

rapidjson::Document Load(const std::string& name) {
  rapidjson::Document doc;
  doc.Parse(ReadFile(name).c_str());
  EXPECT_FALSE(doc.HasParseError()) << name;
  return doc;
}

std::string S(const rapidjson::Value& v, const char* key) {
  if (!v.HasMember(key)) return {};
  const auto& m = v[key];
  if (m.IsString()) return m.GetString();
  if (m.IsUint64()) return std::to_string(m.GetUint64());
  if (m.IsInt64()) return std::to_string(m.GetInt64());
  return {};
}

crypto::Address A(const std::string& s) { return *crypto::Address::Parse(s); }
crypto::PrivateKey Key(const std::string& hex) { return std::move(*crypto::PrivateKey::FromHex(hex)); }

// Builds an UnsignedOrder from a vector's "order" object (numeric or string side).
UnsignedOrder OrderFrom(const rapidjson::Value& o) {
  UnsignedOrder order;
  if (o.HasMember("salt")) order.salt = *Uint256::FromDecimal(S(o, "salt"));
  order.maker = A(S(o, "maker"));
  order.signer = A(S(o, "signer"));
  if (o.HasMember("taker")) order.taker = A(S(o, "taker"));
  order.token_id = *Uint256::FromDecimal(S(o, "tokenId"));
  order.maker_amount = std::stoll(S(o, "makerAmount"));
  order.taker_amount = std::stoll(S(o, "takerAmount"));
  const auto& side = o["side"];
  order.side = side.IsInt()
                   ? static_cast<model::Side>(side.GetInt())
                   : (std::string(side.GetString()).rfind("BUY", 0) == 0 ? model::Side::kBuy : model::Side::kSell);
  order.signature_type = static_cast<SignatureType>(o["signatureType"].GetInt());
  if (o.HasMember("expiration")) order.expiration = std::stoull(S(o, "expiration"));
  if (o.HasMember("nonce")) order.nonce = std::stoull(S(o, "nonce"));
  if (o.HasMember("feeRateBps")) order.fee_rate_bps = std::stoull(S(o, "feeRateBps"));
  if (o.HasMember("timestamp")) order.timestamp_ms = std::stoull(S(o, "timestamp"));
  if (o.HasMember("metadata")) {
    EXPECT_TRUE(HexDecodeInto(S(o, "metadata"), order.metadata).ok());
  }
  if (o.HasMember("builder")) {
    EXPECT_TRUE(HexDecodeInto(S(o, "builder"), order.builder).ok());
  }
  return order;
}

void CheckJsonlFile(const std::string& name, size_t expected_lines) {
  std::istringstream lines(ReadFile(name));
  std::string line;
  size_t count = 0;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    ++count;
    rapidjson::Document input;
    input.Parse(line.c_str());
    ASSERT_TRUE(input.IsObject());
    const auto& expected = input["expected"];
    rapidjson::Document output;
    const std::string out = SignLine(line);
    output.Parse(out.c_str());
    ASSERT_TRUE(output.IsObject()) << out;
    ASSERT_FALSE(output.HasMember("error")) << name << " line " << count << ": " << out;
    for (const char* field : {"maker_amount", "taker_amount", "exchange", "order_hash", "signature"}) {
      EXPECT_EQ(S(output, field), S(expected, field)) << name << " line " << count << " field " << field;
    }
  }
  EXPECT_EQ(count, expected_lines);
}

TEST(SigningVectors, OfficialClientV1Lines) { CheckJsonlFile("order-signing-v1.jsonl", 12); }
TEST(SigningVectors, OfficialClientV2Lines) { CheckJsonlFile("order-signing-v2.jsonl", 24); }

TEST(SigningVectors, PublicOrderVectorsV1AndV2) {
  const auto doc = Load("polymarket-vectors.json");
  const auto key = Key(doc["private_key"].GetString());
  int checked_sigs = 0;
  for (const auto* section : {"order_v1", "order_v2"}) {
    const OrderVersion version = std::string(section) == "order_v1" ? OrderVersion::kV1 : OrderVersion::kV2;
    for (const auto& v : doc[section]["vectors"].GetArray()) {
      const UnsignedOrder order = OrderFrom(v["order"]);
      const auto domain = HashDomain({.version = version,
                                      .chain_id = v["chainId"].GetUint64(),
                                      .exchange = A(v["verifyingContract"].GetString())});
      EXPECT_EQ(HexEncode(OrderHash(order, domain)), S(v, "eip712_digest")) << S(v, "source");
      const bool ours = order.signature_type == SignatureType::kPoly1271 ? true : order.signer == key.address();
      if (v.HasMember("signature") && ours) {
        auto signed_order = SignOrder(order, domain, key);
        ASSERT_TRUE(signed_order.ok()) << signed_order.status();
        EXPECT_EQ(signed_order->signature, S(v, "signature")) << S(v, "source");
        ++checked_sigs;
      }
    }
  }
  EXPECT_GE(checked_sigs, 4);
}

TEST(SigningVectors, ClobAuthL1) {
  const auto doc = Load("polymarket-vectors.json");
  const auto key = Key(doc["private_key"].GetString());
  for (const auto& v : doc["clob_auth_l1"].GetArray()) {
    const auto& m = v["message"];
    const uint64_t chain = v["domain"]["chainId"].GetUint64();
    const auto digest =
        ClobAuthDigest(A(m["address"].GetString()), chain, m["timestamp"].GetString(), m["nonce"].GetUint64());
    EXPECT_EQ(HexEncode(digest), S(v, "eip712_digest"));
    const L1Headers headers = MakeL1Headers(key, chain, std::stoll(m["timestamp"].GetString()), m["nonce"].GetUint64());
    EXPECT_EQ(headers.signature, S(v, "signature"));
    EXPECT_EQ(headers.address, "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
    auto verified = VerifyL1(headers, chain, std::stoll(headers.timestamp), 30);
    ASSERT_TRUE(verified.ok()) << verified.status();
    EXPECT_EQ(*verified, key.address());
  }
}

TEST(SigningVectors, HmacL2) {
  const auto doc = Load("polymarket-vectors.json");
  for (const auto& v : doc["hmac_l2"].GetArray()) {
    for (const char* secret_field : {"secret_b64url", "secret_b64_equivalent"}) {
      if (!v.HasMember(secret_field)) continue;
      if (v.HasMember("method")) {
        auto sig = L2Signature(S(v, secret_field), S(v, "timestamp"), S(v, "method"), S(v, "path"), S(v, "body"));
        ASSERT_TRUE(sig.ok());
        EXPECT_EQ(*sig, S(v, "signature")) << S(v, "source");
      } else {
        // Message given whole: split is irrelevant to the HMAC.
        auto sig = L2Signature(S(v, secret_field), S(v, "message"), "", "", "");
        ASSERT_TRUE(sig.ok());
        EXPECT_EQ(*sig, S(v, "signature")) << secret_field;
      }
    }
  }
}

TEST(SigningVectors, LimitOrderAmounts) {
  const auto doc = Load("polymarket-vectors.json");
  for (const auto& c : doc["limit_order_amounts"]["cases"].GetArray()) {
    auto amounts = LimitOrderAmounts(*model::ParseSide(S(c, "side")), *model::Price::Parse(S(c, "price")),
                                     *model::Size::Parse(S(c, "size")), *model::TickSize::Parse(S(c, "tick")));
    ASSERT_TRUE(amounts.ok()) << amounts.status();
    EXPECT_EQ(std::to_string(amounts->maker), S(c, "makerAmount"));
    EXPECT_EQ(std::to_string(amounts->taker), S(c, "takerAmount"));
  }
}

TEST(SigningVectors, OfficialV2AndV3IncludingPoly1271) {
  const auto doc = Load("polymarket-v2-official-vectors.json");
  const auto pub = Load("polymarket-vectors.json");
  const auto key = Key(pub["private_key"].GetString());
  // The py-clob-client-v2 POLY_1271 vector.
  {
    const auto& v = doc["official"]["poly1271_order_signature"];
    const UnsignedOrder order = OrderFrom(v["order"]);
    const auto domain = HashDomain({.version = OrderVersion::kV2,
                                    .chain_id = v["chainId"].GetUint64(),
                                    .exchange = A(v["verifyingContract"].GetString())});
    auto signed_order = SignOrder(order, domain, key);
    ASSERT_TRUE(signed_order.ok()) << signed_order.status();
    EXPECT_EQ(signed_order->signature, S(v, "expected_signature"));
    EXPECT_EQ(signed_order->signature.size(), 636u);
    auto owner = VerifyOrderSignature(*signed_order, domain);
    ASSERT_TRUE(owner.ok()) << owner.status();
    EXPECT_EQ(*owner, key.address());
  }
  for (const auto& v : doc["computed_with_official_ts_client"]["orders"].GetArray()) {
    UnsignedOrder order = OrderFrom(v["order_input"]);
    order.salt = *Uint256::FromDecimal(S(v, "salt"));
    if (v["order_input"].HasMember("expiration")) order.expiration = std::stoull(S(v["order_input"], "expiration"));
    const auto version = *OrderVersionFromInt(std::stoi(S(v, "domain_version")));
    const auto domain = HashDomain(
        {.version = version, .chain_id = v["chainId"].GetUint64(), .exchange = A(v["verifyingContract"].GetString())});
    const auto& e = v["expected"];
    EXPECT_EQ(HexEncode(domain.separator), S(e, "domain_separator")) << S(v, "name");
    auto signed_order = SignOrder(order, domain, key);
    ASSERT_TRUE(signed_order.ok()) << S(v, "name") << ": " << signed_order.status();
    EXPECT_EQ(signed_order->id.ToString(), S(e, "order_hash")) << S(v, "name");
    EXPECT_EQ(signed_order->signature, S(e, "signature")) << S(v, "name");
    EXPECT_TRUE(VerifyOrderSignature(*signed_order, domain).ok()) << S(v, "name");
  }
}

TEST(SigningVectors, PostBodyAndL2HeadersByteExact) {
  const auto doc = Load("polymarket-v2-official-vectors.json");
  const auto pub = Load("polymarket-vectors.json");
  const auto key = Key(pub["private_key"].GetString());
  const auto& section = doc["computed_with_official_ts_client"]["post_order_body_and_l2"];
  const ApiCredentials creds(S(section["creds"], "key"), S(section["creds"], "secret"),
                             S(section["creds"], "passphrase"));
  const auto& v = doc["computed_with_official_ts_client"]["orders"][0];
  UnsignedOrder order = OrderFrom(v["order_input"]);
  order.salt = *Uint256::FromDecimal(S(v, "salt"));
  const auto domain = HashDomain({.version = OrderVersion::kV2,
                                  .chain_id = v["chainId"].GetUint64(),
                                  .exchange = A(v["verifyingContract"].GetString())});
  auto signed_order = SignOrder(order, domain, key);
  ASSERT_TRUE(signed_order.ok());
  const std::string body = PostOrderJson(*signed_order, creds.key(), OrderType::kGtc, false, false);
  EXPECT_EQ(body, S(section["POST /order"], "body_json"));

  const auto& post_headers = section["POST /order"]["l2_headers"];
  const int64_t ts = std::stoll(S(post_headers, "POLY_TIMESTAMP"));
  auto headers = MakeL2Headers(creds, key.address(), ts, "POST", "/order", body);
  ASSERT_TRUE(headers.ok());
  EXPECT_EQ(headers->signature, S(post_headers, "POLY_SIGNATURE"));
  EXPECT_EQ(headers->address, S(post_headers, "POLY_ADDRESS"));
  EXPECT_EQ(headers->api_key, S(post_headers, "POLY_API_KEY"));
  EXPECT_EQ(headers->passphrase, S(post_headers, "POLY_PASSPHRASE"));
  EXPECT_TRUE(VerifyL2(*headers, creds, "POST", "/order", body, ts + 5, 30).ok());

  const std::string cancel_body = "{\"orderID\":\"" + signed_order->id.ToString() + "\"}";
  EXPECT_EQ(cancel_body, S(section["DELETE /order"], "body_json"));
  auto cancel = MakeL2Headers(creds, key.address(), ts, "DELETE", "/order", cancel_body);
  EXPECT_EQ(cancel->signature, S(section["DELETE /order"]["l2_headers"], "POLY_SIGNATURE"));

  auto list = MakeL2Headers(creds, key.address(), ts, "GET", "/data/orders", "");
  EXPECT_EQ(list->signature,
            S(section["GET /data/orders (no query string in the signed path)"]["l2_headers"], "POLY_SIGNATURE"));

  for (auto it = section.MemberBegin(); it != section.MemberEnd(); ++it) {
    const std::string name = it->name.GetString();
    if (name.rfind("L1 headers", 0) != 0) continue;
    const auto& expected = it->value;
    const L1Headers l1 = MakeL1Headers(key, 137, std::stoll(S(expected, "POLY_TIMESTAMP")), 0);
    EXPECT_EQ(l1.signature, S(expected, "POLY_SIGNATURE"));
    EXPECT_EQ(l1.address, S(expected, "POLY_ADDRESS"));
  }
}

}  // namespace
}  // namespace clobmaker::signing
