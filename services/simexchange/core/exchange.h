// The simulated Polymarket exchange: a pure, deterministic core (no I/O, no clock of its own, a
// seeded RNG) that the protocol front end, the market environment and execution's race
// simulator all drive.
//
// Markets are YES/NO token pairs. Each token has a book with price-time priority; an incoming
// order also matches the complementary token's book (a BUY of YES crosses a resting BUY of NO
// when the prices sum to at least 1: a mint; two SELLs a merge). Fills are at the resting order's
// price. Balances are per account in pUSD and outcome tokens, with open orders reserving what
// they could spend. Trades go MATCHED -> MINED -> CONFIRMED, or FAILED (reversed) on a seeded
// schedule. Heartbeats, order scoring, the matching-engine restart windows and the order version
// the exchange accepts are modelled too.
//
// Every call takes `now` (ns, wall clock); Advance(now) runs timers. Everything observable is
// appended to an outbox of events that the shell forwards (websocket frames, truth API).
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "common/core/clock.h"
#include "common/core/rng.h"
#include "common/model/types.h"
#include "common/polymarket/events.h"
#include "common/polymarket/fees.h"
#include "services/simexchange/core/rebates.h"

namespace clobmaker::simexchange {

using model::Price;
using model::Side;
using model::Size;

enum class OrderType : uint8_t { kGtc, kGtd, kFok, kFak };

struct MarketConfig {
  std::string condition_id;
  std::string yes_token;
  std::string no_token;
  model::TickSize tick = model::TickSize::Cent();
  Size min_order_size = Size::FromWhole(5);
  bool neg_risk = false;
  // Liquidity rewards: orders within max_spread of the midpoint, at least min_size, score.
  Price rewards_max_spread = Price(300);
  Size rewards_min_size = Size::FromWhole(20);
  int64_t end_time_s = 0;
  std::string slug;
  // Fees (taker pays; a share is rebated to the day's makers) and matching delays: the 250 ms
  // taker delay of `itode` markets and a sports market's `sd` seconds.
  polymarket::FeeSchedule fees;
  Nanos taker_delay = 0;
  int64_t sports_delay_s = 0;
  Nanos matching_delay() const { return std::max(taker_delay, sports_delay_s * kNanosPerSecond); }
};

// Which orders a market's matching delay holds: the marketable ones (the docs: a taker delay), or
// every order (a harsher variant, so that a maker's own posts can be seen delayed in tests).
enum class DelayScope : uint8_t { kMarketable, kAll };

// Exchange-wide trading modes (the docs' 503s): cancel-only refuses new orders, disabled refuses
// cancels too.
enum class TradingMode : uint8_t { kNormal, kCancelOnly, kDisabled };

struct ExchangeConfig {
  uint64_t seed = 1;
  Nanos heartbeat_timeout = 10 * kNanosPerSecond;
  Nanos mined_after = 2 * kNanosPerSecond;      // MATCHED -> MINED
  Nanos confirmed_after = 5 * kNanosPerSecond;  // MATCHED -> CONFIRMED
  double trade_fail_probability = 0.0;          // MATCHED -> (RETRYING ->) FAILED, fill reversed
  int order_version = 2;                        // the version /version reports and orders must use
  Nanos gtd_security_margin = 60 * kNanosPerSecond;
  Nanos block_time = 2 * kNanosPerSecond;          // a submitted chain transaction is mined after this
  Nanos rebate_day = 24 * 3600 * kNanosPerSecond;  // maker rebates are paid when a day closes
  // Share of trades that start as MATCHED_NOT_BROADCASTED, and how long until they are MATCHED.
  double matched_not_broadcasted_share = 0.0;
  Nanos broadcast_after = 300 * kNanosPerMilli;
  DelayScope delay_scope = DelayScope::kMarketable;
};

// One account: a funder address, its API keys, balances and what open orders reserve.
struct Account {
  std::string address;                    // lowercase 0x...
  int64_t collateral = 0;                 // pUSD micros
  std::map<std::string, int64_t> tokens;  // token -> micros
  int64_t reserved_collateral = 0;
  std::map<std::string, int64_t> reserved_tokens;
  // The chain's view (what balanceOf returns): credits, and trades once MINED. A trade that
  // fails never reaches it.
  int64_t chain_collateral = 0;
  std::map<std::string, int64_t> chain_tokens;
};

struct NewOrder {
  model::OrderId id;  // the EIP-712 order hash
  std::string owner;  // API key
  std::string maker;  // funder address (lowercase)
  std::string token;
  Side side = Side::kBuy;
  Price price;
  Size size;
  OrderType type = OrderType::kGtc;
  bool post_only = false;
  int64_t expiration_s = 0;
  int version = 2;
};

// kDelayed: accepted, held in a matching delay (not on the book, cannot be cancelled).
enum class OrderStatus : uint8_t { kLive, kMatched, kCanceled, kExpired, kDelayed };

struct Order {
  NewOrder spec;
  Size matched;
  OrderStatus status = OrderStatus::kLive;
  Nanos created = 0;
  uint64_t sequence = 0;  // time priority
  Nanos release_at = 0;   // kDelayed: when the delay ends
  std::vector<std::string> trades;
  Size remaining() const { return spec.size - matched; }
};

// The answer to a placement, as the REST layer reports it.
struct PlaceResult {
  bool success = false;
  int http_status = 200;  // 400 for validation errors, 425/503 windows
  std::string error;      // errorMsg / error text
  std::string code;       // post_only_mode for the 503 of post-only mode
  std::string status;     // live | matched | delayed | unmatched
  int64_t making = 0;
  int64_t taking = 0;
  std::vector<std::string> trade_ids;
};

// A write to the conditional-tokens contract, already decoded and its signature verified by the
// shell (the simulator's JSON-RPC node). Binary markets: outcome 0 = YES, 1 = NO.
enum class ChainCall : uint8_t { kMerge, kRedeem };
struct ChainTxSpec {
  std::string hash;    // 0x + 64 hex
  std::string sender;  // lowercase 0x address
  uint64_t nonce = 0;
  ChainCall call = ChainCall::kMerge;
  std::string condition_id;
  int64_t amount = 0;  // merge: full sets, micros
  // Whose positions and collateral move: a wallet the relayer executes for. Empty: the sender's.
  std::string account;
};
struct ChainTx {
  ChainTxSpec spec;
  Nanos submitted = 0;
  bool mined = false;
  bool success = false;
  uint64_t block = 0;
  std::string revert_reason;
  int64_t collateral_delta = 0;  // what the call paid out (merge: amount; redeem: the payout)
};
// What the chain reports for a condition once resolved (payoutDenominator, payoutNumerators).
struct Payouts {
  uint64_t denominator = 0;  // 0: not resolved
  std::array<uint64_t, 2> numerators{};
};

struct CancelOutcome {
  std::vector<std::string> canceled;
  std::vector<std::pair<std::string, std::string>> not_canceled;
};

// Events for the shell: user-channel events go to `recipients` (API keys); market events to all.
struct UserEventOut {
  std::vector<std::string> recipients;
  polymarket::UserEvent event;
};
struct MarketEventOut {
  polymarket::MarketEvent event;
};
// A delayed order's delay ended: what the placement answer would say now (matched, or unmatched
// when it went on the book without a match). For a shell that holds its answers until then.
struct DelayReleasedOut {
  std::string order_id;
  PlaceResult result;
};
using Event = std::variant<UserEventOut, MarketEventOut, DelayReleasedOut>;

class Exchange {
 public:
  explicit Exchange(ExchangeConfig config);

  const ExchangeConfig& config() const { return config_; }
  void SetOrderVersion(int version) { config_.order_version = version; }
  void SetTradeFailProbability(double p) { config_.trade_fail_probability = p; }
  void SetMatchedNotBroadcastedShare(double share) { config_.matched_not_broadcasted_share = share; }
  void SetDelayScope(DelayScope scope) { config_.delay_scope = scope; }
  // A market's matching delays and fee schedule (false if unknown).
  bool SetMarketDelay(const std::string& condition_id, Nanos taker_delay, int64_t sports_delay_s);
  bool SetFeeSchedule(const std::string& condition_id, const polymarket::FeeSchedule& fees);
  void SetTradingMode(TradingMode mode) { mode_ = mode; }
  TradingMode trading_mode() const { return mode_; }
  // Account-level closed-only mode: only orders that reduce a position (sells) are accepted.
  void SetClosedOnly(const std::string& address, bool closed_only);
  bool IsClosedOnly(const std::string& address) const;

  // --- markets and accounts --------------------------------------------------------------------
  void AddMarket(const MarketConfig& market, Nanos now = 0);
  const MarketConfig* MarketOf(const std::string& token) const;
  std::vector<MarketConfig> Markets() const;
  // Changes a market's tick (both tokens); resting orders off the new grid stay (as on the
  // exchange); emits tick_size_change for both tokens.
  bool SetTickSize(const std::string& token, model::TickSize tick, Nanos now);
  // Registers (or finds) the account for `address`; `api_key` is bound to it.
  Account& OpenAccount(const std::string& address, const std::string& api_key);
  // Adds a market at run time: new_market (with its fee schedule) goes to every market subscriber.
  void Credit(const std::string& address, int64_t collateral, const std::string& token = {}, int64_t tokens = 0);
  const Account* AccountOf(const std::string& address) const;
  const Account* AccountOfKey(const std::string& api_key) const;

  // --- trading ---------------------------------------------------------------------------------
  PlaceResult Place(const NewOrder& order, Nanos now);
  CancelOutcome Cancel(const std::string& api_key, const std::vector<std::string>& order_ids, Nanos now);
  CancelOutcome CancelAll(const std::string& api_key, Nanos now);
  CancelOutcome CancelMarket(const std::string& api_key, const std::string& condition_id, const std::string& token,
                             Nanos now);
  const Order* Find(const std::string& order_id) const;
  // Every order ever placed (closed ones too), by id.
  const std::map<std::string, Order>& AllOrders() const { return orders_; }
  std::vector<const Order*> OpenOrders(const std::string& api_key, const std::string& condition_id = {},
                                       const std::string& token = {}) const;
  std::vector<polymarket::UserTradeEvent> Trades(const std::string& api_key) const;
  bool IsScoring(const std::string& order_id) const;
  // The key's orders held in a matching delay.
  std::vector<const Order*> DelayedOrders(const std::string& api_key) const;

  // --- fees and rebates ------------------------------------------------------------------------
  const RebateBook& rebates() const { return rebates_; }
  int64_t FeesPaid(const std::string& address) const;

  // --- the chain (conditional tokens) -------------------------------------------------------
  // Resolves a market: it stops accepting orders, every open order on it is canceled
  // (CANCELED_MARKET_RESOLVED), market_resolved is published and the payouts are reported on
  // chain. `winning_outcome` 0 = YES, 1 = NO. False if unknown or already resolved.
  bool Resolve(const std::string& condition_id, int winning_outcome, Nanos now);
  Payouts PayoutsOf(const std::string& condition_id) const;
  bool IsResolved(const std::string& condition_id) const { return PayoutsOf(condition_id).denominator > 0; }
  // Queues a transaction to be mined after block_time; the error text ("nonce too low", ...) if
  // the node refuses it. Mining applies it to the chain view and the exchange's balances, or
  // reverts it (mined, success false, nothing moved).
  std::optional<std::string> SubmitChainTx(const ChainTxSpec& tx, Nanos now);
  const ChainTx* FindChainTx(const std::string& hash) const;
  uint64_t NextNonce(const std::string& address) const;  // counting pending transactions
  // Mined transactions only (a JSON-RPC "latest" nonce).
  uint64_t MinedNonce(const std::string& address) const;
  uint64_t BlockNumber(Nanos now) const { return static_cast<uint64_t>(now / config_.block_time); }

  // --- heartbeats and modes --------------------------------------------------------------------
  // `id` empty starts a chain. Returns the new id, or nullopt with `expected` set when `id` is
  // not the one the exchange expects.
  std::optional<std::string> Heartbeat(const std::string& api_key, const std::string& id, Nanos now,
                                       std::string* expected);
  // The matching engine restarts: 425 on order endpoints until `down_until`, then post-only
  // until `post_only_until`.
  void RestartMatchingEngine(Nanos down_until, Nanos post_only_until);
  bool EngineDown(Nanos now) const { return now < down_until_; }
  bool PostOnlyMode(Nanos now) const { return now >= down_until_ && now < post_only_until_; }
  Nanos post_only_until() const { return post_only_until_; }

  // Runs timers: heartbeat expiry, GTD expiry, trade status progression.
  void Advance(Nanos now);

  // --- observation -----------------------------------------------------------------------------
  polymarket::BookEvent Book(const std::string& token, Nanos now) const;
  std::optional<Price> Midpoint(const std::string& token) const;
  std::vector<Event> TakeEvents();
  uint64_t trades_count() const { return trades_.size(); }

 private:
  struct Level {
    std::deque<std::string> queue;  // order ids in time priority
    int64_t size = 0;               // aggregate remaining
  };
  struct TokenBook {
    std::map<int64_t, Level, std::greater<>> bids;  // best (highest) first
    std::map<int64_t, Level> asks;                  // best (lowest) first
  };
  struct TradeRecord {
    polymarket::UserTradeEvent event;
    std::vector<std::string> recipients;
    // Balance transfers to undo if the trade fails: (address, token or "" for collateral, delta).
    std::vector<std::tuple<std::string, std::string, int64_t>> transfers;
    Nanos matched_at = 0;
    bool will_fail = false;
    bool done = false;
    int64_t taker_fee = 0;
    std::string taker_address;
  };
  struct KeyState {
    std::string address;
    bool chain_started = false;
    std::string expected_heartbeat;
    Nanos last_heartbeat = 0;
  };
  struct Fill {
    std::string maker_order;
    Price maker_price;  // in the maker's token
    Size size;
  };

  std::string Complement(const std::string& token) const;
  std::string Reject(PlaceResult& r, int status, std::string error);
  // Books an accepted order: matches, rests the remainder (or kills it), emits its events.
  void Admit(Order& order, const std::vector<Fill>& fills, Nanos now, PlaceResult& result);
  // Delays that ended: the orders are matched and rested as if placed now.
  void ReleaseDelayed(Nanos now);
  int64_t FeeBound(const NewOrder& order) const;  // the most a taker BUY could pay in fees
  // Maker orders that `order` would match, best first, up to its size; does not change state.
  std::vector<Fill> PlanMatches(const NewOrder& order) const;
  void Execute(Order& taker, const std::vector<Fill>& fills, Nanos now, PlaceResult& result);
  void Rest(Order& order);
  void ReduceResting(Order& maker, Size filled, Nanos now);
  void Unrest(const Order& order, Nanos now);
  void Close(Order& order, OrderStatus status, const std::string& reason, Nanos now);
  int64_t Reservation(const NewOrder& order, Size remaining) const;
  bool CanAfford(const Account& account, const NewOrder& order) const;
  void Transfer(TradeRecord& trade, const std::string& address, const std::string& token, int64_t delta);
  void EmitOrderEvent(const Order& order, polymarket::OrderEventType type, Nanos now, const std::string& status);
  void EmitLevel(const std::string& token, Side side, int64_t price, Nanos now);
  // Best prices and the aggregate at one price of a token's published (mirrored) book.
  std::optional<int64_t> BestBid(const std::string& token) const;
  std::optional<int64_t> BestAsk(const std::string& token) const;
  int64_t PublishedSize(const std::string& token, Side side, int64_t price) const;
  polymarket::UserOrderEvent ToEvent(const Order& order, polymarket::OrderEventType type, Nanos now,
                                     const std::string& status) const;
  std::string NewTradeId();
  void Mine(ChainTx& tx, Nanos now);
  // After a chain debit: cancels the account's SELL orders of `token` (newest first) that its
  // exchange balance no longer covers.
  void CancelUncovered(const std::string& address, const std::string& token, Nanos now);

  ExchangeConfig config_;
  Rng rng_;
  std::map<std::string, MarketConfig> markets_;      // condition id -> market
  std::map<std::string, std::string> token_market_;  // token -> condition id
  std::map<std::string, TokenBook> books_;           // token -> book
  std::map<std::string, Account> accounts_;          // address -> account
  std::map<std::string, KeyState> keys_;             // api key -> state
  std::map<std::string, Order> orders_;              // id -> order (all, incl. closed)
  std::map<uint64_t, std::string> live_;             // sequence -> id of every live order
  std::multimap<Nanos, std::string> gtd_expiry_;     // effective expiry -> GTD order id
  std::vector<TradeRecord> trades_;
  std::deque<size_t> unsettled_;  // indices of trades not yet final
  std::vector<Event> events_;
  uint64_t next_sequence_ = 1;
  uint64_t next_trade_ = 1;
  uint64_t next_heartbeat_ = 1;
  Nanos down_until_ = 0;
  Nanos post_only_until_ = 0;
  std::map<std::string, Price> last_trade_price_;
  std::map<std::string, Payouts> payouts_;      // condition id -> reported payouts
  std::map<std::string, ChainTx> chain_txs_;    // hash -> transaction
  std::deque<std::string> chain_pending_;       // hashes in submission order
  std::map<std::string, uint64_t> next_nonce_;  // address -> next nonce
  std::multimap<Nanos, std::string> delayed_;   // release time -> delayed order id
  TradingMode mode_ = TradingMode::kNormal;
  std::set<std::string> closed_only_;
  RebateBook rebates_;
  std::map<std::string, int64_t> fees_paid_;  // address -> taker fees charged (net of reversals)

  std::map<std::string, uint64_t> mined_nonce_;  // address -> transactions mined
};

std::string_view OrderStatusName(OrderStatus status);

}  // namespace clobmaker::simexchange
