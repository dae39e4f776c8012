#include "common/core/uint256.h"

#include <gtest/gtest.h>

namespace clobmaker {
namespace {

constexpr char kToken[] = "71321045679252212594626385532706912750332728571942532289631379312455583992563";
constexpr char kMax[] = "115792089237316195423570985008687907853269984665640564039457584007913129639935";

TEST(Uint256, DecimalRoundTripOfARealTokenId) {
  auto v = Uint256::FromDecimal(kToken);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->ToDecimal(), kToken);
  EXPECT_FALSE(v->FitsUint64());
}

TEST(Uint256, MaxValueAndOverflow) {
  auto max = Uint256::FromDecimal(kMax);
  ASSERT_TRUE(max.ok());
  EXPECT_EQ(max->ToHex(), "0x" + std::string(64, 'f'));
  EXPECT_FALSE(
      Uint256::FromDecimal("115792089237316195423570985008687907853269984665640564039457584007913129639936").ok());
}

TEST(Uint256, RejectsBadDecimal) {
  EXPECT_FALSE(Uint256::FromDecimal("").ok());
  EXPECT_FALSE(Uint256::FromDecimal("-1").ok());
  EXPECT_FALSE(Uint256::FromDecimal("12a").ok());
  EXPECT_FALSE(Uint256::FromDecimal(" 1").ok());
}

TEST(Uint256, HexAndBigEndian) {
  auto v = Uint256::FromHex("0x0102");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->Low64(), 0x0102u);
  const auto be = v->ToBigEndian();
  EXPECT_EQ(be[30], 0x01);
  EXPECT_EQ(be[31], 0x02);
  EXPECT_EQ(Uint256::FromBigEndian(be), *v);
  EXPECT_FALSE(Uint256::FromHex("0x" + std::string(65, '1')).ok());
}

TEST(Uint256, OrderingAndSmallArithmetic) {
  Uint256 a(5), b(7);
  EXPECT_LT(a, b);
  EXPECT_TRUE(a.MulAddSmall(10, 3));
  EXPECT_EQ(a, Uint256(53));
  EXPECT_EQ(a.DivSmall(10), 3u);
  EXPECT_EQ(a, Uint256(5));
  auto max = *Uint256::FromDecimal(kMax);
  EXPECT_FALSE(max.MulAddSmall(2, 0));
}

}  // namespace
}  // namespace clobmaker
