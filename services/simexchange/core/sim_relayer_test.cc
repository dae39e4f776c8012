// The simulated relayer: deployment, a signed merge batch through the deposit wallet moving the
// wallet's positions (not the relayer's, not the owner's), states in order, the relayer's refusals
// with its error texts, one transaction in flight per wallet, reverts as STATE_FAILED.
#include "services/simexchange/core/sim_relayer.h"

#include <gtest/gtest.h>

#include "common/chain/ctf.h"
#include "common/signing/session_signer.h"
#include "common/wallet/wallet.h"

namespace clobmaker::simexchange {
namespace {

constexpr Nanos kT0 = 1'780'000'000LL * kNanosPerSecond;
constexpr char kOwnerKey[] = "0x0000000000000000000000000000000000000000000000000000000000000001";
constexpr char kCondition[] = "0x1111111111111111111111111111111111111111111111111111111111111111";
constexpr int64_t kOne = model::kQuantityOne;

crypto::Hash32 Condition() {
  crypto::Hash32 h;
  h.fill(0x11);
  return h;
}

class SimRelayerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ex_.AddMarket({.condition_id = kCondition, .yes_token = "YES", .no_token = "NO"});
    ex_.OpenAccount(wallet_.ToLower(), "key");
    ex_.Credit(wallet_.ToLower(), 0, "YES", 50 * kOne);
    ex_.Credit(wallet_.ToLower(), 0, "NO", 40 * kOne);
  }

  relayer::SubmitRequest Create() const {
    return {
        .type = relayer::SubmitType::kWalletCreate, .from = owner_.address(), .to = targets_.deposit_wallet_factory};
  }
  relayer::SubmitRequest Batch(std::vector<relayer::Call> calls, uint64_t nonce, uint64_t deadline_s = 0) const {
    relayer::WalletBatch b{
        .wallet = wallet_,
        .nonce = Uint256(nonce),
        .deadline = deadline_s != 0 ? deadline_s : static_cast<uint64_t>(kT0 / kNanosPerSecond + 240),
        .calls = std::move(calls)};
    relayer::SubmitRequest r{.type = relayer::SubmitType::kWallet,
                             .from = owner_.address(),
                             .to = targets_.deposit_wallet_factory,
                             .batch = b};
    r.signature = relayer::SignBatch(b, 137, owner_);
    return r;
  }
  relayer::Call Merge(int64_t amount, bool neg_risk = false) const {
    return {
        .target = neg_risk ? targets_.neg_risk_collateral_adapter : targets_.collateral_adapter,
        .value = Uint256(0),
        .data = chain::MergePositionsCall(targets_.collateral, Condition(), Uint256(static_cast<uint64_t>(amount)))};
  }
  std::string Accept(const relayer::SubmitRequest& r, Nanos now) {
    auto answer = relayer_.Submit(r, now);
    if (auto* refused = std::get_if<RelayerRefusal>(&answer)) {
      ADD_FAILURE() << refused->message;
      return "";
    }
    return std::get<relayer::SubmitAnswer>(answer).transaction_id;
  }
  std::string Refusal(const relayer::SubmitRequest& r, Nanos now) {
    auto answer = relayer_.Submit(r, now);
    auto* refused = std::get_if<RelayerRefusal>(&answer);
    return refused == nullptr ? "accepted" : refused->message;
  }
  // Advances one second at a time until the transaction reaches `state` (bounded).
  bool RunUntil(const std::string& id, relayer::TxState state, Nanos* now) {
    for (int i = 0; i < 30; ++i) {
      ex_.Advance(*now);
      relayer_.Advance(ex_, *now);
      if (relayer_.Find(id)->state == state) return true;
      *now += kNanosPerSecond;
    }
    return false;
  }
  int64_t Chain(const std::string& address, const std::string& token) const {
    const Account* a = ex_.AccountOf(address);
    if (a == nullptr) return 0;
    auto it = a->chain_tokens.find(token);
    return it == a->chain_tokens.end() ? 0 : it->second;
  }

  crypto::PrivateKey owner_ = *crypto::PrivateKey::FromHex(kOwnerKey);
  relayer::CallTargets targets_ = *relayer::CallTargetsForChain(137);
  crypto::Address wallet_ = wallet::DepositWalletOf(owner_.address(), *wallet::FactoriesForChain(137));
  Exchange ex_{ExchangeConfig{.seed = 3}};
  SimRelayer relayer_{SimRelayerConfig{}};
};

TEST_F(SimRelayerTest, DeploysThenMergesThroughTheWalletInStateOrder) {
  Nanos now = kT0;
  EXPECT_EQ(Refusal(Batch({Merge(10 * kOne)}, 0), now), "wallet not deployed");
  const std::string create = Accept(Create(), now);
  EXPECT_EQ(Refusal(Create(), now), "wallet has in-flight action");
  ASSERT_TRUE(RunUntil(create, relayer::TxState::kMined, &now));
  EXPECT_TRUE(relayer_.Deployed(wallet_));
  EXPECT_EQ(Refusal(Create(), now), "wallet already deployed");

  const std::string merge = Accept(Batch({Merge(10 * kOne)}, 0), now);
  EXPECT_EQ(relayer_.Find(merge)->state, relayer::TxState::kNew);
  EXPECT_EQ(relayer_.Find(merge)->proxy_address, wallet_);
  std::vector<relayer::TxState> seen;
  for (int i = 0; i < 30 && seen.size() < 4; ++i) {
    ex_.Advance(now);
    relayer_.Advance(ex_, now);
    const auto state = relayer_.Find(merge)->state;
    if (seen.empty() || seen.back() != state) seen.push_back(state);
    now += kNanosPerSecond;
  }
  EXPECT_EQ(seen, (std::vector<relayer::TxState>{relayer::TxState::kExecuted, relayer::TxState::kMined,
                                                 relayer::TxState::kConfirmed}));
  EXPECT_FALSE(relayer_.Find(merge)->hash.empty());
  // The wallet's positions moved, on chain and at the exchange; the relayer's did not.
  EXPECT_EQ(Chain(wallet_.ToLower(), "YES"), 40 * kOne);
  EXPECT_EQ(Chain(wallet_.ToLower(), "NO"), 30 * kOne);
  EXPECT_EQ(ex_.AccountOf(wallet_.ToLower())->collateral, 10 * kOne);
  EXPECT_EQ(ex_.AccountOf(SimRelayerConfig{}.relayer_address), nullptr);
  EXPECT_EQ(relayer_.WalletNonce(owner_.address()), Uint256(1));
}

TEST_F(SimRelayerTest, RefusesWithTheRelayersTexts) {
  relayer_.MarkDeployed(wallet_);
  Nanos now = kT0;
  EXPECT_EQ(Refusal(Batch({Merge(kOne)}, 3), now), "batch nonce 3 does not match on-chain nonce 0");
  auto bad_signature = Batch({Merge(kOne)}, 0);
  bad_signature.batch->calls[0].data.back() ^= 1;  // signed before it was changed
  EXPECT_EQ(Refusal(bad_signature, now), "invalid signature");
  EXPECT_EQ(Refusal(Batch({Merge(kOne)}, 0, kT0 / kNanosPerSecond - 1), now), "batch deadline has passed");
  auto not_theirs = Batch({Merge(kOne)}, 0);
  not_theirs.batch->wallet = owner_.address();
  EXPECT_EQ(Refusal(not_theirs, now), "depositWallet is not a deposit wallet of 'from'");
  auto to_ctf = Batch({relayer::Call{.target = targets_.conditional_tokens,
                                     .value = Uint256(0),
                                     .data = chain::MergePositionsCall(targets_.collateral, Condition(), Uint256(1))}},
                      0);
  EXPECT_NE(Refusal(to_ctf, now).find("call target not simulated"), std::string::npos);
  EXPECT_EQ(Refusal(Batch({Merge(kOne), Merge(kOne)}, 0), now), "at most one merge or redeem per batch is simulated");
  auto chatty = Batch({Merge(kOne)}, 0);
  chatty.metadata = std::string(501, 'm');
  EXPECT_EQ(Refusal(chatty, now), "metadata is longer than 500 characters");

  const std::string first = Accept(Batch({Merge(kOne)}, 0), now);
  EXPECT_EQ(Refusal(Batch({Merge(kOne)}, 0), now), "wallet has in-flight action");
  ASSERT_TRUE(RunUntil(first, relayer::TxState::kMined, &now));
  // The nonce is used up once mined: the same nonce again is stale.
  EXPECT_EQ(Refusal(Batch({Merge(kOne)}, 0), now), "batch nonce 0 does not match on-chain nonce 1");
  EXPECT_EQ(Refusal(Batch({Merge(kOne)}, 1), now), "accepted");
}

TEST_F(SimRelayerTest, ARevertIsFailedWithItsReasonAndKeepsTheNonce) {
  relayer_.MarkDeployed(wallet_);
  Nanos now = kT0;
  const std::string merge = Accept(Batch({Merge(45 * kOne)}, 0), now);  // NO holds 40
  ASSERT_TRUE(RunUntil(merge, relayer::TxState::kFailed, &now));
  EXPECT_NE(relayer_.Find(merge)->error.find("insufficient balance"), std::string::npos);
  EXPECT_EQ(Chain(wallet_.ToLower(), "YES"), 50 * kOne);
  EXPECT_EQ(relayer_.WalletNonce(owner_.address()), Uint256(0));
  const std::string wrong_adapter = Accept(Batch({Merge(kOne, /*neg_risk=*/true)}, 0), now);
  ASSERT_TRUE(RunUntil(wrong_adapter, relayer::TxState::kFailed, &now));
  EXPECT_NE(relayer_.Find(wrong_adapter)->error.find("adapter"), std::string::npos);
  EXPECT_EQ(Chain(wallet_.ToLower(), "NO"), 40 * kOne);
}

TEST_F(SimRelayerTest, ARedeemAfterResolutionPaysTheWallet) {
  relayer_.MarkDeployed(wallet_);
  Nanos now = kT0;
  const relayer::Call redeem{.target = targets_.collateral_adapter,
                             .value = Uint256(0),
                             .data = chain::RedeemPositionsCall(targets_.collateral, Condition())};
  // Before resolution the chain reverts it.
  const std::string early = Accept(Batch({redeem}, 0), now);
  ASSERT_TRUE(RunUntil(early, relayer::TxState::kFailed, &now));
  EXPECT_NE(relayer_.Find(early)->error.find("not received yet"), std::string::npos);
  ASSERT_TRUE(ex_.Resolve(kCondition, /*winning_outcome=*/0, now));  // YES wins
  const std::string paid = Accept(Batch({redeem}, 0, static_cast<uint64_t>(now / kNanosPerSecond + 240)), now);
  ASSERT_TRUE(RunUntil(paid, relayer::TxState::kConfirmed, &now));
  EXPECT_EQ(Chain(wallet_.ToLower(), "YES"), 0);
  EXPECT_EQ(Chain(wallet_.ToLower(), "NO"), 0);
  EXPECT_EQ(ex_.AccountOf(wallet_.ToLower())->chain_collateral, 50 * kOne);  // 50 YES at 1, 40 NO at 0
}

TEST_F(SimRelayerTest, TheLegacyWalletSharesTheOwnersNonce) {
  const crypto::Address legacy = wallet::LegacyDepositWalletOf(owner_.address(), *wallet::FactoriesForChain(137));
  relayer_.MarkDeployed(legacy);
  ex_.Credit(legacy.ToLower(), 0, "YES", 5 * kOne);
  ex_.Credit(legacy.ToLower(), 0, "NO", 5 * kOne);
  Nanos now = kT0;
  auto batch = Batch({Merge(kOne)}, 0);
  batch.batch->wallet = legacy;
  batch.signature = relayer::SignBatch(*batch.batch, 137, owner_);
  const std::string id = Accept(batch, now);
  ASSERT_TRUE(RunUntil(id, relayer::TxState::kMined, &now));
  EXPECT_EQ(Chain(legacy.ToLower(), "YES"), 4 * kOne);
  // GET /nonce is asked by owner: it moved on, so the client's next batch is not stale.
  EXPECT_EQ(relayer_.WalletNonce(owner_.address()), Uint256(1));
}

TEST_F(SimRelayerTest, ABatchPastItsDeadlineWhenExecutedReverts) {
  SimRelayer slow{SimRelayerConfig{.execute_after = 30 * kNanosPerSecond}};
  slow.MarkDeployed(wallet_);
  const auto accepted = slow.Submit(Batch({Merge(kOne)}, 0, kT0 / kNanosPerSecond + 10), kT0);
  ASSERT_TRUE(std::holds_alternative<relayer::SubmitAnswer>(accepted));
  const std::string id = std::get<relayer::SubmitAnswer>(accepted).transaction_id;
  for (Nanos now = kT0; now <= kT0 + 40 * kNanosPerSecond; now += kNanosPerSecond) {
    ex_.Advance(now);
    slow.Advance(ex_, now);
  }
  EXPECT_EQ(slow.Find(id)->state, relayer::TxState::kFailed);
  EXPECT_NE(slow.Find(id)->error.find("deadline"), std::string::npos);
  EXPECT_EQ(Chain(wallet_.ToLower(), "YES"), 50 * kOne);
  EXPECT_EQ(slow.WalletNonce(owner_.address()), Uint256(0));
}

TEST_F(SimRelayerTest, ApprovalsAreMinedWithoutMovingAnything) {
  relayer_.MarkDeployed(wallet_);
  Nanos now = kT0;
  const std::string approve =
      Accept(Batch({relayer::Call{.target = targets_.collateral,
                                  .value = Uint256(0),
                                  .data = relayer::ApproveCall(targets_.collateral_adapter, Uint256(1'000'000))},
                    relayer::Call{.target = targets_.conditional_tokens,
                                  .value = Uint256(0),
                                  .data = relayer::SetApprovalForAllCall(targets_.collateral_adapter, true)}},
                   0),
             now);
  ASSERT_TRUE(RunUntil(approve, relayer::TxState::kConfirmed, &now));
  EXPECT_EQ(Chain(wallet_.ToLower(), "YES"), 50 * kOne);
  EXPECT_EQ(relayer_.WalletNonce(owner_.address()), Uint256(1));
}

// Session keys: the owner's authorization registers the key when mined (not before), for the
// CLOB only while unexpired and in scope; a revocation takes it out at once; the relayer's
// refusals; /submit refuses the self-call.
relayer::SessionSignerRequest SessionRequest(const crypto::PrivateKey& signer_of_batch, const crypto::Address& wallet,
                                             const crypto::Address& session, uint64_t nonce, Nanos now,
                                             bool revoke = false, std::vector<std::string> scopes = {"CLOB"}) {
  relayer::SessionSignerRequest r{
      .revoke = revoke,
      .wallet = wallet,
      .session_signer = session,
      .scopes = revoke ? std::vector<std::string>{} : std::move(scopes),
      .valid_until_s = revoke ? 0 : static_cast<uint64_t>(now / kNanosPerSecond + signing::kSessionKeyLifetimeSeconds),
      .nonce = Uint256(nonce),
      .deadline_s = static_cast<uint64_t>(now / kNanosPerSecond + 600)};
  r.signature = relayer::SignBatch(relayer::SessionSignerBatch(r), 137, signer_of_batch);
  return r;
}

TEST_F(SimRelayerTest, ASessionKeyIsRegisteredWhenMinedUsableUntilExpiryAndRevokedAtOnce) {
  const auto session =
      *crypto::PrivateKey::FromHex("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d");
  const auto stranger =
      *crypto::PrivateKey::FromHex("0x0000000000000000000000000000000000000000000000000000000000000002");
  Nanos now = kT0;
  const auto refusal = [&](const relayer::SessionSignerRequest& r) -> std::string {
    auto a = relayer_.SessionSigner(r, now);
    auto* refused = std::get_if<RelayerRefusal>(&a);
    return refused == nullptr ? "accepted" : refused->message;
  };
  EXPECT_EQ(refusal(SessionRequest(owner_, wallet_, session.address(), 0, now)), "wallet not deployed");
  relayer_.MarkDeployed(wallet_);
  EXPECT_EQ(refusal(SessionRequest(stranger, wallet_, session.address(), 0, now)), "invalid signature");
  EXPECT_EQ(refusal(SessionRequest(owner_, wallet_, session.address(), 1, now)),
            "batch nonce 1 does not match on-chain nonce 0");
  EXPECT_EQ(refusal(SessionRequest(owner_, wallet_, session.address(), 0, now, false, {"ALL", "CLOB"})),
            "Session key scope ALL cannot be combined with another scope.");
  EXPECT_EQ(refusal(SessionRequest(owner_, wallet_, owner_.address(), 0, now)),
            "session signer must differ from the owner and the deposit wallet");
  auto short_lived = SessionRequest(owner_, wallet_, session.address(), 0, now);
  short_lived.valid_until_s = static_cast<uint64_t>(now / kNanosPerSecond + 3600);
  short_lived.signature = relayer::SignBatch(relayer::SessionSignerBatch(short_lived), 137, owner_);
  EXPECT_EQ(refusal(short_lived), "validUntil must be the current time plus 15534000 seconds");
  // The generic /submit refuses the self-call with the relayer's text.
  EXPECT_EQ(
      Refusal(
          Batch({relayer::SessionSignerBatch(SessionRequest(owner_, wallet_, session.address(), 0, now)).calls[0]}, 0),
          now),
      "call blocked: call[0] blocked: self-call \"authorizeSessionSigner\" not allowed");

  auto accepted = relayer_.SessionSigner(SessionRequest(owner_, wallet_, session.address(), 0, now), now);
  ASSERT_TRUE(std::holds_alternative<relayer::SessionSignerAnswer>(accepted));
  const auto& answer = std::get<relayer::SessionSignerAnswer>(accepted);
  EXPECT_EQ(answer.status, "SUBMITTED");
  EXPECT_EQ(relayer_.SessionKeyOwner(wallet_, session.address(), now), std::nullopt);  // not mined yet
  ASSERT_TRUE(RunUntil(answer.transaction_id, relayer::TxState::kConfirmed, &now));
  EXPECT_EQ(relayer_.WalletNonce(owner_.address()), Uint256(1));
  EXPECT_EQ(relayer_.SessionKeyOwner(wallet_, session.address(), now), owner_.address().ToLower());
  EXPECT_EQ(relayer_.SessionKeyOwner(wallet_, stranger.address(), now), std::nullopt);
  ASSERT_EQ(relayer_.ActiveSessionSigners(wallet_, now).size(), 1u);
  const int64_t valid_until = relayer_.ActiveSessionSigners(wallet_, now)[0].valid_until_s;
  const Nanos expiry = valid_until * kNanosPerSecond;
  EXPECT_TRUE(relayer_.SessionKeyOwner(wallet_, session.address(), expiry - kNanosPerSecond).has_value());
  EXPECT_EQ(relayer_.SessionKeyOwner(wallet_, session.address(), expiry), std::nullopt);
  EXPECT_TRUE(relayer_.ActiveSessionSigners(wallet_, expiry).empty());

  auto revoked = relayer_.SessionSigner(SessionRequest(owner_, wallet_, session.address(), 1, now, true), now);
  ASSERT_TRUE(std::holds_alternative<relayer::SessionSignerAnswer>(revoked));
  EXPECT_TRUE(std::get<relayer::SessionSignerAnswer>(revoked).fenced);
  EXPECT_EQ(relayer_.SessionKeyOwner(wallet_, session.address(), now), std::nullopt);  // at once
  EXPECT_TRUE(relayer_.ActiveSessionSigners(wallet_, now).empty());
}

TEST_F(SimRelayerTest, ASessionKeyWithoutTheClobScopeCannotTrade) {
  const auto session =
      *crypto::PrivateKey::FromHex("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d");
  Nanos now = kT0;
  relayer_.MarkDeployed(wallet_);
  auto accepted =
      relayer_.SessionSigner(SessionRequest(owner_, wallet_, session.address(), 0, now, false, {"COMBOSRFQ"}), now);
  ASSERT_TRUE(std::holds_alternative<relayer::SessionSignerAnswer>(accepted));
  ASSERT_TRUE(
      RunUntil(std::get<relayer::SessionSignerAnswer>(accepted).transaction_id, relayer::TxState::kMined, &now));
  EXPECT_EQ(relayer_.ActiveSessionSigners(wallet_, now).size(), 1u);
  EXPECT_EQ(relayer_.SessionKeyOwner(wallet_, session.address(), now), std::nullopt);
}

}  // namespace
}  // namespace clobmaker::simexchange
