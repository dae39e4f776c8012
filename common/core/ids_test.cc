#include "common/core/ids.h"

#include <gtest/gtest.h>

namespace clobmaker {
namespace {

TEST(Ids, UuidV4IsCanonicalAndDeterministic) {
  Rng a(3), b(3);
  const std::string u = MakeUuidV4(a);
  EXPECT_EQ(u, MakeUuidV4(b));
  EXPECT_TRUE(IsUuid(u));
  EXPECT_EQ(u[14], '4');
  EXPECT_TRUE(u[19] == '8' || u[19] == '9' || u[19] == 'a' || u[19] == 'b');
  EXPECT_FALSE(IsUuid("not-a-uuid"));
  EXPECT_FALSE(IsUuid("0123456789abcdef0123456789abcdef0123"));
}

TEST(Ids, SequenceIsMonotonic) {
  SequenceGenerator seq;
  EXPECT_EQ(seq.Next(), 1u);
  EXPECT_EQ(seq.Next(), 2u);
  EXPECT_EQ(seq.Peek(), 3u);
}

TEST(Ids, DedupeKeysSeparateStatusesAndSizes) {
  EXPECT_NE(TradeDedupeKey("t1", "MATCHED"), TradeDedupeKey("t1", "MINED"));
  EXPECT_EQ(TradeDedupeKey("t1", "MATCHED"), TradeDedupeKey("t1", "MATCHED"));
  EXPECT_NE(OrderDedupeKey("0xa", "UPDATE", 1), OrderDedupeKey("0xa", "UPDATE", 2));
}

}  // namespace
}  // namespace clobmaker
