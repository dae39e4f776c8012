// A merge or redeem through a deposit wallet (pure): the one batch positions signs for it, and how
// the relayer's answers read as evidence for PendingTransaction (docs/positions.md, "Through the
// relayer").
//
// The batch is fixed by the record written before /submit: (wallet, the owner's batch nonce,
// deadline, the one call) — the signature is recomputed from them (RFC 6979: the same bytes), and
// the record id travels as the submission's metadata so that an answer never read is found in
// the relayer's listing. The call goes to the CollateralAdapter (NegRiskCollateralAdapter for a
// neg-risk market) with the conditional-tokens merge/redeem calldata on pUSD, binary full sets.
#pragma once

#include <absl/status/statusor.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/crypto/crypto.h"
#include "common/relayer/relayer.h"
#include "services/positions/core/pending_transaction.h"

namespace clobmaker::positions {

struct RelayerBatchSpec {
  bool merge = true;  // false: redeem
  std::string condition_id;  // 0x + 64 hex
  bool neg_risk = false;
  int64_t amount_micros = 0;  // merge: full sets
  crypto::Address wallet;
  uint64_t nonce = 0;        // the owner's batch nonce (GET /nonce)
  uint64_t deadline_s = 0;   // unix seconds: the batch cannot execute after it
};

absl::StatusOr<relayer::WalletBatch> ChainActionBatch(const RelayerBatchSpec& spec, const relayer::CallTargets& targets);

// The metadata a submission carries: "clobmaker:positions:<record id>" (at most 500 characters).
std::string BatchMetadata(std::string_view record_id);

// What the relayer's record of our submission says, as a lookup: not found → unknown; NEW and
// EXECUTED → pending (it may still be mined); MINED/CONFIRMED → succeeded; FAILED/INVALID →
// failed (nothing moved, the nonce was not used).
TxLookup LookupOfRelayerState(const std::optional<relayer::TxState>& state);

}  // namespace clobmaker::positions
