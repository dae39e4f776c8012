#include "services/positions/core/relayer_batch.h"

#include <fmt/format.h>

#include "common/chain/ctf.h"
#include "common/core/hex.h"

namespace clobmaker::positions {

absl::StatusOr<relayer::WalletBatch> ChainActionBatch(const RelayerBatchSpec& spec, const relayer::CallTargets& targets) {
  crypto::Hash32 condition{};
  if (!HexDecodeInto(spec.condition_id, condition).ok()) {
    return absl::InvalidArgumentError(fmt::format("condition id '{}' is not 32 bytes of hex", spec.condition_id));
  }
  if (spec.merge && spec.amount_micros <= 0) return absl::InvalidArgumentError("a merge of nothing");
  relayer::Call call{.target = spec.neg_risk ? targets.neg_risk_collateral_adapter : targets.collateral_adapter,
                     .value = Uint256(0),
                     .data = spec.merge ? chain::MergePositionsCall(targets.collateral, condition,
                                                                    Uint256(static_cast<uint64_t>(spec.amount_micros)))
                                        : chain::RedeemPositionsCall(targets.collateral, condition)};
  return relayer::WalletBatch{
      .wallet = spec.wallet, .nonce = Uint256(spec.nonce), .deadline = spec.deadline_s, .calls = {std::move(call)}};
}

std::string BatchMetadata(std::string_view record_id) {
  std::string m = fmt::format("clobmaker:positions:{}", record_id);
  if (m.size() > 500) m.resize(500);
  return m;
}

TxLookup LookupOfRelayerState(const std::optional<relayer::TxState>& state) {
  if (!state) return TxLookup::kUnknown;
  switch (*state) {
    case relayer::TxState::kNew:
    case relayer::TxState::kExecuted:
      return TxLookup::kPending;
    case relayer::TxState::kMined:
    case relayer::TxState::kConfirmed:
      return TxLookup::kSucceeded;
    case relayer::TxState::kFailed:
    case relayer::TxState::kInvalid:
      return TxLookup::kFailed;
  }
  return TxLookup::kUnavailable;
}

}  // namespace clobmaker::positions
