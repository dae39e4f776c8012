#include "services/simexchange/replay/queue_model.h"

#include <gtest/gtest.h>

#include "common/core/rng.h"

namespace clobmaker::simexchange::replay {
namespace {

constexpr int64_t kShare = 1'000'000;
constexpr Nanos kMs = kNanosPerMilli;

int64_t Filled(const std::vector<QueueFill>& fills, const std::string& id) {
  int64_t n = 0;
  for (const auto& f : fills) n += f.id == id ? f.size : 0;
  return n;
}

TEST(QueueModel, JoinsBehindTheRecordedSizeAndOnlyWhatReachesItFills) {
  QueueModel q;
  q.SetLevel(Side::kBuy, 5000, 100 * kShare, 0);
  q.Join("a", Side::kBuy, 5000, 10 * kShare, 1);
  EXPECT_EQ(q.Find("a")->ahead, 100 * kShare);
  // A seller takes 60 at 0.50: all of it goes to the recorded size ahead.
  auto fills = q.OnTrade(Side::kSell, 5000, 60 * kShare, 1 * kMs);
  EXPECT_TRUE(fills.empty());
  EXPECT_EQ(q.Find("a")->ahead, 40 * kShare);
  // 45 more: 40 ahead, 5 reach us.
  fills = q.OnTrade(Side::kSell, 5000, 45 * kShare, 2 * kMs);
  ASSERT_EQ(fills.size(), 1u);
  EXPECT_EQ(fills[0].size, 5 * kShare);
  EXPECT_EQ(q.Find("a")->remaining, 5 * kShare);
  EXPECT_EQ(q.Find("a")->ahead, 0);
  // 50 more: only our remaining 5 fill; the order leaves the model.
  fills = q.OnTrade(Side::kSell, 5000, 50 * kShare, 3 * kMs);
  EXPECT_EQ(Filled(fills, "a"), 5 * kShare);
  EXPECT_EQ(q.Find("a"), nullptr);
}

TEST(QueueModel, ABuyerDoesNotReachOurBidsNorWorsePricedAsks) {
  QueueModel q;
  q.Join("bid", Side::kBuy, 5000, 10 * kShare, 1);
  q.Join("ask", Side::kSell, 5300, 10 * kShare, 2);
  EXPECT_TRUE(q.OnTrade(Side::kBuy, 5200, 100 * kShare, 0).empty());   // ask above the trade price
  EXPECT_TRUE(q.OnTrade(Side::kSell, 5100, 100 * kShare, 0).empty());  // bid below it
}

TEST(QueueModel, OurOrdersShareTheQueueInTimeOrderWithRecordedSizeBetween) {
  QueueModel q;
  q.SetLevel(Side::kSell, 5200, 20 * kShare, 0);
  q.Join("first", Side::kSell, 5200, 10 * kShare, 1);
  q.SetLevel(Side::kSell, 5200, 50 * kShare, 0);  // 30 more recorded, behind "first"
  q.Join("second", Side::kSell, 5200, 10 * kShare, 2);
  EXPECT_EQ(q.Find("second")->ahead, 50 * kShare);
  // 35: 20 ahead of first, first takes 10, 5 go to the recorded size between.
  auto fills = q.OnTrade(Side::kBuy, 5200, 35 * kShare, 1 * kMs);
  EXPECT_EQ(Filled(fills, "first"), 10 * kShare);
  EXPECT_EQ(Filled(fills, "second"), 0);
  // The recorded 35 took that much of the 50 ahead of second: 15 left, so 20 more fill it by 5.
  q.Advance(10 * kNanosPerSecond);
  fills = q.OnTrade(Side::kBuy, 5200, 20 * kShare, 11 * kNanosPerSecond);
  EXPECT_EQ(Filled(fills, "second"), 5 * kShare);
}

TEST(QueueModel, ATradeThroughOurBetterPriceFillsUsFirst) {
  QueueModel q;
  q.SetLevel(Side::kSell, 5300, 100 * kShare, 0);
  q.Join("inside", Side::kSell, 5200, 10 * kShare, 1);  // alone at 0.52, inside the recorded spread
  q.Join("at", Side::kSell, 5300, 10 * kShare, 2);
  auto fills = q.OnTrade(Side::kBuy, 5300, 30 * kShare, 0);
  ASSERT_EQ(fills.size(), 1u);
  EXPECT_EQ(fills[0].id, "inside");
  EXPECT_EQ(fills[0].size, 10 * kShare);
  EXPECT_EQ(fills[0].price, 5200);
  // The rest (20) met the recorded 100 ahead of "at": no fill there.
  EXPECT_EQ(q.Find("at")->ahead, 70 * kShare);
}

TEST(QueueModel, ALevelChangeFollowedByItsTradeIsNotCountedTwice) {
  QueueModel q;
  q.SetLevel(Side::kBuy, 5000, 100 * kShare, 0);
  q.Join("a", Side::kBuy, 5000, 10 * kShare, 1);
  q.SetLevel(Side::kBuy, 5000, 150 * kShare, 0);  // 50 behind us
  // The exchange publishes the level change first (150 -> 90), then last_trade_price 60.
  q.SetLevel(Side::kBuy, 5000, 90 * kShare, 10 * kMs);
  EXPECT_EQ(q.Find("a")->ahead, 100 * kShare) << "not a cancel yet: a trade may explain it";
  EXPECT_TRUE(q.OnTrade(Side::kSell, 5000, 60 * kShare, 11 * kMs).empty());
  EXPECT_EQ(q.Find("a")->ahead, 40 * kShare) << "60 of the 100 ahead traded";
  q.Advance(5 * kNanosPerSecond);
  EXPECT_EQ(q.Find("a")->ahead, 40 * kShare);
  EXPECT_EQ(q.counters().explained_decreases, 1u);
  EXPECT_EQ(q.counters().cancels, 0u);
}

TEST(QueueModel, ATradeBeforeItsLevelChangeIsNotCountedTwiceEither) {
  QueueModel q;
  q.SetLevel(Side::kBuy, 5000, 100 * kShare, 0);
  q.Join("a", Side::kBuy, 5000, 10 * kShare, 1);
  EXPECT_TRUE(q.OnTrade(Side::kSell, 5000, 60 * kShare, 10 * kMs).empty());
  EXPECT_EQ(q.Find("a")->ahead, 40 * kShare);
  q.SetLevel(Side::kBuy, 5000, 40 * kShare, 11 * kMs);  // the change that shows the trade
  q.Advance(5 * kNanosPerSecond);
  EXPECT_EQ(q.Find("a")->ahead, 40 * kShare);
  EXPECT_EQ(q.counters().cancels, 0u);
  // A later order joins behind the 40 that are there.
  q.Join("b", Side::kBuy, 5000, 10 * kShare, 2);
  EXPECT_EQ(q.Find("b")->ahead, 40 * kShare);
}

TEST(QueueModel, UnexplainedDecreasesAreCancelsFromBehindFirst) {
  QueueModel q({.explain_window = 500 * kMs});
  q.SetLevel(Side::kSell, 6000, 100 * kShare, 0);
  q.Join("a", Side::kSell, 6000, 10 * kShare, 1);
  q.SetLevel(Side::kSell, 6000, 130 * kShare, 0);        // 30 behind
  q.SetLevel(Side::kSell, 6000, 110 * kShare, 1 * kMs);  // 20 cancelled: could be behind us
  q.Advance(600 * kMs);
  EXPECT_EQ(q.Find("a")->ahead, 100 * kShare) << "cancels from behind: ahead unchanged";
  q.SetLevel(Side::kSell, 6000, 70 * kShare, 700 * kMs);  // now smaller than what was ahead
  q.Advance(1300 * kMs);
  EXPECT_EQ(q.Find("a")->ahead, 70 * kShare);
  EXPECT_EQ(q.counters().cancels, 2u);
}

TEST(QueueModel, JoiningWhileADecreaseAwaitsItsTradeStaysBehindThatTrade) {
  QueueModel q;
  q.SetLevel(Side::kBuy, 5000, 100 * kShare, 0);
  q.SetLevel(Side::kBuy, 5000, 40 * kShare, 10 * kMs);  // traded just before we arrived
  q.Join("late", Side::kBuy, 5000, 10 * kShare, 1);
  EXPECT_TRUE(q.OnTrade(Side::kSell, 5000, 60 * kShare, 12 * kMs).empty()) << "that trade happened before we joined";
  EXPECT_EQ(q.Find("late")->ahead, 40 * kShare);
}

TEST(QueueModel, LeaveAndRemainingAreFollowed) {
  QueueModel q;
  q.Join("a", Side::kBuy, 5000, 10 * kShare, 1);
  q.SetRemaining("a", 4 * kShare);
  EXPECT_EQ(Filled(q.OnTrade(Side::kSell, 5000, 100 * kShare, 0), "a"), 4 * kShare);
  q.Join("b", Side::kBuy, 5000, 10 * kShare, 2);
  q.Leave("b");
  EXPECT_TRUE(q.OnTrade(Side::kSell, 5000, 100 * kShare, 0).empty());
}

// Random recorded books, trades and our orders: fills never exceed a trade's size, are on the
// right side of its price, never exceed an order; and the same inputs give the same fills.
std::vector<QueueFill> RandomSession(uint64_t seed, bool check) {
  Rng rng(seed);
  QueueModel q({.explain_window = 200 * kMs});
  std::vector<QueueFill> all;
  std::map<std::string, int64_t> placed;
  uint64_t seq = 1;
  Nanos now = 0;
  for (int step = 0; step < 3000; ++step) {
    now += rng.Between(0, 50) * kMs;
    const int64_t price = 4000 + 100 * rng.Between(0, 20);
    const Side side = rng.Chance(0.5) ? Side::kBuy : Side::kSell;
    const double u = rng.Unit();
    if (u < 0.45) {
      q.SetLevel(side, price, rng.Between(0, 300) * kShare, now);
    } else if (u < 0.6) {
      const std::string id = "o" + std::to_string(seq);
      const int64_t size = rng.Between(1, 50) * kShare;
      placed[id] = size;
      q.Join(id, side, price, size, seq++);
    } else if (u < 0.65 && !placed.empty()) {
      q.Leave("o" + std::to_string(rng.Between(1, static_cast<int64_t>(seq) - 1)));
    } else {
      const int64_t size = rng.Between(1, 120) * kShare;
      auto fills = q.OnTrade(side, price, size, now);
      int64_t total = 0;
      for (const auto& f : fills) {
        total += f.size;
        if (check) {
          EXPECT_GT(f.size, 0);
          // A BUY taker fills asks at or below its price; a SELL taker bids at or above.
          if (side == Side::kBuy) {
            EXPECT_LE(f.price, price);
          }
          if (side == Side::kSell) {
            EXPECT_GE(f.price, price);
          }
        }
        all.push_back(f);
      }
      if (check) {
        EXPECT_LE(total, size) << "seed " << seed << " step " << step;
      }
    }
    if (rng.Chance(0.1)) q.Advance(now);
    if (check) {
      for (const auto& o : q.Orders()) {
        EXPECT_GE(o.ahead, 0);
        EXPECT_GT(o.remaining, 0);
      }
    }
  }
  if (check) {
    std::map<std::string, int64_t> filled;
    for (const auto& f : all) filled[f.id] += f.size;
    for (const auto& [id, n] : filled) EXPECT_LE(n, placed.at(id)) << id;
  }
  return all;
}

TEST(QueueModel, RandomSessionsKeepTheInvariantsAndAreDeterministic) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    const auto a = RandomSession(seed, true);
    const auto b = RandomSession(seed, false);
    ASSERT_EQ(a.size(), b.size()) << "seed " << seed;
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i].id, b[i].id);
      EXPECT_EQ(a[i].size, b[i].size);
    }
  }
}

}  // namespace
}  // namespace clobmaker::simexchange::replay
