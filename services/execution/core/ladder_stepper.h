// Ladder stepping: each market's desired ladder (state, not a command: design.md s2) and the
// step that turns it into orders. A step diffs the ladder against the market's working set
// (adopted orders claimed by exact price first), hands the cancels to the manager, then picks
// the posts: re-sends of orders never processed first, then new orders top of the ladder first,
// held back while a refused quote waits or an unclaimed adopted order may be live on that side,
// within the batch size and the exchange's buckets (a batch sized to what the order bucket holds,
// leaving the cancel bucket enough to cancel everything open; what does not fit is shed, deepest
// levels first). A ladder past its deadline wants nothing: the
// earliest deadline is kept, and its market is re-diffed at the first step after it.
#pragma once

#include <absl/functional/function_ref.h>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "services/execution/core/budgets.h"
#include "services/execution/core/order_book.h"

namespace clobmaker::execution {

class LadderStepper {
 public:
  LadderStepper(const OrderManagerConfig& config, Counters& counters, OrderBook& book, Budgets& budgets,
                OrderFactory* factory);

  enum class Verdict { kAccepted, kStale, kExpired, kRefused };
  // A new ladder for its market: older sequences and ladders past their deadline are ignored,
  // one with a quote for a token the market does not have is refused.
  Verdict Accept(MarketLadder ladder, Nanos now);
  // The market data's tick for a token changed: a ladder computed on another grid is dropped.
  // False if no market has the token.
  bool OnTickSize(const std::string& token, model::TickSize tick);
  // An adopted order's market learns its token and waits `adopt_grace` for a ladder.
  void Adopted(const std::string& market, const std::string& token, Nanos now);

  void MarkDirty(const std::string& market);
  void MarkAllDirty();
  // Markets whose ladder deadline has passed are re-diffed.
  void ExpireDeadlines(Nanos now);
  std::optional<Nanos> next_deadline() const;

  struct StepInputs {
    bool ready = false;                             // READY and not killed
    const std::set<std::string>* paused = nullptr;  // markets an operator paused
    bool posting_allowed = false;                   // nothing else holds posts back
    bool posts_backed_off = false;                  // (only for Mutation::kCancelsGatedByBackoff)
    std::optional<int> version;                     // the order version to sign for
    bool closed_only = false;                       // only what reduces a position goes (our sells)
    int64_t open_orders = 0;                        // orders that may be live (the cancel reserve)
    size_t queued_cancels = 0;                      // cancels waiting for tokens (the cancel reserve)
  };
  using CancelTargets = std::vector<std::pair<model::OrderId, Record*>>;
  // One step of every dirty market, in market order: the market's cancels go to `send_cancels`
  // before its posts are picked and go to `send_posts` (one signed batch per step across
  // markets). `more_work` is set when more batches are ready.
  void Step(const StepInputs& in, Nanos now,
            absl::FunctionRef<void(const CancelTargets&, std::string_view cause)> send_cancels,
            absl::FunctionRef<void(std::vector<Record*>)> send_posts, bool& more_work);

  const std::map<std::string, std::string>& token_markets() const { return token_market_; }

 private:
  struct Market {
    std::optional<MarketLadder> ladder;
    Nanos diff_not_before = 0;
    bool dirty = false;
    bool lead_sent = false;   // the lead batch after the last change has gone
    bool no_reprice = false;  // (only for Mutation::kTickInferredFromPrices)
    std::set<std::string> tokens;
  };

  void StepMarket(const std::string& market_id, Market& market, const StepInputs& in, Nanos now,
                  absl::FunctionRef<void(const CancelTargets&, std::string_view cause)> send_cancels,
                  absl::FunctionRef<void(std::vector<Record*>)> send_posts, bool& signed_batch, bool& more_work);
  static void InferTick(MarketLadder& ladder, Market& market);
  void Claim(const WorkingSet& working, const std::vector<DesiredQuote>& desired, model::TickSize tick, Nanos now);

  const OrderManagerConfig& config_;
  Counters& counters_;
  OrderBook& book_;
  Budgets& budgets_;
  OrderFactory* factory_;
  std::map<std::string, Market> markets_;
  std::map<std::string, std::string> token_market_;
  // (valid_until, market) of every market's current ladder that has a deadline not yet passed.
  std::set<std::pair<Nanos, std::string>> deadlines_;
};

}  // namespace clobmaker::execution
