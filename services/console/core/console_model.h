// The console's pure core: what the other services report (admin answers, books and trades from
// the bus, execution's latency histograms) folded into the one document the web page renders.
// No I/O: the shell polls and subscribes, hands each answer in with the time, and pushes
// StateJson() to the browsers whenever version() moves.
//
// Everything a person reads is formatted here, once: prices with the market's tick precision,
// amounts with fixed decimals, full token ids (the page shortens them visibly, never silently).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "clobmaker/marketdata/v1/marketdata.pb.h"
#include "clobmaker/orders/v1/orders.pb.h"
#include "clobmaker/positions/v1/positions.pb.h"
#include "clobmaker/strategy/v1/strategy.pb.h"
#include "clobmaker/user/v1/user.pb.h"
#include "common/core/clock.h"

namespace clobmaker::console {

// One service's admin Status answer, or why there was none.
struct ServiceHealth {
  std::string name;
  std::string address;
  bool reachable = false;
  bool ready = false;
  std::string detail;  // not-ready reason, or the RPC error when unreachable
};

// One latency histogram from a Prometheus text page: its name (without _seconds), its labels
// (without le) and the quantiles read from the cumulative buckets (bucket upper bounds).
struct LatencyFigure {
  std::string name;
  std::string labels;
  uint64_t count = 0;
  double p50_seconds = 0;
  double p99_seconds = 0;
};
// Every `*_seconds` histogram on the page; malformed lines are skipped and counted.
struct ParsedHistograms {
  std::vector<LatencyFigure> figures;
  int malformed_lines = 0;
};
ParsedHistograms ParseHistograms(std::string_view prometheus_text);

// One round of admin calls. An unset part means that call failed this round: the model keeps
// what it last had (marked stale by the service's health), never shows an empty book as truth.
struct Poll {
  Nanos at = 0;
  std::optional<strategy::v1::ListMarketsResponse> strategy_markets;
  std::optional<marketdata::v1::ListMarketsResponse> market_info;
  std::optional<orders::v1::ListOrdersResponse> orders;
  std::optional<orders::v1::ExecutionStatus> execution;
  std::optional<positions::v1::GetPositionsResponse> positions;
  std::optional<positions::v1::GetPnlResponse> pnl;
  std::vector<ServiceHealth> health;
  std::optional<std::vector<LatencyFigure>> latency;
};

struct ConsoleLimits {
  int book_depth = 5;                        // levels per side shown
  size_t fills_kept = 100;                   // newest first
  size_t pnl_points = 720;                   // P&L chart: one point per poll that changed it (720 x 0.5 s = 6 min)
  Nanos pnl_min_interval = kNanosPerSecond;  // at most one chart point per second
};

class ConsoleModel {
 public:
  explicit ConsoleModel(ConsoleLimits limits = {}) : limits_(limits) {}

  void OnPoll(const Poll& poll);
  void OnBook(const marketdata::v1::Book& book);
  // A trade on the user channel (CM_USER): one row per leg of ours; a later status of the same
  // trade (MINED, CONFIRMED, FAILED) updates the row in place instead of adding one.
  void OnTrade(const user::v1::UserTradeEvent& trade, Nanos received);

  // Moves on every input (the shell pushes StateJson() when the text differs from what it last
  // pushed). The document holds no "now": the page ages what it shows by its own clock.
  uint64_t version() const { return version_; }
  std::string StateJson() const;

  size_t fills() const { return fills_.size(); }

 private:
  struct FillRow {
    std::string trade_id;
    std::string order_id;
    std::string token_id;
    std::string condition_id;
    std::string status;
    common::v1::Side side = common::v1::SIDE_UNSPECIFIED;
    int64_t price_units = 0;
    int64_t size_micros = 0;
    bool taker = false;
    Nanos time = 0;
  };
  struct BookTop {
    std::vector<common::v1::Level> bids, asks;
    int64_t tick_units = 0;
    bool resyncing = false;
    Nanos last_change = 0;
  };
  struct TokenName {
    std::string condition_id;
    std::string slug;
    std::string outcome;  // YES / NO
  };

  void Changed() { ++version_; }
  int64_t TickOf(const std::string& token_id) const;
  void RebuildNames();

  ConsoleLimits limits_;
  uint64_t version_ = 0;
  Nanos last_poll_ = 0;
  strategy::v1::ListMarketsResponse strategy_markets_;
  std::map<std::string, marketdata::v1::MarketInfo> info_;  // by condition id
  orders::v1::ListOrdersResponse orders_;
  std::optional<orders::v1::ExecutionStatus> execution_;
  positions::v1::GetPositionsResponse positions_;
  std::optional<positions::v1::GetPnlResponse> pnl_;
  std::vector<ServiceHealth> health_;
  std::vector<LatencyFigure> latency_;
  std::map<std::string, BookTop> books_;               // by token id
  std::map<std::string, TokenName> names_;             // by token id
  std::deque<FillRow> fills_;                          // newest first
  std::deque<std::pair<Nanos, int64_t>> pnl_history_;  // (time, net micros)
};

}  // namespace clobmaker::console
