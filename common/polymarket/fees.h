// Polymarket trading fees (docs `trading/fees`): takers pay, makers never do, and a share of the
// taker fees of a market is rebated daily to its makers pro rata to their filled maker volume.
//
//   fee = shares x rate x (p x (1 - p))^exponent      (in pUSD; p the trade price)
//
// The schedule is per market: Gamma `feesEnabled` + `feeSchedule {rate, exponent, takerOnly,
// rebateRate}`, the CLOB's `GET /clob-markets/{id}` `fd {r, e, to}`. Shared by the simulator
// (which charges it) and positions (which books it), so both round alike.
#pragma once

#include <cstdint>

#include "common/model/types.h"

namespace clobmaker::polymarket {

struct FeeSchedule {
  bool enabled = false;
  int64_t rate_ppm = 0;  // rate x 10^6 (0.07 -> 70'000)
  int exponent = 1;
  bool taker_only = true;
  int64_t rebate_ppm = 0;  // share of the taker fees paid back to makers, x 10^6 (20 % -> 200'000)
  friend bool operator==(const FeeSchedule&, const FeeSchedule&) = default;
};

// The taker's fee for `size` shares at `price`, in 10^-6 pUSD. Rounded to 5 decimals (the docs'
// precision; the tie rule is not documented: half up here). 0 when fees are not enabled.
int64_t TakerFeeMicros(model::Size size, model::Price price, const FeeSchedule& schedule);

}  // namespace clobmaker::polymarket
