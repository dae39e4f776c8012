// simexchange's front end: the Polymarket CLOB REST API and the market/user websocket channels
// (plus a reference-price feed) on one loopback port, over the pure exchange core and the market
// environment. Authentication (L1 and L2) and every order's EIP-712 signature are verified as the
// exchange does; faults are injected on demand.
//
// Threading: the exchange core, the environment and all protocol state live on the server's IO
// thread; the control/truth methods below post to it and wait.
#pragma once

#include <absl/status/statusor.h>

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "common/net/http.h"
#include "common/net/io_thread.h"
#include "services/simexchange/core/exchange.h"
#include "services/simexchange/core/rate_limiter.h"
#include "services/simexchange/core/sim_relayer.h"
#include "services/simexchange/env/market_flow.h"

namespace clobmaker::simexchange {

class ExternalSource;  // server/external_source.h

struct Faults {
  std::map<std::string, Nanos> latency_median;  // "POST /order" or "*" -> median added latency
  double http_429 = 0;
  double http_5xx = 0;
  double timeout_after_accept = 0;  // the order is processed, no answer is sent
  double connection_reset = 0;      // the order is processed, the connection is dropped
  double batch_leg_reject = 0;      // a batch leg is refused ("could not insert order")
  double empty_id_leg = 0;          // a refused leg comes back success:true with an empty id
  double ws_drop = 0;               // per frame: the connection is dropped (no replay)
  double ws_duplicate = 0;          // per user frame: sent twice
  double ws_reorder = 0;            // per user frame: held back and sent after the next one
  Nanos placement_delay_max = 0;    // PLACEMENT events delayed up to this long
  Nanos burst_until = 0;            // all requests answered with burst_status until then
  int burst_status = 429;
};

// GET /data/order/{id} for an id that is not active (unknown, cancelled, matched, delayed): the live
// exchange answers 200 with `null` (NautilusTrader's send_get_optional); one third party reports
// 404; an empty 200 body is the other shape seen.
enum class OrderLookupAnswer : uint8_t { kNull, kEmpty, kNotFound };

// The venue's and the account's standing as a preflight check reads it (issue 25): the geoblock
// answer, the exchange's clock, missing approvals, markets closed or not accepting orders.
struct PreflightState {
  bool geo_blocked = false;
  std::string geo_country = "IE";
  std::string geo_region = "L";
  Nanos clock_skew = 0;  // GET /time only (auth keeps the true clock)
  // "COLLATERAL:exchange", "CONDITIONAL:neg_risk_exchange", ... (spender: exchange,
  // neg_risk_exchange, exchange_v3): /balance-allowance answers "0" for that spender.
  std::set<std::string> revoked_approvals;
  std::set<std::string> closed_markets;         // condition ids: closed, not accepting orders
  std::set<std::string> not_accepting_markets;  // condition ids: open, not accepting orders
};

// Which makers the exchange accepts (issue 19, polymarket-2026.md s8). In both, a maker must be
// the signer itself (EOA) or the signer's own wallet of the order's signature type, derived as
// Polymarket derives it (common/wallet). deposit-only: accounts created since 2026-05-04 trade
// only through their deposit wallet (POLY_1271); an EOA, proxy or Safe maker is refused with the
// exchange's 400, except for owners listed as legacy accounts.
enum class WalletPolicy : uint8_t { kLegacy, kDepositOnly };
absl::StatusOr<WalletPolicy> ParseWalletPolicy(std::string_view text);
inline constexpr char kDepositWalletFlowError[] = "maker address not allowed, please use the deposit wallet flow";

struct SimServerOptions {
  std::string listen = "127.0.0.1:0";
  std::string tls_cert_pem;
  std::string tls_key_pem;
  uint64_t seed = 1;
  uint64_t chain_id = 137;
  int order_version = 2;
  int64_t starting_collateral = 10'000 * model::kQuantityOne;  // credited to a new account
  int64_t starting_tokens = 1'000 * model::kQuantityOne;       // of every outcome token
  Nanos auth_max_skew = 300 * kNanosPerSecond;
  Nanos tick = 50 * kNanosPerMilli;   // timer and environment step
  bool flow = true;                   // background makers/takers
  std::vector<MarketConfig> markets;  // empty: DefaultMarkets(seed, 3)
  ExchangeConfig exchange;
  FlowConfig flow_config;
  SignerRateLimitConfig rate_limits;  // per signer (default: enforced, Standard)
  IpRateLimitConfig ip_limits;        // the Cloudflare layer (one client IP unless X-Forwarded-For)
  OrderLookupAnswer order_lookup = OrderLookupAnswer::kNull;
  WalletPolicy wallet_policy = WalletPolicy::kLegacy;
  std::set<std::string> legacy_owners;  // lowercase owner addresses (deposit-only: may keep EOA/proxy/Safe)
  // Placement answers for delayed orders wait for the delay to end and then say matched or
  // unmatched (the docs' order-lifecycle reading); off: `delayed` at once.
  bool hold_delayed_answers = false;
  // Polymarket's relayer (gasless wallet transactions, docs/simexchange.md "Relayer") on the same
  // port: the builder credentials /submit accepts (empty: the simulator's test builder below) and
  // how long a submission waits before the relayer sends it.
  std::vector<relayer::BuilderCredentials> relayer_builders;
  Nanos relayer_execute_after = 0;
  const Clock* clock = nullptr;  // wall clock; SystemClock if null
  // Replay (--replay) or mirror (--mirror) mode: the markets and their other participants come
  // from a journal or a live feed instead of the environment (no flow).
  std::shared_ptr<ExternalSource> external;
  // Benchmarks: sees every HTTP request as it arrives, on the IO thread, with its arrival time.
  std::function<void(const net::HttpRequest&, Nanos)> observe_request;
};

// N binary markets with deterministic ids and token ids.
std::vector<MarketConfig> DefaultMarkets(uint64_t seed, int count, int64_t now_s);

inline constexpr char kTestMakerKey[] = "sim-test-maker";
// The simulator's test builder (not a secret: it opens only the simulator's relayer).
inline constexpr char kSimBuilderKey[] = "0190b317-0000-7000-8000-00000000b1d5";
inline constexpr char kSimBuilderSecret[] = "Y2xvYm1ha2VyLXNpbXVsYXRvci1idWlsZGVyLWtleSE=";
inline constexpr char kSimBuilderPassphrase[] = "sim-builder-passphrase";
inline constexpr char kTestMakerAddress[] = "0x00000000000000000000000000000000000007e5";

struct SimStats {
  uint64_t requests = 0;
  uint64_t orders_accepted = 0;
  uint64_t orders_rejected = 0;
  uint64_t auth_failures = 0;
  uint64_t ws_sessions = 0;
  uint64_t faults_injected = 0;
  uint64_t throttled = 0;         // 429s answered by either rate limiter
  uint64_t ws_policy_closes = 0;  // sockets closed with 1008 (PING before a subscription)
};

// One signer's standing with the per-signer limiter (truth API, `clobmakerctl sim-throttled`).
struct RateLimitTruth {
  polymarket::RateTier tier = polymarket::RateTier::kStandard;
  double order_tokens = 0;
  double cancel_tokens = 0;
  uint64_t throttled = 0;  // 429s answered to this signer (either limiter)
};

class SimServer {
 public:
  static absl::StatusOr<std::unique_ptr<SimServer>> Start(SimServerOptions options);
  ~SimServer();

  uint16_t port() const;
  std::string base_url() const;
  std::string ws_url() const;

  // Control (thread-safe; runs on the IO thread).
  void SetFaults(const Faults& faults);
  Faults faults() const;
  void Burst(int status, Nanos duration);
  bool SetTickSize(const std::string& token, model::TickSize tick);
  void RestartMatchingEngine(Nanos down, Nanos post_only);
  size_t DropConnections(bool market, bool user);
  void SetTradeFailProbability(double p);
  void SetOrderVersion(int version);
  void SetFlow(bool enabled);
  // Resolves a market (0 = YES wins, 1 = NO): see Exchange::Resolve. False if unknown or done.
  bool ResolveMarket(const std::string& condition_id, int winning_outcome);
  void Credit(const std::string& address, int64_t collateral, const std::string& token, int64_t tokens);
  // The 2026 exchange (docs/simexchange.md): rate tiers and limiter modes, matching delays, fees,
  // trading modes, closed-only accounts, the order-lookup answer, MATCHED_NOT_BROADCASTED.
  void SetRateTier(const std::string& address, polymarket::RateTier tier);
  void SetRateLimits(bool enabled, bool warning_mode, bool cancel_all_cost_up_front, bool ip_limits);
  bool SetMarketDelay(const std::string& condition_id, Nanos taker_delay, int64_t sports_delay_s);
  void SetDelayScope(DelayScope scope, bool hold_answers);
  bool SetFeeSchedule(const std::string& condition_id, const polymarket::FeeSchedule& fees);
  void SetTradingMode(TradingMode mode);
  void SetClosedOnly(const std::string& address, bool closed_only);
  void SetPreflight(const PreflightState& state);
  void SetOrderLookupAnswer(OrderLookupAnswer answer);
  // The wallet rules (legacy_owners: addresses, any case).
  void SetWalletPolicy(WalletPolicy policy, const std::set<std::string>& legacy_owners);
  WalletPolicy wallet_policy() const;
  std::set<std::string> legacy_owners() const;  // lowercase
  // The relayer: a deposit wallet deployed without a WALLET-CREATE (an account that already has
  // one), and every transaction it was given, oldest first.
  void MarkWalletDeployed(const std::string& wallet);
  std::vector<relayer::Transaction> RelayerTransactions() const;
  void SetMatchedNotBroadcastedShare(double share);
  // Adds a market at run time (new_market with its fee schedule on the market channel).
  void AddMarket(const MarketConfig& market);

  // Truth (thread-safe snapshots of the exchange's own view).
  // `include_closed`: every order the address ever placed, not only the open ones.
  std::vector<Order> OpenOrders(const std::string& address, bool include_closed = false) const;
  // Placements the exchange refused for `address`, by error text.
  std::map<std::string, int64_t> Refusals(const std::string& address) const;
  // A resting GTC order of another participant (kTestMakerAddress, unbounded funds), for tests
  // that move the book; CancelTestOrders cancels every one still open.
  PlaceResult PlaceTestOrder(const std::string& token, Side side, Price price, Size size, std::string* order_id);
  size_t CancelTestOrders();
  std::vector<Account> Balances(const std::string& address) const;
  std::vector<polymarket::UserTradeEvent> Trades(const std::string& address) const;
  polymarket::BookEvent Book(const std::string& token) const;
  std::vector<MarketConfig> Markets() const;
  RateLimitTruth RateLimits(const std::string& address) const;
  int64_t FeesPaid(const std::string& address) const;
  int64_t RebatesPaid(const std::string& address) const;
  SimStats stats() const;
  // Runs `fn` on the IO thread with the exchange and waits (tests, benchmarks).
  void WithExchange(const std::function<void(Exchange&)>& fn) const;
  // Like WithExchange, then sends what it caused (websocket frames) at once; returns the time
  // `fn` was given, i.e. just before the frames went out.
  Nanos Mutate(const std::function<void(Exchange&, Nanos)>& fn);

  struct Impl;

 private:
  explicit SimServer(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<Impl> impl_;
};

}  // namespace clobmaker::simexchange
