#include "common/wallet/wallet.h"

#include <gtest/gtest.h>

#include "common/core/hex.h"

namespace clobmaker::wallet {
namespace {

using crypto::Address;

Address A(std::string_view text) { return *Address::Parse(text); }

// The owner of private key 0x00..01; every address below was computed by Polymarket's own
// packages (builder-relayer-client 0.0.10 and @polymarket/client 0.2.0), docs/deposit-wallets-spec.md s2.3.
constexpr char kOwner[] = "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf";

class WalletTest : public ::testing::Test {
 protected:
  Factories polygon = *FactoriesForChain(137);
};

TEST_F(WalletTest, ProxyWalletAsTheRelayerClientDerivesIt) {
  EXPECT_EQ(ProxyWalletOf(A(kOwner), polygon).ToChecksum(), "0x909dEdA326ED2aE677F5F8c2527E32977c9838c3");
}

TEST_F(WalletTest, SafeAsTheRelayerClientDerivesIt) {
  EXPECT_EQ(SafeOf(A(kOwner), polygon).ToChecksum(), "0x51b7C68A71dCcBc0b7FA4400934a293D8f4d3Ba8");
  // py-builder-relayer-client tests/builder/test_derive.py
  EXPECT_EQ(SafeOf(A("0x6e0c80c90ea6c15917308F820Eac91Ce2724B5b5"), polygon).ToChecksum(),
            "0x6d8c4e9aDF5748Af82Dabe2C6225207770d6B4fa");
}

TEST_F(WalletTest, DepositWalletIsTheBeaconCloneAndTheLegacyOneTheUupsClone) {
  EXPECT_EQ(DepositWalletOf(A(kOwner), polygon).ToChecksum(), "0x6F908B3B67b9F9C40413775fFf48b286aeF9a081");
  EXPECT_EQ(LegacyDepositWalletOf(A(kOwner), polygon).ToChecksum(), "0x73310C2E333fB7fb177Dcb43e164958a9D443d6f");
  EXPECT_EQ(LegacyDepositWalletOf(A("0xA60601A4d903af91855C52BFB3814f6bA342f201"), polygon).ToChecksum(),
            "0x8b60BF0f650Bf7a0d93F10D72375b37De18F8c40");
  EXPECT_EQ(DepositWalletOf(A("0x0000000000000000000000000000000000000001"), polygon).ToChecksum(),
            "0x94bF330955A0b957662fEaF878dE77bf25f76cD9");
}

TEST_F(WalletTest, WithoutABeaconNewDepositWalletsAreUupsClones) {
  Factories amoy = *FactoriesForChain(80002);
  EXPECT_EQ(DepositWalletOf(A(kOwner), amoy), LegacyDepositWalletOf(A(kOwner), amoy));
  EXPECT_FALSE(DefaultWalletOf(SignatureType::kPolyProxy, A(kOwner), amoy).has_value());
  EXPECT_FALSE(FactoriesForChain(1).ok());
}

TEST_F(WalletTest, OnlyTheOwnersOwnWalletOfTheSignatureTypeIsAnAllowedMaker) {
  const Address owner = A(kOwner);
  const Address other = A("0x6e0c80c90ea6c15917308F820Eac91Ce2724B5b5");
  EXPECT_TRUE(IsWalletOf(SignatureType::kEoa, owner, owner, polygon));
  EXPECT_FALSE(IsWalletOf(SignatureType::kEoa, owner, other, polygon));
  EXPECT_TRUE(IsWalletOf(SignatureType::kPolyProxy, owner, ProxyWalletOf(owner, polygon), polygon));
  EXPECT_FALSE(IsWalletOf(SignatureType::kPolyProxy, owner, SafeOf(owner, polygon), polygon));
  EXPECT_FALSE(IsWalletOf(SignatureType::kPolyProxy, owner, ProxyWalletOf(other, polygon), polygon));
  EXPECT_TRUE(IsWalletOf(SignatureType::kPolyGnosisSafe, owner, SafeOf(owner, polygon), polygon));
  EXPECT_FALSE(IsWalletOf(SignatureType::kPolyGnosisSafe, owner, owner, polygon));
  EXPECT_TRUE(IsWalletOf(SignatureType::kPoly1271, owner, DepositWalletOf(owner, polygon), polygon));
  EXPECT_TRUE(IsWalletOf(SignatureType::kPoly1271, owner, LegacyDepositWalletOf(owner, polygon), polygon));
  EXPECT_FALSE(IsWalletOf(SignatureType::kPoly1271, owner, DepositWalletOf(other, polygon), polygon));
  EXPECT_FALSE(IsWalletOf(SignatureType::kPoly1271, owner, owner, polygon));
}

TEST_F(WalletTest, NamesRoundTripAndUnknownNamesAreRefused) {
  for (auto t :
       {SignatureType::kEoa, SignatureType::kPolyProxy, SignatureType::kPolyGnosisSafe, SignatureType::kPoly1271}) {
    auto parsed = ParseWalletName(WalletName(t));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, t);
  }
  EXPECT_EQ(WalletName(SignatureType::kPoly1271), "POLY_1271");
  auto bad = ParseWalletName("deposit");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("POLY_1271"), std::string_view::npos);
}

bool Mentions(const absl::Status& status, std::string_view text) {
  return std::string(status.message()).find(text) != std::string::npos;
}

TEST_F(WalletTest, TheWalletFlagThenTheOlderSignatureTypeThenTheVariableThenTheDefault) {
  EXPECT_EQ(*WalletTypeOf({}), SignatureType::kEoa);
  EXPECT_EQ(*WalletTypeOf({}, SignatureType::kPoly1271), SignatureType::kPoly1271);
  EXPECT_EQ(*WalletTypeOf({.env_wallet = "POLY_1271"}), SignatureType::kPoly1271);
  EXPECT_EQ(*WalletTypeOf({.env_wallet = ""}), SignatureType::kEoa) << "an empty variable is unset";
  EXPECT_EQ(*WalletTypeOf({.wallet = "EOA", .env_wallet = "POLY_1271"}), SignatureType::kEoa) << "the flag wins";
  EXPECT_EQ(*WalletTypeOf({.signature_type = 2, .env_wallet = "EOA"}), SignatureType::kPolyGnosisSafe);
  EXPECT_EQ(*WalletTypeOf({.wallet = "POLY_1271", .signature_type = 3}), SignatureType::kPoly1271) << "agree";
}

TEST_F(WalletTest, BadWalletSettingsNameTheFlagOrVariable) {
  auto name = WalletTypeOf({.wallet = "deposit"});
  ASSERT_FALSE(name.ok());
  EXPECT_TRUE(Mentions(name.status(), "--wallet")) << name.status();
  EXPECT_TRUE(Mentions(name.status(), "EOA, POLY_PROXY, POLY_GNOSIS_SAFE or POLY_1271")) << name.status();
  auto env = WalletTypeOf({.env_wallet = "poly_1271"});
  ASSERT_FALSE(env.ok());
  EXPECT_TRUE(Mentions(env.status(), "CLOBMAKER_WALLET")) << env.status();
  EXPECT_TRUE(Mentions(env.status(), "POLY_1271")) << env.status();
  auto number = WalletTypeOf({.signature_type = 4});
  ASSERT_FALSE(number.ok());
  EXPECT_TRUE(Mentions(number.status(), "--signature-type")) << number.status();
  auto both = WalletTypeOf({.wallet = "EOA", .signature_type = 3});
  ASSERT_FALSE(both.ok());
  EXPECT_TRUE(Mentions(both.status(), "--wallet EOA and --signature-type 3 (POLY_1271) disagree")) << both.status();
  EXPECT_FALSE(ResolveAccount(WalletSetting{.wallet = "x"}, A(kOwner), 137).ok());
}

TEST_F(WalletTest, TheFunderDefaultsToTheOwnersWalletOfThatKind) {
  const Address owner = A(kOwner);
  for (auto t :
       {SignatureType::kEoa, SignatureType::kPolyProxy, SignatureType::kPolyGnosisSafe, SignatureType::kPoly1271}) {
    auto account = ResolveAccount(t, owner, "", 137);
    ASSERT_TRUE(account.ok()) << account.status();
    EXPECT_EQ(account->type, t);
    EXPECT_EQ(account->funder, *DefaultWalletOf(t, owner, polygon)) << WalletName(t);
  }
  auto deposit = ResolveAccount(WalletSetting{.env_wallet = "POLY_1271"}, owner, 137);
  ASSERT_TRUE(deposit.ok()) << deposit.status();
  EXPECT_EQ(deposit->funder.ToChecksum(), "0x6F908B3B67b9F9C40413775fFf48b286aeF9a081") << "the beacon derivation";
  EXPECT_EQ(ResolveAccount(SignatureType::kEoa, owner, "", 1)->funder, owner) << "EOA needs no factories";
  auto amoy_proxy = ResolveAccount(SignatureType::kPolyProxy, owner, "", 80002);
  ASSERT_FALSE(amoy_proxy.ok());
  EXPECT_TRUE(Mentions(amoy_proxy.status(), "--wallet POLY_PROXY")) << amoy_proxy.status();
  EXPECT_FALSE(ResolveAccount(SignatureType::kPoly1271, owner, "", 1).ok()) << "no factories on chain 1";
}

TEST_F(WalletTest, AnExplicitFunderMustBeOneOfTheOwnersWalletsOfThatKind) {
  const Address owner = A(kOwner);
  const Address other = A("0x6e0c80c90ea6c15917308F820Eac91Ce2724B5b5");
  // Either deposit-wallet derivation; the given one is kept.
  const Address legacy = LegacyDepositWalletOf(owner, polygon);
  auto kept = ResolveAccount(SignatureType::kPoly1271, owner, legacy.ToLower(), 137);
  ASSERT_TRUE(kept.ok()) << kept.status();
  EXPECT_EQ(kept->funder, legacy);
  EXPECT_TRUE(ResolveAccount(SignatureType::kEoa, owner, owner.ToChecksum(), 137).ok());
  EXPECT_TRUE(ResolveAccount(SignatureType::kPolyGnosisSafe, owner, SafeOf(owner, polygon).ToChecksum(), 137).ok());
  for (auto [type, funder] :
       std::vector<std::pair<SignatureType, Address>>{{SignatureType::kEoa, other},
                                                      {SignatureType::kPoly1271, DepositWalletOf(other, polygon)},
                                                      {SignatureType::kPoly1271, owner},
                                                      {SignatureType::kPolyProxy, SafeOf(owner, polygon)}}) {
    auto refused = ResolveAccount(type, owner, funder.ToChecksum(), 137);
    ASSERT_FALSE(refused.ok()) << WalletName(type) << " " << funder.ToChecksum();
    EXPECT_TRUE(Mentions(refused.status(), "--funder " + funder.ToChecksum())) << refused.status();
  }
  auto garbage = ResolveAccount(SignatureType::kPoly1271, owner, "0x12", 137);
  ASSERT_FALSE(garbage.ok());
  EXPECT_TRUE(Mentions(garbage.status(), "--funder")) << garbage.status();
}

TEST_F(WalletTest, ASessionKeySignsForTheNamedDepositWalletOnly) {
  const auto session = A(kOwner);
  const std::string wallet = "0x57ffbc34de23124faeb8387fcd689d314e57accd";
  auto account =
      ResolveAccount(WalletSetting{.wallet = "POLY_1271", .funder = wallet, .session_key = true}, session, 137);
  ASSERT_TRUE(account.ok()) << account.status();
  EXPECT_TRUE(account->session_key);
  EXPECT_EQ(account->funder.ToLower(), wallet);
  // Not the key's own wallet, and yet accepted: a session key does not own the wallet.
  auto no_funder = ResolveAccount(WalletSetting{.wallet = "POLY_1271", .session_key = true}, session, 137);
  ASSERT_FALSE(no_funder.ok());
  EXPECT_NE(no_funder.status().message().find("--session-key needs --funder"), std::string::npos);
  EXPECT_FALSE(
      ResolveAccount(WalletSetting{.wallet = "EOA", .funder = wallet, .session_key = true}, session, 137).ok());
  EXPECT_FALSE(ResolveAccount(WalletSetting{.wallet = "POLY_1271", .funder = session.ToLower(), .session_key = true},
                              session, 137)
                   .ok());
  EXPECT_FALSE(ResolveAccount(WalletSetting{.wallet = "POLY_1271", .funder = wallet}, session, 137).ok());
}

}  // namespace
}  // namespace clobmaker::wallet
