// The journal, the replay exchange and the backtest end to end, with real binaries:
//  - marketdata records the simulator's market feed on CM_JOURNAL; clobmaker-journal exports a
//    span, `info` summarises it, and simexchange --replay plays it to the end;
//  - clobmaker-backtest on the committed sample journal writes a summary whose fills agree with
//    the journal: every maker fill names a recorded trade at or through its price, no recorded
//    trade fills us more than its size, our maker volume at a price never exceeds the recorded
//    volume at or through it, and every taker fill is at a price the recorded book offered.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <simdjson.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "common/core/status.h"
#include "common/journal/journal_file.h"
#include "common/model/types.h"
#include "common/polymarket/decode.h"
#include "common/testing/child_process.h"
#include "common/testing/eventually.h"
#include "common/testing/nats_server.h"

namespace clobmaker {
namespace {

using testing::ChildProcess;
namespace pm = clobmaker::polymarket;

std::string SampleJournal() { return std::string(CLOBMAKER_SOURCE_DIR) + "/docs/samples/sim-session.journal.gz"; }

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::filesystem::path TempDir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / fmt::format("clobmaker-{}-{}", name, getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

TEST(JournalRecording, MarketdataRecordsTheFeedAndAnExportedSpanReplays) {
  testing::NatsServer nats;
  ASSERT_TRUE(nats.Start().ok());
  ChildProcess sim(testing::BinDir() + "/simexchange", {"--listen", "127.0.0.1:0", "--grpc-listen", "127.0.0.1:0"});
  ASSERT_TRUE(sim.Start().ok());
  auto line = sim.WaitForLine("simexchange listening on", 30 * kNanosPerSecond);
  ASSERT_TRUE(line.ok()) << line.status();
  std::smatch m;
  ASSERT_TRUE(std::regex_search(*line, m, std::regex(R"(listening on (http://[0-9.:]+))")));
  const std::string clob = m[1];
  const Nanos started = SystemClock::Instance().WallNanos();
  ChildProcess md(testing::BinDir() + "/marketdata", {"--nats", nats.url(), "--clob-url", clob, "--all-markets",
                                                      "--admin-listen", "127.0.0.1:0", "--journal-checkpoint-s", "2"});
  ASSERT_TRUE(md.Start().ok());
  ASSERT_TRUE(md.WaitForLine("admin API on", 30 * kNanosPerSecond).ok()) << md.log();
  // Two checkpoints and a few seconds of flow.
  std::this_thread::sleep_for(std::chrono::seconds(6));
  ASSERT_TRUE(md.Stop(SIGTERM, 15 * kNanosPerSecond).ok());
  const Nanos stopped = SystemClock::Instance().WallNanos();

  const auto dir = TempDir("journal");
  const std::string file = (dir / "span.journal.gz").string();
  // A span from the middle: it must start from the checkpoint before it.
  ChildProcess exporter(
      testing::BinDir() + "/clobmaker-journal",
      {"export", "--nats", nats.url(), "--from", std::to_string((started + 3 * kNanosPerSecond) / kNanosPerMilli),
       "--to", std::to_string(stopped / kNanosPerMilli), "--out", file});
  ASSERT_TRUE(exporter.Start().ok());
  auto code = exporter.Stop(0, 60 * kNanosPerSecond);  // signal 0: wait for the exit
  ASSERT_TRUE(code.ok()) << exporter.log();
  ASSERT_EQ(*code, 0) << exporter.log();

  auto j = journal::ReadJournal(file);
  ASSERT_TRUE(j.ok()) << j.status();
  std::map<journal::RecordKind, int> kinds;
  std::set<std::string> informed;
  pm::MarketDecoder decoder;
  Nanos previous = 0;
  for (const journal::Record& r : j->records) {
    ++kinds[r.kind];
    EXPECT_GE(r.receive_ns, previous) << "in receive order";
    previous = r.receive_ns;
    if (r.kind == journal::RecordKind::kMarketInfo) informed.insert(r.source);
    if (r.kind == journal::RecordKind::kMarket) {
      const pm::MarketFrame frame = decoder.Decode(r.payload);
      EXPECT_TRUE(frame.errors.empty()) << r.payload;
    }
  }
  EXPECT_EQ(informed.size(), 3u) << "every market's metadata";
  EXPECT_GE(kinds[journal::RecordKind::kSnapshot], 6) << "the checkpoint before the span: every token's book";
  EXPECT_GT(kinds[journal::RecordKind::kMarket], 20);
  EXPECT_GT(kinds[journal::RecordKind::kReference], 5);
  EXPECT_LT(j->records.front().receive_ns, started + 3 * kNanosPerSecond) << "starts at the checkpoint";

  ChildProcess info(testing::BinDir() + "/clobmaker-journal", {"info", file});
  ASSERT_TRUE(info.Start().ok());
  ASSERT_EQ(*info.Stop(0, 30 * kNanosPerSecond), 0);
  const std::string text = info.log();
  EXPECT_NE(text.find("markets: 3"), std::string::npos) << text;
  EXPECT_NE(text.find("span: "), std::string::npos) << text;
  EXPECT_NE(text.find(fmt::format("records: {}", j->records.size())), std::string::npos) << text;

  // The span replays: to the end, as fast as it goes with nobody trading.
  ChildProcess replay(testing::BinDir() + "/simexchange", {"--listen", "127.0.0.1:0", "--grpc-listen", "127.0.0.1:0",
                                                           "--replay", file, "--replay-speed", "0"});
  ASSERT_TRUE(replay.Start().ok());
  ASSERT_TRUE(replay.WaitForLine("simexchange listening on", 30 * kNanosPerSecond).ok()) << replay.log();
  EXPECT_NE(replay.log().find("3 markets"), std::string::npos) << replay.log();
  EXPECT_TRUE(
      replay.WaitForLine(fmt::format("replay finished: {} records played", j->records.size()), 120 * kNanosPerSecond)
          .ok())
      << replay.log();
  std::filesystem::remove_all(dir);
}

// The recorded trades and books of a journal, on each market's YES book.
struct Tape {
  struct Trade {
    std::string market;
    model::Side taker;  // canonical
    int64_t price;      // canonical units
    int64_t size;
  };
  std::vector<Trade> trades;                                          // in play order: the trade_seq of the replay
  std::map<std::string, std::set<std::pair<int, int64_t>>> offered;   // market -> (side, price) ever in the book
  std::map<std::string, std::pair<std::string, std::string>> tokens;  // market -> yes, no
};

Tape ReadTape(const std::string& path) {
  Tape tape;
  auto j = journal::ReadJournal(path);
  EXPECT_TRUE(j.ok()) << j.status();
  std::stable_sort(j->records.begin(), j->records.end(),
                   [](const journal::Record& a, const journal::Record& b) { return a.receive_ns < b.receive_ns; });
  std::map<std::string, std::string> market_of;
  std::map<std::string, bool> yes;
  for (const journal::Record& r : j->records) {
    if (r.kind != journal::RecordKind::kMarketInfo) continue;
    auto parsed = pm::ParseGammaMarkets(r.payload);
    EXPECT_TRUE(parsed.ok()) << r.payload;
    if (!parsed.ok()) continue;
    for (const pm::MarketMetadata& m : *parsed) {
      tape.tokens[m.condition_id] = {m.token_ids[0], m.token_ids[1]};
      market_of[m.token_ids[0]] = market_of[m.token_ids[1]] = m.condition_id;
      yes[m.token_ids[0]] = true;
      yes[m.token_ids[1]] = false;
    }
  }
  auto canonical = [&](const std::string& token, model::Side side, int64_t price) {
    return yes[token] ? std::make_pair(side, price) : std::make_pair(model::Opposite(side), model::kPriceOne - price);
  };
  pm::MarketDecoder decoder;
  for (const journal::Record& r : j->records) {
    if (r.kind != journal::RecordKind::kMarket && r.kind != journal::RecordKind::kSnapshot) continue;
    for (const pm::MarketEvent& e : decoder.Decode(r.payload).events) {
      if (const auto* t = std::get_if<pm::LastTradePriceEvent>(&e)) {
        const auto [side, price] = canonical(t->asset_id, t->side, t->price.units());
        tape.trades.push_back({market_of[t->asset_id], side, price, t->size.micros()});
      } else if (const auto* b = std::get_if<pm::BookEvent>(&e)) {
        for (const auto& l : b->bids) {
          const auto k = canonical(b->asset_id, model::Side::kBuy, l.price.units());
          tape.offered[market_of[b->asset_id]].insert({static_cast<int>(k.first), k.second});
        }
        for (const auto& l : b->asks) {
          const auto k = canonical(b->asset_id, model::Side::kSell, l.price.units());
          tape.offered[market_of[b->asset_id]].insert({static_cast<int>(k.first), k.second});
        }
      } else if (const auto* pc = std::get_if<pm::PriceChangeEvent>(&e)) {
        for (const auto& c : pc->changes) {
          if (c.size.micros() == 0 || !market_of.contains(c.asset_id)) continue;
          const auto k = canonical(c.asset_id, c.side, c.price.units());
          tape.offered[market_of[c.asset_id]].insert({static_cast<int>(k.first), k.second});
        }
      }
    }
  }
  return tape;
}

// The journal's disk use is bounded by the stream: with --journal-max-bytes at its floor (1 MiB),
// a session that records more keeps only its newest MiB: the oldest records go first, and what
// an export reads back never adds up to more than the bound.
TEST(JournalRecording, TheStreamKeepsItsByteBoundByDroppingTheOldestRecords) {
  constexpr int64_t kBound = int64_t{1} << 20;
  testing::NatsServer nats;
  ASSERT_TRUE(nats.Start().ok());
  ChildProcess sim(testing::BinDir() + "/simexchange", {"--listen", "127.0.0.1:0", "--grpc-listen", "127.0.0.1:0"});
  ASSERT_TRUE(sim.Start().ok());
  auto line = sim.WaitForLine("simexchange listening on", 30 * kNanosPerSecond);
  ASSERT_TRUE(line.ok()) << line.status();
  std::smatch m;
  ASSERT_TRUE(std::regex_search(*line, m, std::regex(R"(listening on (http://[0-9.:]+))")));
  const Nanos started = SystemClock::Instance().WallNanos();
  ChildProcess md(testing::BinDir() + "/marketdata",
                  {"--nats", nats.url(), "--clob-url", m[1], "--all-markets", "--admin-listen", "127.0.0.1:0",
                   "--journal-max-bytes", std::to_string(kBound), "--journal-checkpoint-s", "1"});
  ASSERT_TRUE(md.Start().ok());
  ASSERT_TRUE(md.WaitForLine("admin API on", 30 * kNanosPerSecond).ok()) << md.log();
  const auto dir = TempDir("journal-bound");
  const std::string file = (dir / "all.journal.gz").string();
  // Everything the stream still holds (the span starts before marketdata did).
  auto export_all = [&]() -> absl::StatusOr<journal::Journal> {
    ChildProcess exporter(testing::BinDir() + "/clobmaker-journal",
                          {"export", "--nats", nats.url(), "--from", std::to_string(started / kNanosPerMilli - 1000),
                           "--to", "now", "--out", file});
    if (auto st = exporter.Start(); !st.ok()) return st;
    auto code = exporter.Stop(0, 60 * kNanosPerSecond);
    if (!code.ok()) return code.status();
    if (*code != 0) return absl::InternalError(exporter.log());
    return journal::ReadJournal(file);
  };
  // The feed records ~80 KB/s: the bound is reached within seconds; then the first records go.
  Nanos first_kept = 0;
  size_t kept_bytes = 0, kept_records = 0;
  ASSERT_TRUE(testing::Eventually(
      [&] {
        auto j = export_all();
        if (!j.ok() || j->records.empty()) return false;
        first_kept = j->records.front().receive_ns;
        kept_records = j->records.size();
        kept_bytes = 0;
        for (const journal::Record& r : j->records) kept_bytes += journal::EncodeRecord(r).size();
        return first_kept > started + 3 * kNanosPerSecond;
      },
      std::chrono::seconds(120), std::chrono::seconds(2)))
      << "the oldest records were never dropped: first kept " << (first_kept - started) / kNanosPerMilli
      << " ms after the start, " << kept_records << " records, " << kept_bytes << " bytes\n"
      << md.log();
  EXPECT_LE(kept_bytes, static_cast<size_t>(kBound)) << kept_records << " records";
  EXPECT_GT(kept_bytes, static_cast<size_t>(kBound) / 2) << "the stream holds up to its bound, not much less";
  ASSERT_TRUE(md.Stop(SIGTERM, 15 * kNanosPerSecond).ok());
  std::filesystem::remove_all(dir);
}

TEST(Backtest, AShortSessionReplaysIntoAReportThatAgreesWithTheJournal) {
  const auto dir = TempDir("backtest");
  const std::string config = (dir / "strategy.yaml").string();
  std::ofstream(config) << "all_markets: true\ndefaults:\n  half_spread_ticks: 1\n  levels: 2\n"
                           "  size_per_level_micros: 20000000\n  reward_band: true\n";
  const std::string out = (dir / "out").string();
  ChildProcess backtest(testing::BinDir() + "/clobmaker-backtest",
                        {"--journal", SampleJournal(), "--config", config, "--out", out});
  ASSERT_TRUE(backtest.Start().ok());
  auto code = backtest.Stop(0, 400 * kNanosPerSecond);
  ASSERT_TRUE(code.ok()) << backtest.log();
  ASSERT_EQ(*code, 0) << backtest.log();
  EXPECT_NE(backtest.log().find("clobmaker-backtest: "), std::string::npos);

  const std::string summary = Slurp(out + "/summary.json");
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  ASSERT_EQ(parser.parse(summary).get(root), simdjson::SUCCESS) << summary;
  int64_t fills = 0;
  ASSERT_EQ(root["fills"].get(fills), simdjson::SUCCESS);
  ASSERT_GT(fills, 0) << "the session must trade for the checks below to mean anything\n" << summary;
  double pnl = 0;
  ASSERT_EQ(root["pnl_usd"].get(pnl), simdjson::SUCCESS);
  EXPECT_TRUE(std::isfinite(pnl));
  bool fees_modelled = true;
  ASSERT_EQ(root["fees_modelled"].get(fees_modelled), simdjson::SUCCESS);

  const Tape tape = ReadTape(SampleJournal());
  ASSERT_FALSE(tape.trades.empty());
  std::map<int64_t, int64_t> filled_by_trade;
  std::map<std::tuple<std::string, int, int64_t>, int64_t> our_volume;  // (market, our canonical side, price)
  simdjson::dom::array list;
  ASSERT_EQ(root["fill_list"].get(list), simdjson::SUCCESS);
  int64_t maker = 0;
  for (simdjson::dom::element e : list) {
    std::string_view market, token, side_text;
    double price_d = 0;
    int64_t size = 0, seq = -1;
    bool taker = false;
    ASSERT_EQ(e["market"].get(market), simdjson::SUCCESS);
    ASSERT_EQ(e["token"].get(token), simdjson::SUCCESS);
    ASSERT_EQ(e["side"].get(side_text), simdjson::SUCCESS);
    ASSERT_EQ(e["price"].get(price_d), simdjson::SUCCESS);
    ASSERT_EQ(e["size_micros"].get(size), simdjson::SUCCESS);
    ASSERT_EQ(e["taker"].get(taker), simdjson::SUCCESS);
    ASSERT_EQ(e["trade_seq"].get(seq), simdjson::SUCCESS);
    const auto& [yes, no] = tape.tokens.at(std::string(market));
    const bool is_yes = token == yes;
    ASSERT_TRUE(is_yes || token == no);
    const model::Side side = side_text == "BUY" ? model::Side::kBuy : model::Side::kSell;
    const int64_t units = std::llround(price_d * model::kPriceOne);
    const model::Side cside = is_yes ? side : model::Opposite(side);
    const int64_t cprice = is_yes ? units : model::kPriceOne - units;
    if (taker) {
      // We crossed: at a price the recorded book offered on the other side.
      EXPECT_TRUE(tape.offered.at(std::string(market)).contains({static_cast<int>(model::Opposite(cside)), cprice}))
          << "taker fill at " << cprice << " never offered";
      continue;
    }
    ++maker;
    ASSERT_GE(seq, 0);
    ASSERT_LT(seq, static_cast<int64_t>(tape.trades.size()));
    const Tape::Trade& t = tape.trades[static_cast<size_t>(seq)];
    EXPECT_EQ(t.market, market);
    EXPECT_EQ(t.taker, model::Opposite(cside)) << "the recorded taker was on the other side";
    // No fill at a price the book never reached: the trade was at or through our price.
    if (cside == model::Side::kSell) {
      EXPECT_GE(t.price, cprice) << "our ask filled below the recorded trade";
    } else {
      EXPECT_LE(t.price, cprice) << "our bid filled above the recorded trade";
    }
    filled_by_trade[seq] += size;
    our_volume[{std::string(market), static_cast<int>(cside), cprice}] += size;
  }
  EXPECT_GT(maker, 0);
  for (const auto& [seq, size] : filled_by_trade) {
    EXPECT_LE(size, tape.trades[static_cast<size_t>(seq)].size)
        << "recorded trade " << seq << " filled us beyond its size";
  }
  // Our maker volume at a level never exceeds the recorded volume that traded at or through it.
  for (const auto& [key, volume] : our_volume) {
    const auto& [market, side, price] = key;
    int64_t traded = 0;
    for (const Tape::Trade& t : tape.trades) {
      if (t.market != market || static_cast<int>(t.taker) == side) continue;
      traded += side == static_cast<int>(model::Side::kSell) ? (t.price >= price ? t.size : 0)
                                                             : (t.price <= price ? t.size : 0);
    }
    EXPECT_LE(volume, traded) << market << " side " << side << " price " << price;
  }
  const std::string html = Slurp(out + "/report.html");
  EXPECT_NE(html.find("P&amp;L over time"), std::string::npos);
  EXPECT_NE(html.find("Fills with markouts"), std::string::npos);
  std::filesystem::remove_all(dir);
}

// Paper trading against a recorded feed served locally: `simexchange --replay` of the sample
// journal stands in for Polymarket's market channel and metadata API; scripts/up --paper points
// marketdata at it and sends our orders to the simulator in mirror mode, whose fills come from
// the feed's trades.
TEST(PaperTrading, ScriptsUpPaperAgainstARecordedFeed) {
  ChildProcess feed(testing::BinDir() + "/simexchange", {"--listen", "127.0.0.1:0", "--grpc-listen", "127.0.0.1:0",
                                                         "--replay", SampleJournal(), "--replay-speed", "1"});
  ASSERT_TRUE(feed.Start().ok());
  auto line = feed.WaitForLine("simexchange listening on", 30 * kNanosPerSecond);
  ASSERT_TRUE(line.ok()) << line.status();
  std::smatch m;
  ASSERT_TRUE(std::regex_search(*line, m, std::regex(R"(listening on http://([0-9.:]+))")));
  const std::string host = m[1];
  const auto dir = TempDir("paper");
  // A port block of our own (scripts/up uses base .. base + 26).
  const int base = 30'000 + static_cast<int>(getpid() % 400) * 27;
  ChildProcess up("/bin/bash", {std::string(CLOBMAKER_SOURCE_DIR) + "/scripts/up", "--paper", "--for", "25"},
                  {"CLOBMAKER_PORT_BASE=" + std::to_string(base), "CLOBMAKER_RUN_DIR=" + (dir / "run").string(),
                   "CLOBMAKER_PAPER_CLOB_URL=http://" + host, "CLOBMAKER_PAPER_WS_URL=ws://" + host + "/ws/market",
                   "CLOBMAKER_PAPER_GAMMA_URL=http://" + host + "/gamma",
                   "CLOBMAKER_PAPER_REFERENCE_URL=ws://" + host + "/ws/reference", "CLOBMAKER_PAPER_MARKETS=all",
                   "CLOBMAKER_UP_SKIP_BUILD=1"});
  ASSERT_TRUE(up.Start().ok());
  auto code = up.Stop(0, 400 * kNanosPerSecond);
  ASSERT_TRUE(code.ok()) << up.log();
  const std::string log = up.log();
  ASSERT_EQ(*code, 0) << log;
  EXPECT_NE(log.find("up: paper trading: feed ws://" + host + "/ws/market"), std::string::npos) << log;
  EXPECT_NE(log.find("up: quotes are live"), std::string::npos) << log;
  std::smatch s;
  ASSERT_TRUE(std::regex_search(
      log, s, std::regex(R"(up: summary fills=(\d+) orphans=(\d+) open_after_stop=(\d+) .* paper_pnl=(-?[0-9.]+))")))
      << log;
  EXPECT_GT(std::stoi(s[1]), 0) << "fills from the feed's trades, at the mirror\n" << log;
  EXPECT_EQ(s[2], "0");
  EXPECT_EQ(s[3], "0") << "stopping cancels our paper orders";
  // The mirror really took its books from the feed: marketdata's log names the feed, the
  // simulator's its subscription.
  const std::string sim_log = Slurp((dir / "run" / "simexchange" / "simexchange.log").string());
  EXPECT_NE(sim_log.find("mirroring 3 markets from ws://" + host + "/ws/market"), std::string::npos) << sim_log;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace clobmaker
