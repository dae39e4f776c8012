#include "services/console/core/console_model.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <utility>

#include "common/core/json_text.h"
#include "common/model/decimal.h"

namespace clobmaker::console {

using model::FormatAmount;
using model::FormatPrice;

namespace {

// A minimal JSON writer for one document: objects and arrays opened and closed in order, commas
// placed by the writer, every string escaped.
class Json {
 public:
  Json& Open(char bracket) {
    Comma();
    out_ += bracket;
    first_.push_back(true);
    return *this;
  }
  Json& Close(char bracket) {
    out_ += bracket;
    first_.pop_back();
    return *this;
  }
  Json& Key(std::string_view key) {
    Comma();
    out_ += '"';
    AppendJsonEscaped(out_, key);
    out_ += "\":";
    pending_value_ = true;
    return *this;
  }
  Json& Str(std::string_view value) {
    Comma();
    out_ += '"';
    AppendJsonEscaped(out_, value);
    out_ += '"';
    return *this;
  }
  Json& Int(int64_t value) {
    Comma();
    out_ += std::to_string(value);
    return *this;
  }
  Json& Bool(bool value) {
    Comma();
    out_ += value ? "true" : "false";
    return *this;
  }
  Json& Num(double value) {
    Comma();
    out_ += std::isfinite(value) ? fmt::format("{:.6g}", value) : "null";
    return *this;
  }
  Json& Null() {
    Comma();
    out_ += "null";
    return *this;
  }
  // "key": "value" and friends.
  Json& S(std::string_view key, std::string_view value) { return Key(key).Str(value); }
  Json& I(std::string_view key, int64_t value) { return Key(key).Int(value); }
  Json& B(std::string_view key, bool value) { return Key(key).Bool(value); }
  Json& N(std::string_view key, double value) { return Key(key).Num(value); }
  std::string Take() { return std::move(out_); }

 private:
  void Comma() {
    if (pending_value_) {
      pending_value_ = false;
      return;
    }
    if (first_.empty()) return;
    if (!first_.back()) out_ += ',';
    first_.back() = false;
  }
  std::string out_;
  std::vector<bool> first_;
  bool pending_value_ = false;
};

std::string_view SideName(common::v1::Side side) {
  switch (side) {
    case common::v1::SIDE_BUY:
      return "BUY";
    case common::v1::SIDE_SELL:
      return "SELL";
    default:
      return "?";
  }
}

std::string_view TradeStatusName(user::v1::TradeStatus status) {
  switch (status) {
    case user::v1::TRADE_STATUS_MATCHED:
      return "MATCHED";
    case user::v1::TRADE_STATUS_MINED:
      return "MINED";
    case user::v1::TRADE_STATUS_CONFIRMED:
      return "CONFIRMED";
    case user::v1::TRADE_STATUS_RETRYING:
      return "RETRYING";
    case user::v1::TRADE_STATUS_FAILED:
      return "FAILED";
    case user::v1::TRADE_STATUS_MATCHED_NOT_BROADCASTED:
      return "MATCHED_NOT_BROADCASTED";
    default:
      return "UNKNOWN";
  }
}

std::string_view StateName(orders::v1::OrderState state) {
  const std::string& name = orders::v1::OrderState_Name(state);
  constexpr std::string_view kPrefix = "ORDER_STATE_";
  std::string_view view(name);
  if (view.substr(0, kPrefix.size()) == kPrefix) view.remove_prefix(kPrefix.size());
  return view;
}

// One metric sample line: name{labels} value. False when it is not one.
bool SplitSample(std::string_view line, std::string_view& name, std::string_view& labels, double& value) {
  size_t name_end = line.find_first_of("{ ");
  if (name_end == std::string_view::npos || name_end == 0) return false;
  name = line.substr(0, name_end);
  size_t rest = name_end;
  labels = {};
  if (line[name_end] == '{') {
    const size_t close = line.find('}', name_end);
    if (close == std::string_view::npos) return false;
    labels = line.substr(name_end + 1, close - name_end - 1);
    rest = close + 1;
  }
  std::string_view number = line.substr(rest);
  while (!number.empty() && number.front() == ' ') number.remove_prefix(1);
  const size_t space = number.find(' ');  // an optional timestamp follows
  if (space != std::string_view::npos) number = number.substr(0, space);
  if (number.empty()) return false;
  if (number == "+Inf") {
    value = INFINITY;
    return true;
  }
  const std::string copy(number);  // from_chars for double is not in GCC 12's libstdc++ for all modes
  char* end = nullptr;
  value = std::strtod(copy.c_str(), &end);
  return end != nullptr && *end == '\0';
}

// The le="..." label taken out of `labels`; the others stay, in order.
bool TakeLe(std::string_view labels, std::string& others, double& le) {
  others.clear();
  bool found = false;
  size_t pos = 0;
  while (pos < labels.size()) {
    size_t end = pos;
    bool quoted = false;
    while (end < labels.size() && (quoted || labels[end] != ',')) {
      if (labels[end] == '"' && (end == 0 || labels[end - 1] != '\\')) quoted = !quoted;
      ++end;
    }
    const std::string_view label = labels.substr(pos, end - pos);
    if (label.substr(0, 4) == "le=\"" && label.size() >= 5 && label.back() == '"') {
      const std::string text(label.substr(4, label.size() - 5));
      if (text == "+Inf") {
        le = INFINITY;
      } else {
        char* stop = nullptr;
        le = std::strtod(text.c_str(), &stop);
        if (stop == nullptr || *stop != '\0') return false;
      }
      found = true;
    } else if (!label.empty()) {
      if (!others.empty()) others += ',';
      others += label;
    }
    pos = end + 1;
  }
  return found;
}

// The smallest bucket bound whose cumulative count reaches q of the total.
double Quantile(const std::vector<std::pair<double, double>>& buckets, double total, double q) {
  const double target = q * total;
  for (const auto& [le, count] : buckets) {
    if (count >= target && std::isfinite(le)) return le;
  }
  // Only the +Inf bucket holds it: the largest finite bound is all we know.
  for (auto it = buckets.rbegin(); it != buckets.rend(); ++it) {
    if (std::isfinite(it->first)) return it->first;
  }
  return 0;
}

}  // namespace

ParsedHistograms ParseHistograms(std::string_view text) {
  ParsedHistograms out;
  // (name, labels) -> buckets (le, cumulative count), in page order.
  std::map<std::pair<std::string, std::string>, std::vector<std::pair<double, double>>> series;
  std::vector<std::pair<std::string, std::string>> order;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    std::string_view name, labels;
    double value = 0;
    if (!SplitSample(line, name, labels, value)) {
      ++out.malformed_lines;
      continue;
    }
    constexpr std::string_view kBucket = "_seconds_bucket";
    if (name.size() <= kBucket.size() || name.substr(name.size() - kBucket.size()) != kBucket) continue;
    std::string others;
    double le = 0;
    if (!TakeLe(labels, others, le)) {
      ++out.malformed_lines;
      continue;
    }
    std::pair<std::string, std::string> key{std::string(name.substr(0, name.size() - kBucket.size())), others};
    auto [it, inserted] = series.try_emplace(key);
    if (inserted) order.push_back(key);
    it->second.emplace_back(le, value);
  }
  for (const auto& key : order) {
    auto& buckets = series[key];
    std::sort(buckets.begin(), buckets.end());
    const double total = buckets.empty() ? 0 : buckets.back().second;
    LatencyFigure f{.name = key.first, .labels = key.second, .count = static_cast<uint64_t>(std::max(0.0, total))};
    if (total > 0) {
      f.p50_seconds = Quantile(buckets, total, 0.50);
      f.p99_seconds = Quantile(buckets, total, 0.99);
    }
    out.figures.push_back(std::move(f));
  }
  return out;
}

void ConsoleModel::OnPoll(const Poll& poll) {
  last_poll_ = poll.at;
  if (poll.strategy_markets) strategy_markets_ = *poll.strategy_markets;
  if (poll.market_info) {
    for (const auto& info : poll.market_info->markets()) info_[info.market().condition_id()] = info;
  }
  if (poll.orders) orders_ = *poll.orders;
  if (poll.execution) execution_ = *poll.execution;
  if (poll.positions) positions_ = *poll.positions;
  if (poll.pnl) {
    pnl_ = *poll.pnl;
    const int64_t net = poll.pnl->net_micros();
    if (pnl_history_.empty() ||
        (pnl_history_.back().second != net && poll.at - pnl_history_.back().first >= limits_.pnl_min_interval)) {
      pnl_history_.emplace_back(poll.at, net);
      while (pnl_history_.size() > limits_.pnl_points) pnl_history_.pop_front();
    }
  }
  if (!poll.health.empty()) health_ = poll.health;
  if (poll.latency) latency_ = *poll.latency;
  RebuildNames();
  Changed();
}

void ConsoleModel::RebuildNames() {
  const auto add = [this](const common::v1::MarketRef& m) {
    if (!m.yes_token_id().empty()) names_[m.yes_token_id()] = {m.condition_id(), m.slug(), "YES"};
    if (!m.no_token_id().empty()) names_[m.no_token_id()] = {m.condition_id(), m.slug(), "NO"};
  };
  for (const auto& [condition, info] : info_) add(info.market());
  for (const auto& view : strategy_markets_.markets()) add(view.market());
}

void ConsoleModel::OnBook(const marketdata::v1::Book& book) {
  BookTop& top = books_[book.token_id()];
  top.tick_units = book.tick_units();
  top.resyncing = book.resyncing();
  top.last_change = book.last_change_ns();
  const auto depth = static_cast<size_t>(std::max(0, limits_.book_depth));
  top.bids.assign(book.bids().begin(),
                  book.bids().begin() + static_cast<int>(std::min<size_t>(depth, book.bids_size())));
  top.asks.assign(book.asks().begin(),
                  book.asks().begin() + static_cast<int>(std::min<size_t>(depth, book.asks_size())));
  Changed();
}

void ConsoleModel::OnTrade(const user::v1::UserTradeEvent& trade, Nanos received) {
  const Nanos time = trade.match_time_ns() > 0 ? trade.match_time_ns() : received;
  for (const auto& leg : trade.fills()) {
    auto same = std::find_if(fills_.begin(), fills_.end(), [&](const FillRow& row) {
      return row.trade_id == trade.trade_id() && row.order_id == leg.order_id();
    });
    FillRow row{.trade_id = trade.trade_id(),
                .order_id = leg.order_id(),
                .token_id = leg.token_id(),
                .condition_id = trade.condition_id(),
                .status = std::string(TradeStatusName(trade.status())),
                .side = leg.side(),
                .price_units = leg.price_units(),
                .size_micros = leg.size_micros(),
                .taker = leg.is_taker(),
                .time = time};
    if (same != fills_.end()) {
      *same = std::move(row);
    } else {
      fills_.push_front(std::move(row));
      while (fills_.size() > limits_.fills_kept) fills_.pop_back();
    }
  }
  Changed();
}

int64_t ConsoleModel::TickOf(const std::string& token_id) const {
  if (auto it = books_.find(token_id); it != books_.end() && it->second.tick_units > 0) return it->second.tick_units;
  if (auto name = names_.find(token_id); name != names_.end()) {
    if (auto info = info_.find(name->second.condition_id); info != info_.end() && info->second.tick_units() > 0) {
      return info->second.tick_units();
    }
    for (const auto& view : strategy_markets_.markets()) {
      if (view.market().condition_id() == name->second.condition_id && view.ladder().tick_units() > 0) {
        return view.ladder().tick_units();
      }
    }
  }
  return 0;
}

std::string ConsoleModel::StateJson() const {
  Json j;
  j.Open('{');
  j.I("version", static_cast<int64_t>(version_)).I("polled_ms", last_poll_ / kNanosPerMilli);

  // Markets: strategy's view first (what we quote), marketdata's metadata for the others.
  std::vector<std::string> conditions;
  for (const auto& view : strategy_markets_.markets()) conditions.push_back(view.market().condition_id());
  for (const auto& [condition, info] : info_) {
    if (std::find(conditions.begin(), conditions.end(), condition) == conditions.end()) conditions.push_back(condition);
  }
  std::vector<std::string> paused;
  if (execution_) paused.assign(execution_->paused_markets().begin(), execution_->paused_markets().end());
  j.Key("markets").Open('[');
  for (const std::string& condition : conditions) {
    const strategy::v1::MarketView* view = nullptr;
    for (const auto& v : strategy_markets_.markets()) {
      if (v.market().condition_id() == condition) view = &v;
    }
    auto info_it = info_.find(condition);
    const marketdata::v1::MarketInfo* info = info_it == info_.end() ? nullptr : &info_it->second;
    const common::v1::MarketRef& ref = view != nullptr ? view->market() : info->market();
    const int64_t tick = TickOf(ref.yes_token_id());
    j.Open('{');
    j.S("condition_id", condition).S("slug", ref.slug().empty() ? condition : ref.slug());
    j.S("question", info != nullptr ? info->question() : "");
    j.S("tick", tick > 0 ? FormatPrice(tick, tick) : "?");
    j.B("accepting_orders", info == nullptr || info->accepting_orders());
    j.B("paused", std::find(paused.begin(), paused.end(), condition) != paused.end());
    if (view != nullptr) {
      j.B("quoted", true);
      j.S("fair", view->fair_value_units() > 0 ? FormatPrice(view->fair_value_units(), tick) : "");
      j.Key("gates").Open('[');
      for (const auto& g : view->gates_closed()) j.Str(g);
      j.Close(']');
      j.B("in_reward_band", view->in_reward_band()).N("scoring_share", view->scoring_share());
      j.S("estimated_reward", FormatAmount(view->estimated_reward_micros()));
      j.S("net_position", FormatAmount(view->net_position_micros()));
      j.B("enabled", view->params().enabled());
    } else {
      j.B("quoted", false);
    }
    if (info != nullptr && info->rewards_max_spread_units() > 0) {
      j.S("reward_band", "±" + FormatPrice(info->rewards_max_spread_units(), tick));
      j.S("reward_min_size", FormatAmount(info->rewards_min_size_micros()));
    } else {
      j.S("reward_band", "");
    }
    j.Key("tokens").Open('[');
    for (const auto& [token, outcome] : {std::pair{ref.yes_token_id(), "YES"}, std::pair{ref.no_token_id(), "NO"}}) {
      if (token.empty()) continue;
      const int64_t token_tick = TickOf(token) > 0 ? TickOf(token) : tick;
      j.Open('{').S("token_id", token).S("outcome", outcome);
      auto book = books_.find(token);
      const auto levels = [&](const char* key, const std::vector<common::v1::Level>* side) {
        j.Key(key).Open('[');
        if (side != nullptr) {
          for (const auto& l : *side) {
            j.Open('[').Str(FormatPrice(l.price_units(), token_tick)).Str(FormatAmount(l.size_micros())).Close(']');
          }
        }
        j.Close(']');
      };
      levels("bids", book == books_.end() ? nullptr : &book->second.bids);
      levels("asks", book == books_.end() ? nullptr : &book->second.asks);
      j.B("resyncing", book != books_.end() && book->second.resyncing);
      j.I("book_change_ms", book == books_.end() ? 0 : book->second.last_change / kNanosPerMilli);
      // Our orders at execution on this token, best first per side.
      std::vector<const orders::v1::Order*> ours;
      for (const auto& o : orders_.orders()) {
        if (o.token_id() == token) ours.push_back(&o);
      }
      std::sort(ours.begin(), ours.end(), [](const orders::v1::Order* a, const orders::v1::Order* b) {
        if (a->side() != b->side()) return a->side() < b->side();
        return a->side() == common::v1::SIDE_BUY ? a->price_units() > b->price_units()
                                                 : a->price_units() < b->price_units();
      });
      std::optional<int64_t> our_bid, our_ask;
      j.Key("orders").Open('[');
      for (const orders::v1::Order* o : ours) {
        if (o->side() == common::v1::SIDE_BUY && !our_bid) our_bid = o->price_units();
        if (o->side() == common::v1::SIDE_SELL && !our_ask) our_ask = o->price_units();
        j.Open('{')
            .S("order_id", o->order_id())
            .S("side", SideName(o->side()))
            .I("level", o->level())
            .S("price", FormatPrice(o->price_units(), o->tick_units() > 0 ? o->tick_units() : token_tick))
            .S("size", FormatAmount(o->original_size_micros()))
            .S("matched", FormatAmount(o->matched_size_micros()))
            .S("state", StateName(o->state()))
            .Close('}');
      }
      j.Close(']');
      j.S("our_bid", our_bid ? FormatPrice(*our_bid, token_tick) : "");
      j.S("our_ask", our_ask ? FormatPrice(*our_ask, token_tick) : "");
      j.Close('}');
    }
    j.Close(']');
    j.Close('}');
  }
  j.Close(']');

  const auto name_of = [this](const std::string& token) -> std::pair<std::string, std::string> {
    auto it = names_.find(token);
    if (it == names_.end()) return {"", ""};
    return {it->second.slug, it->second.outcome};
  };
  j.Key("positions").Open('[');
  for (const auto& p : positions_.positions()) {
    const auto [slug, outcome] = name_of(p.token_id());
    const int64_t tick = TickOf(p.token_id());
    j.Open('{')
        .S("token_id", p.token_id())
        .S("slug", slug)
        .S("outcome", outcome)
        .S("provisional", FormatAmount(p.provisional_micros()))
        .S("settled", FormatAmount(p.settled_micros()))
        .S("avg_cost", p.provisional_micros() != 0 ? FormatPrice(p.avg_cost_units_x1e6() / 1'000'000, tick) : "")
        .S("mark", p.mark_price_units() > 0 ? FormatPrice(p.mark_price_units(), tick) : "")
        .S("realized", FormatAmount(p.realized_pnl_micros(), 4))
        .S("unrealized", FormatAmount(p.unrealized_pnl_micros(), 4))
        .Close('}');
  }
  j.Close(']');
  j.Key("collateral")
      .Open('{')
      .S("provisional", FormatAmount(positions_.collateral().provisional_micros(), 4))
      .S("settled", FormatAmount(positions_.collateral().settled_micros(), 4))
      .Close('}');
  j.Key("pnl");
  if (pnl_) {
    j.Open('{')
        .S("realized", FormatAmount(pnl_->realized_micros(), 4))
        .S("unrealized", FormatAmount(pnl_->unrealized_micros(), 4))
        .S("fees", FormatAmount(pnl_->fees_micros(), 4))
        .S("rebates", FormatAmount(pnl_->rebates_micros(), 4))
        .S("net", FormatAmount(pnl_->net_micros(), 4))
        .Close('}');
  } else {
    j.Null();
  }
  j.Key("pnl_history").Open('[');
  for (const auto& [t, net] : pnl_history_) j.Open('[').Int(t / kNanosPerMilli).Int(net).Close(']');
  j.Close(']');

  j.Key("fills").Open('[');
  for (const FillRow& f : fills_) {
    const auto [slug, outcome] = name_of(f.token_id);
    j.Open('{')
        .I("time_ms", f.time / kNanosPerMilli)
        .S("trade_id", f.trade_id)
        .S("order_id", f.order_id)
        .S("status", f.status)
        .S("slug", slug)
        .S("outcome", outcome)
        .S("side", SideName(f.side))
        .S("price", FormatPrice(f.price_units, TickOf(f.token_id)))
        .S("size", FormatAmount(f.size_micros))
        .B("taker", f.taker)
        .Close('}');
  }
  j.Close(']');

  j.Key("services").Open('[');
  for (const ServiceHealth& h : health_) {
    j.Open('{')
        .S("name", h.name)
        .S("address", h.address)
        .B("reachable", h.reachable)
        .B("ready", h.ready)
        .S("detail", h.detail)
        .Close('}');
  }
  j.Close(']');

  j.Key("execution");
  if (execution_) {
    const auto& e = *execution_;
    uint64_t throttled = 0;
    for (const auto& [endpoint, n] : e.throttled_by_endpoint()) throttled += n;
    j.Open('{')
        .S("phase", e.phase())
        .B("killed", e.killed())
        .S("kill_reason", e.kill_reason())
        .B("halted", e.halted())
        .S("halt_reason", e.halt_reason())
        .B("lease_held", e.lease_held())
        .S("shard", e.shard())
        .S("tier", e.rate_tier().empty() ? "?" : e.rate_tier())
        .B("tier_confirmed", e.rate_tier_confirmed())
        .S("restriction", e.trading_restriction().empty() ? "none" : e.trading_restriction())
        .I("throttled", static_cast<int64_t>(throttled));
    j.Key("budgets").Open('[');
    for (const auto& b : e.budgets()) {
      j.Open('{').S("endpoint", b.endpoint()).I("available", b.available()).I("capacity", b.capacity()).Close('}');
    }
    j.Close(']');
    j.Key("paused").Open('[');
    for (const auto& m : e.paused_markets()) j.Str(m);
    j.Close(']');
    j.Close('}');
  } else {
    j.Null();
  }

  j.Key("latency").Open('[');
  for (const LatencyFigure& f : latency_) {
    j.Open('{')
        .S("name", f.name)
        .S("labels", f.labels)
        .I("count", static_cast<int64_t>(f.count))
        .S("p50_ms", fmt::format("{:.3f}", f.p50_seconds * 1e3))
        .S("p99_ms", fmt::format("{:.3f}", f.p99_seconds * 1e3))
        .Close('}');
  }
  j.Close(']');
  j.Close('}');
  return j.Take();
}

}  // namespace clobmaker::console
