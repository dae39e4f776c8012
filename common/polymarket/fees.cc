#include "common/polymarket/fees.h"

#include "common/core/int128.h"

namespace clobmaker::polymarket {

int64_t TakerFeeMicros(model::Size size, model::Price price, const FeeSchedule& schedule) {
  if (!schedule.enabled || schedule.rate_ppm <= 0 || size.micros() <= 0) return 0;
  const int64_t p = price.units();
  if (p <= 0 || p >= model::kPriceOne) return 0;
  // In units of 10^-12 pUSD: shares (10^-6) x rate (10^-6); each power of p(1-p) (10^-8) is
  // divided back out as it is applied, so the product never leaves 128 bits.
  Int128 acc = static_cast<Int128>(size.micros()) * schedule.rate_ppm;
  const Int128 q = static_cast<Int128>(p) * (model::kPriceOne - p);  // p(1-p) x 10^8
  constexpr Int128 kQOne = static_cast<Int128>(model::kPriceOne) * model::kPriceOne;
  for (int i = 0; i < schedule.exponent; ++i) acc = acc * q / kQOne;
  // 10^-12 -> 10^-5, half up, then micros.
  constexpr Int128 kStep = 10'000'000;
  const Int128 fifths = (acc + kStep / 2) / kStep;
  return static_cast<int64_t>(fifths * 10);
}

}  // namespace clobmaker::polymarket
