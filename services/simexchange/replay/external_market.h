// The other participants of a market, from outside: the recorded book and trades of a journal
// (simexchange --replay) or of a live feed (mirror mode, paper trading). Our orders live in the
// exchange core as always (validation, balances, order states, trades and their settlement, the
// user channel); this class puts them in the recorded queues and fills them from recorded trades
// through the core's own matching. Pure: frames and clocks are handed in, events come out.
//
// How it uses the core:
//  - A recorded trade that reaches our orders (QueueModel) becomes one FAK order of a "tape"
//    account, on the YES token at the trade's price, for exactly the volume that reached us:
//    the core matches it against our orders in the same price-time priority the queue model
//    used (a NO order matches by the core's mint/merge), so the fills, trades and user events are
//    the core's. The core's own book and trade events of that FAK are not published: the
//    recorded trade is.
//  - Before one of our orders is placed, the recorded levels it would cross are placed in the
//    core as post-only orders of a second tape account and withdrawn right after: so a post-only
//    order that crosses the recorded book is refused with the exchange's message, and a
//    marketable one takes recorded liquidity at the recorded prices.
//  - The published book (market channel, GET /book) is the recorded book plus the core's (our
//    orders): recorded levels at or through one of our orders are hidden (they would have traded
//    with it: see cross_through in the counters), so the book is never crossed.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/polymarket/decode.h"
#include "services/simexchange/core/exchange.h"
#include "services/simexchange/replay/queue_model.h"
#include "services/simexchange/replay/replay_report.h"

namespace clobmaker::simexchange::replay {

inline constexpr char kTapeTakerKey[] = "sim-tape-taker";
inline constexpr char kTapeMakerKey[] = "sim-tape-maker";

struct ExternalMarketConfig {
  std::string mode = "replay";  // or "mirror"
  QueueModelConfig queue;
  Nanos sample_every = kNanosPerSecond;
  uint64_t seed = 1;
};

class ExternalMarket {
 public:
  explicit ExternalMarket(ExternalMarketConfig config = {});
  ~ExternalMarket();

  // Opens the tape accounts (unbounded balances). Once, before any market.
  void Init(Exchange& exchange);
  // A market the feed carries; the caller has added it to the core.
  void AddMarket(Exchange& exchange, const MarketConfig& market);
  bool HasMarket(const std::string& condition_id) const { return markets_.contains(condition_id); }

  // Recorded input, at recorded time `t`; `wall` is the simulator's clock.
  void OnMarketFrame(Exchange& exchange, std::string_view frame, Nanos t, Nanos wall);
  void OnReferenceFrame(std::string_view frame, Nanos t, Nanos wall);
  // Timers of the queue model, samples and markouts up to recorded time `t`.
  void Advance(Exchange& exchange, Nanos t, Nanos wall);

  // Around Exchange::Place of any order that is not the tape's.
  void BeforePlace(Exchange& exchange, const NewOrder& order, Nanos wall);
  void AfterPlace(Exchange& exchange, const NewOrder& order, const PlaceResult& result, Nanos wall);

  // Whether an event the core produced goes out: book-level changes do not (the merged book's
  // changes replace them); trades, order and user events, tick changes and resolutions do.
  static bool Publishes(const Event& event);
  // Everything to send now: the core's events it took itself (fills from recorded trades), then
  // the merged books' changes since the last call. Syncs the queue model with the core first.
  std::vector<Event> TakeEvents(Exchange& exchange, Nanos wall);
  // The reference frames to send: those played since the last call, or (the simulator's shape)
  // the latest prices again, re-stamped, when none came for 200 ms (a held or slow replay must
  // not look like a stale feed).
  std::vector<std::string> TakeReferenceFrames(Nanos wall);

  // The published (merged) book of a token.
  polymarket::BookEvent Book(const Exchange& exchange, const std::string& token, Nanos wall) const;
  std::optional<double> FairValue(const std::string& condition_id) const;
  bool IsTape(const std::string& api_key) const { return api_key == kTapeTakerKey || api_key == kTapeMakerKey; }

  void SetSpan(Nanos first_t, Nanos last_t);
  void SetDone(bool done) { report_.done = done; }
  Nanos position() const { return report_.position_t; }
  const ReplayReport& report() const { return report_; }
  ReplayReport Report() const;  // with the queue counters filled in

 private:
  struct Level {
    int64_t price;
    int64_t size;
  };
  struct MarketState {
    MarketConfig config;
    QueueModel queue;
    std::map<int64_t, int64_t, std::greater<>> published_bids;
    std::map<int64_t, int64_t> published_asks;
    Nanos next_sample = 0;
    bool crossed = false;  // the recorded book is at or through one of our orders now
  };
  struct Canonical {
    Side side;
    int64_t price;
  };
  struct PendingMarkout {
    size_t fill;
    size_t horizon;
    Nanos due;
  };
  struct Merged {
    std::map<int64_t, int64_t, std::greater<>> bids;
    std::map<int64_t, int64_t> asks;
  };

  MarketState* StateOfToken(const Exchange& exchange, const std::string& token);
  const MarketState* StateOfToken(const Exchange& exchange, const std::string& token) const;
  static Canonical ToCanonical(const MarketConfig& m, const std::string& token, Side side, int64_t price);
  void ApplyBook(MarketState& m, const polymarket::BookEvent& book, Nanos t);
  void ApplyTrade(Exchange& exchange, MarketState& m, const polymarket::LastTradePriceEvent& trade, int64_t seq,
                  Nanos t, Nanos wall);
  void SyncOrders(Exchange& exchange);
  void DrainCore(Exchange& exchange, bool publish_market_events);
  void CheckCrossed(Exchange& exchange, MarketState& m);
  Merged MergedBook(const Exchange& exchange, const MarketState& m) const;
  std::optional<double> YesMid(const MarketState& m) const;
  void ResolveDue(Exchange& exchange, Nanos t);
  void TakeSample(Exchange& exchange, MarketState& m, Nanos at);
  void RecordFill(FillRecord fill, const MarketState& m);
  model::OrderId NextTapeId();

  ExternalMarketConfig config_;
  std::map<std::string, std::unique_ptr<MarketState>> markets_;  // condition id -> state
  std::map<std::string, std::string> token_market_;
  polymarket::MarketDecoder decoder_;
  polymarket::MarketFrame frame_;
  std::vector<Event> out_;
  std::vector<std::string> reference_out_;
  std::map<std::string, double> reference_;  // symbol -> latest price
  bool reference_restampable_ = false;       // the latest frame was in the simulator's shape
  Nanos reference_sent_ = 0;
  std::deque<std::string> recent_trades_;  // keys of the last recorded trades (complement duplicates)
  std::deque<PendingMarkout> markouts_;
  ReplayReport report_;
  int64_t trade_seq_ = 0;
  uint64_t next_tape_id_ = 1;
  bool materialized_ = false;
  std::string tape_taker_address_, tape_maker_address_;
};

}  // namespace clobmaker::simexchange::replay
