#include "common/signing/session_signer.h"

#include <gtest/gtest.h>

#include "common/core/hex.h"
#include "common/signing/order.h"

namespace clobmaker::signing {
namespace {

constexpr char kOwnerKey[] = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";    // 0xf39F...
constexpr char kSessionKey[] = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";  // 0x7099...
constexpr char kWallet[] = "0x57ffbc34de23124faeb8387fcd689d314e57accd";

// The envelope around an order's 317-byte ERC-7739 wrap, from the session-key vectors published
// with a reimplementation of the official SDKs (CTF Exchange V2 case): the bytes are pinned, not
// the inner signature (its signer differs from the named key on purpose).
constexpr char kWrapped[] =
    "0x1e383ed0b10e0d805e740b8baba01c6c094f6141df91a74e923e20f80e6cfb5a33df6b3fc42042ce170d0e7bf87b473b867062412c26718c"
    "5359f47c8e6105611b3264e159346253e26a64e00b69032db0e7d32f94628de3e6eecb50304d7af3d2fca95afd8be6199fbb0189b64e56dcb6"
    "99ff65de2c0537634ea75429c10a13694f726465722875696e743235362073616c742c61646472657373206d616b65722c6164647265737320"
    "73"
    "69676e65722c75696e7432353620746f6b656e49642c75696e74323536206d616b6572416d6f756e742c75696e743235362074616b6572416d"
    "6f756e742c75696e743820736964652c75696e7438207369676e6174757265547970652c75696e743235362074696d657374616d702c627974"
    "65733332206d657461646174612c62797465733332206275696c6465722900ba";
constexpr char kEnvelope[] =
    "0x00000000000000000000000070997970c51812dc3a010c7d01b50e0d17dc79c80000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000060000000000000000000000000000000"
    "000000000000000000000000000000013d1e383ed0b10e0d805e740b8baba01c6c094f6141df91a74e923e20f80e6cfb5a33df6b3fc42042"
    "ce170d0e7bf87b473b867062412c26718c5359f47c8e6105611b3264e159346253e26a64e00b69032db0e7d32f94628de3e6eecb50304d7a"
    "f3d2fca95afd8be6199fbb0189b64e56dcb699ff65de2c0537634ea75429c10a13694f726465722875696e743235362073616c742c616464"
    "72657373206d616b65722c61646472657373207369676e65722c75696e7432353620746f6b656e49642c75696e74323536206d616b657241"
    "6d6f756e742c75696e743235362074616b6572416d6f756e742c75696e743820736964652c75696e7438207369676e617475726554797065"
    "2c75696e743235362074696d657374616d702c62797465733332206d657461646174612c62797465733332206275696c6465722900ba0000"
    "006492649264926492649264926492649264926492649264926492649264926492";

TEST(SessionSignerEnvelope, MatchesThePublishedBytesAndUnwraps) {
  const auto session = *crypto::Address::Parse("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
  const auto wrapped = *HexDecode(kWrapped);
  ASSERT_EQ(wrapped.size(), 317u);
  const auto envelope = WrapSessionSignerSignature(session, wrapped);
  EXPECT_EQ(envelope.size(), 480u);
  EXPECT_EQ(HexEncode(envelope), kEnvelope);
  auto back = UnwrapSessionSignerSignature(envelope);
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_TRUE(back->has_value());
  EXPECT_EQ((*back)->signer, session);
  EXPECT_EQ((*back)->inner, wrapped);
  // The owner's own signature has no envelope.
  auto none = UnwrapSessionSignerSignature(wrapped);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}

TEST(SessionSignerEnvelope, AMalformedEnvelopeIsAnErrorNeverTheOwner) {
  const auto session = *crypto::Address::Parse("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
  const auto good = WrapSessionSignerSignature(session, *HexDecode(kWrapped));
  auto broken = [&](size_t at, uint8_t value) {
    auto b = good;
    b[at] = value;
    return UnwrapSessionSignerSignature(b);
  };
  EXPECT_FALSE(broken(3, 1).ok());       // signer id beyond 20 bytes
  EXPECT_FALSE(broken(63, 1).ok());      // kind 1 (a passkey)
  EXPECT_FALSE(broken(95, 0x40).ok());   // offset
  EXPECT_FALSE(broken(127, 0x5e).ok());  // length (350 bytes: another padded size)
  auto short_one = good;
  short_one.erase(short_one.begin() + 200, short_one.begin() + 232);  // a word short
  EXPECT_FALSE(UnwrapSessionSignerSignature(short_one).ok());
  auto zero = WrapSessionSignerSignature(crypto::Address(), *HexDecode(kWrapped));
  EXPECT_FALSE(UnwrapSessionSignerSignature(zero).ok());
  EXPECT_TRUE(broken(300, 0x00).ok());  // inside the inner signature: the envelope itself is fine
}

UnsignedOrder WalletOrder() {
  UnsignedOrder o;
  o.salt = Uint256(479249096354ULL);
  o.maker = o.signer = *crypto::Address::Parse(kWallet);
  o.signature_type = SignatureType::kPoly1271;
  o.token_id = Uint256(1234);
  o.maker_amount = 100'000'000;
  o.taker_amount = 50'000'000;
  o.timestamp_ms = 1'780'449'126'930ULL;
  return o;
}

TEST(SignOrderAsSessionKey, VerifiesAsTheSessionKeyAndNotAsTheOwner) {
  auto owner = crypto::PrivateKey::FromHex(kOwnerKey);
  auto session = crypto::PrivateKey::FromHex(kSessionKey);
  const auto contracts = *ContractsForChain(137);
  const auto domain = HashDomain({.version = OrderVersion::kV2, .chain_id = 137, .exchange = contracts.exchange_v2});
  auto signed_order = SignOrderAsSessionKey(WalletOrder(), domain, *session);
  ASSERT_TRUE(signed_order.ok()) << signed_order.status();
  EXPECT_EQ(HexDecode(signed_order->signature)->size(), 480u);
  EXPECT_EQ(signed_order->id, model::OrderId(OrderHash(WalletOrder(), domain)));
  auto who = VerifyOrderSigner(*signed_order, domain);
  ASSERT_TRUE(who.ok()) << who.status();
  EXPECT_TRUE(who->session_key);
  EXPECT_EQ(who->address, session->address());

  auto by_owner = *SignOrder(WalletOrder(), domain, *owner);
  auto owner_who = VerifyOrderSigner(by_owner, domain);
  ASSERT_TRUE(owner_who.ok());
  EXPECT_FALSE(owner_who->session_key);
  EXPECT_EQ(owner_who->address, owner->address());

  // The owner's wrap inside an envelope naming the session key: not the named key's signature.
  SignedOrder claimed = by_owner;
  claimed.signature = HexEncode(WrapSessionSignerSignature(session->address(), *HexDecode(by_owner.signature)));
  EXPECT_FALSE(VerifyOrderSigner(claimed, domain).ok());
  // Tampered after signing.
  SignedOrder tampered = *signed_order;
  tampered.order.maker_amount += 1;
  tampered.id = model::OrderId(OrderHash(tampered.order, domain));
  EXPECT_FALSE(VerifyOrderSigner(tampered, domain).ok());
  // Session keys sign deposit-wallet orders only.
  UnsignedOrder eoa = WalletOrder();
  eoa.signature_type = SignatureType::kEoa;
  EXPECT_FALSE(SignOrderAsSessionKey(eoa, domain, *session).ok());
}

TEST(SessionScopes, AllStandsAloneAndClobOrAllTrade) {
  EXPECT_TRUE(CheckSessionScopes({"CLOB"}).ok());
  EXPECT_TRUE(CheckSessionScopes({"CLOB", "COMBOSRFQ"}).ok());
  EXPECT_TRUE(CheckSessionScopes({"ALL"}).ok());
  EXPECT_FALSE(CheckSessionScopes({}).ok());
  EXPECT_FALSE(CheckSessionScopes({""}).ok());
  EXPECT_FALSE(CheckSessionScopes({"ALL", "CLOB"}).ok());
  EXPECT_TRUE(ScopesAllowClob({"clob"}));
  EXPECT_TRUE(ScopesAllowClob({"ALL"}));
  EXPECT_FALSE(ScopesAllowClob({"COMBOSRFQ"}));
  EXPECT_EQ(kSessionKeyLifetimeSeconds, 15'534'000);
}

}  // namespace
}  // namespace clobmaker::signing
