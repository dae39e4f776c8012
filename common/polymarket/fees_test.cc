#include "common/polymarket/fees.h"

#include <gtest/gtest.h>

namespace clobmaker::polymarket {
namespace {

using model::Price;
using model::Size;

TEST(TakerFee, TheDocumentedFormula) {
  const FeeSchedule crypto{.enabled = true, .rate_ppm = 70'000, .exponent = 1, .rebate_ppm = 200'000};
  // 100 shares at 0.50: 100 x 0.07 x 0.25 = 1.75 pUSD.
  EXPECT_EQ(TakerFeeMicros(Size::FromWhole(100), Price(5000), crypto), 1'750'000);
  // 10 shares at 0.20: 10 x 0.07 x 0.16 = 0.112.
  EXPECT_EQ(TakerFeeMicros(Size::FromWhole(10), Price(2000), crypto), 112'000);
  // Exponent 2: 100 x 0.07 x 0.25^2 = 0.4375.
  FeeSchedule squared = crypto;
  squared.exponent = 2;
  EXPECT_EQ(TakerFeeMicros(Size::FromWhole(100), Price(5000), squared), 437'500);
  // Rounded to 5 decimals, half up: 1 share at 0.01 -> 0.07 x 0.0099 = 0.000693 -> 0.00069.
  EXPECT_EQ(TakerFeeMicros(Size::FromWhole(1), Price(100), crypto), 690);
  // 1 x 0.00278 x 0.25 = 0.000695 -> 0.0007 (half up).
  EXPECT_EQ(TakerFeeMicros(Size::FromWhole(1), Price(5000), {.enabled = true, .rate_ppm = 2'780, .exponent = 1}), 700);
}

TEST(TakerFee, NothingWhenOffOrAtTheEdges) {
  const FeeSchedule crypto{.enabled = true, .rate_ppm = 70'000, .exponent = 1};
  FeeSchedule off = crypto;
  off.enabled = false;
  EXPECT_EQ(TakerFeeMicros(Size::FromWhole(100), Price(5000), off), 0);
  EXPECT_EQ(TakerFeeMicros(Size::FromWhole(100), Price(0), crypto), 0);
  EXPECT_EQ(TakerFeeMicros(Size::FromWhole(100), Price(10'000), crypto), 0);
  EXPECT_EQ(TakerFeeMicros(Size(0), Price(5000), crypto), 0);
  // Large sizes stay exact (no overflow): 10^9 shares at 0.5 -> 1.75e7 pUSD.
  EXPECT_EQ(TakerFeeMicros(Size::FromWhole(1'000'000'000), Price(5000), crypto), 17'500'000'000'000);
}

}  // namespace
}  // namespace clobmaker::polymarket
