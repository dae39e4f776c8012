#include "common/signing/auth.h"

#include <gtest/gtest.h>

namespace clobmaker::signing {
namespace {

constexpr char kKey[] = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

TEST(VerifyL1, RejectsStaleForeignAndTampered) {
  auto key = crypto::PrivateKey::FromHex(kKey);
  const L1Headers h = MakeL1Headers(*key, 137, 1'000'000, 0);
  EXPECT_TRUE(VerifyL1(h, 137, 1'000'010, 30).ok());
  EXPECT_EQ(VerifyL1(h, 137, 1'000'100, 30).status().code(), absl::StatusCode::kUnauthenticated);  // stale
  EXPECT_FALSE(VerifyL1(h, 80002, 1'000'000, 30).ok());                                            // other chain
  L1Headers other_address = h;
  other_address.address = "0x1111111111111111111111111111111111111111";
  EXPECT_FALSE(VerifyL1(other_address, 137, 1'000'000, 30).ok());
  L1Headers other_nonce = h;
  other_nonce.nonce = "1";
  EXPECT_FALSE(VerifyL1(other_nonce, 137, 1'000'000, 30).ok());
  L1Headers garbage = h;
  garbage.signature = "0x00";
  EXPECT_FALSE(VerifyL1(garbage, 137, 1'000'000, 30).ok());
}

TEST(VerifyL2, ChecksSignaturePassphraseKeyAndSkew) {
  const ApiCredentials creds("00000000-0000-0000-0000-000000000000",
                             "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "pass");
  auto key = crypto::PrivateKey::FromHex(kKey);
  auto h = MakeL2Headers(creds, key->address(), 1'000, "POST", "/order", "{}");
  ASSERT_TRUE(h.ok());
  EXPECT_TRUE(VerifyL2(*h, creds, "POST", "/order", "{}", 1'010, 30).ok());
  EXPECT_FALSE(VerifyL2(*h, creds, "POST", "/order", "{ }", 1'010, 30).ok());   // body changed
  EXPECT_FALSE(VerifyL2(*h, creds, "DELETE", "/order", "{}", 1'010, 30).ok());  // method changed
  EXPECT_FALSE(VerifyL2(*h, creds, "POST", "/order", "{}", 2'000, 30).ok());    // stale
  L2Headers wrong_pass = *h;
  wrong_pass.passphrase = "nope";
  EXPECT_FALSE(VerifyL2(wrong_pass, creds, "POST", "/order", "{}", 1'010, 30).ok());
  L2Headers wrong_key = *h;
  wrong_key.api_key = "11111111-0000-0000-0000-000000000000";
  EXPECT_FALSE(VerifyL2(wrong_key, creds, "POST", "/order", "{}", 1'010, 30).ok());
  L2Headers unpadded = *h;
  while (!unpadded.signature.empty() && unpadded.signature.back() == '=') unpadded.signature.pop_back();
  EXPECT_TRUE(VerifyL2(unpadded, creds, "POST", "/order", "{}", 1'010, 30).ok());
}

TEST(L2Signature, RejectsNonBase64Secret) { EXPECT_FALSE(L2Signature("not base64!", "1", "GET", "/", "").ok()); }

}  // namespace
}  // namespace clobmaker::signing
