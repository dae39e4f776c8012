#include "services/positions/core/relayer_batch.h"

#include <gtest/gtest.h>

#include "common/chain/ctf.h"
#include "common/core/hex.h"
#include "common/crypto/crypto.h"

namespace clobmaker::positions {
namespace {

const std::string kCondition = "0x" + std::string(62, '0') + "2a";

RelayerBatchSpec Merge() {
  return {.merge = true,
          .condition_id = kCondition,
          .neg_risk = false,
          .amount_micros = 75'000'000,
          .wallet = *crypto::Address::Parse("0xBc0fF067b7740Eff76C1ca93c875Ba6B890d6B50"),
          .nonce = 4,
          .deadline_s = 1'800'000'240};
}

TEST(MergeBatch, AMergeIsOneAdapterCallCarryingTheConditionalTokensMerge) {
  const auto targets = *relayer::CallTargetsForChain(137);
  auto batch = ChainActionBatch(Merge(), targets);
  ASSERT_TRUE(batch.ok()) << batch.status();
  EXPECT_EQ(batch->wallet, Merge().wallet);
  EXPECT_EQ(batch->nonce, Uint256(4));
  EXPECT_EQ(batch->deadline, 1'800'000'240u);
  ASSERT_EQ(batch->calls.size(), 1u);
  EXPECT_EQ(batch->calls[0].target, targets.collateral_adapter);
  EXPECT_EQ(batch->calls[0].value, Uint256(0));
  // What the simulator's relayer (and the adapter) decode: a binary full-set merge on pUSD.
  auto write = chain::DecodeCtfWrite(batch->calls[0].data);
  ASSERT_TRUE(write.ok()) << write.status();
  EXPECT_EQ(write->kind, chain::CtfWrite::Kind::kMerge);
  EXPECT_EQ(write->collateral, targets.collateral);
  EXPECT_EQ(HexEncode(write->condition), kCondition);
  EXPECT_EQ(write->amount, Uint256(75'000'000));
  EXPECT_EQ(write->index_sets, (std::vector<Uint256>{Uint256(1), Uint256(2)}));
}

TEST(MergeBatch, ARedeemOfANegRiskMarketGoesToTheNegRiskAdapter) {
  const auto targets = *relayer::CallTargetsForChain(137);
  RelayerBatchSpec spec = Merge();
  spec.merge = false;
  spec.neg_risk = true;
  spec.amount_micros = 0;
  auto batch = ChainActionBatch(spec, targets);
  ASSERT_TRUE(batch.ok()) << batch.status();
  EXPECT_EQ(batch->calls[0].target, targets.neg_risk_collateral_adapter);
  auto write = chain::DecodeCtfWrite(batch->calls[0].data);
  ASSERT_TRUE(write.ok());
  EXPECT_EQ(write->kind, chain::CtfWrite::Kind::kRedeem);
}

TEST(MergeBatch, TheSameRecordSignsTheSameBytes) {
  // A restart re-derives the batch from the record: the same digest, the same signature.
  const auto targets = *relayer::CallTargetsForChain(137);
  auto key = *crypto::PrivateKey::FromHex("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");
  const auto a = *ChainActionBatch(Merge(), targets);
  const auto b = *ChainActionBatch(Merge(), targets);
  EXPECT_EQ(relayer::SignBatch(a, 137, key), relayer::SignBatch(b, 137, key));
  RelayerBatchSpec later = Merge();
  later.nonce = 5;
  EXPECT_NE(relayer::SignBatch(*ChainActionBatch(later, targets), 137, key), relayer::SignBatch(a, 137, key));
}

TEST(MergeBatch, BadSpecsAreRefused) {
  const auto targets = *relayer::CallTargetsForChain(137);
  RelayerBatchSpec bad = Merge();
  bad.condition_id = "0x1234";
  EXPECT_FALSE(ChainActionBatch(bad, targets).ok());
  RelayerBatchSpec nothing = Merge();
  nothing.amount_micros = 0;
  EXPECT_FALSE(ChainActionBatch(nothing, targets).ok());
}

TEST(MergeBatch, MetadataNamesTheRecordAndIsCapped) {
  EXPECT_EQ(BatchMetadata("merge-0x2a-4-17"), "clobmaker:positions:merge-0x2a-4-17");
  EXPECT_EQ(BatchMetadata(std::string(600, 'x')).size(), 500u);
}

TEST(MergeBatch, RelayerStatesReadAsLookups) {
  EXPECT_EQ(LookupOfRelayerState(std::nullopt), TxLookup::kUnknown);
  EXPECT_EQ(LookupOfRelayerState(relayer::TxState::kNew), TxLookup::kPending);
  EXPECT_EQ(LookupOfRelayerState(relayer::TxState::kExecuted), TxLookup::kPending);
  EXPECT_EQ(LookupOfRelayerState(relayer::TxState::kMined), TxLookup::kSucceeded);
  EXPECT_EQ(LookupOfRelayerState(relayer::TxState::kConfirmed), TxLookup::kSucceeded);
  EXPECT_EQ(LookupOfRelayerState(relayer::TxState::kFailed), TxLookup::kFailed);
  EXPECT_EQ(LookupOfRelayerState(relayer::TxState::kInvalid), TxLookup::kFailed);
}

}  // namespace
}  // namespace clobmaker::positions
