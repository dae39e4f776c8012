#include "common/crypto/crypto.h"

#include <gtest/gtest.h>

#include "common/core/hex.h"

namespace clobmaker::crypto {
namespace {

constexpr char kHardhatKey[] = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

TEST(Keccak, KnownVectors) {
  EXPECT_EQ(HexEncode(Keccak256(std::string_view(""))),
            "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
  EXPECT_EQ(HexEncode(Keccak256(std::string_view("abc"))),
            "0x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
  // The V2 Order typehash (docs/protocol.md).
  EXPECT_EQ(HexEncode(Keccak256(std::string_view(
                "Order(uint256 salt,address maker,address signer,uint256 tokenId,uint256 makerAmount,uint256 "
                "takerAmount,uint8 side,uint8 signatureType,uint256 timestamp,bytes32 metadata,bytes32 builder)"))),
            "0xbb86318a2138f5fa8ae32fbe8e659f8fcf13cc6ae4014a707893055433818589");
}

TEST(Address, Eip55ChecksumsFromTheEip) {
  for (const char* a : {"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
                        "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb"}) {
    auto address = Address::Parse(a);
    ASSERT_TRUE(address.ok()) << a;
    EXPECT_EQ(address->ToChecksum(), a);
  }
}

TEST(Address, AcceptsSingleCaseRejectsBadChecksumAndMalformed) {
  EXPECT_TRUE(Address::Parse("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed").ok());
  EXPECT_TRUE(Address::Parse("0x5AAEB6053F3E94C9B9A09F33669435E7EF1BEAED").ok());
  EXPECT_FALSE(Address::Parse("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD").ok());  // one letter flipped
  EXPECT_FALSE(Address::Parse("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beae").ok());
  EXPECT_FALSE(Address::Parse("5aaeb6053f3e94c9b9a09f33669435e7ef1beaed00").ok());
  EXPECT_FALSE(Address::Parse("0xzzaeb6053f3e94c9b9a09f33669435e7ef1beaed").ok());
}

TEST(PrivateKey, DerivesTheAddressAndSignsRecoverably) {
  auto key = PrivateKey::FromHex(kHardhatKey);
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->address().ToChecksum(), "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
  const Hash32 digest = Keccak256(std::string_view("message"));
  const Signature sig = key->Sign(digest);
  EXPECT_TRUE(sig.bytes[64] == 27 || sig.bytes[64] == 28);
  EXPECT_EQ(key->Sign(digest).bytes, sig.bytes);  // RFC 6979: deterministic
  auto recovered = RecoverAddress(digest, sig);
  ASSERT_TRUE(recovered.ok());
  EXPECT_EQ(*recovered, key->address());
  // A different digest recovers someone else.
  auto other = RecoverAddress(Keccak256(std::string_view("other")), sig);
  ASSERT_TRUE(other.ok());
  EXPECT_NE(*other, key->address());
}

TEST(PrivateKey, RejectsMalformedKeysWithoutEchoingThem) {
  auto zero = PrivateKey::FromHex(std::string(64, '0'));
  EXPECT_FALSE(zero.ok());
  auto short_key = PrivateKey::FromHex("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff");
  ASSERT_FALSE(short_key.ok());
  EXPECT_EQ(std::string(short_key.status().message()).find("ac0974"), std::string::npos);
  // Above the curve order.
  EXPECT_FALSE(PrivateKey::FromHex("0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff").ok());
}

TEST(RecoverAddress, RefusesHighSAndBadV) {
  auto key = PrivateKey::FromHex(kHardhatKey);
  const Hash32 digest = Keccak256(std::string_view("m"));
  Signature sig = key->Sign(digest);
  Signature bad_v = sig;
  bad_v.bytes[64] = 29;
  EXPECT_FALSE(RecoverAddress(digest, bad_v).ok());
  // s' = n - s is the malleable twin of a valid signature.
  static const uint8_t kOrder[32] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                     0xff, 0xff, 0xff, 0xff, 0xfe, 0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48,
                                     0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41};
  Signature high = sig;
  int borrow = 0;
  for (int i = 31; i >= 0; --i) {
    int d = kOrder[i] - sig.bytes[32 + i] - borrow;
    borrow = d < 0 ? 1 : 0;
    high.bytes[32 + i] = static_cast<uint8_t>(d + (borrow ? 256 : 0));
  }
  high.bytes[64] = sig.bytes[64] == 27 ? 28 : 27;
  EXPECT_FALSE(RecoverAddress(digest, high).ok());
}

TEST(Eip712, ClobAuthDomainWithoutVerifyingContract) {
  // Domain separator of {ClobAuthDomain, 1, 80002}: checked indirectly by the L1 vectors; here
  // the two domain shapes must differ.
  const Hash32 a = DomainSeparator({.name = "ClobAuthDomain", .version = "1", .chain_id = 80002});
  const Hash32 b =
      DomainSeparator({.name = "ClobAuthDomain", .version = "1", .chain_id = 80002, .verifying_contract = Address()});
  EXPECT_NE(a, b);
}

TEST(Base64, StandardAndUrlSafe) {
  const std::vector<uint8_t> data = {0xfb, 0xff, 0x00, 0x10};
  EXPECT_EQ(Base64Encode(data), "+/8AEA==");
  EXPECT_EQ(Base64UrlEncode(data), "-_8AEA==");
  EXPECT_EQ(*Base64Decode("+/8AEA=="), data);
  EXPECT_EQ(*Base64Decode("-_8AEA=="), data);
  EXPECT_EQ(*Base64Decode("-_8AEA"), data);
  EXPECT_FALSE(Base64Decode("a").ok());
  EXPECT_FALSE(Base64Decode("ab!c").ok());
  EXPECT_TRUE(Base64Decode("")->empty());
}

TEST(Hmac, Rfc4231Case2) {
  const std::string key = "Jefe";
  const Hash32 mac = HmacSha256(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(key.data()), key.size()),
                                "what do ya want for nothing?");
  EXPECT_EQ(HexEncode(mac), "0x5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

}  // namespace
}  // namespace clobmaker::crypto
