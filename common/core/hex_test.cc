#include "common/core/hex.h"

#include <gtest/gtest.h>

#include <array>

namespace clobmaker {
namespace {

TEST(Hex, RoundTrip) {
  const std::vector<uint8_t> bytes = {0x00, 0xab, 0xff, 0x10};
  EXPECT_EQ(HexEncode(bytes), "0x00abff10");
  EXPECT_EQ(HexEncode(bytes, false), "00abff10");
  EXPECT_EQ(*HexDecode("0x00ABff10"), bytes);
  EXPECT_EQ(*HexDecode("00abff10"), bytes);
  EXPECT_TRUE(HexDecode("0x")->empty());
}

TEST(Hex, RejectsMalformed) {
  EXPECT_FALSE(HexDecode("0xabc").ok());
  EXPECT_FALSE(HexDecode("0xzz").ok());
  std::array<uint8_t, 2> out{};
  EXPECT_FALSE(HexDecodeInto("0xaabbcc", out).ok());
  EXPECT_TRUE(HexDecodeInto("aabb", out).ok());
  EXPECT_EQ(out[1], 0xbb);
}

}  // namespace
}  // namespace clobmaker
