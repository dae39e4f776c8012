#include "common/model/types.h"

#include <gtest/gtest.h>

#include <unordered_set>

namespace clobmaker::model {
namespace {

TEST(Price, ParseAndRange) {
  EXPECT_EQ(Price::Parse("0.56")->units(), 5600);
  EXPECT_EQ(Price::Parse("1")->units(), 10000);
  EXPECT_FALSE(Price::Parse("1.01").ok());
  EXPECT_FALSE(Price::Parse("-0.1").ok());
  EXPECT_FALSE(Price::Parse("0.00005").ok());
  EXPECT_EQ(Price(4800).ToString(), "0.48");
  EXPECT_EQ(Price(4800).Complement(), Price(5200));
}

TEST(SizeAndAmount, ParseFormat) {
  EXPECT_EQ(Size::Parse("21.04")->micros(), 21040000);
  EXPECT_FALSE(Size::Parse("-1").ok());
  EXPECT_FALSE(Size::Parse("0.0000001").ok());
  EXPECT_EQ(Size::FromWhole(5).ToString(), "5");
  EXPECT_EQ(Amount::Parse("-3.25")->micros(), -3250000);
  EXPECT_EQ(Amount(11782400).ToString(), "11.7824");
}

TEST(Notional, ExactAndRounded) {
  EXPECT_EQ(Notional(Size(21040000), Price(5600)).micros(), 11782400);
  // 0.000001 shares at 0.5 = 0.0000005 pUSD: below one micro
  EXPECT_EQ(Notional(Size(1), Price(5000), Rounding::kDown).micros(), 0);
  EXPECT_EQ(Notional(Size(1), Price(5000), Rounding::kUp).micros(), 1);
}

TEST(TickSize, OnlyTheSixTicks) {
  for (const char* t : {"0.1", "0.01", "0.005", "0.0025", "0.001", "0.0001"}) {
    auto tick = TickSize::Parse(t);
    ASSERT_TRUE(tick.ok()) << t;
    EXPECT_EQ(tick->ToString(), t);
  }
  EXPECT_FALSE(TickSize::Parse("0.02").ok());
  EXPECT_FALSE(TickSize::Parse("0").ok());
  EXPECT_FALSE(TickSize::FromUnits(7).ok());
}

TEST(TickSize, DecimalsFollowTheOfficialRoundingTable) {
  const std::pair<const char*, int> table[] = {{"0.1", 1},    {"0.01", 2},  {"0.005", 3},
                                               {"0.0025", 4}, {"0.001", 3}, {"0.0001", 4}};
  for (auto [tick, decimals] : table) {
    EXPECT_EQ(TickSize::Parse(tick)->PriceDecimals(), decimals) << tick;
    EXPECT_EQ(TickSize::Parse(tick)->AmountDecimals(), decimals + 2) << tick;
  }
}

TEST(TickSize, GridAndRounding) {
  const TickSize tick = *TickSize::Parse("0.0025");
  EXPECT_TRUE(tick.IsOnGrid(Price(6675)));
  EXPECT_FALSE(tick.IsOnGrid(Price(6670)));
  EXPECT_EQ(tick.RoundDown(Price(6670)), Price(6650));
  EXPECT_EQ(tick.RoundUp(Price(6670)), Price(6675));
  EXPECT_EQ(tick.RoundNearest(Price(6662)), Price(6650));
  EXPECT_EQ(tick.RoundNearest(Price(6663)), Price(6675));
  EXPECT_EQ(tick.ToTicks(Price(6675)), 267);
  EXPECT_EQ(tick.FromTicks(267), Price(6675));
  EXPECT_TRUE(tick.IsValidOrderPrice(Price(25)));
  EXPECT_FALSE(tick.IsValidOrderPrice(Price(0)));
  EXPECT_FALSE(tick.IsValidOrderPrice(Price(10000)));
  EXPECT_TRUE(tick.IsValidOrderPrice(tick.MaxPrice()));
}

TEST(Side, ParseAndName) {
  EXPECT_EQ(*ParseSide("BUY"), Side::kBuy);
  EXPECT_EQ(*ParseSide("sell"), Side::kSell);
  EXPECT_FALSE(ParseSide("B").ok());
  EXPECT_EQ(SideName(Side::kSell), "SELL");
  EXPECT_EQ(Opposite(Side::kBuy), Side::kSell);
}

TEST(Ids, TokenAndOrderIds) {
  auto token = TokenId::Parse("71321045679252212594626385532706912750332728571942532289631379312455583992563");
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(token->ToString(), "71321045679252212594626385532706912750332728571942532289631379312455583992563");
  EXPECT_FALSE(TokenId::Parse("0x12").ok());

  const std::string hex = "0x3d8f8535d0edf67cfad717f8b433f1f42176feee977b7e10da75a5f382da9dcd";
  auto id = OrderId::Parse(hex);
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(id->ToString(), hex);
  EXPECT_EQ(OrderId::Parse("0x3D8F8535D0EDF67CFAD717F8B433F1F42176FEEE977B7E10DA75A5F382DA9DCD")->ToString(), hex);
  EXPECT_FALSE(OrderId::Parse(hex.substr(2)).ok());
  EXPECT_FALSE(OrderId::Parse("0x1234").ok());
  EXPECT_TRUE(OrderId().IsZero());
  std::unordered_set<OrderId> set{*id};
  EXPECT_TRUE(set.contains(*id));
}

}  // namespace
}  // namespace clobmaker::model
