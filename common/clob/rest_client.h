// The Polymarket CLOB REST API, typed: every endpoint clobmaker uses, with L1/L2 authentication
// and results that say honestly what happened (net::Outcome):
//   kOk        2xx and the body parsed: `value` holds it;
//   kRejected  a definitive refusal, with the exchange's error body;
//   kThrottled 429, with its retry hint;
//   kAmbiguous timeout after sending, reset, 5xx, 425, or a 2xx whose body did not parse;
//   kNotSent   nothing reached the exchange.
// Callbacks run on the executor given at construction (the owner's), never on the IO thread.
#pragma once

#include <absl/status/statusor.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/core/clock.h"
#include "common/core/executor.h"
#include "common/crypto/crypto.h"
#include "common/net/http_client.h"
#include "common/polymarket/events.h"
#include "common/polymarket/rate_limits.h"
#include "common/signing/auth.h"
#include "common/signing/order.h"

namespace clobmaker::clob {

template <typename T>
struct Result {
  net::Outcome outcome = net::Outcome::kNotSent;
  std::optional<T> value;       // kOk only
  polymarket::ErrorBody error;  // the exchange's error body, or the transport/parse error
  int http_status = 0;
  std::optional<Nanos> retry_after;
  Nanos elapsed = 0;
  // The Poly-RateLimit-* headers of the answer (trading endpoints), whatever its status.
  polymarket::RateLimitHeaders rate_limit;
  bool ok() const { return outcome == net::Outcome::kOk && value.has_value(); }
};

struct ClobClientOptions {
  net::HttpClientOptions http;  // base_url etc.
  uint64_t chain_id = 137;
  Nanos default_deadline = 5 * kNanosPerSecond;
  Nanos order_deadline = 2 * kNanosPerSecond;  // POST/DELETE of orders
  Executor* executor = nullptr;                // where callbacks run (required)
  const Clock* clock = nullptr;                // for auth timestamps; SystemClock when null
};

struct OpenOrdersQuery {
  std::string market;
  std::string asset_id;
  std::string cursor{polymarket::kFirstCursor};
};

struct TradesQuery {
  std::string id;
  std::string market;
  std::string asset_id;
  std::string maker_address;
  int64_t after_s = 0;
  int64_t before_s = 0;
  std::string cursor{polymarket::kFirstCursor};
};

class ClobRestClient {
 public:
  // `key` (the wallet) and `credentials` (API key) are borrowed and must outlive the client;
  // either may be null for public endpoints only.
  static absl::StatusOr<std::unique_ptr<ClobRestClient>> Create(net::IoThread& io, ClobClientOptions options,
                                                                const crypto::PrivateKey* key,
                                                                const signing::ApiCredentials* credentials);
  ~ClobRestClient();

  template <typename T>
  using Callback = std::function<void(Result<T>)>;

  // Public
  void GetVersion(Callback<int> done);
  void GetServerTime(Callback<int64_t> done);
  void GetBook(const std::string& token_id, Callback<polymarket::BookEvent> done);
  void GetTickSize(const std::string& token_id, Callback<model::TickSize> done);
  void GetNegRisk(const std::string& token_id, Callback<bool> done);
  void GetFeeRate(const std::string& token_id, Callback<int64_t> done);
  // GET /clob-markets/{condition_id}: ticks, fees (fd), the matching delays (sd, itode).
  void GetClobMarket(const std::string& condition_id, Callback<polymarket::ClobMarketInfo> done);
  // GET /rebates/current?date=YYYY-MM-DD&maker_address=0x... (date empty: not sent).
  void GetRebates(const std::string& date, const std::string& maker_address,
                  Callback<std::vector<polymarket::RebateEntry>> done);
  // L1 (wallet signature)
  void CreateApiKey(uint64_t nonce, Callback<polymarket::ApiKeyCreds> done);
  void DeriveApiKey(uint64_t nonce, Callback<polymarket::ApiKeyCreds> done);
  // L2 (API key)
  void PostOrder(const signing::SignedOrder& order, signing::OrderType type, bool post_only,
                 Callback<polymarket::PostOrderResult> done);
  // At most 15 orders; the result is positional (one per order).
  void PostOrders(const std::vector<const signing::SignedOrder*>& orders, signing::OrderType type, bool post_only,
                  Callback<std::vector<polymarket::PostOrderResult>> done);
  void CancelOrder(const std::string& order_id, Callback<polymarket::CancelResult> done);
  void CancelOrders(const std::vector<std::string>& order_ids, Callback<polymarket::CancelResult> done);
  void CancelAll(Callback<polymarket::CancelResult> done);
  void CancelMarketOrders(const std::string& market, const std::string& asset_id,
                          Callback<polymarket::CancelResult> done);
  // The exchange returns only active orders: 200 with an empty body or `null` for any other id
  // comes back kOk with an empty optional (a 404 -- one third party's report -- as kRejected 404).
  void GetOrder(const std::string& order_id, Callback<std::optional<polymarket::OpenOrder>> done);
  void GetOpenOrders(const OpenOrdersQuery& query, Callback<polymarket::Page<polymarket::OpenOrder>> done);
  void GetTrades(const TradesQuery& query, Callback<polymarket::Page<polymarket::UserTradeEvent>> done);
  // `heartbeat_id` empty starts a chain.
  void PostHeartbeat(const std::string& heartbeat_id, Callback<polymarket::HeartbeatResult> done);
  void GetOrderScoring(const std::string& order_id, Callback<bool> done);
  void PostOrdersScoring(const std::vector<std::string>& order_ids, Callback<std::map<std::string, bool>> done);
  void GetBalanceAllowance(const std::string& asset_type, const std::string& token_id, int signature_type,
                           Callback<polymarket::BalanceAllowance> done);
  // GET /v1/user/rate-limit-tier: the tier of the credentials' signer (refreshed every 3 hours).
  void GetRateLimitTier(Callback<polymarket::RateTier> done);
  // GET /auth/ban-status/closed-only.
  void GetBanStatus(Callback<polymarket::BanStatus> done);

  // Shifts auth timestamps by the difference to the exchange's clock (from GET /time).
  void SetServerClockOffset(Nanos offset);
  const crypto::Address* address() const;

  struct Impl;

 private:
  explicit ClobRestClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Percent-encodes a query parameter value.
std::string UrlEncode(std::string_view value);

}  // namespace clobmaker::clob
