// positions' decision of what to do on chain (pure): merge the overlap of a market's two
// outcomes back to collateral above a threshold, and redeem a resolved market's tokens.
//
// Only what is certainly ours and not spoken for is touched: settled tokens less sales still
// settling (TokenPosition::FreeMicros; a purchase not yet confirmed may still fail), less what the
// operator keeps for quoting. A redemption waits until every leg of the
// market is final (all three buckets equal), so that what the chain burns is what the ledger holds.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "services/positions/core/ledger.h"

namespace clobmaker::positions {

struct ChainParams {
  bool merge = true;
  int64_t merge_min_micros = 50'000'000;    // merge only when at least this many full sets are free
  int64_t merge_keep_micros = 200'000'000;  // of each outcome, kept for quoting (asks need settled tokens)
  bool redeem = true;
};

struct MarketTokens {
  std::string condition_id;
  std::string yes_token;
  std::string no_token;
  bool neg_risk = false;  // merged and redeemed through the neg-risk adapter (relayer batches)
};

// The chain's resolution of a condition: denominator 0 = not resolved.
struct Resolution {
  uint64_t denominator = 0;
  std::array<uint64_t, 2> numerators{};
};

struct PlannedChainAction {
  ChainAction::Kind kind = ChainAction::Kind::kMerge;
  int64_t amount_micros = 0;  // merge
};

std::optional<PlannedChainAction> PlanChainAction(const Ledger& ledger, const MarketTokens& market,
                                                  const Resolution& resolution, const ChainParams& params);

}  // namespace clobmaker::positions
