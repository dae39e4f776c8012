// The replay exchange is deterministic (docs/replay.md): the committed sample journal (recorded
// from the simulator: 3 markets, a tick-size change), played as fast as possible with the same
// orders at the same recorded times, gives the same report whatever the wall clock it runs on.
#include <gtest/gtest.h>

#include <string>

#include "common/journal/journal_file.h"
#include "services/simexchange/replay/external_market.h"
#include "services/simexchange/replay/replay_driver.h"

namespace clobmaker::simexchange::replay {
namespace {

using model::Price;
using model::Size;

constexpr char kKey[] = "our-key";
constexpr char kAddress[] = "0x00000000000000000000000000000000000000aa";

std::string SampleJournal() { return std::string(CLOBMAKER_SOURCE_DIR) + "/docs/samples/sim-session.journal.gz"; }

struct Script {
  int64_t shares = 20;                  // per quote
  Nanos requote = 5 * kNanosPerSecond;  // recorded time between requotes
};

// Plays the sample journal from wall time `wall0`, quoting a bid and an ask at the published
// best prices of every YES book every `requote` of recorded time (cancel all, place again), the
// way a maker's ladder would. Returns the report with the simulator's clock taken out.
std::string Replay(Nanos wall0, Script script) {
  auto journal = journal::ReadJournal(SampleJournal());
  EXPECT_TRUE(journal.ok()) << journal.status();
  if (!journal.ok()) return "";
  ReplayDriver driver(std::move(journal->records), {.speed = 0});
  Exchange exchange{ExchangeConfig{}};
  const ReplayMarkets markets = driver.Markets(wall0 - driver.first_t());
  EXPECT_EQ(markets.markets.size(), 3u);
  ExternalMarket market;
  market.Init(exchange);
  for (const MarketConfig& m : markets.markets) {
    exchange.AddMarket(m);
    market.AddMarket(exchange, m);
  }
  exchange.OpenAccount(kAddress, kKey);
  exchange.Credit(kAddress, 1'000'000 * model::kQuantityOne);
  for (const MarketConfig& m : markets.markets)
    exchange.Credit(kAddress, 0, m.yes_token, 100'000 * model::kQuantityOne);
  Nanos wall = wall0;
  driver.Prime(exchange, market, wall);
  driver.Start(wall);
  uint32_t next_id = 0;
  Nanos next_quote = 0;
  while (!driver.done()) {
    wall += 100 * kNanosPerMilli;
    driver.Step(exchange, market, wall, 0);
    (void)market.TakeEvents(exchange, wall);
    if (market.position() < next_quote) continue;
    next_quote = market.position() + script.requote;
    (void)exchange.CancelAll(kKey, wall);
    (void)market.TakeEvents(exchange, wall);
    for (const MarketConfig& m : markets.markets) {
      const polymarket::BookEvent book = market.Book(exchange, m.yes_token, wall);
      for (const auto& [side, levels] : {std::pair{Side::kBuy, &book.bids}, std::pair{Side::kSell, &book.asks}}) {
        if (levels->empty()) continue;
        const auto best =
            side == Side::kBuy
                ? std::max_element(levels->begin(), levels->end(), [](auto& a, auto& b) { return a.price < b.price; })
                : std::min_element(levels->begin(), levels->end(), [](auto& a, auto& b) { return a.price < b.price; });
        std::array<uint8_t, 32> id{};
        id[0] = 0xaa;
        ++next_id;
        for (int i = 0; i < 4; ++i) id[31 - i] = static_cast<uint8_t>(next_id >> (8 * i));
        const NewOrder o{.id = model::OrderId(id),
                         .owner = kKey,
                         .maker = kAddress,
                         .token = m.yes_token,
                         .side = side,
                         .price = best->price,
                         .size = Size::FromWhole(script.shares),
                         .post_only = true};
        market.BeforePlace(exchange, o, wall);
        const PlaceResult r = exchange.Place(o, wall);
        market.AfterPlace(exchange, o, r, wall);
        (void)market.TakeEvents(exchange, wall);
      }
    }
  }
  ReplayReport report = market.Report();
  for (FillRecord& f : report.fills) f.wall_ms = 0;  // the simulator's clock, by design
  return EncodeReport(report);
}

TEST(ReplayDeterminism, TheSampleJournalWithTheSameOrdersGivesTheSameReportOnAnyWallClock) {
  constexpr Nanos kWall = 1'800'000'000LL * kNanosPerSecond;
  const std::string a = Replay(kWall, {});
  ASSERT_FALSE(a.empty());
  auto decoded = DecodeReport(a);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  ASSERT_GT(decoded->fills.size(), 10u) << "the session must fill us for the comparison to mean anything";
  EXPECT_GE(decoded->counters.tick_changes, 1u) << "the sample's tick-size change was played";
  EXPECT_TRUE(decoded->done);
  EXPECT_EQ(a, Replay(kWall, {})) << "same inputs, same report";
  EXPECT_EQ(a, Replay(kWall + 12'345 * kNanosPerSecond + 678, {})) << "the wall clock does not enter the outcome";
  EXPECT_NE(a, Replay(kWall, {.shares = 13})) << "the orders do";
}

}  // namespace
}  // namespace clobmaker::simexchange::replay
