// Quoting parameters of one market, their validation, and the YAML configuration of strategy.
// Every parameter is an integer in the project's units (ticks, 10^-6 shares, 10^-6 pUSD, ms) or
// a flag; a change is validated as a whole and refused with its reason.
#pragma once

#include <absl/status/statusor.h>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/model/types.h"

namespace clobmaker::strategy {

namespace v1 {  // generated (clobmaker/strategy/v1/strategy.pb.h)
class MarketParams;
}  // namespace v1

struct QuoteParams {
  bool enabled = true;
  // Fair value: "reference" (the reference price, 10^9 = 1.0 of probability) or "mid" (the book's).
  std::string fair_value_source = "reference";
  std::string reference_symbol;  // empty: the market's slug (what the simulator's feed uses)
  int64_t half_spread_ticks = 2;
  uint32_t levels = 3;
  int64_t level_spacing_ticks = 1;
  int64_t size_per_level_micros = 10'000'000;  // 10 shares
  int64_t min_edge_ticks = 1;                  // no bid above fair - edge, no ask below fair + edge
  int64_t skew_ticks_per_1k_shares = 2;        // net long 1,000 shares: quotes 2 ticks lower
  int64_t max_position_micros = 500'000'000;   // |net YES - NO| at which quoting stops
  int64_t max_notional_micros = 500'000'000;   // |net| x fair at which quoting stops
  int64_t cutoff_before_end_s = 3600;          // nothing quoted this close to the market's end
  int64_t max_book_age_ms = 3000;
  int64_t max_reference_age_ms = 3000;
  bool reward_band = true;               // keep level 0 inside the rewards band when it pays
  int64_t reward_daily_rate_micros = 0;  // the market's reward pool per day (for the estimate)
  int64_t validity_ms = 5000;            // desired ladders expire this long after publication

  absl::Status Validate() const;
  // Sets one parameter from text ("3", "0.5" is refused for integers, "true"/"false").
  absl::Status Set(std::string_view name, std::string_view value);
  // Applies several at once: all or nothing.
  static absl::StatusOr<QuoteParams> WithChanges(const QuoteParams& base,
                                                 const std::map<std::string, std::string>& changes);
  void ToProto(v1::MarketParams& out) const;
  friend bool operator==(const QuoteParams&, const QuoteParams&) = default;
};

// One configured market: a slug, a token id or a condition id, and its parameters.
struct MarketConfig {
  std::string spec;
  QuoteParams params;
};

struct StrategyConfig {
  QuoteParams defaults;
  std::vector<MarketConfig> markets;
  bool all_markets = false;  // quote every market marketdata publishes, with the defaults
};

// YAML:
//   defaults: { half_spread_ticks: 2, levels: 3, ... }
//   all_markets: false
//   markets:
//     - market: some-slug            # or a token id or condition id
//       size_per_level_micros: 20000000
// Unknown keys and bad values are errors naming the key.
absl::StatusOr<StrategyConfig> ParseStrategyConfig(std::string_view yaml_text);

}  // namespace clobmaker::strategy
