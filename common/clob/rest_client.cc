#include "common/clob/rest_client.h"

#include <fmt/core.h>

#include <atomic>

#include "common/core/json_text.h"
#include "common/core/status.h"
#include "common/polymarket/decode.h"
#include "common/polymarket/encode.h"

namespace clobmaker::clob {
namespace {

enum class Auth { kNone, kL1, kL2 };

std::string Query(std::initializer_list<std::pair<const char*, std::string>> params) {
  std::string out;
  for (const auto& [key, value] : params) {
    if (value.empty()) continue;
    out += out.empty() ? '?' : '&';
    out += key;
    out += '=';
    out += UrlEncode(value);
  }
  return out;
}

std::string JsonStringArray(const std::vector<std::string>& values) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    AppendJsonEscaped(out, values[i]);  // control characters too, not only quotes and backslashes
    out += '"';
  }
  return out + "]";
}

}  // namespace

std::string UrlEncode(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if ((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || u == '-' || u == '_' ||
        u == '.' || u == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    }
  }
  return out;
}

struct ClobRestClient::Impl {
  ClobClientOptions options;
  std::unique_ptr<net::HttpClient> http;
  const crypto::PrivateKey* key = nullptr;
  const signing::ApiCredentials* credentials = nullptr;
  std::atomic<Nanos> clock_offset{0};

  int64_t NowSeconds() const {
    const Clock& clock = options.clock ? *options.clock : SystemClock::Instance();
    return (clock.WallNanos() + clock_offset.load()) / kNanosPerSecond;
  }

  // Sends one request and turns its outcome and body into Result<T> on the owner's executor.
  template <typename T>
  void Call(std::string method, std::string path, std::string query, std::string body, Auth auth, Nanos deadline,
            std::function<absl::StatusOr<T>(std::string_view)> parse, std::function<void(Result<T>)> done,
            uint64_t l1_nonce = 0) {
    net::HttpRequest request{.method = method, .target = path + query, .body = body};
    const int64_t ts = NowSeconds();
    if (auth == Auth::kL1) {
      if (key == nullptr) return Fail(std::move(done), "no wallet key configured for L1 authentication");
      const signing::L1Headers h = signing::MakeL1Headers(*key, options.chain_id, ts, l1_nonce);
      request.headers = {{"POLY_ADDRESS", h.address},
                         {"POLY_SIGNATURE", h.signature},
                         {"POLY_TIMESTAMP", h.timestamp},
                         {"POLY_NONCE", h.nonce}};
    } else if (auth == Auth::kL2) {
      if (key == nullptr || credentials == nullptr) return Fail(std::move(done), "no API credentials configured");
      // The HMAC covers the path without the query string.
      auto h = signing::MakeL2Headers(*credentials, key->address(), ts, method, path, body);
      if (!h.ok()) return Fail(std::move(done), std::string(StatusText(h.status())));
      request.headers = {{"POLY_ADDRESS", h->address},
                         {"POLY_SIGNATURE", h->signature},
                         {"POLY_TIMESTAMP", h->timestamp},
                         {"POLY_API_KEY", h->api_key},
                         {"POLY_PASSPHRASE", h->passphrase}};
    }
    http->Send(
        std::move(request), deadline,
        [parse = std::move(parse), done = std::move(done)](net::HttpResult r) {
          Result<T> out;
          out.outcome = r.outcome;
          out.retry_after = r.retry_after;
          out.elapsed = r.elapsed;
          if (r.response) {
            out.http_status = r.response->status;
            out.rate_limit = polymarket::ParseRateLimitHeaders(r.response->headers);
          }
          if (r.outcome == net::Outcome::kOk) {
            auto value = parse(r.response->body);
            if (value.ok()) {
              out.value = std::move(*value);
            } else {
              // A 2xx we cannot read: the request was processed, the result is unknown.
              out.outcome = net::Outcome::kAmbiguous;
              out.error.error = fmt::format("unparseable response: {}", StatusText(value.status()));
            }
          } else if (r.response) {
            out.error = polymarket::ParseErrorBody(r.response->body);
          } else {
            out.error.error = r.error;
          }
          done(std::move(out));
        },
        options.executor);
  }

  template <typename T>
  void Fail(std::function<void(Result<T>)> done, std::string reason) {
    options.executor->Post([done = std::move(done), reason = std::move(reason)] {
      Result<T> out;
      out.outcome = net::Outcome::kNotSent;
      out.error.error = reason;
      done(std::move(out));
    });
  }
};

absl::StatusOr<std::unique_ptr<ClobRestClient>> ClobRestClient::Create(net::IoThread& io, ClobClientOptions options,
                                                                       const crypto::PrivateKey* key,
                                                                       const signing::ApiCredentials* credentials) {
  if (options.executor == nullptr) return absl::InvalidArgumentError("CLOB client needs an executor for callbacks");
  auto http = net::HttpClient::Create(io, options.http);
  if (!http.ok()) return http.status();
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->http = std::move(*http);
  impl->key = key;
  impl->credentials = credentials;
  return std::unique_ptr<ClobRestClient>(new ClobRestClient(std::move(impl)));
}

ClobRestClient::ClobRestClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ClobRestClient::~ClobRestClient() = default;

void ClobRestClient::SetServerClockOffset(Nanos offset) { impl_->clock_offset = offset; }
const crypto::Address* ClobRestClient::address() const { return impl_->key ? &impl_->key->address() : nullptr; }

void ClobRestClient::GetVersion(Callback<int> done) {
  impl_->Call<int>("GET", "/version", "", "", Auth::kNone, impl_->options.default_deadline,
                   polymarket::ParseVersionResponse, std::move(done));
}
void ClobRestClient::GetServerTime(Callback<int64_t> done) {
  impl_->Call<int64_t>("GET", "/time", "", "", Auth::kNone, impl_->options.default_deadline,
                       polymarket::ParseServerTimeResponse, std::move(done));
}
void ClobRestClient::GetBook(const std::string& token_id, Callback<polymarket::BookEvent> done) {
  auto parse = [](std::string_view body) -> absl::StatusOr<polymarket::BookEvent> {
    CM_ASSIGN_OR_RETURN(polymarket::BookEvent book, polymarket::ParseBookResponse(body));
    book.hash_mismatch = polymarket::VerifyRestBookHash(body) == polymarket::BookHashVerdict::kMismatch;
    return book;
  };
  impl_->Call<polymarket::BookEvent>("GET", "/book", Query({{"token_id", token_id}}), "", Auth::kNone,
                                     impl_->options.default_deadline, parse, std::move(done));
}
void ClobRestClient::GetTickSize(const std::string& token_id, Callback<model::TickSize> done) {
  impl_->Call<model::TickSize>("GET", "/tick-size", Query({{"token_id", token_id}}), "", Auth::kNone,
                               impl_->options.default_deadline, polymarket::ParseTickSizeResponse, std::move(done));
}
void ClobRestClient::GetNegRisk(const std::string& token_id, Callback<bool> done) {
  impl_->Call<bool>("GET", "/neg-risk", Query({{"token_id", token_id}}), "", Auth::kNone,
                    impl_->options.default_deadline, polymarket::ParseNegRiskResponse, std::move(done));
}
void ClobRestClient::GetFeeRate(const std::string& token_id, Callback<int64_t> done) {
  impl_->Call<int64_t>("GET", "/fee-rate", Query({{"token_id", token_id}}), "", Auth::kNone,
                       impl_->options.default_deadline, polymarket::ParseFeeRateResponse, std::move(done));
}
void ClobRestClient::CreateApiKey(uint64_t nonce, Callback<polymarket::ApiKeyCreds> done) {
  impl_->Call<polymarket::ApiKeyCreds>("POST", "/auth/api-key", "", "", Auth::kL1, impl_->options.default_deadline,
                                       polymarket::ParseApiKeyResponse, std::move(done), nonce);
}
void ClobRestClient::DeriveApiKey(uint64_t nonce, Callback<polymarket::ApiKeyCreds> done) {
  impl_->Call<polymarket::ApiKeyCreds>("GET", "/auth/derive-api-key", "", "", Auth::kL1,
                                       impl_->options.default_deadline, polymarket::ParseApiKeyResponse,
                                       std::move(done), nonce);
}

void ClobRestClient::PostOrder(const signing::SignedOrder& order, signing::OrderType type, bool post_only,
                               Callback<polymarket::PostOrderResult> done) {
  const std::string owner = impl_->credentials ? impl_->credentials->key() : "";
  impl_->Call<polymarket::PostOrderResult>("POST", "/order", "", signing::PostOrderJson(order, owner, type, post_only),
                                           Auth::kL2, impl_->options.order_deadline, polymarket::ParsePostOrderResponse,
                                           std::move(done));
}

void ClobRestClient::PostOrders(const std::vector<const signing::SignedOrder*>& orders, signing::OrderType type,
                                bool post_only, Callback<std::vector<polymarket::PostOrderResult>> done) {
  const std::string owner = impl_->credentials ? impl_->credentials->key() : "";
  const size_t expected = orders.size();
  // A response with a different number of legs than we sent is not trustworthy leg by leg.
  auto parse = [expected](std::string_view body) -> absl::StatusOr<std::vector<polymarket::PostOrderResult>> {
    CM_ASSIGN_OR_RETURN(auto results, polymarket::ParsePostOrdersResponse(body));
    if (results.size() != expected) {
      return absl::InvalidArgumentError(
          fmt::format("batch response has {} legs for {} orders", results.size(), expected));
    }
    return results;
  };
  impl_->Call<std::vector<polymarket::PostOrderResult>>(
      "POST", "/orders", "", signing::PostOrdersJson(orders, owner, type, post_only), Auth::kL2,
      impl_->options.order_deadline, parse, std::move(done));
}

void ClobRestClient::CancelOrder(const std::string& order_id, Callback<polymarket::CancelResult> done) {
  impl_->Call<polymarket::CancelResult>("DELETE", "/order", "", fmt::format(R"({{"orderID":"{}"}})", order_id),
                                        Auth::kL2, impl_->options.order_deadline, polymarket::ParseCancelResponse,
                                        std::move(done));
}
void ClobRestClient::CancelOrders(const std::vector<std::string>& order_ids, Callback<polymarket::CancelResult> done) {
  impl_->Call<polymarket::CancelResult>("DELETE", "/orders", "", JsonStringArray(order_ids), Auth::kL2,
                                        impl_->options.order_deadline, polymarket::ParseCancelResponse,
                                        std::move(done));
}
void ClobRestClient::CancelAll(Callback<polymarket::CancelResult> done) {
  impl_->Call<polymarket::CancelResult>("DELETE", "/cancel-all", "", "", Auth::kL2, impl_->options.order_deadline,
                                        polymarket::ParseCancelResponse, std::move(done));
}
void ClobRestClient::CancelMarketOrders(const std::string& market, const std::string& asset_id,
                                        Callback<polymarket::CancelResult> done) {
  std::string body = "{";
  if (!market.empty()) body += fmt::format(R"("market":"{}")", market);
  if (!asset_id.empty()) body += fmt::format(R"({}"asset_id":"{}")", market.empty() ? "" : ",", asset_id);
  body += "}";
  impl_->Call<polymarket::CancelResult>("DELETE", "/cancel-market-orders", "", body, Auth::kL2,
                                        impl_->options.order_deadline, polymarket::ParseCancelResponse,
                                        std::move(done));
}
void ClobRestClient::GetOrder(const std::string& order_id, Callback<std::optional<polymarket::OpenOrder>> done) {
  impl_->Call<std::optional<polymarket::OpenOrder>>("GET", "/data/order/" + order_id, "", "", Auth::kL2,
                                                    impl_->options.default_deadline, polymarket::ParseOrderLookup,
                                                    std::move(done));
}
void ClobRestClient::GetClobMarket(const std::string& condition_id, Callback<polymarket::ClobMarketInfo> done) {
  impl_->Call<polymarket::ClobMarketInfo>("GET", "/clob-markets/" + condition_id, "", "", Auth::kNone,
                                          impl_->options.default_deadline, polymarket::ParseClobMarketResponse,
                                          std::move(done));
}
void ClobRestClient::GetRebates(const std::string& date, const std::string& maker_address,
                                Callback<std::vector<polymarket::RebateEntry>> done) {
  impl_->Call<std::vector<polymarket::RebateEntry>>(
      "GET", "/rebates/current", Query({{"date", date}, {"maker_address", maker_address}}), "", Auth::kNone,
      impl_->options.default_deadline, polymarket::ParseRebatesResponse, std::move(done));
}
void ClobRestClient::GetRateLimitTier(Callback<polymarket::RateTier> done) {
  impl_->Call<polymarket::RateTier>("GET", "/v1/user/rate-limit-tier", "", "", Auth::kL2,
                                    impl_->options.default_deadline, polymarket::ParseRateLimitTierResponse,
                                    std::move(done));
}
void ClobRestClient::GetBanStatus(Callback<polymarket::BanStatus> done) {
  impl_->Call<polymarket::BanStatus>("GET", "/auth/ban-status/closed-only", "", "", Auth::kL2,
                                     impl_->options.default_deadline, polymarket::ParseBanStatusResponse,
                                     std::move(done));
}
void ClobRestClient::GetOpenOrders(const OpenOrdersQuery& q, Callback<polymarket::Page<polymarket::OpenOrder>> done) {
  impl_->Call<polymarket::Page<polymarket::OpenOrder>>(
      "GET", "/data/orders", Query({{"market", q.market}, {"asset_id", q.asset_id}, {"next_cursor", q.cursor}}), "",
      Auth::kL2, impl_->options.default_deadline, polymarket::ParseOpenOrdersPage, std::move(done));
}
void ClobRestClient::GetTrades(const TradesQuery& q, Callback<polymarket::Page<polymarket::UserTradeEvent>> done) {
  impl_->Call<polymarket::Page<polymarket::UserTradeEvent>>(
      "GET", "/data/trades",
      Query({{"id", q.id},
             {"market", q.market},
             {"asset_id", q.asset_id},
             {"maker_address", q.maker_address},
             {"after", q.after_s > 0 ? std::to_string(q.after_s) : ""},
             {"before", q.before_s > 0 ? std::to_string(q.before_s) : ""},
             {"next_cursor", q.cursor}}),
      "", Auth::kL2, impl_->options.default_deadline, polymarket::ParseTradesPage, std::move(done));
}
void ClobRestClient::PostHeartbeat(const std::string& heartbeat_id, Callback<polymarket::HeartbeatResult> done) {
  impl_->Call<polymarket::HeartbeatResult>(
      "POST", "/v1/heartbeats", "", fmt::format(R"({{"heartbeat_id":"{}"}})", heartbeat_id), Auth::kL2,
      impl_->options.order_deadline, polymarket::ParseHeartbeatResponse, std::move(done));
}
void ClobRestClient::GetOrderScoring(const std::string& order_id, Callback<bool> done) {
  impl_->Call<bool>("GET", "/order-scoring", Query({{"order_id", order_id}}), "", Auth::kL2,
                    impl_->options.default_deadline, polymarket::ParseOrderScoringResponse, std::move(done));
}
void ClobRestClient::PostOrdersScoring(const std::vector<std::string>& order_ids,
                                       Callback<std::map<std::string, bool>> done) {
  impl_->Call<std::map<std::string, bool>>("POST", "/orders-scoring", "", JsonStringArray(order_ids), Auth::kL2,
                                           impl_->options.default_deadline, polymarket::ParseOrdersScoringResponse,
                                           std::move(done));
}
void ClobRestClient::GetBalanceAllowance(const std::string& asset_type, const std::string& token_id, int signature_type,
                                         Callback<polymarket::BalanceAllowance> done) {
  impl_->Call<polymarket::BalanceAllowance>(
      "GET", "/balance-allowance",
      Query({{"asset_type", asset_type}, {"token_id", token_id}, {"signature_type", std::to_string(signature_type)}}),
      "", Auth::kL2, impl_->options.default_deadline, polymarket::ParseBalanceAllowanceResponse, std::move(done));
}

}  // namespace clobmaker::clob
