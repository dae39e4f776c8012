// The session journal: every raw market-channel frame (and reference-feed frame, market metadata
// and REST book snapshot) as marketdata received it, with its receive time. Pure encoding and
// decoding, no I/O (journal_file.h reads and writes files; marketdata publishes records on
// CM_JOURNAL). docs/replay.md describes the format and why it is what it is.
//
// One record is one line of JSON, the same bytes on the bus and in a file:
//   {"t":1780000000123456789,"k":"market","s":"0","d":"[{\"event_type\":\"book\",...}]"}
// t = receive time (ns since the Unix epoch, marketdata's wall clock), k = kind, s = source (the
// market-channel shard, the reference feed's name, the token of a checkpoint snapshot), d = the
// payload exactly as received. Checkpoints (every market's metadata and every trusted book, at
// intervals) let a span cut from the middle of a session start from known books. A file is a header line followed by
// records, gzip-compressed:
//   {"format":"clobmaker-journal","version":1,"from_ns":...,"to_ns":...,"created_by":"..."}
#pragma once

#include <absl/status/statusor.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/core/clock.h"
#include "common/polymarket/events.h"

namespace clobmaker::journal {

enum class RecordKind : uint8_t {
  kMarket,      // a market-channel websocket frame (s = shard)
  kReference,   // a reference-feed websocket frame (s = feed name)
  kMarketInfo,  // market metadata marketdata subscribed (d = a metadata-API market object)
  kSnapshot,    // marketdata's own book of a token, every checkpoint (s = token, d = a `book` event)
  kOther,       // anything else kept (other streams' messages exported alongside)
};
std::string_view RecordKindName(RecordKind kind);
std::optional<RecordKind> ParseRecordKind(std::string_view name);

struct Record {
  Nanos receive_ns = 0;
  RecordKind kind = RecordKind::kMarket;
  std::string source;
  std::string payload;
  friend bool operator==(const Record&, const Record&) = default;
};

// One line, without the trailing newline.
std::string EncodeRecord(const Record& record);
// InvalidArgument naming what is wrong (malformed JSON, missing field, unknown kind).
absl::StatusOr<Record> DecodeRecord(std::string_view line);

inline constexpr std::string_view kFormatName = "clobmaker-journal";
inline constexpr int kFormatVersion = 1;

struct FileHeader {
  int version = kFormatVersion;
  Nanos from_ns = 0;  // the span asked for (records lie inside it)
  Nanos to_ns = 0;
  std::string created_by;
  friend bool operator==(const FileHeader&, const FileHeader&) = default;
};
std::string EncodeHeader(const FileHeader& header);
// InvalidArgument for another format or a newer version.
absl::StatusOr<FileHeader> DecodeHeader(std::string_view line);

// Market metadata as a metadata-API (Gamma) market object, which ParseGammaMarkets reads back.
std::string EncodeMarketInfo(const polymarket::MarketMetadata& market);

// A journal's contents in figures: what `clobmaker-journal info` prints.
struct MarketSummary {
  std::string condition_id;
  std::string slug;
  std::vector<std::string> token_ids;
  uint64_t books = 0, price_changes = 0, trades = 0, tick_changes = 0;
  int64_t traded_micros = 0;
};
struct Summary {
  FileHeader header;
  Nanos first_ns = 0, last_ns = 0;
  std::map<std::string, uint64_t> records_by_kind;  // kind name -> count
  std::map<std::string, uint64_t> events_by_type;   // market event type -> count
  uint64_t records = 0, bad_records = 0, bad_frames = 0;
  std::vector<MarketSummary> markets;  // in order of first appearance
};

// Feeds records one at a time (the market frames are decoded to count events).
class SummaryBuilder {
 public:
  SummaryBuilder();
  ~SummaryBuilder();
  void SetHeader(const FileHeader& header) { summary_.header = header; }
  void Add(const Record& record);
  void AddBadRecord() { ++summary_.bad_records; }
  Summary Finish() const { return summary_; }

 private:
  MarketSummary& MarketFor(const std::string& condition_id);
  struct Decoder;
  std::unique_ptr<Decoder> decoder_;
  Summary summary_;
  std::map<std::string, size_t> market_index_;  // condition id -> index in summary_.markets
  std::map<std::string, std::string> token_market_;
};

// Human-readable lines (the CLI's output).
std::string FormatSummary(const Summary& summary);

// A time on the command line: "now", "-90s" / "-10m" / "-2h" / "-1d" (before `now`), seconds,
// milliseconds or nanoseconds since the epoch (told apart by magnitude), or ISO 8601
// ("2026-12-01T20:00:00Z").
absl::StatusOr<Nanos> ParseTime(std::string_view text, Nanos now);

// What an export keeps of the records read from a stream between `from` and `to`: everything
// from the last checkpoint before `from` (so the books are known from the start) to `to`, and
// each market's latest metadata before that. In time order.
std::vector<Record> SelectSpan(std::vector<Record> records, Nanos from, Nanos to);

// Splits a byte stream into lines; the last partial line is kept until more arrives.
class LineSplitter {
 public:
  void Feed(std::string_view bytes) { buffer_.append(bytes); }
  // The next complete line (without '\n'), or nullopt.
  std::optional<std::string> Next();
  // What is left after the input ended (a last line without '\n').
  std::optional<std::string> Rest();

 private:
  std::string buffer_;
  size_t start_ = 0;
};

}  // namespace clobmaker::journal
