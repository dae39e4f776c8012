#include "common/journal/journal.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/journal/journal_file.h"
#include "common/polymarket/decode.h"

namespace clobmaker::journal {
namespace {

// A frame with every awkward byte a payload can hold: quotes, backslashes, newlines, control
// characters and non-ASCII text survive a round trip byte for byte.
const std::string kAwkward = "[{\"event_type\":\"book\",\"x\":\"a\\\"b\"}]\n\t\x01 caf\xc3\xa9 \\";

TEST(JournalRecord, RoundTripsEveryByte) {
  const Record r{
      .receive_ns = 1'780'000'000'123'456'789, .kind = RecordKind::kMarket, .source = "0", .payload = kAwkward};
  const std::string line = EncodeRecord(r);
  EXPECT_EQ(line.find('\n'), std::string::npos) << "one record is one line";
  auto back = DecodeRecord(line);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, r);
}

TEST(JournalRecord, EveryKindHasAName) {
  for (RecordKind k : {RecordKind::kMarket, RecordKind::kReference, RecordKind::kMarketInfo, RecordKind::kSnapshot,
                       RecordKind::kOther}) {
    EXPECT_EQ(ParseRecordKind(RecordKindName(k)), k);
  }
  EXPECT_FALSE(ParseRecordKind("nonsense"));
}

TEST(JournalRecord, BadLinesAreErrorsNotCrashes) {
  for (std::string_view bad : {"", "{", "[]", R"({"t":1,"k":"market","s":"0"})",
                               R"({"t":"x","k":"market","s":"","d":""})", R"({"t":1,"k":"weird","s":"","d":""})"}) {
    EXPECT_FALSE(DecodeRecord(bad).ok()) << bad;
  }
}

TEST(JournalHeader, RoundTripsAndRefusesOtherFormats) {
  const FileHeader h{.version = 1, .from_ns = 5, .to_ns = 9, .created_by = "test \"quoted\""};
  auto back = DecodeHeader(EncodeHeader(h));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, h);
  EXPECT_FALSE(DecodeHeader(R"({"format":"other","version":1,"from_ns":0,"to_ns":0})").ok());
  EXPECT_FALSE(DecodeHeader(R"({"format":"clobmaker-journal","version":99,"from_ns":0,"to_ns":0})").ok());
}

TEST(JournalMarketInfo, ReadsBackThroughTheMetadataParser) {
  polymarket::MarketMetadata m;
  m.condition_id = "0xabc";
  m.slug = "will-it-rain";
  m.question = "Will it \"rain\"?";
  m.token_ids = {"111", "222"};
  m.outcomes = {"Yes", "No"};
  m.tick = *model::TickSize::Parse("0.001");
  m.min_order_size = model::Size::FromWhole(5);
  m.neg_risk = true;
  m.active = true;
  m.accepting_orders = true;
  m.end_time_ms = 1'790'000'000'000;
  m.rewards_min_size = model::Size::FromWhole(20);
  m.rewards_max_spread = model::Price(350);
  auto back = polymarket::ParseGammaMarkets(EncodeMarketInfo(m));
  ASSERT_TRUE(back.ok()) << back.status() << "\n" << EncodeMarketInfo(m);
  ASSERT_EQ(back->size(), 1u);
  const auto& b = back->front();
  EXPECT_EQ(b.condition_id, m.condition_id);
  EXPECT_EQ(b.slug, m.slug);
  EXPECT_EQ(b.question, m.question);
  EXPECT_EQ(b.token_ids, m.token_ids);
  EXPECT_EQ(b.outcomes, m.outcomes);
  EXPECT_EQ(b.tick, m.tick);
  EXPECT_EQ(b.min_order_size, m.min_order_size);
  EXPECT_TRUE(b.neg_risk);
  EXPECT_FALSE(b.closed);
  EXPECT_EQ(b.end_time_ms, m.end_time_ms);
  EXPECT_EQ(b.rewards_min_size, m.rewards_min_size);
  EXPECT_EQ(b.rewards_max_spread, m.rewards_max_spread);
}

TEST(JournalSummary, CountsMarketsEventsAndSpan) {
  SummaryBuilder b;
  polymarket::MarketMetadata m;
  m.condition_id = "0xc1";
  m.slug = "m1";
  m.token_ids = {"1111111111", "2222222222"};
  b.Add({.receive_ns = 100, .kind = RecordKind::kMarketInfo, .payload = EncodeMarketInfo(m)});
  b.Add(
      {.receive_ns = 200,
       .kind = RecordKind::kMarket,
       .payload =
           R"([{"event_type":"book","market":"0xc1","asset_id":"1111111111","bids":[{"price":"0.4","size":"10"}],"asks":[],"timestamp":"1"},)"
           R"({"event_type":"last_trade_price","market":"0xc1","asset_id":"1111111111","price":"0.4","size":"2.5","side":"SELL","timestamp":"2"}])"});
  b.Add(
      {.receive_ns = 300,
       .kind = RecordKind::kMarket,
       .payload =
           R"({"event_type":"last_trade_price","market":"0xc1","asset_id":"1111111111","price":"0.4","size":"1","side":"SELL","timestamp":"3"})"});
  b.Add({.receive_ns = 150, .kind = RecordKind::kMarket, .payload = "not json"});
  b.Add({.receive_ns = 400, .kind = RecordKind::kReference, .source = "sim", .payload = "[]"});
  const Summary s = b.Finish();
  EXPECT_EQ(s.records, 5u);
  EXPECT_EQ(s.first_ns, 100);
  EXPECT_EQ(s.last_ns, 400);
  EXPECT_EQ(s.records_by_kind.at("market"), 3u);
  EXPECT_EQ(s.records_by_kind.at("reference"), 1u);
  EXPECT_EQ(s.bad_frames, 1u);
  EXPECT_EQ(s.events_by_type.at("book"), 1u);
  EXPECT_EQ(s.events_by_type.at("last_trade_price"), 2u);
  ASSERT_EQ(s.markets.size(), 1u);
  EXPECT_EQ(s.markets[0].slug, "m1");
  EXPECT_EQ(s.markets[0].trades, 2u);
  EXPECT_EQ(s.markets[0].traded_micros, 3'500'000);
  const std::string text = FormatSummary(s);
  EXPECT_NE(text.find("markets: 1"), std::string::npos) << text;
  EXPECT_NE(text.find("trades=2 traded=3.5"), std::string::npos) << text;
}

TEST(JournalTime, ParsesTheCommandLinesForms) {
  const Nanos now = 1'780'000'000LL * kNanosPerSecond;
  EXPECT_EQ(*ParseTime("now", now), now);
  EXPECT_EQ(*ParseTime("-90s", now), now - 90 * kNanosPerSecond);
  EXPECT_EQ(*ParseTime("-10m", now), now - 600 * kNanosPerSecond);
  EXPECT_EQ(*ParseTime("-2h", now), now - 7200 * kNanosPerSecond);
  EXPECT_EQ(*ParseTime("1780000000", now), now);
  EXPECT_EQ(*ParseTime("1780000000000", now), now);
  EXPECT_EQ(*ParseTime("1780000000000000000", now), now);
  EXPECT_EQ(*ParseTime("2026-05-28T20:26:40Z", now), now);
  for (std::string_view bad : {"", "-", "-5x", "yesterday", "-m"}) EXPECT_FALSE(ParseTime(bad, now).ok()) << bad;
}

TEST(JournalSpan, StartsAtTheLastCheckpointBeforeTheSpanWithEachMarketsMetadata) {
  std::vector<Record> in = {
      {.receive_ns = 10, .kind = RecordKind::kMarketInfo, .source = "c1", .payload = "old"},
      {.receive_ns = 20, .kind = RecordKind::kMarket, .payload = "before the checkpoint"},
      {.receive_ns = 30, .kind = RecordKind::kMarketInfo, .source = "c1", .payload = "newer"},
      {.receive_ns = 30, .kind = RecordKind::kSnapshot, .source = "t1", .payload = "checkpoint"},
      {.receive_ns = 40, .kind = RecordKind::kMarket, .payload = "between"},
      {.receive_ns = 50, .kind = RecordKind::kMarket, .payload = "in"},
      {.receive_ns = 70, .kind = RecordKind::kMarket, .payload = "after"},
  };
  const std::vector<Record> out = SelectSpan(in, 45, 60);
  std::vector<std::string> payloads;
  for (const Record& r : out) payloads.push_back(r.payload);
  EXPECT_EQ(payloads, (std::vector<std::string>{"newer", "checkpoint", "between", "in"}));
  // No checkpoint before the span: it starts at `from`.
  payloads.clear();
  for (const Record& r : SelectSpan(in, 25, 45)) payloads.push_back(r.payload);
  EXPECT_EQ(payloads, (std::vector<std::string>{"newer", "checkpoint", "between"}));
  // From 35: again from the checkpoint at 30.
  payloads.clear();
  for (const Record& r : SelectSpan(in, 35, 45)) payloads.push_back(r.payload);
  EXPECT_EQ(payloads, (std::vector<std::string>{"newer", "checkpoint", "between"}));
}

TEST(LineSplitterTest, KeepsPartialLinesUntilTheRestArrives) {
  LineSplitter s;
  s.Feed("ab");
  EXPECT_FALSE(s.Next());
  s.Feed("c\nde");
  EXPECT_EQ(s.Next(), "abc");
  EXPECT_FALSE(s.Next());
  s.Feed("f\n\ng");
  EXPECT_EQ(s.Next(), "def");
  EXPECT_EQ(s.Next(), "");
  EXPECT_FALSE(s.Next());
  EXPECT_EQ(s.Rest(), "g");
}

class JournalFileTest : public ::testing::Test {
 protected:
  std::string path_ =
      (std::filesystem::temp_directory_path() / ("journal-test-" + std::to_string(getpid()) + ".gz")).string();
  void TearDown() override { std::filesystem::remove(path_); }
};

TEST_F(JournalFileTest, WritesGzipAndReadsItBack) {
  Journal j;
  j.header = {.from_ns = 1, .to_ns = 1'000'000, .created_by = "test"};
  for (int i = 0; i < 5000; ++i) {
    j.records.push_back({.receive_ns = i * 1000,
                         .kind = i % 7 == 0 ? RecordKind::kReference : RecordKind::kMarket,
                         .source = std::to_string(i % 3),
                         .payload = kAwkward + std::to_string(i)});
  }
  ASSERT_TRUE(WriteJournal(path_, j).ok());
  {
    std::ifstream in(path_, std::ios::binary);
    unsigned char magic[2] = {};
    in.read(reinterpret_cast<char*>(magic), 2);
    EXPECT_EQ(magic[0], 0x1f);
    EXPECT_EQ(magic[1], 0x8b);
  }
  auto back = ReadJournal(path_);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->header, j.header);
  ASSERT_EQ(back->records.size(), j.records.size());
  EXPECT_EQ(back->records, j.records);
  EXPECT_EQ(back->bad_records, 0u);
}

TEST_F(JournalFileTest, ABadLineIsSkippedAndCountedAPlainFileReadsToo) {
  {
    std::ofstream out(path_);
    out << EncodeHeader({.created_by = "hand"}) << "\n";
    out << EncodeRecord({.receive_ns = 1, .payload = "a"}) << "\n";
    out << "garbage\n";
    out << EncodeRecord({.receive_ns = 2, .payload = "b"});  // no final newline
  }
  auto back = ReadJournal(path_);
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_EQ(back->records.size(), 2u);
  EXPECT_EQ(back->records[1].payload, "b");
  EXPECT_EQ(back->bad_records, 1u);
}

TEST_F(JournalFileTest, NotAJournalIsAnError) {
  {
    std::ofstream out(path_);
    out << "{\"hello\":1}\n";
  }
  EXPECT_FALSE(ReadJournal(path_).ok());
  EXPECT_FALSE(ReadJournal(path_ + ".missing").ok());
}

}  // namespace
}  // namespace clobmaker::journal
