#include "services/marketdata/core/book_keeper.h"

#include <gtest/gtest.h>

#include "clobmaker/marketdata/v1/marketdata.pb.h"
#include "services/marketdata/core/reference_tracker.h"

namespace clobmaker::marketdata {
namespace {

using model::Price;
using model::Side;
using model::Size;
using polymarket::Level;

constexpr Nanos kMs = kNanosPerMilli;
constexpr Nanos kT0 = 1'700'000'000 * kNanosPerSecond;

polymarket::MarketMetadata Market(const std::string& condition = "0xc1") {
  polymarket::MarketMetadata m;
  m.condition_id = condition;
  m.slug = "market-" + condition;
  m.token_ids = {condition + "yes", condition + "no"};
  m.tick = model::TickSize::Cent();
  return m;
}

polymarket::BookEvent Snapshot(const std::string& token, int64_t ts_ms, std::vector<Level> bids,
                               std::vector<Level> asks) {
  polymarket::BookEvent b;
  b.asset_id = token;
  b.timestamp_ms = ts_ms;
  b.bids = std::move(bids);
  b.asks = std::move(asks);
  return b;
}

polymarket::MarketFrame Frame(polymarket::MarketEvent e) {
  polymarket::MarketFrame f;
  f.events.push_back(std::move(e));
  return f;
}

// One level change; best bid/ask as the exchange would report them are optional.
polymarket::MarketFrame Change(const std::string& token, int64_t ts_ms, Side side, int64_t price, int64_t size,
                               std::optional<int64_t> best_bid = {}, std::optional<int64_t> best_ask = {}) {
  polymarket::PriceChange c;
  c.asset_id = token;
  c.side = side;
  c.price = Price(price);
  c.size = Size(size);
  if (best_bid) c.best_bid = Price(*best_bid);
  if (best_ask) c.best_ask = Price(*best_ask);
  polymarket::PriceChangeEvent e;
  e.timestamp_ms = ts_ms;
  e.changes.push_back(c);
  return Frame(std::move(e));
}

class BookKeeperTest : public ::testing::Test {
 protected:
  BookKeeperTest() : keeper_(config(), stamper_) {}
  static BookKeeperConfig config() {
    BookKeeperConfig c;
    c.snapshot_rate_per_s = 10;
    c.snapshot_burst = 5;
    return c;
  }
  // Adds the market, connects, and delivers a dump for both tokens.
  void Start(const polymarket::MarketMetadata& m = Market()) {
    auto tokens = keeper_.AddMarket(m, kT0);
    keeper_.OnConnected(tokens, kT0);
    for (const std::string& t : tokens) {
      keeper_.OnFrame(Frame(Snapshot(t, 1000, {{Price(4800), Size(10)}, {Price(4700), Size(20)}},
                                     {{Price(5200), Size(10)}, {Price(5300), Size(30)}})),
                      kT0);
    }
  }
  std::vector<v1::Book> Books(Nanos now) {
    std::vector<Publication> pubs;
    keeper_.TakePublications(now, pubs);
    std::vector<v1::Book> out;
    for (const Publication& p : pubs) {
      if (p.subject.rfind("cm.md.book.", 0) != 0) continue;
      v1::Book b;
      EXPECT_TRUE(b.ParseFromString(p.data));
      out.push_back(b);
    }
    return out;
  }
  bus::HeaderStamper stamper_{"marketdata"};
  BookKeeper keeper_;
};

TEST_F(BookKeeperTest, UntrustedUntilSnapshotThenCoalescedBooks) {
  auto tokens = keeper_.AddMarket(Market(), kT0);
  ASSERT_EQ(tokens.size(), 2u);
  keeper_.OnConnected(tokens, kT0);
  auto books = Books(kT0);
  ASSERT_EQ(books.size(), 2u);
  EXPECT_TRUE(books[0].resyncing());  // no snapshot yet
  keeper_.OnFrame(Frame(Snapshot("0xc1yes", 1000, {{Price(4800), Size(10)}}, {{Price(5200), Size(10)}})), kT0);
  // Three changes to one token before the flush: one Book, with all three applied.
  keeper_.OnFrame(Change("0xc1yes", 1001, Side::kBuy, 4900, 5, 4900), kT0 + kMs);
  keeper_.OnFrame(Change("0xc1yes", 1002, Side::kBuy, 4900, 6, 4900), kT0 + 2 * kMs);
  keeper_.OnFrame(Change("0xc1yes", 1003, Side::kSell, 5100, 7, {}, 5100), kT0 + 3 * kMs);
  books = Books(kT0 + 4 * kMs);
  ASSERT_EQ(books.size(), 1u);
  const v1::Book& b = books[0];
  EXPECT_EQ(b.token_id(), "0xc1yes");
  EXPECT_FALSE(b.resyncing());
  ASSERT_EQ(b.bids_size(), 2);
  EXPECT_EQ(b.bids(0).price_units(), 4900);
  EXPECT_EQ(b.bids(0).size_micros(), 6);
  EXPECT_EQ(b.asks(0).price_units(), 5100);
  EXPECT_EQ(b.header().exchange_ts_ns(), 1003 * kMs);
  EXPECT_EQ(b.header().receive_ts_ns(), kT0 + 3 * kMs);
  EXPECT_EQ(b.header().publish_ts_ns(), kT0 + 4 * kMs);
  EXPECT_EQ(keeper_.counters().price_changes, 3u);
  EXPECT_TRUE(keeper_.TakeSnapshotRequests().empty());
}

TEST_F(BookKeeperTest, DriftResyncsAndReplaysTheChangesAroundTheSnapshot) {
  Start();
  Books(kT0);
  // The exchange says best bid 4900 after a change to 4600: we missed something.
  keeper_.OnFrame(Change("0xc1yes", 2000, Side::kBuy, 4600, 5, 4900), kT0 + kMs);
  auto requests = keeper_.TakeSnapshotRequests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].token_id, "0xc1yes");
  EXPECT_EQ(requests[0].purpose, SnapshotPurpose::kResync);
  EXPECT_EQ(keeper_.counters().resyncs, 1u);
  auto books = Books(kT0 + kMs);
  ASSERT_EQ(books.size(), 1u);
  EXPECT_TRUE(books[0].resyncing());
  // While the snapshot is in flight: one change older than it (already in it), one newer.
  keeper_.OnFrame(Change("0xc1yes", 2001, Side::kSell, 5200, 1), kT0 + 2 * kMs);
  keeper_.OnFrame(Change("0xc1yes", 2010, Side::kSell, 5300, 0), kT0 + 3 * kMs);
  keeper_.OnSnapshot(requests[0].id,
                     Snapshot("0xc1yes", 2005, {{Price(4900), Size(1)}, {Price(4600), Size(5)}},
                              {{Price(5200), Size(99)}, {Price(5300), Size(30)}}),
                     kT0 + 4 * kMs);
  const TokenBook* t = keeper_.FindToken("0xc1yes");
  ASSERT_TRUE(t->trusted());
  EXPECT_EQ(*t->tracker.book().SizeAt(Side::kSell, Price(5200)), Size(99));      // older change skipped
  EXPECT_FALSE(t->tracker.book().SizeAt(Side::kSell, Price(5300)).has_value());  // newer change replayed
  books = Books(kT0 + 5 * kMs);
  ASSERT_EQ(books.size(), 1u);
  EXPECT_FALSE(books[0].resyncing());
}

// The book hash can depend on a trade that arrives later (py-clob-client-v2 #117): a REST book
// whose hash does not match is used, counted, and fetched once more -- never rejected, never a loop.
TEST_F(BookKeeperTest, ABookHashMismatchIsAdvisoryOneRefetchCounted) {
  Start();
  Books(kT0);
  keeper_.OnFrame(Change("0xc1yes", 2000, Side::kBuy, 4600, 5, 4900), kT0 + kMs);  // drift: a resync
  auto requests = keeper_.TakeSnapshotRequests();
  ASSERT_EQ(requests.size(), 1u);
  auto snap = Snapshot("0xc1yes", 2005, {{Price(4900), Size(1)}}, {{Price(5200), Size(9)}});
  snap.hash_mismatch = true;
  keeper_.OnSnapshot(requests[0].id, snap, kT0 + 2 * kMs);
  const TokenBook* t = keeper_.FindToken("0xc1yes");
  ASSERT_TRUE(t->trusted()) << "the book is used all the same";
  EXPECT_EQ(*t->tracker.book().SizeAt(Side::kSell, Price(5200)), Size(9));
  EXPECT_EQ(keeper_.counters().book_hash_mismatches, 1u);
  auto refetch = keeper_.TakeSnapshotRequests();
  ASSERT_EQ(refetch.size(), 1u) << "one re-fetch";
  EXPECT_EQ(refetch[0].token_id, "0xc1yes");
  keeper_.OnSnapshot(refetch[0].id, snap, kT0 + 3 * kMs);  // mismatching again
  EXPECT_EQ(keeper_.counters().book_hash_mismatches, 2u);
  EXPECT_TRUE(keeper_.TakeSnapshotRequests().empty()) << "no loop of re-fetches";
}

TEST_F(BookKeeperTest, TickSizeChangeStartsANewEpochPublishedBeforeTheBook) {
  Start();
  Books(kT0);
  const uint64_t epoch = keeper_.FindToken("0xc1yes")->tracker.epoch();
  polymarket::TickSizeChangeEvent e;
  e.asset_id = "0xc1yes";
  e.market = "0xc1";
  e.old_tick = model::TickSize::Cent();
  e.new_tick = *model::TickSize::FromUnits(10);
  e.timestamp_ms = 3000;
  keeper_.OnFrame(Frame(e), kT0 + kMs);
  keeper_.OnFrame(Frame(e), kT0 + kMs);  // a duplicated frame: the grid is already the new one
  EXPECT_EQ(keeper_.counters().tick_changes, 1u);
  EXPECT_EQ(keeper_.counters().duplicate_tick_changes, 1u);
  std::vector<Publication> pubs;
  keeper_.TakePublications(kT0 + kMs, pubs);
  ASSERT_GE(pubs.size(), 3u);
  EXPECT_EQ(pubs[0].subject, "cm.md.tick.0xc1yes");
  v1::TickSizeChange tick;
  ASSERT_TRUE(tick.ParseFromString(pubs[0].data));
  EXPECT_EQ(tick.old_tick_units(), 100);
  EXPECT_EQ(tick.new_tick_units(), 10);
  EXPECT_EQ(tick.new_epoch(), epoch + 1);
  EXPECT_EQ(pubs[1].subject, "cm.md.market.0xc1");  // the market's metadata carries the new grid
  EXPECT_EQ(pubs[1].kv_key, "0xc1");
  v1::Book book;
  ASSERT_TRUE(book.ParseFromString(pubs.back().data));
  EXPECT_TRUE(book.resyncing());
  EXPECT_EQ(book.tick_units(), 10);
  auto requests = keeper_.TakeSnapshotRequests();
  ASSERT_EQ(requests.size(), 1u);
  // A change on the new grid before the snapshot is buffered, then replayed.
  keeper_.OnFrame(Change("0xc1yes", 3001, Side::kBuy, 4810, 3), kT0 + 2 * kMs);
  polymarket::BookEvent snap = Snapshot("0xc1yes", 3000, {{Price(4800), Size(10)}}, {{Price(5200), Size(10)}});
  snap.tick_size = *model::TickSize::FromUnits(10);
  keeper_.OnSnapshot(requests[0].id, snap, kT0 + 3 * kMs);
  const TokenBook* t = keeper_.FindToken("0xc1yes");
  EXPECT_TRUE(t->trusted());
  EXPECT_EQ(t->tracker.book().BestBid()->price, Price(4810));
  EXPECT_EQ(t->tracker.book().tick().units(), 10);
}

TEST_F(BookKeeperTest, QuietVerificationRepairsWhatNoCheckCouldSee) {
  Start();
  Books(kT0);
  // Two changes to a deep level with the same timestamp, delivered in the wrong order: every
  // check passes (best prices unchanged, timestamps equal) but the level is wrong.
  keeper_.OnFrame(Change("0xc1yes", 4000, Side::kBuy, 4700, 25, 4800), kT0 + kMs);
  keeper_.OnFrame(Change("0xc1yes", 4000, Side::kBuy, 4700, 21, 4800), kT0 + kMs);
  EXPECT_TRUE(keeper_.FindToken("0xc1yes")->trusted());
  keeper_.OnTimer(kT0 + 500 * kMs);
  EXPECT_TRUE(keeper_.TakeSnapshotRequests().empty());  // not quiet long enough
  keeper_.OnTimer(kT0 + 1200 * kMs);
  auto requests = keeper_.TakeSnapshotRequests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].purpose, SnapshotPurpose::kVerify);
  EXPECT_EQ(requests[0].token_id, "0xc1yes");
  keeper_.OnSnapshot(requests[0].id,
                     Snapshot("0xc1yes", 4000, {{Price(4800), Size(10)}, {Price(4700), Size(25)}},
                              {{Price(5200), Size(10)}, {Price(5300), Size(30)}}),
                     kT0 + 1210 * kMs);
  EXPECT_EQ(keeper_.counters().verify_mismatches, 1u);
  EXPECT_EQ(*keeper_.FindToken("0xc1yes")->tracker.book().SizeAt(Side::kBuy, Price(4700)), Size(25));
  EXPECT_FALSE(keeper_.TakeNotices().empty());
  // Verified: no further verification until something changes (or verify_every passes).
  keeper_.OnTimer(kT0 + 3000 * kMs);
  EXPECT_TRUE(keeper_.TakeSnapshotRequests().empty());
  // A verification that agrees counts no mismatch.
  keeper_.OnTimer(kT0 + 32 * kNanosPerSecond);
  requests = keeper_.TakeSnapshotRequests();
  ASSERT_EQ(requests.size(), 2u);  // both tokens are due
  for (const SnapshotRequest& r : requests) {
    const book::L2Book& ours = keeper_.FindToken(r.token_id)->tracker.book();
    keeper_.OnSnapshot(r.id, Snapshot(r.token_id, 4000, ours.Bids(), ours.Asks()), kT0 + 32 * kNanosPerSecond);
  }
  EXPECT_EQ(keeper_.counters().verify_mismatches, 1u);
  EXPECT_EQ(keeper_.counters().verifications, 3u);
}

TEST_F(BookKeeperTest, SnapshotRequestsAreRateLimitedResyncsFirst) {
  for (int i = 0; i < 10; ++i) {
    auto tokens = keeper_.AddMarket(Market("0xm" + std::to_string(i)), kT0);
    keeper_.OnConnected(tokens, kT0);
  }
  // No dump arrives: after the dump timeout all 20 tokens need a REST snapshot.
  keeper_.OnTimer(kT0 + 3 * kNanosPerSecond);
  EXPECT_EQ(keeper_.TakeSnapshotRequests().size(), 5u);  // the burst
  keeper_.OnTimer(kT0 + 3 * kNanosPerSecond + 500 * kMs);
  EXPECT_EQ(keeper_.TakeSnapshotRequests().size(), 5u);  // 10/s for half a second
  keeper_.OnTimer(kT0 + 3 * kNanosPerSecond + 600 * kMs);
  EXPECT_EQ(keeper_.TakeSnapshotRequests().size(), 1u);
  EXPECT_EQ(keeper_.counters().resyncs, 20u);
}

TEST_F(BookKeeperTest, FeedLossDistrustsFailuresAndTimeoutsRetry) {
  Start();
  Books(kT0);
  keeper_.OnDisconnected({"0xc1yes", "0xc1no"}, kT0 + kMs);
  auto books = Books(kT0 + kMs);
  ASSERT_EQ(books.size(), 2u);
  EXPECT_TRUE(books[0].resyncing());
  EXPECT_TRUE(books[1].resyncing());
  keeper_.OnConnected({"0xc1yes", "0xc1no"}, kT0 + 2 * kMs);
  // The dump for one token arrives; the other's does not.
  keeper_.OnFrame(Frame(Snapshot("0xc1yes", 5000, {{Price(4800), Size(1)}}, {})), kT0 + 3 * kMs);
  EXPECT_TRUE(keeper_.FindToken("0xc1yes")->trusted());
  EXPECT_FALSE(keeper_.FindToken("0xc1no")->trusted());
  keeper_.OnTimer(kT0 + 4 * kNanosPerSecond);
  auto requests = keeper_.TakeSnapshotRequests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].token_id, "0xc1no");
  keeper_.OnSnapshot(requests[0].id, absl::UnavailableError("502"), kT0 + 4 * kNanosPerSecond + kMs);
  requests = keeper_.TakeSnapshotRequests();
  ASSERT_EQ(requests.size(), 1u);  // asked again
  // No answer at all: after the timeout it is asked once more; the late answer is ignored.
  keeper_.OnTimer(kT0 + 10 * kNanosPerSecond);
  auto again = keeper_.TakeSnapshotRequests();
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(keeper_.counters().snapshot_timeouts, 1u);
  keeper_.OnSnapshot(requests[0].id, Snapshot("0xc1no", 1, {}, {}), kT0 + 10 * kNanosPerSecond + kMs);
  EXPECT_FALSE(keeper_.FindToken("0xc1no")->trusted());
  keeper_.OnSnapshot(again[0].id, Snapshot("0xc1no", 6000, {{Price(4000), Size(1)}}, {}),
                     kT0 + 10 * kNanosPerSecond + 2 * kMs);
  EXPECT_TRUE(keeper_.FindToken("0xc1no")->trusted());
}

TEST_F(BookKeeperTest, BadInputIsCountedNeverFatal) {
  Start();
  polymarket::MarketDecoder decoder;
  keeper_.OnFrame(decoder.Decode("{not json"), kT0);
  keeper_.OnFrame(decoder.Decode(R"({"event_type":"brand_new","asset_id":"x"})"), kT0);
  keeper_.OnFrame(Change("unknown-token", 1, Side::kBuy, 100, 1), kT0);
  keeper_.OnFrame(Change("0xc1yes", 1, Side::kBuy, 4805, 1), kT0);  // off the cent grid -> resync
  EXPECT_EQ(keeper_.counters().malformed, 1u);
  EXPECT_EQ(keeper_.counters().unknown_types, 1u);
  EXPECT_EQ(keeper_.counters().unknown_tokens, 1u);
  EXPECT_EQ(keeper_.counters().resyncs, 1u);
  EXPECT_FALSE(keeper_.FindToken("0xc1yes")->trusted());
}

TEST_F(BookKeeperTest, UnchangedBooksAreRepublishedAndTradesPublished) {
  Start();
  EXPECT_EQ(Books(kT0).size(), 2u);
  keeper_.OnTimer(kT0 + 500 * kMs);
  EXPECT_EQ(Books(kT0 + 500 * kMs).size(), 0u);
  keeper_.OnTimer(kT0 + 1000 * kMs);
  EXPECT_EQ(Books(kT0 + 1000 * kMs).size(), 2u);
  polymarket::LastTradePriceEvent trade;
  trade.asset_id = "0xc1no";
  trade.price = Price(5200);
  trade.size = Size(3'000'000);
  trade.side = Side::kBuy;
  keeper_.OnFrame(Frame(trade), kT0 + 1001 * kMs);
  std::vector<Publication> pubs;
  keeper_.TakePublications(kT0 + 1001 * kMs, pubs);
  ASSERT_EQ(pubs.size(), 2u);
  EXPECT_EQ(pubs[0].subject, "cm.md.trade.0xc1no");
  v1::Book book;
  ASSERT_TRUE(book.ParseFromString(pubs[1].data));
  EXPECT_EQ(book.last_trade_price_units(), 5200);
}

TEST(ReferenceTracker, PublishesDropsOlderAndTracksStaleness) {
  bus::HeaderStamper stamper("marketdata");
  ReferenceTracker ref({.feed = "sim", .stale_after = 5 * kNanosPerSecond}, stamper);
  ref.OnConnected(kT0);
  ASSERT_TRUE(ref.OnFrame(R"([{"symbol":"a.b","price":"0.5","timestamp":1000}])", kT0));
  ASSERT_TRUE(ref.OnFrame(R"([{"symbol":"a.b","price":"0.4","timestamp":999}])", kT0 + kMs));  // older
  std::string error;
  EXPECT_FALSE(ref.OnFrame("garbage", kT0, &error));
  EXPECT_FALSE(error.empty());
  std::vector<Publication> pubs;
  ref.TakePublications(kT0, pubs);
  ASSERT_EQ(pubs.size(), 1u);
  EXPECT_EQ(pubs[0].subject, "cm.ref.a_b");
  v1::ReferencePrice p;
  ASSERT_TRUE(p.ParseFromString(pubs[0].data));
  EXPECT_EQ(p.price_nanos(), 500'000'000);
  EXPECT_EQ(p.symbol(), "a.b");
  EXPECT_EQ(ref.counters().out_of_order, 1u);
  EXPECT_EQ(ref.counters().malformed, 1u);
  EXPECT_FALSE(ref.stale("a.b", kT0 + 4 * kNanosPerSecond));
  EXPECT_TRUE(ref.stale("a.b", kT0 + 6 * kNanosPerSecond));
  EXPECT_TRUE(ref.stale("unknown", kT0));
  ref.OnDisconnected(kT0 + kMs);
  EXPECT_TRUE(ref.stale("a.b", kT0 + 2 * kMs));
}

}  // namespace
}  // namespace clobmaker::marketdata
