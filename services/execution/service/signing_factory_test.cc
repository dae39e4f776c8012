#include "services/execution/service/signing_factory.h"

#include <gtest/gtest.h>

#include "common/wallet/wallet.h"

namespace clobmaker::execution {
namespace {

TEST(SigningOrderFactory, SignsVerifiableOrdersWithFreshSaltsForTheRequestedVersion) {
  auto key = crypto::PrivateKey::FromHex("0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318");
  ASSERT_TRUE(key.ok());
  auto factory = SigningOrderFactory::Create(*key, {.chain_id = 137}, 7);
  ASSERT_TRUE(factory.ok()) << factory.status();
  OrderSpec spec{.market = "0xm",
                 .intent = {.token = "71321045679252212594626385532706912750332728571942532289631379312455583992563",
                            .side = model::Side::kBuy,
                            .level = 0},
                 .price = model::Price(4800),
                 .size = model::Size::FromWhole(10),
                 .tick = model::TickSize::Cent(),
                 .version = 2,
                 .now = 1'700'000'000'000'000'000};
  auto a = (*factory)->Make(spec);
  auto b = (*factory)->Make(spec);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->id, b->id) << "a new salt per order";
  EXPECT_EQ(a->order.maker_amount, 4'800'000);
  EXPECT_EQ(a->order.taker_amount, 10'000'000);
  EXPECT_EQ(a->version, signing::OrderVersion::kV2);
  auto contracts = signing::ContractsForChain(137);
  const auto domain =
      signing::HashDomain({.version = signing::OrderVersion::kV2, .chain_id = 137, .exchange = contracts->exchange_v2});
  auto signer = signing::VerifyOrderSignature(*a, domain);
  ASSERT_TRUE(signer.ok()) << signer.status();
  EXPECT_EQ(*signer, key->address());
  spec.version = 3;
  spec.neg_risk = true;
  auto v3 = (*factory)->Make(spec);
  ASSERT_TRUE(v3.ok());
  EXPECT_EQ(v3->version, signing::OrderVersion::kV3);
  spec.version = 9;
  EXPECT_FALSE((*factory)->Make(spec).ok());
  spec.version = 2;
  spec.price = model::Price(4850);  // off the cent grid
  EXPECT_FALSE((*factory)->Make(spec).ok());
}

TEST(SigningOrderFactory, ADepositWalletIsMakerAndSignerAndTheKeySignsForIt) {
  auto key = crypto::PrivateKey::FromHex("0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318");
  ASSERT_TRUE(key.ok());
  auto account = wallet::ResolveAccount(signing::SignatureType::kPoly1271, key->address(), "", 137);
  ASSERT_TRUE(account.ok()) << account.status();
  auto factory = SigningOrderFactory::Create(
      *key, {.chain_id = 137, .signature_type = account->type, .funder = account->funder}, 7);
  ASSERT_TRUE(factory.ok()) << factory.status();
  auto order = (*factory)->Make({.market = "0xm",
                                 .intent = {.token = "7132104567925221259462638553270691275033272857194253228963137931"
                                                     "2455583992563",
                                            .side = model::Side::kSell,
                                            .level = 0},
                                 .price = model::Price(5200),
                                 .size = model::Size::FromWhole(5),
                                 .tick = model::TickSize::Cent(),
                                 .version = 2,
                                 .now = 1'700'000'000'000'000'000});
  ASSERT_TRUE(order.ok()) << order.status();
  EXPECT_EQ(order->order.maker, account->funder);
  EXPECT_EQ(order->order.signer, account->funder);
  EXPECT_EQ(order->order.signature_type, signing::SignatureType::kPoly1271);
  auto contracts = signing::ContractsForChain(137);
  const auto domain =
      signing::HashDomain({.version = signing::OrderVersion::kV2, .chain_id = 137, .exchange = contracts->exchange_v2});
  auto owner = signing::VerifyOrderSignature(*order, domain);
  ASSERT_TRUE(owner.ok()) << owner.status();
  EXPECT_EQ(*owner, key->address()) << "the wallet's owner signed";
}

TEST(SigningOrderFactory, ASessionKeySignsForItsWalletOnlyWhileAuthorized) {
  auto session = crypto::PrivateKey::FromHex("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d");
  ASSERT_TRUE(session.ok());
  const auto wallet = *crypto::Address::Parse("0xBc0fF067b7740Eff76C1ca93c875Ba6B890d6B50");
  auto factory = SigningOrderFactory::Create(
      *session,
      {.chain_id = 137, .signature_type = signing::SignatureType::kPoly1271, .funder = wallet, .session_key = true}, 7);
  ASSERT_TRUE(factory.ok()) << factory.status();
  const Nanos now = 1'700'000'000LL * kNanosPerSecond;
  OrderSpec spec{.market = "0xm",
                 .intent = {.token = "1234", .side = model::Side::kBuy, .level = 0},
                 .price = model::Price(4800),
                 .size = model::Size::FromWhole(5),
                 .tick = model::TickSize::Cent(),
                 .version = 2,
                 .now = now};
  EXPECT_FALSE((*factory)->Make(spec).ok()) << "signed before the wallet said the key is authorized";
  (*factory)->SetSessionValidUntil(now / kNanosPerSecond + 60);
  auto order = (*factory)->Make(spec);
  ASSERT_TRUE(order.ok()) << order.status();
  EXPECT_EQ(order->order.maker, wallet);
  EXPECT_EQ(order->order.signer, wallet);
  auto contracts = signing::ContractsForChain(137);
  const auto domain =
      signing::HashDomain({.version = signing::OrderVersion::kV2, .chain_id = 137, .exchange = contracts->exchange_v2});
  auto who = signing::VerifyOrderSigner(*order, domain);
  ASSERT_TRUE(who.ok()) << who.status();
  EXPECT_TRUE(who->session_key);
  EXPECT_EQ(who->address, session->address());
  spec.now = now + 60 * kNanosPerSecond;  // validUntil reached: the wallet refuses from then on
  EXPECT_FALSE((*factory)->Make(spec).ok());
  (*factory)->SetSessionValidUntil(0);  // revoked
  spec.now = now;
  EXPECT_FALSE((*factory)->Make(spec).ok());
  EXPECT_EQ((*factory)->session_refusals(), 3u);
}

}  // namespace
}  // namespace clobmaker::execution
