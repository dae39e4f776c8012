#include "common/book/l2_book.h"

#include <gtest/gtest.h>

#include <map>

#include "common/core/rng.h"

namespace clobmaker::book {
namespace {

using model::Price;
using model::Side;
using model::Size;

TEST(L2Book, SnapshotSortsAndDropsZeroLevels) {
  L2Book book;
  book.ApplySnapshot({{Price(4800), Size(1)}, {Price(5000), Size(2)}, {Price(4900), Size(0)}},
                     {{Price(5300), Size(3)}, {Price(5100), Size(4)}});
  EXPECT_EQ(book.BestBid()->price, Price(5000));
  EXPECT_EQ(book.BestAsk()->price, Price(5100));
  EXPECT_EQ(book.bid_levels(), 2u);
  EXPECT_EQ(book.Asks(1).size(), 1u);
  EXPECT_FALSE(book.Crossed());
}

TEST(L2Book, SetLevelInsertsUpdatesAndRemoves) {
  L2Book book;
  book.SetLevel(Side::kBuy, Price(5000), Size(10));
  book.SetLevel(Side::kBuy, Price(5100), Size(5));
  book.SetLevel(Side::kBuy, Price(5000), Size(7));
  EXPECT_EQ(book.BestBid()->price, Price(5100));
  EXPECT_EQ(*book.SizeAt(Side::kBuy, Price(5000)), Size(7));
  book.SetLevel(Side::kBuy, Price(5100), Size(0));
  EXPECT_EQ(book.BestBid()->price, Price(5000));
  book.SetLevel(Side::kSell, Price(5000), Size(1));
  EXPECT_TRUE(book.Locked());
  book.SetLevel(Side::kSell, Price(4900), Size(1));
  EXPECT_TRUE(book.Crossed());
}

TEST(L2Book, PropertyMatchesAReferenceMap) {
  Rng rng(42);
  L2Book book;
  std::map<int64_t, int64_t> bids, asks;
  for (int i = 0; i < 20000; ++i) {
    const Side side = rng.Chance(0.5) ? Side::kBuy : Side::kSell;
    const int64_t price = 100 * rng.Between(1, 99);
    const int64_t size = rng.Chance(0.3) ? 0 : rng.Between(1, 1000) * 10000;
    book.SetLevel(side, Price(price), Size(size));
    auto& ref = side == Side::kBuy ? bids : asks;
    if (size == 0) {
      ref.erase(price);
    } else {
      ref[price] = size;
    }
  }
  const auto b = book.Bids();
  ASSERT_EQ(b.size(), bids.size());
  auto it = bids.rbegin();
  for (const auto& l : b) {
    EXPECT_EQ(l.price.units(), it->first);
    EXPECT_EQ(l.size.micros(), it->second);
    ++it;
  }
  EXPECT_EQ(book.Asks().size(), asks.size());
  ASSERT_FALSE(asks.empty());
  EXPECT_EQ(book.BestAsk()->price.units(), asks.begin()->first);
}

polymarket::BookEvent Snapshot(int64_t ts) {
  polymarket::BookEvent s;
  s.asset_id = "1";
  s.timestamp_ms = ts;
  s.bids = {{Price(4900), Size(1'000'000)}};
  s.asks = {{Price(5100), Size(1'000'000)}};
  return s;
}

TEST(BookTracker, DeltaBeforeSnapshotIsAGap) {
  BookTracker t;
  EXPECT_EQ(t.OnPriceChange({"1", Price(5000), Size(1), Side::kBuy, "", std::nullopt, std::nullopt}, 10).verdict,
            Verdict::kResync);
  EXPECT_TRUE(t.OnSnapshot(Snapshot(10)).ok());
  EXPECT_TRUE(t.trusted());
}

TEST(BookTracker, AgreesWithTheExchangesBestPricesOrAsksForResync) {
  BookTracker t;
  ASSERT_TRUE(t.OnSnapshot(Snapshot(10)).ok());
  // A new best bid at 0.50, confirmed by the exchange.
  EXPECT_TRUE(t.OnPriceChange({"1", Price(5000), Size(2'000'000), Side::kBuy, "", Price(5000), Price(5100)}, 11).ok());
  // A change we apply but the exchange's best bid says 0.49: we missed something.
  const auto r = t.OnPriceChange({"1", Price(4800), Size(1'000'000), Side::kBuy, "", Price(4900), Price(5100)}, 12);
  EXPECT_EQ(r.verdict, Verdict::kResync);
  EXPECT_NE(r.reason.find("best bid drifted"), std::string::npos);
  EXPECT_FALSE(t.trusted());
  // Until a snapshot arrives everything asks for resync.
  EXPECT_EQ(t.OnPriceChange({"1", Price(4800), Size(0), Side::kBuy, "", std::nullopt, std::nullopt}, 13).verdict,
            Verdict::kResync);
  EXPECT_TRUE(t.OnSnapshot(Snapshot(14)).ok());
  EXPECT_TRUE(t.trusted());
}

TEST(BookTracker, EmptySidesAreReportedAsZeroAndOne) {
  BookTracker t;
  ASSERT_TRUE(t.OnSnapshot(Snapshot(10)).ok());
  EXPECT_TRUE(t.OnPriceChange({"1", Price(4900), Size(0), Side::kBuy, "", Price(0), Price(5100)}, 11).ok());
  EXPECT_TRUE(t.OnPriceChange({"1", Price(5100), Size(0), Side::kSell, "", Price(0), Price(10000)}, 12).ok());
}

TEST(BookTracker, OutOfOrderCrossedAndOffGrid) {
  BookTracker t;
  ASSERT_TRUE(t.OnSnapshot(Snapshot(10)).ok());
  EXPECT_EQ(t.OnPriceChange({"1", Price(4800), Size(1), Side::kBuy, "", std::nullopt, std::nullopt}, 9).verdict,
            Verdict::kResync);
  ASSERT_TRUE(t.OnSnapshot(Snapshot(20)).ok());
  EXPECT_EQ(t.OnPriceChange({"1", Price(5200), Size(1), Side::kBuy, "", std::nullopt, std::nullopt}, 21).verdict,
            Verdict::kResync);  // crossed
  ASSERT_TRUE(t.OnSnapshot(Snapshot(30)).ok());
  EXPECT_EQ(t.OnPriceChange({"1", Price(4850), Size(1), Side::kBuy, "", std::nullopt, std::nullopt}, 31).verdict,
            Verdict::kResync);  // off the 0.01 grid
}

TEST(BookTracker, ChangesOlderThanARestSnapshotAreSupersededNotOutOfOrder) {
  BookTracker t;
  ASSERT_TRUE(t.OnSnapshot(Snapshot(10)).ok());
  ASSERT_TRUE(t.OnPriceChange({"1", Price(4800), Size(5), Side::kBuy, "", std::nullopt, std::nullopt}, 12).ok());
  // A GET /book answer stamped 20 overtakes frames stamped 15 and 20 that are still in flight.
  t.RequireSnapshot();
  ASSERT_TRUE(t.OnSnapshot(Snapshot(20), /*in_stream=*/false).ok());
  const auto before = t.book();
  EXPECT_EQ(t.OnPriceChange({"1", Price(4800), Size(7), Side::kBuy, "", std::nullopt, std::nullopt}, 15).verdict,
            Verdict::kSuperseded);
  EXPECT_TRUE(t.book() == before);
  EXPECT_TRUE(t.OnPriceChange({"1", Price(4800), Size(9), Side::kBuy, "", std::nullopt, std::nullopt}, 20).ok());
  // The stream's own order is still checked.
  EXPECT_EQ(t.OnPriceChange({"1", Price(4800), Size(9), Side::kBuy, "", std::nullopt, std::nullopt}, 19).verdict,
            Verdict::kResync);
}

TEST(BookTracker, TickSizeChangeStartsANewEpochAndNeedsASnapshot) {
  BookTracker t;
  ASSERT_TRUE(t.OnSnapshot(Snapshot(10)).ok());
  const uint64_t epoch = t.epoch();
  t.OnTickSizeChange(*model::TickSize::Parse("0.001"));
  EXPECT_EQ(t.epoch(), epoch + 1);
  EXPECT_FALSE(t.trusted());
  auto s = Snapshot(11);  // on the new 0.001 grid
  s.bids = {{Price(4990), Size(1'000'000)}};
  EXPECT_TRUE(t.OnSnapshot(s).ok());
  EXPECT_TRUE(t.OnPriceChange({"1", Price(4995), Size(1), Side::kBuy, "", Price(4995), Price(5100)}, 12).ok() == false);
  ASSERT_TRUE(t.OnSnapshot(s).ok());
  EXPECT_TRUE(t.OnPriceChange({"1", Price(5000), Size(1), Side::kBuy, "", Price(5000), Price(5100)}, 13).ok());
}

}  // namespace
}  // namespace clobmaker::book
