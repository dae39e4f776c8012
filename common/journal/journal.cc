#include "common/journal/journal.h"

#include <fmt/format.h>
#include <simdjson.h>

#include "common/core/json_text.h"
#include "common/core/status.h"
#include "common/model/decimal.h"
#include "common/polymarket/decode.h"

namespace clobmaker::journal {
namespace {

thread_local simdjson::dom::parser line_parser;

absl::StatusOr<simdjson::dom::object> ParseObject(std::string_view line) {
  simdjson::dom::element root;
  if (line_parser.parse(line.data(), line.size(), true).get(root) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError("journal line is not JSON");
  }
  simdjson::dom::object obj;
  if (root.get(obj) != simdjson::SUCCESS) return absl::InvalidArgumentError("journal line is not a JSON object");
  return obj;
}

absl::StatusOr<int64_t> Int(simdjson::dom::object obj, const char* key) {
  int64_t v = 0;
  if (obj[key].get(v) != simdjson::SUCCESS) return absl::InvalidArgumentError(fmt::format("field '{}' missing", key));
  return v;
}

absl::StatusOr<std::string_view> Str(simdjson::dom::object obj, const char* key) {
  std::string_view v;
  if (obj[key].get(v) != simdjson::SUCCESS) return absl::InvalidArgumentError(fmt::format("field '{}' missing", key));
  return v;
}

std::string_view EventTypeName(const polymarket::MarketEvent& e) {
  switch (e.index()) {
    case 0:
      return "book";
    case 1:
      return "price_change";
    case 2:
      return "tick_size_change";
    case 3:
      return "last_trade_price";
    case 4:
      return "best_bid_ask";
    case 5:
      return "market_resolved";
    default:
      return "new_market";
  }
}

std::string Ms(Nanos ns) { return fmt::format("{:.3f}", static_cast<double>(ns) / 1e9); }

}  // namespace

std::string_view RecordKindName(RecordKind kind) {
  switch (kind) {
    case RecordKind::kMarket:
      return "market";
    case RecordKind::kReference:
      return "reference";
    case RecordKind::kMarketInfo:
      return "market_info";
    case RecordKind::kSnapshot:
      return "snapshot";
    case RecordKind::kOther:
      return "other";
  }
  return "other";
}

std::optional<RecordKind> ParseRecordKind(std::string_view name) {
  for (RecordKind k : {RecordKind::kMarket, RecordKind::kReference, RecordKind::kMarketInfo, RecordKind::kSnapshot,
                       RecordKind::kOther}) {
    if (RecordKindName(k) == name) return k;
  }
  return std::nullopt;
}

std::string EncodeRecord(const Record& record) {
  std::string out;
  out.reserve(record.payload.size() + record.source.size() + 64);
  out += "{\"t\":";
  out += std::to_string(record.receive_ns);
  out += ",\"k\":\"";
  out += RecordKindName(record.kind);
  out += "\",\"s\":\"";
  AppendJsonEscaped(out, record.source);
  out += "\",\"d\":\"";
  AppendJsonEscaped(out, record.payload);
  out += "\"}";
  return out;
}

absl::StatusOr<Record> DecodeRecord(std::string_view line) {
  CM_ASSIGN_OR_RETURN(simdjson::dom::object obj, ParseObject(line));
  Record r;
  CM_ASSIGN_OR_RETURN(r.receive_ns, Int(obj, "t"));
  CM_ASSIGN_OR_RETURN(std::string_view kind, Str(obj, "k"));
  const auto k = ParseRecordKind(kind);
  if (!k) return absl::InvalidArgumentError(fmt::format("unknown record kind '{}'", kind));
  r.kind = *k;
  CM_ASSIGN_OR_RETURN(std::string_view source, Str(obj, "s"));
  r.source = std::string(source);
  CM_ASSIGN_OR_RETURN(std::string_view payload, Str(obj, "d"));
  r.payload = std::string(payload);
  return r;
}

std::string EncodeHeader(const FileHeader& header) {
  return fmt::format(R"({{"format":"{}","version":{},"from_ns":{},"to_ns":{},"created_by":"{}"}})", kFormatName,
                     header.version, header.from_ns, header.to_ns, JsonEscape(header.created_by));
}

absl::StatusOr<FileHeader> DecodeHeader(std::string_view line) {
  CM_ASSIGN_OR_RETURN(simdjson::dom::object obj, ParseObject(line));
  CM_ASSIGN_OR_RETURN(std::string_view format, Str(obj, "format"));
  if (format != kFormatName) return absl::InvalidArgumentError(fmt::format("not a clobmaker journal ('{}')", format));
  FileHeader h;
  CM_ASSIGN_OR_RETURN(int64_t version, Int(obj, "version"));
  if (version < 1 || version > kFormatVersion) {
    return absl::InvalidArgumentError(
        fmt::format("journal version {} is newer than this build reads ({})", version, kFormatVersion));
  }
  h.version = static_cast<int>(version);
  CM_ASSIGN_OR_RETURN(h.from_ns, Int(obj, "from_ns"));
  CM_ASSIGN_OR_RETURN(h.to_ns, Int(obj, "to_ns"));
  if (auto by = Str(obj, "created_by"); by.ok()) h.created_by = std::string(*by);
  return h;
}

std::string EncodeMarketInfo(const polymarket::MarketMetadata& m) {
  std::string tokens, outcomes;
  for (size_t i = 0; i < m.token_ids.size(); ++i) tokens += fmt::format("{}\\\"{}\\\"", i ? ", " : "", m.token_ids[i]);
  for (size_t i = 0; i < m.outcomes.size(); ++i)
    outcomes += fmt::format("{}\\\"{}\\\"", i ? ", " : "", JsonEscape(m.outcomes[i]));
  return fmt::format(
      R"({{"conditionId":"{}","slug":"{}","question":"{}","clobTokenIds":"[{}]","outcomes":"[{}]",)"
      R"("orderPriceMinTickSize":{},"orderMinSize":{},"negRisk":{},"active":{},"closed":{},"acceptingOrders":{},)"
      R"("endDate":"{}","rewardsMinSize":{},"rewardsMaxSpread":{}}})",
      JsonEscape(m.condition_id), JsonEscape(m.slug), JsonEscape(m.question), tokens, outcomes, m.tick.ToString(),
      m.min_order_size.ToString(), m.neg_risk, m.active, m.closed, m.accepting_orders, m.end_time_ms,
      m.rewards_min_size.ToString(), model::FormatScaled(m.rewards_max_spread.units() * 100, model::kPriceScale));
}

// --- summary ---------------------------------------------------------------------------------------

struct SummaryBuilder::Decoder {
  polymarket::MarketDecoder market;
  polymarket::MarketFrame frame;
};

SummaryBuilder::SummaryBuilder() : decoder_(std::make_unique<Decoder>()) {}
SummaryBuilder::~SummaryBuilder() = default;

MarketSummary& SummaryBuilder::MarketFor(const std::string& condition_id) {
  auto it = market_index_.find(condition_id);
  if (it == market_index_.end()) {
    it = market_index_.emplace(condition_id, summary_.markets.size()).first;
    summary_.markets.push_back({.condition_id = condition_id});
  }
  return summary_.markets[it->second];
}

void SummaryBuilder::Add(const Record& record) {
  ++summary_.records;
  ++summary_.records_by_kind[std::string(RecordKindName(record.kind))];
  if (summary_.first_ns == 0 || record.receive_ns < summary_.first_ns) summary_.first_ns = record.receive_ns;
  summary_.last_ns = std::max(summary_.last_ns, record.receive_ns);
  if (record.kind == RecordKind::kMarketInfo) {
    auto markets = polymarket::ParseGammaMarkets(record.payload);
    if (!markets.ok()) {
      ++summary_.bad_frames;
      return;
    }
    for (const auto& m : *markets) {
      MarketSummary& s = MarketFor(m.condition_id);
      s.slug = m.slug;
      s.token_ids = m.token_ids;
      for (const auto& t : m.token_ids) token_market_[t] = m.condition_id;
    }
    return;
  }
  if (record.kind != RecordKind::kMarket && record.kind != RecordKind::kSnapshot) return;
  decoder_->frame.Clear();
  decoder_->market.Decode(record.payload, decoder_->frame);
  if (!decoder_->frame.errors.empty()) ++summary_.bad_frames;
  for (const polymarket::MarketEvent& e : decoder_->frame.events) {
    ++summary_.events_by_type[std::string(EventTypeName(e))];
    std::string market = std::visit([](const auto& ev) { return ev.market; }, e);
    if (market.empty()) continue;
    MarketSummary& s = MarketFor(market);
    if (std::holds_alternative<polymarket::BookEvent>(e)) ++s.books;
    if (std::holds_alternative<polymarket::PriceChangeEvent>(e)) ++s.price_changes;
    if (std::holds_alternative<polymarket::TickSizeChangeEvent>(e)) ++s.tick_changes;
    if (const auto* t = std::get_if<polymarket::LastTradePriceEvent>(&e)) {
      ++s.trades;
      s.traded_micros += t->size.micros();
    }
  }
}

std::string FormatSummary(const Summary& s) {
  std::string out;
  out += fmt::format("format: {} v{} (created by {})\n", kFormatName, s.header.version,
                     s.header.created_by.empty() ? "?" : s.header.created_by);
  out += fmt::format("span: {} .. {} ({} s)\n", Ms(s.first_ns), Ms(s.last_ns),
                     fmt::format("{:.1f}", static_cast<double>(s.last_ns - s.first_ns) / 1e9));
  out += fmt::format("records: {}", s.records);
  for (const auto& [kind, n] : s.records_by_kind) out += fmt::format(" {}={}", kind, n);
  out += fmt::format(" bad_records={} bad_frames={}\n", s.bad_records, s.bad_frames);
  out += "events:";
  for (const auto& [type, n] : s.events_by_type) out += fmt::format(" {}={}", type, n);
  out += "\n";
  out += fmt::format("markets: {}\n", s.markets.size());
  for (const MarketSummary& m : s.markets) {
    out += fmt::format("  {} {} books={} price_changes={} trades={} traded={} tick_changes={}\n", m.condition_id,
                       m.slug.empty() ? "-" : m.slug, m.books, m.price_changes, m.trades,
                       model::Size(m.traded_micros).ToString(), m.tick_changes);
  }
  return out;
}

absl::StatusOr<Nanos> ParseTime(std::string_view text, Nanos now) {
  if (text == "now") return now;
  if (text.size() >= 3 && text.front() == '-') {
    const char unit = text.back();
    const Nanos scale = unit == 's'   ? kNanosPerSecond
                        : unit == 'm' ? 60 * kNanosPerSecond
                        : unit == 'h' ? 3600 * kNanosPerSecond
                        : unit == 'd' ? 86400 * kNanosPerSecond
                                      : 0;
    auto n = model::ParseScaled(text.substr(1, text.size() - 2), 0);
    if (scale == 0 || !n.ok()) return absl::InvalidArgumentError(fmt::format("bad relative time '{}'", text));
    return now - *n * scale;
  }
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos) {
    auto n = model::ParseScaled(text, 0);
    if (!n.ok()) return absl::InvalidArgumentError(fmt::format("bad time '{}'", text));
    if (text.size() <= 11) return *n * kNanosPerSecond;  // seconds (until year 5138)
    if (text.size() <= 14) return *n * kNanosPerMilli;
    return *n;
  }
  auto ms = polymarket::ParseTimestampMs(text);
  if (!ms.ok()) return absl::InvalidArgumentError(fmt::format("bad time '{}' (now, -10m, epoch or ISO 8601)", text));
  return *ms * kNanosPerMilli;
}

std::vector<Record> SelectSpan(std::vector<Record> records, Nanos from, Nanos to) {
  std::stable_sort(records.begin(), records.end(),
                   [](const Record& a, const Record& b) { return a.receive_ns < b.receive_ns; });
  Nanos cut = from;
  for (const Record& r : records) {
    if (r.kind == RecordKind::kSnapshot && r.receive_ns < from) cut = r.receive_ns;  // the last checkpoint
  }
  std::map<std::string, const Record*> metadata;  // condition -> latest before the cut
  std::vector<Record> out;
  for (const Record& r : records) {
    if (r.receive_ns >= cut) break;
    if (r.kind == RecordKind::kMarketInfo) metadata[r.source] = &r;
  }
  for (const Record& r : records) {  // a market described again inside the span needs no older copy
    if (r.kind == RecordKind::kMarketInfo && r.receive_ns >= cut && r.receive_ns <= to) metadata.erase(r.source);
  }
  for (const auto& [condition, r] : metadata) out.push_back(*r);
  std::stable_sort(out.begin(), out.end(),
                   [](const Record& a, const Record& b) { return a.receive_ns < b.receive_ns; });
  for (const Record& r : records) {
    if (r.receive_ns >= cut && r.receive_ns <= to) out.push_back(r);
  }
  return out;
}

std::optional<std::string> LineSplitter::Next() {
  const size_t nl = buffer_.find('\n', start_);
  if (nl == std::string::npos) {
    if (start_ > 0) {
      buffer_.erase(0, start_);
      start_ = 0;
    }
    return std::nullopt;
  }
  std::string line = buffer_.substr(start_, nl - start_);
  start_ = nl + 1;
  if (start_ > (1 << 20)) {
    buffer_.erase(0, start_);
    start_ = 0;
  }
  return line;
}

std::optional<std::string> LineSplitter::Rest() {
  if (start_ >= buffer_.size()) return std::nullopt;
  std::string rest = buffer_.substr(start_);
  buffer_.clear();
  start_ = 0;
  return rest;
}

}  // namespace clobmaker::journal
