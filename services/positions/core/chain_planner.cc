#include "services/positions/core/chain_planner.h"

#include <algorithm>

namespace clobmaker::positions {

namespace {

constexpr int64_t kShareStep = 10'000;  // 0.01 share: merges in whole cents of a share

struct Holding {
  int64_t provisional = 0, onchain = 0, settled = 0, free = 0;
  bool Final() const { return provisional == onchain && onchain == settled; }
};

Holding Of(const Ledger& ledger, const std::string& token) {
  const TokenPosition* p = ledger.Find(token);
  if (p == nullptr) return {};
  return {p->provisional_micros, p->onchain_micros, p->settled_micros, p->FreeMicros()};
}

}  // namespace

std::optional<PlannedChainAction> PlanChainAction(const Ledger& ledger, const MarketTokens& market,
                                                  const Resolution& resolution, const ChainParams& params) {
  const Holding yes = Of(ledger, market.yes_token);
  const Holding no = Of(ledger, market.no_token);
  if (resolution.denominator > 0) {
    // Resolved: redeeming pays at least what merging would, so only redeem.
    if (!params.redeem || !yes.Final() || !no.Final()) return std::nullopt;
    if (yes.onchain <= 0 && no.onchain <= 0) return std::nullopt;
    return PlannedChainAction{.kind = ChainAction::Kind::kRedeem};
  }
  if (!params.merge) return std::nullopt;
  int64_t sets = std::min(yes.free, no.free) - params.merge_keep_micros;
  sets -= sets % kShareStep;
  if (sets <= 0 || sets < params.merge_min_micros) return std::nullopt;
  return PlannedChainAction{.kind = ChainAction::Kind::kMerge, .amount_micros = sets};
}

}  // namespace clobmaker::positions
