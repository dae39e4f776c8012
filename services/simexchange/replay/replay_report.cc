#include "services/simexchange/replay/replay_report.h"

#include <fmt/format.h>
#include <simdjson.h>

#include "common/core/json_text.h"
#include "common/core/status.h"

namespace clobmaker::simexchange::replay {
namespace {

std::string Opt(const std::optional<double>& v) { return v ? fmt::format("{:.6f}", *v) : "null"; }

std::optional<double> ReadOpt(simdjson::dom::object o, const char* key) {
  double v = 0;
  if (o[key].get(v) == simdjson::SUCCESS) return v;
  int64_t i = 0;
  if (o[key].get(i) == simdjson::SUCCESS) return static_cast<double>(i);
  return std::nullopt;
}
int64_t ReadInt(simdjson::dom::object o, const char* key) {
  int64_t v = 0;
  return o[key].get(v) == simdjson::SUCCESS ? v : 0;
}
uint64_t ReadUint(simdjson::dom::object o, const char* key) { return static_cast<uint64_t>(ReadInt(o, key)); }
bool ReadBool(simdjson::dom::object o, const char* key) {
  bool v = false;
  return o[key].get(v) == simdjson::SUCCESS && v;
}
std::string ReadStr(simdjson::dom::object o, const char* key) {
  std::string_view v;
  if (o[key].get(v) != simdjson::SUCCESS) return {};
  return std::string(v);
}
double ReadDouble(simdjson::dom::object o, const char* key) { return ReadOpt(o, key).value_or(0); }

}  // namespace

std::string EncodeReport(const ReplayReport& r) {
  std::string out;
  out += fmt::format(R"({{"mode":"{}","done":{},"first_t":{},"last_t":{},"position_t":{},"markets":[)", r.mode, r.done,
                     r.first_t, r.last_t, r.position_t);
  for (size_t i = 0; i < r.markets.size(); ++i) {
    const MarketRef& m = r.markets[i];
    out += fmt::format(R"({}{{"condition_id":"{}","slug":"{}","yes_token":"{}","no_token":"{}"}})", i ? "," : "",
                       JsonEscape(m.condition_id), JsonEscape(m.slug), m.yes_token, m.no_token);
  }
  const ReplayCounters& c = r.counters;
  out += fmt::format(
      R"(],"counters":{{"records":{},"market_frames":{},"reference_frames":{},"bad_frames":{},"recorded_trades":{},)"
      R"("trades_reaching_us":{},"duplicate_trades":{},"fills_refused":{},"tick_changes":{},"cross_through_events":{},)"
      R"("cross_through_micros":{},"explained_decreases":{},"cancels":{}}},"fills":[)",
      c.records, c.market_frames, c.reference_frames, c.bad_frames, c.recorded_trades, c.trades_reaching_us,
      c.duplicate_trades, c.fills_refused, c.tick_changes, c.cross_through_events, c.cross_through_micros,
      c.explained_decreases, c.cancels);
  for (size_t i = 0; i < r.fills.size(); ++i) {
    const FillRecord& f = r.fills[i];
    out += fmt::format(
        R"({}{{"t":{},"wall_ms":{},"market":"{}","token":"{}","order_id":"{}","owner":"{}","side":"{}","price":{},)"
        R"("size":{},"taker":{},"trade_seq":{},"mid":{},"mid_1s":{},"mid_10s":{},"mid_60s":{}}})",
        i ? "," : "", f.t, f.wall_ms, f.market, f.token, f.order_id, JsonEscape(f.owner), model::SideName(f.side),
        f.price, f.size, f.taker, f.trade_seq, Opt(f.mid), Opt(f.mid_after[0]), Opt(f.mid_after[1]),
        Opt(f.mid_after[2]));
  }
  out += R"(],"samples":[)";
  for (size_t i = 0; i < r.samples.size(); ++i) {
    const Sample& s = r.samples[i];
    out += fmt::format(
        R"({}{{"t":{},"market":"{}","bid":{},"ask":{},"fair":{},"our_bid":{},"our_ask":{},"our_bid_size":{},)"
        R"("our_ask_size":{},"score_share":{:.6f}}})",
        i ? "," : "", s.t, s.market, Opt(s.bid), Opt(s.ask), Opt(s.fair), Opt(s.our_bid), Opt(s.our_ask),
        s.our_bid_size, s.our_ask_size, s.score_share);
  }
  out += "]}";
  return out;
}

absl::StatusOr<ReplayReport> DecodeReport(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(json.data(), json.size(), true).get(root) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError("replay report is not JSON");
  }
  simdjson::dom::object obj;
  if (root.get(obj) != simdjson::SUCCESS) return absl::InvalidArgumentError("replay report is not an object");
  ReplayReport r;
  r.mode = ReadStr(obj, "mode");
  r.done = ReadBool(obj, "done");
  r.first_t = ReadInt(obj, "first_t");
  r.last_t = ReadInt(obj, "last_t");
  r.position_t = ReadInt(obj, "position_t");
  simdjson::dom::array arr;
  if (obj["markets"].get(arr) == simdjson::SUCCESS) {
    for (simdjson::dom::element e : arr) {
      simdjson::dom::object m;
      if (e.get(m) != simdjson::SUCCESS) continue;
      r.markets.push_back(
          {ReadStr(m, "condition_id"), ReadStr(m, "slug"), ReadStr(m, "yes_token"), ReadStr(m, "no_token")});
    }
  }
  simdjson::dom::object c;
  if (obj["counters"].get(c) == simdjson::SUCCESS) {
    ReplayCounters& k = r.counters;
    k.records = ReadUint(c, "records");
    k.market_frames = ReadUint(c, "market_frames");
    k.reference_frames = ReadUint(c, "reference_frames");
    k.bad_frames = ReadUint(c, "bad_frames");
    k.recorded_trades = ReadUint(c, "recorded_trades");
    k.trades_reaching_us = ReadUint(c, "trades_reaching_us");
    k.duplicate_trades = ReadUint(c, "duplicate_trades");
    k.fills_refused = ReadUint(c, "fills_refused");
    k.tick_changes = ReadUint(c, "tick_changes");
    k.cross_through_events = ReadUint(c, "cross_through_events");
    k.cross_through_micros = ReadInt(c, "cross_through_micros");
    k.explained_decreases = ReadUint(c, "explained_decreases");
    k.cancels = ReadUint(c, "cancels");
  }
  if (obj["fills"].get(arr) == simdjson::SUCCESS) {
    for (simdjson::dom::element e : arr) {
      simdjson::dom::object f;
      if (e.get(f) != simdjson::SUCCESS) continue;
      FillRecord x;
      x.t = ReadInt(f, "t");
      x.wall_ms = ReadInt(f, "wall_ms");
      x.market = ReadStr(f, "market");
      x.token = ReadStr(f, "token");
      x.order_id = ReadStr(f, "order_id");
      x.owner = ReadStr(f, "owner");
      x.side = ReadStr(f, "side") == "SELL" ? model::Side::kSell : model::Side::kBuy;
      x.price = ReadInt(f, "price");
      x.size = ReadInt(f, "size");
      x.taker = ReadBool(f, "taker");
      x.trade_seq = ReadInt(f, "trade_seq");
      x.mid = ReadOpt(f, "mid");
      x.mid_after = {ReadOpt(f, "mid_1s"), ReadOpt(f, "mid_10s"), ReadOpt(f, "mid_60s")};
      r.fills.push_back(std::move(x));
    }
  }
  if (obj["samples"].get(arr) == simdjson::SUCCESS) {
    for (simdjson::dom::element e : arr) {
      simdjson::dom::object s;
      if (e.get(s) != simdjson::SUCCESS) continue;
      Sample x;
      x.t = ReadInt(s, "t");
      x.market = ReadStr(s, "market");
      x.bid = ReadOpt(s, "bid");
      x.ask = ReadOpt(s, "ask");
      x.fair = ReadOpt(s, "fair");
      x.our_bid = ReadOpt(s, "our_bid");
      x.our_ask = ReadOpt(s, "our_ask");
      x.our_bid_size = ReadInt(s, "our_bid_size");
      x.our_ask_size = ReadInt(s, "our_ask_size");
      x.score_share = ReadDouble(s, "score_share");
      r.samples.push_back(std::move(x));
    }
  }
  return r;
}

}  // namespace clobmaker::simexchange::replay
