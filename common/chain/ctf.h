// The Gnosis conditional-tokens (CTF) calls positions makes, as ABI calldata, and their decoding
// for the simulator: mergePositions (a full set of outcomes back to collateral), redeemPositions
// (winning outcomes to collateral after resolution), and the payout reads that tell resolution
// (payoutDenominator > 0 once reported; payoutNumerators per outcome). Binary markets only:
// partition / index sets are [1, 2] (outcome 0 = YES, outcome 1 = NO), parent collection zero.
#pragma once

#include <absl/status/statusor.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/core/uint256.h"
#include "common/crypto/crypto.h"

namespace clobmaker::chain {

// 4-byte selectors: keccak256 of the signature (pinned in the tests).
std::string MergePositionsSelector();     // mergePositions(address,bytes32,bytes32,uint256[],uint256)
std::string RedeemPositionsSelector();    // redeemPositions(address,bytes32,bytes32,uint256[])
std::string PayoutDenominatorSelector();  // payoutDenominator(bytes32)
std::string PayoutNumeratorsSelector();   // payoutNumerators(bytes32,uint256)

std::vector<uint8_t> MergePositionsCall(const crypto::Address& collateral, const crypto::Hash32& condition,
                                        const Uint256& amount);
std::vector<uint8_t> RedeemPositionsCall(const crypto::Address& collateral, const crypto::Hash32& condition);
// eth_call data ("0x...").
std::string PayoutDenominatorCall(const crypto::Hash32& condition);
std::string PayoutNumeratorsCall(const crypto::Hash32& condition, uint64_t outcome_index);

// A write to the CTF, decoded (simulator side).
struct CtfWrite {
  enum class Kind : uint8_t { kMerge, kRedeem } kind = Kind::kMerge;
  crypto::Address collateral;
  crypto::Hash32 parent_collection{};
  crypto::Hash32 condition{};
  std::vector<Uint256> index_sets;  // partition (merge) or index sets (redeem)
  Uint256 amount;                   // merge only
};
absl::StatusOr<CtfWrite> DecodeCtfWrite(std::span<const uint8_t> calldata);

// A payout read, decoded (simulator side); `data` is eth_call's hex data.
struct PayoutRead {
  bool denominator = false;  // payoutDenominator; otherwise payoutNumerators(condition, index)
  crypto::Hash32 condition{};
  uint64_t index = 0;
};
absl::StatusOr<PayoutRead> DecodePayoutRead(std::string_view data);

}  // namespace clobmaker::chain
