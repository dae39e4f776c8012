#include "common/model/decimal.h"

#include <gtest/gtest.h>

#include "common/core/status.h"

namespace clobmaker::model {
namespace {

TEST(ParseScaled, ExactValues) {
  EXPECT_EQ(*ParseScaled("0.48", 4), 4800);
  EXPECT_EQ(*ParseScaled(".48", 4), 4800);
  EXPECT_EQ(*ParseScaled("1", 4), 10000);
  EXPECT_EQ(*ParseScaled("1.", 4), 10000);
  EXPECT_EQ(*ParseScaled("0.0025", 4), 25);
  EXPECT_EQ(*ParseScaled("4934.52", 6), 4934520000);
  EXPECT_EQ(*ParseScaled("0.5000000", 4), 5000);  // trailing zeros are exact, not rounding
  EXPECT_EQ(*ParseScaled("-1.5", 6, {.allow_negative = true}), -1500000);
}

TEST(ParseScaled, RejectsInsteadOfRounding) {
  EXPECT_FALSE(ParseScaled("0.00001", 4).ok());  // over-precise
  EXPECT_FALSE(ParseScaled("0.12345", 4).ok());
  EXPECT_FALSE(ParseScaled("-1", 4).ok());  // negative
  EXPECT_FALSE(ParseScaled("", 4).ok());
  EXPECT_FALSE(ParseScaled(".", 4).ok());
  EXPECT_FALSE(ParseScaled("1.2.3", 4).ok());
  EXPECT_FALSE(ParseScaled("1e-2", 4).ok());
  EXPECT_FALSE(ParseScaled(" 1", 4).ok());
  EXPECT_FALSE(ParseScaled("0x10", 4).ok());
  EXPECT_FALSE(ParseScaled("99999999999999999999", 6).ok());  // overflow
  EXPECT_FALSE(ParseScaled("1.0001", 4, {.max_units = 10000}).ok());
  const auto status = ParseScaled("0.12345", 4).status();
  EXPECT_NE(StatusText(status).find("too many decimals"), std::string_view::npos);
}

TEST(FormatScaled, ShortestExact) {
  EXPECT_EQ(FormatScaled(5000, 4), "0.5");
  EXPECT_EQ(FormatScaled(10000, 4), "1");
  EXPECT_EQ(FormatScaled(0, 4), "0");
  EXPECT_EQ(FormatScaled(-25, 4), "-0.0025");
  EXPECT_EQ(FormatScaled(4934520000, 6), "4934.52");
  EXPECT_EQ(FormatScaled(INT64_MIN, 6), "-9223372036854.775808");
}

TEST(FormatScaled, FixedWidth) {
  EXPECT_EQ(FormatScaledFixed(5000, 4, 2), "0.50");
  EXPECT_EQ(FormatScaledFixed(100000000, 6, 4), "100.0000");
  EXPECT_EQ(FormatScaledFixed(-1500000, 6, 1), "-1.5");
}

TEST(FractionDigits, CountsSignificantDecimals) {
  EXPECT_EQ(FractionDigits(4800, 4), 2);
  EXPECT_EQ(FractionDigits(25, 4), 4);
  EXPECT_EQ(FractionDigits(10000, 4), 0);
}

TEST(ParseScaled, RoundTripsEveryPriceUnit) {
  for (int64_t u = 0; u <= 10000; ++u) {
    ASSERT_EQ(*ParseScaled(FormatScaled(u, 4), 4), u) << u;
  }
}

TEST(FormatPrice, UsesTheTickPrecisionAndRoundsOffGridValues) {
  EXPECT_EQ(TickDecimals(100), 2);
  EXPECT_EQ(TickDecimals(10), 3);
  EXPECT_EQ(TickDecimals(1), 4);
  EXPECT_EQ(TickDecimals(1000), 1);
  EXPECT_EQ(TickDecimals(0), 4) << "unknown tick: every digit we have";
  EXPECT_EQ(FormatPrice(4800, 100), "0.48");
  EXPECT_EQ(FormatPrice(4886, 100), "0.49") << "a fair value between ticks, rounded";
  EXPECT_EQ(FormatPrice(4849, 100), "0.48");
  EXPECT_EQ(FormatPrice(4850, 100), "0.49") << "half away from zero";
  EXPECT_EQ(FormatPrice(4886, 10), "0.489");
  EXPECT_EQ(FormatPrice(4886, 1), "0.4886");
  EXPECT_EQ(FormatPrice(10000, 100), "1.00");
  EXPECT_EQ(FormatPrice(0, 100), "0.00");
}

TEST(FormatAmount, FixedDecimalsRounded) {
  EXPECT_EQ(FormatAmount(12'500'000), "12.50");
  EXPECT_EQ(FormatAmount(12'345'678), "12.35");
  EXPECT_EQ(FormatAmount(-1'005'000), "-1.01") << "half away from zero";
  EXPECT_EQ(FormatAmount(0), "0.00");
  EXPECT_EQ(FormatAmount(1'234'567, 6), "1.234567");
  EXPECT_EQ(FormatAmount(999'999'999'000'000LL, 0), "999999999");
}

}  // namespace
}  // namespace clobmaker::model
