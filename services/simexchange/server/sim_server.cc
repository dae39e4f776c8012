#include "services/simexchange/server/sim_server.h"

#include <absl/strings/numbers.h>
#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <future>
#include <mutex>
#include <set>

#include "common/chain/ctf.h"
#include "common/chain/json_rpc.h"
#include "common/chain/transaction.h"
#include "common/core/hex.h"
#include "common/core/ids.h"
#include "common/core/int128.h"
#include "common/core/status.h"
#include "common/crypto/crypto.h"
#include "common/model/decimal.h"
#include "common/net/http_server.h"
#include "common/polymarket/decode.h"
#include "common/polymarket/encode.h"
#include "common/relayer/relayer.h"
#include "common/signing/auth.h"
#include "common/signing/order_json.h"
#include "common/wallet/wallet.h"
#include "services/simexchange/server/external_source.h"

namespace clobmaker::simexchange {
namespace {

namespace pm = clobmaker::polymarket;
using net::HttpRequest;
using net::HttpResponse;

std::string Lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

HttpResponse Json(int status, std::string body) { return HttpResponse{.status = status, .body = std::move(body)}; }
HttpResponse Error(int status, std::string_view message) {
  return Json(status, pm::EncodeErrorBody({.error = std::string(message)}));
}

std::string PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      auto v = HexDecode(s.substr(i + 1, 2));
      if (v.ok() && v->size() == 1) {
        out += static_cast<char>((*v)[0]);
        i += 2;
        continue;
      }
    }
    out += s[i] == '+' ? ' ' : s[i];
  }
  return out;
}

struct Target {
  std::string path;
  std::map<std::string, std::string> query;
  std::string Get(const std::string& k) const {
    auto it = query.find(k);
    return it == query.end() ? "" : it->second;
  }
};

Target ParseTarget(const std::string& target) {
  Target t;
  const size_t q = target.find('?');
  t.path = target.substr(0, q);
  if (q == std::string::npos) return t;
  std::string_view rest(target);
  rest.remove_prefix(q + 1);
  while (!rest.empty()) {
    const size_t amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    const size_t eq = pair.find('=');
    t.query[PercentDecode(pair.substr(0, eq))] = eq == std::string_view::npos ? "" : PercentDecode(pair.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return t;
}

std::string Header(const HttpRequest& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (Lower(k) == Lower(std::string(name))) return v;
  }
  return {};
}

// Page cursors are base64 of a decimal offset ("MA==" = 0, "LTE=" = end).
size_t CursorOffset(const std::string& cursor) {
  if (cursor.empty()) return 0;
  auto bytes = crypto::Base64Decode(cursor);
  if (!bytes.ok()) return 0;
  const std::string text(bytes->begin(), bytes->end());
  auto v = model::ParseScaled(text, 0);
  return v.ok() && *v > 0 ? static_cast<size_t>(*v) : 0;
}
std::string Cursor(size_t offset, bool end) {
  if (end) return std::string(pm::kEndCursor);
  const std::string text = std::to_string(offset);
  return crypto::Base64Encode(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

std::string TickJson(model::TickSize tick) { return tick.ToString(); }

struct KeyRecord {
  std::string key;
  std::string secret;
  std::string passphrase;
  std::string address;  // the EOA that owns it (lowercase)
};

struct MarketSession {
  std::shared_ptr<net::WsSession> session;
  std::set<std::string> assets;
  std::optional<std::string> held;  // a frame held back to be sent after the next one (reorder fault)
  bool subscribed = false;          // a valid subscription arrived (a PING before it closes the socket)
};

struct UserSession {
  std::shared_ptr<net::WsSession> session;
  std::string api_key;              // empty until authenticated
  std::set<std::string> markets;    // empty = all
  std::optional<std::string> held;  // a frame held back (reorder fault)
};

// A placement answer held until the delays of its orders end (hold_delayed_answers).
struct HeldAnswer {
  std::function<void(HttpResponse)> respond;
  bool batch = false;
  std::vector<pm::PostOrderResult> legs;
  std::map<std::string, size_t> waiting;  // order id -> leg
  std::vector<std::pair<std::string, std::string>> headers;
};

std::string CeilSeconds(Nanos n) {
  return std::to_string(std::max<Nanos>(1, (n + kNanosPerSecond - 1) / kNanosPerSecond));
}

}  // namespace

std::vector<MarketConfig> DefaultMarkets(uint64_t seed, int count, int64_t now_s) {
  std::vector<MarketConfig> out;
  for (int i = 0; i < count; ++i) {
    const std::string label = fmt::format("sim-market-{}-{}", seed, i);
    const crypto::Hash32 condition = crypto::Keccak256(label);
    const crypto::Hash32 yes = crypto::Keccak256(label + ":yes");
    const crypto::Hash32 no = crypto::Keccak256(label + ":no");
    MarketConfig m;
    m.condition_id = HexEncode(condition);
    m.yes_token = Uint256::FromBigEndian(yes).ToDecimal();
    m.no_token = Uint256::FromBigEndian(no).ToDecimal();
    m.tick = model::TickSize::Cent();
    m.slug = fmt::format("sim-market-{}", i);
    m.end_time_s = now_s + 30 * 24 * 3600;
    out.push_back(m);
  }
  return out;
}

struct SimServer::Impl : std::enable_shared_from_this<SimServer::Impl> {
  SimServerOptions options;
  net::IoThread io;
  std::unique_ptr<net::HttpServer> http;
  Exchange exchange;
  MarketFlow flow;
  Rng fault_rng;
  Rng key_rng;
  Faults faults;
  PreflightState preflight;
  std::map<std::string, KeyRecord> keys;                            // api key -> record
  std::map<std::pair<std::string, uint64_t>, std::string> derived;  // (address, nonce) -> api key
  std::set<std::string> funded;                                     // addresses credited once
  std::map<uint64_t, MarketSession> market_sessions;
  std::map<uint64_t, UserSession> user_sessions;
  std::map<uint64_t, std::shared_ptr<net::WsSession>> reference_sessions;
  SimStats stats;
  mutable std::mutex stats_mu;
  SignerRateLimiter signer_limits;
  IpRateLimiter ip_limits;
  std::map<std::string, uint64_t> throttled_by_signer;  // lowercase address -> 429s
  std::map<std::string, HeldAnswer> held_answers;       // first delayed order id -> answer
  std::map<std::string, std::string> held_by_order;     // delayed order id -> held answer key
  // The answer being built by RouteL2, to be held instead of sent (set per request).
  std::optional<HeldAnswer> hold_request;
  std::map<std::string, std::map<std::string, int64_t>> refusals;  // maker address -> error -> count
  uint64_t test_orders = 0;                                        // PlaceTestOrder ids
  // The chain's wallet factories (none known: makers are checked only against EOA signers).
  std::optional<wallet::Factories> factories;
  SimRelayer relayer;
  std::map<std::string, std::string> relayer_keys;  // relayer API key -> owner address (lowercase)
  // Idempotency-Key -> (path and body, the answer given): session-key requests retried as sent.
  std::map<std::string, std::pair<std::string, HttpResponse>> session_idempotency;
  Nanos last_reference = 0;
  bool flow_paused = false;
  bool stopping = false;
  Nanos last_client_request = 0;  // replay pacing: the stack has reacted when this is quiet

  explicit Impl(SimServerOptions o)
      : options(std::move(o)),
        exchange(options.exchange),
        flow(exchange, options.flow_config),
        fault_rng(options.seed * 7 + 1),
        key_rng(options.seed * 13 + 5),
        signer_limits(options.rate_limits),
        ip_limits(options.ip_limits),
        relayer(SimRelayerConfig{.chain_id = options.chain_id, .execute_after = options.relayer_execute_after}) {
    if (auto f = wallet::FactoriesForChain(options.chain_id); f.ok()) factories = *f;
    if (options.relayer_builders.empty()) {
      options.relayer_builders.push_back(
          {.key = kSimBuilderKey, .secret = kSimBuilderSecret, .passphrase = kSimBuilderPassphrase});
    }
  }

  Nanos Now() const { return (options.clock ? *options.clock : SystemClock::Instance()).WallNanos(); }

  // --- accounts and keys -----------------------------------------------------------------------

  void Fund(const std::string& address) {
    const std::string a = Lower(address);
    if (!funded.insert(a).second) return;
    exchange.OpenAccount(a, "");
    exchange.Credit(a, options.starting_collateral);
    for (const MarketConfig& m : exchange.Markets()) {
      exchange.Credit(a, 0, m.yes_token, options.starting_tokens);
      exchange.Credit(a, 0, m.no_token, options.starting_tokens);
    }
  }

  const KeyRecord& KeyFor(const std::string& address, uint64_t nonce) {
    const auto slot = std::make_pair(Lower(address), nonce);
    auto it = derived.find(slot);
    if (it != derived.end()) return keys.at(it->second);
    // Deterministic per (seed, address, nonce): the same wallet derives the same key.
    Rng r(options.seed ^ std::hash<std::string>{}(slot.first) ^ (nonce * 0x9e3779b97f4a7c15ULL));
    KeyRecord rec;
    rec.key = MakeUuidV4(r);
    std::array<uint8_t, 32> secret{};
    for (auto& b : secret) b = static_cast<uint8_t>(r.Next());
    rec.secret = crypto::Base64UrlEncode(secret);
    std::array<uint8_t, 32> pass{};
    for (auto& b : pass) b = static_cast<uint8_t>(r.Next());
    rec.passphrase = HexEncode(pass, false);
    rec.address = slot.first;
    keys[rec.key] = rec;
    derived[slot] = rec.key;
    Fund(rec.address);
    // A new account's deposit wallet (what Polymarket gives every account since May 2026) is
    // funded with it, so that a stack trading through it seeds the same balances an EOA would.
    if (factories.has_value()) {
      if (auto owner = crypto::Address::Parse(rec.address); owner.ok()) {
        Fund(wallet::DepositWalletOf(*owner, *factories).ToLower());
      }
    }
    exchange.OpenAccount(rec.address, rec.key);
    return keys.at(rec.key);
  }

  // Returns the API key record for an L2 request, or an error response.
  std::variant<const KeyRecord*, HttpResponse> AuthL2(const HttpRequest& r, const std::string& path) {
    const signing::L2Headers h{Header(r, "POLY_ADDRESS"), Header(r, "POLY_SIGNATURE"), Header(r, "POLY_TIMESTAMP"),
                               Header(r, "POLY_API_KEY"), Header(r, "POLY_PASSPHRASE")};
    auto it = keys.find(h.api_key);
    if (it == keys.end()) {
      Count(&SimStats::auth_failures);
      return Error(401, "Unauthorized/Invalid api key");
    }
    const signing::ApiCredentials creds(it->second.key, it->second.secret, it->second.passphrase);
    const absl::Status status = signing::VerifyL2(h, creds, r.method, path, r.body, Now() / kNanosPerSecond,
                                                  options.auth_max_skew / kNanosPerSecond);
    if (!status.ok()) {
      Count(&SimStats::auth_failures);
      return Error(401, "Unauthorized/Invalid api key");
    }
    auto address = crypto::Address::Parse(h.address);
    if (!address.ok() || Lower(h.address) != it->second.address) {
      Count(&SimStats::auth_failures);
      return Error(401, "Unauthorized/Invalid api key");
    }
    return &it->second;
  }

  void Count(uint64_t SimStats::*field) {
    std::lock_guard lock(stats_mu);
    ++(stats.*field);
  }

  void CountThrottled(const std::string& signer) {
    Count(&SimStats::throttled);
    if (!signer.empty()) ++throttled_by_signer[signer];
  }

  // A delayed order's delay ended: fill its leg of a held answer; send the answer once complete.
  void ReleaseHeld(const DelayReleasedOut& released) {
    auto owner = held_by_order.find(released.order_id);
    if (owner == held_by_order.end()) return;
    auto it = held_answers.find(owner->second);
    held_by_order.erase(owner);
    if (it == held_answers.end()) return;
    HeldAnswer& held = it->second;
    auto leg = held.waiting.find(released.order_id);
    if (leg == held.waiting.end()) return;
    pm::PostOrderResult& wire = held.legs[leg->second];
    const PlaceResult& r = released.result;
    wire.success = r.success;
    wire.status = r.success ? r.status : "";
    wire.error_msg = r.error;
    wire.making_amount = r.making;
    wire.taking_amount = r.taking;
    wire.trade_ids = r.trade_ids;
    held.waiting.erase(leg);
    if (!held.waiting.empty()) return;
    HttpResponse answer =
        Json(200, held.batch ? pm::EncodePostOrdersResponse(held.legs) : pm::EncodePostOrderResult(held.legs.front()));
    answer.headers = held.headers;
    held.respond(std::move(answer));
    held_answers.erase(it);
  }

  // --- orders ----------------------------------------------------------------------------------

  struct Placed {
    PlaceResult result;
    std::string id;
  };

  // The exchange's wallet rules for an order signed by `owner` (SimServerOptions::wallet_policy):
  // the error to answer, or nothing. A maker that is not the owner's wallet of the order's type
  // fails the exchange contract's signature check, hence "invalid signature".
  std::optional<std::string> CheckMaker(const signing::UnsignedOrder& u, const crypto::Address& owner) {
    using signing::SignatureType;
    std::optional<std::string> refused;
    if (factories.has_value() && !wallet::IsWalletOf(u.signature_type, owner, u.maker, *factories)) {
      refused = "invalid signature";
    } else if (options.wallet_policy == WalletPolicy::kDepositOnly && u.signature_type != SignatureType::kPoly1271 &&
               !options.legacy_owners.contains(owner.ToLower())) {
      refused = kDepositWalletFlowError;
    }
    if (refused) refusals[Lower(u.maker.ToLower())][*refused]++;  // the truth API's Refusals
    return refused;
  }

  Placed PlaceOne(const signing::PostedOrder& posted, const KeyRecord& key, Nanos now) {
    Placed out;
    PlaceResult& r = out.result;
    const auto reject = [&](int status, std::string error) {
      r.success = false;
      r.http_status = status;
      r.error = std::move(error);
      return out;
    };
    if (posted.owner != key.key) return reject(400, "the order owner has to be the owner of the API KEY");
    const std::string token = posted.order.order.token_id.ToDecimal();
    const MarketConfig* market = exchange.MarketOf(token);
    if (market == nullptr) return reject(400, fmt::format("the market for token {} does not exist", token));
    const int configured = exchange.config().order_version;
    const auto contracts = *signing::ContractsForChain(options.chain_id);
    const auto domain_for = [&](int version) {
      const auto v = static_cast<signing::OrderVersion>(version);
      return signing::HashDomain({.version = v,
                                  .chain_id = options.chain_id,
                                  .exchange = signing::ExchangeFor(contracts, v, market->neg_risk)});
    };
    signing::SignedOrder order = posted.order;
    const auto verify = [&](int version) -> absl::StatusOr<signing::OrderSigner> {
      const auto domain = domain_for(version);
      order.version = domain.domain.version;
      order.id = model::OrderId(signing::OrderHash(order.order, domain));
      return signing::VerifyOrderSigner(order, domain);
    };
    if (posted.v1_shape != (configured == 1)) return reject(400, "order_version_mismatch");
    auto signer = verify(configured);
    if (!signer.ok()) {
      if (configured != 1) {
        const int other = configured == 2 ? 3 : 2;
        if (verify(other).ok()) return reject(400, "order_version_mismatch");
      }
      return reject(400, "invalid signature");
    }
    if (Lower(signer->address.ToLower()) != key.address) {
      return reject(400, "the order signer address has to be the address of the API KEY");
    }
    const signing::UnsignedOrder& u = order.order;
    crypto::Address owner = signer->address;
    if (signer->session_key) {
      // The wallet accepts a session key's signature only while the key is authorized, unexpired
      // and (off chain) scoped for the CLOB; the exchange then answers as for any bad signature.
      auto session_owner = relayer.SessionKeyOwner(u.signer, signer->address, now);
      if (!session_owner) {
        refusals[Lower(u.maker.ToLower())]["invalid signature: session key not authorized"]++;
        return reject(400, "invalid signature");
      }
      owner = *crypto::Address::Parse(*session_owner);
    }
    if (auto refused = CheckMaker(u, owner)) return reject(400, *refused);
    const bool buy = u.side == Side::kBuy;
    const int64_t shares = buy ? u.taker_amount : u.maker_amount;
    const int64_t cash = buy ? u.maker_amount : u.taker_amount;
    if (shares <= 0 || (static_cast<Int128>(cash) * model::kPriceOne) % shares != 0) {
      return reject(400, "invalid amounts: the price is not on the 0.0001 grid");
    }
    const auto price_units = static_cast<int64_t>(static_cast<Int128>(cash) * model::kPriceOne / shares);
    const std::string maker = Lower(u.maker.ToLower());
    Fund(maker);
    NewOrder n{.id = order.id,
               .owner = key.key,
               .maker = maker,
               .token = token,
               .side = u.side,
               .price = Price(price_units),
               .size = Size(shares),
               .type = posted.type == signing::OrderType::kGtd   ? OrderType::kGtd
                       : posted.type == signing::OrderType::kFok ? OrderType::kFok
                       : posted.type == signing::OrderType::kFak ? OrderType::kFak
                                                                 : OrderType::kGtc,
               .post_only = posted.post_only,
               .expiration_s = static_cast<int64_t>(u.expiration),
               .version = configured};
    out.id = order.id.ToString();
    if (options.external) options.external->market().BeforePlace(exchange, n, now);
    r = exchange.Place(n, now);
    if (options.external) options.external->market().AfterPlace(exchange, n, r, now);
    Count(r.success ? &SimStats::orders_accepted : &SimStats::orders_rejected);
    if (!r.success) refusals[maker][r.error]++;
    return out;
  }

  static pm::PostOrderResult ToWire(const Placed& p) {
    pm::PostOrderResult w;
    w.success = p.result.success;
    w.order_id = p.result.success ? p.id : "";
    w.status = p.result.status;
    w.error_msg = p.result.error;
    w.making_amount = p.result.making;
    w.taking_amount = p.result.taking;
    w.trade_ids = p.result.trade_ids;
    return w;
  }

  HttpResponse FailureResponse(const PlaceResult& r) {
    if (r.http_status == 503 && r.code == "post_only_mode") {
      const Nanos left = std::max<Nanos>(exchange.post_only_until() - Now(), kNanosPerSecond);
      return Json(503,
                  pm::EncodeErrorBody(
                      {.error = r.error, .code = "post_only_mode", .retry_after_seconds = left / kNanosPerSecond}));
    }
    return Error(r.http_status == 200 ? 400 : r.http_status, r.error);
  }

  pm::OpenOrder ToOpenOrder(const Order& o) const {
    pm::OpenOrder out;
    out.id = o.spec.id.ToString();
    out.status = std::string(OrderStatusName(o.status));
    out.owner = o.spec.owner;
    out.maker_address = o.spec.maker;
    const MarketConfig* m = exchange.MarketOf(o.spec.token);
    out.market = m ? m->condition_id : "";
    out.asset_id = o.spec.token;
    out.side = o.spec.side;
    out.original_size = o.spec.size;
    out.size_matched = o.matched;
    out.price = o.spec.price;
    out.outcome = m && o.spec.token == m->yes_token ? "Yes" : "No";
    out.associate_trades = o.trades;
    out.created_at_s = o.created / kNanosPerSecond;
    out.expiration_s = o.spec.expiration_s;
    out.order_type = o.spec.type == OrderType::kGtd   ? "GTD"
                     : o.spec.type == OrderType::kFok ? "FOK"
                     : o.spec.type == OrderType::kFak ? "FAK"
                                                      : "GTC";
    return out;
  }

  template <typename T>
  static pm::Page<T> Paginate(std::vector<T> all, const std::string& cursor) {
    const size_t offset = std::min(CursorOffset(cursor), all.size());
    const size_t end = std::min(all.size(), offset + 100);
    pm::Page<T> page;
    page.data.assign(std::make_move_iterator(all.begin() + static_cast<std::ptrdiff_t>(offset)),
                     std::make_move_iterator(all.begin() + static_cast<std::ptrdiff_t>(end)));
    page.next_cursor = Cursor(end, end >= all.size());
    return page;
  }

  // --- market info -------------------------------------------------------------------------------

  std::string MarketJson(const MarketConfig& m) const {
    const auto mid_yes = exchange.Midpoint(m.yes_token);
    const double fv = flow.FairValue(m.condition_id);
    const Payouts payouts = exchange.PayoutsOf(m.condition_id);
    const bool resolved = payouts.denominator > 0;
    const bool closed = resolved || preflight.closed_markets.contains(m.condition_id);
    const bool accepting = !closed && !preflight.not_accepting_markets.contains(m.condition_id);
    return fmt::format(
        R"({{"condition_id":"{}","question_id":"{}","question":"Simulated market {}","market_slug":"{}",)"
        R"("tokens":[{{"token_id":"{}","outcome":"Yes","price":{},"winner":{}}},{{"token_id":"{}","outcome":"No","price":{},"winner":{}}}],)"
        R"("minimum_tick_size":{},"minimum_order_size":{},"neg_risk":{},"accepting_orders":{},"active":{},"closed":{},)"
        R"("end_date_iso":"{}","seconds_delay":{},"rewards":{{"min_size":{},"max_spread":{},"rates":null}}}})",
        m.condition_id, m.condition_id, m.slug, m.slug, m.yes_token,
        mid_yes ? mid_yes->ToString() : fmt::format("{:.4f}", fv), payouts.numerators[0] > 0, m.no_token,
        mid_yes ? mid_yes->Complement().ToString() : fmt::format("{:.4f}", 1 - fv), payouts.numerators[1] > 0,
        TickJson(m.tick), m.min_order_size.ToString(), m.neg_risk ? "true" : "false", accepting, !closed, closed,
        IsoDate(m.end_time_s), m.sports_delay_s, m.rewards_min_size.ToString(),
        // rewards max spread is quoted in cents on the wire
        model::FormatScaled(m.rewards_max_spread.units() * 100, model::kPriceScale));
  }

  static std::string Fraction(int64_t ppm) { return model::FormatScaled(ppm, 6); }

  pm::ClobMarketInfo ClobMarket(const MarketConfig& m) const {
    pm::ClobMarketInfo c;
    c.condition_id = m.condition_id;
    c.token_ids = {m.yes_token, m.no_token};
    c.outcomes = {"Yes", "No"};
    c.tick = m.tick;
    c.neg_risk = m.neg_risk;
    c.min_order_size = m.min_order_size;
    c.accepting_orders = !exchange.IsResolved(m.condition_id) && !preflight.closed_markets.contains(m.condition_id) &&
                         !preflight.not_accepting_markets.contains(m.condition_id);
    c.fees = m.fees;
    c.seconds_delay = m.sports_delay_s;
    c.taker_delay = m.taker_delay > 0;
    return c;
  }

  std::string GammaJson(const MarketConfig& m) const {
    const bool resolved = exchange.IsResolved(m.condition_id);
    const bool closed = resolved || preflight.closed_markets.contains(m.condition_id);
    const bool accepting = !closed && !preflight.not_accepting_markets.contains(m.condition_id);
    return fmt::format(
        R"({{"conditionId":"{}","questionID":"{}","slug":"{}","question":"Simulated market {}","clobTokenIds":"[\"{}\", \"{}\"]",)"
        R"("outcomes":"[\"Yes\", \"No\"]","orderPriceMinTickSize":{},"orderMinSize":{},"negRisk":{},"enableOrderBook":true,)"
        R"("acceptingOrders":{},"active":{},"closed":{},"endDate":"{}","rewardsMinSize":{},"rewardsMaxSpread":{},)"
        R"("feesEnabled":{},"feeSchedule":{{"rate":{},"exponent":{},"takerOnly":{},"rebateRate":{}}}}})",
        m.condition_id, m.condition_id, m.slug, m.slug, m.yes_token, m.no_token, TickJson(m.tick),
        m.min_order_size.ToString(), m.neg_risk ? "true" : "false", accepting, !closed, closed, IsoDate(m.end_time_s),
        m.rewards_min_size.ToString(), model::FormatScaled(m.rewards_max_spread.units() * 100, model::kPriceScale),
        m.fees.enabled, Fraction(m.fees.rate_ppm), m.fees.exponent, m.fees.taker_only, Fraction(m.fees.rebate_ppm));
  }

  // A minimal Ethereum JSON-RPC node over the chain view: chain id, block number, balanceOf reads
  // of the conditional tokens (ERC-1155) and the collateral (ERC-20), the CTF's payout reads, and
  // signed EIP-1559 transactions to the CTF (mergePositions, redeemPositions) with nonces and
  // receipts. Gas is not charged (no native balance is modelled).
  HttpResponse ChainRpc(const std::string& body, Nanos now) {
    auto call = chain::ParseRpcCall(body);
    if (!call.ok()) return Json(200, chain::RpcError("null", -32700, std::string(call.status().message())));
    const std::string& id = call->id_json;
    auto quantity = [&](uint64_t v) { return Json(200, chain::RpcResult(id, fmt::format("\"0x{:x}\"", v))); };
    auto error = [&](int code, std::string_view message) { return Json(200, chain::RpcError(id, code, message)); };
    const auto contracts = *signing::ContractsForChain(options.chain_id);
    if (call->method == "eth_chainId") return quantity(options.chain_id);
    if (call->method == "eth_blockNumber") return quantity(exchange.BlockNumber(now));
    if (call->method == "eth_gasPrice") return quantity(30'000'000'000ULL);
    if (call->method == "eth_maxPriorityFeePerGas") return quantity(30'000'000'000ULL);
    if (call->method == "eth_getTransactionCount") {
      if (call->string_params.empty()) return error(-32602, "missing address");
      // "pending" counts queued transactions; any other block tag ("latest", ...) mined ones only.
      const bool pending = call->string_params.size() > 1 && call->string_params[1] == "pending";
      const std::string address = Lower(call->string_params[0]);
      return quantity(pending ? exchange.NextNonce(address) : exchange.MinedNonce(address));
    }
    if (call->method == "eth_getTransactionByHash") {
      if (call->string_params.empty()) return error(-32602, "missing transaction hash");
      const ChainTx* tx = exchange.FindChainTx(call->string_params[0]);
      if (tx == nullptr) return Json(200, chain::RpcResult(id, "null"));
      const std::string block = tx->mined ? fmt::format("\"0x{:x}\"", tx->block) : "null";
      return Json(200, chain::RpcResult(id, fmt::format(R"({{"hash":"{}","nonce":"0x{:x}","from":"{}","to":"{}",)"
                                                        R"("blockNumber":{},"type":"0x2"}})",
                                                        tx->spec.hash, tx->spec.nonce, tx->spec.sender,
                                                        contracts.conditional_tokens.ToLower(), block)));
    }
    if (call->method == "eth_sendRawTransaction") {
      if (call->string_params.empty()) return error(-32602, "missing raw transaction");
      auto raw = HexDecode(call->string_params[0]);
      if (!raw.ok()) return error(-32602, "raw transaction is not hex");
      auto tx = chain::DecodeSignedTransaction(*raw);
      if (!tx.ok()) return error(-32000, fmt::format("invalid transaction: {}", std::string(tx.status().message())));
      if (tx->tx.chain_id != options.chain_id) return error(-32000, "invalid chain id for signer");
      if (tx->tx.to != contracts.conditional_tokens)
        return error(-32000, "only the conditional tokens contract is simulated");
      auto write = chain::DecodeCtfWrite(tx->tx.data);
      if (!write.ok())
        return error(-32000, fmt::format("execution reverted: {}", std::string(write.status().message())));
      if (write->collateral != contracts.collateral ||
          write->index_sets != std::vector<Uint256>{Uint256(1), Uint256(2)} ||
          write->parent_collection != crypto::Hash32{}) {
        return error(-32000, "execution reverted: only binary full-set positions on the collateral are simulated");
      }
      if (write->kind == chain::CtfWrite::Kind::kMerge &&
          (!write->amount.FitsUint64() || write->amount.Low64() > INT64_MAX)) {
        return error(-32000, "execution reverted: amount too large");
      }
      ChainTxSpec spec{.hash = HexEncode(tx->hash),
                       .sender = tx->sender.ToLower(),
                       .nonce = tx->tx.nonce,
                       .call = write->kind == chain::CtfWrite::Kind::kMerge ? ChainCall::kMerge : ChainCall::kRedeem,
                       .condition_id = HexEncode(write->condition),
                       .amount = static_cast<int64_t>(write->amount.Low64())};
      if (auto refused = exchange.SubmitChainTx(spec, now)) return error(-32000, *refused);
      return Json(200, chain::RpcResult(id, "\"" + spec.hash + "\""));
    }
    if (call->method == "eth_getTransactionReceipt") {
      if (call->string_params.empty()) return error(-32602, "missing transaction hash");
      const ChainTx* tx = exchange.FindChainTx(call->string_params[0]);
      if (tx == nullptr || !tx->mined) return Json(200, chain::RpcResult(id, "null"));
      return Json(200,
                  chain::RpcResult(id, fmt::format(R"({{"transactionHash":"{}","blockNumber":"0x{:x}","status":"0x{}",)"
                                                   R"("from":"{}","to":"{}","gasUsed":"0x0","logs":[]}})",
                                                   tx->spec.hash, tx->block, tx->success ? 1 : 0, tx->spec.sender,
                                                   contracts.conditional_tokens.ToLower())));
    }
    if (call->method == "eth_getCode") {
      // Code only where the relayer deployed a deposit wallet (the official relayer client asks
      // before it picks the UUPS or the beacon derivation); the simulated contracts are not code.
      if (call->string_params.empty()) return error(-32602, "missing address");
      auto address = crypto::Address::Parse(call->string_params[0]);
      if (!address.ok()) return error(-32602, "invalid address");
      return Json(200, chain::RpcResult(id, relayer.Deployed(*address) ? "\"0x363d3d373d3d3d363d\"" : "\"0x\""));
    }
    if (call->method != "eth_call") return error(-32601, "method not supported: " + call->method);
    // DepositWalletFactory.beacon(): the beacon new deposit wallets clone.
    if (factories.has_value() && call->to == factories->deposit_wallet_factory.ToLower() &&
        call->data.rfind("0x49493a4d", 0) == 0) {
      return Json(200, chain::RpcResult(id, "\"0x000000000000000000000000" +
                                                factories->deposit_wallet_beacon.ToLower().substr(2) + "\""));
    }
    auto word = [&](uint64_t v) {
      return Json(200, chain::RpcResult(id, "\"" + chain::Uint256Word(Uint256(v)) + "\""));
    };
    // DepositWallet.sessionSignerAuthorizedUntil(address) on a deployed deposit wallet.
    if (call->data.rfind("0xb9ac71d6", 0) == 0 && call->data.size() == 10 + 64) {
      auto wallet_address = crypto::Address::Parse(call->to);
      auto signer = crypto::Address::Parse("0x" + call->data.substr(10 + 24));
      if (!wallet_address.ok() || !signer.ok() || !relayer.Deployed(*wallet_address)) {
        return error(-32000, "execution reverted");
      }
      return word(static_cast<uint64_t>(relayer.SessionSignerAuthorizedUntil(*wallet_address, *signer)));
    }
    if (auto payout = chain::DecodePayoutRead(call->data); payout.ok()) {
      if (call->to != contracts.conditional_tokens.ToLower()) return error(-32000, "execution reverted");
      const Payouts p = exchange.PayoutsOf(HexEncode(payout->condition));
      if (payout->denominator) return word(p.denominator);
      return word(payout->index < p.numerators.size() ? p.numerators[payout->index] : 0);
    }
    auto q = chain::DecodeBalanceQuery(call->data);
    if (!q.ok()) return error(-32000, std::string(q.status().message()));
    const std::string expected = q->erc1155 ? contracts.conditional_tokens.ToLower() : contracts.collateral.ToLower();
    if (call->to != expected) return error(-32000, "execution reverted");
    int64_t balance = 0;
    if (const Account* account = exchange.AccountOf(q->owner); account != nullptr) {
      if (q->erc1155) {
        auto it = account->chain_tokens.find(q->token_id.ToDecimal());
        balance = it == account->chain_tokens.end() ? 0 : it->second;
      } else {
        balance = account->chain_collateral;
      }
    }
    return word(static_cast<uint64_t>(std::max<int64_t>(balance, 0)));
  }

  // --- the relayer (docs/deposit-wallets-spec.md s4) ------------------------------------------

  static constexpr std::string_view kSessionAuthorizations = "/v1/session-signers/authorizations";
  static constexpr std::string_view kSessionRevocations = "/v1/session-signers/revocations";

  static bool IsRelayerRoute(const std::string& m, const std::string& p) {
    return (m == "GET" && (p == "/nonce" || p == "/deployed" || p == "/transaction" || p == "/transactions" ||
                           p.rfind("/v1/account/transactions/", 0) == 0 || p == "/relayer/api/keys")) ||
           (m == "POST" &&
            (p == "/submit" || p == "/relayer/api/keys" || p == kSessionAuthorizations || p == kSessionRevocations));
  }

  // Who may submit: a builder (POLY_BUILDER_* HMAC headers over timestamp, method, path and body,
  // as builder-signing-sdk signs them) or a relayer API key with its owner address
  // (RELAYER_API_KEY, RELAYER_API_KEY_ADDRESS, as @polymarket/client sends them). The owner of
  // the key, when there is one: a relayer key submits only its owner's transactions.
  std::variant<std::string, HttpResponse> AuthRelayer(const HttpRequest& r, const std::string& path, Nanos now) {
    auto refuse = [&](std::string_view why) {
      Count(&SimStats::auth_failures);
      return HttpResponse(Error(401, why));
    };
    if (const std::string key = Header(r, "RELAYER_API_KEY"); !key.empty()) {
      auto it = relayer_keys.find(key);
      if (it == relayer_keys.end() || it->second != Lower(Header(r, "RELAYER_API_KEY_ADDRESS"))) {
        return refuse("invalid relayer api key");
      }
      return it->second;
    }
    const std::string key = Header(r, "POLY_BUILDER_API_KEY");
    if (key.empty()) return refuse("missing authentication headers");
    const relayer::BuilderCredentials* builder = nullptr;
    for (const auto& b : options.relayer_builders) {
      if (b.key == key) builder = &b;
    }
    if (builder == nullptr || builder->passphrase != Header(r, "POLY_BUILDER_PASSPHRASE")) {
      return refuse("invalid builder api key");
    }
    const std::string timestamp = Header(r, "POLY_BUILDER_TIMESTAMP");
    auto ts = model::ParseScaled(timestamp, 0);
    if (!ts.ok() || std::abs(*ts - now / kNanosPerSecond) > options.auth_max_skew / kNanosPerSecond) {
      return refuse("invalid builder timestamp");
    }
    auto expected = relayer::BuilderSignature(builder->secret, std::string_view(timestamp), r.method, path, r.body);
    if (!expected.ok() || *expected != Header(r, "POLY_BUILDER_SIGNATURE")) return refuse("invalid builder signature");
    return std::string();
  }

  // Session keys (docs/session-keys.md): authorizations need a builder key, revocations a builder
  // key or the owner's relayer key. A repeated Idempotency-Key with the same body answers what
  // the first request was answered; with another body it is refused. A revocation cancels the
  // session key's open orders at once.
  HttpResponse SessionSignerRoute(const HttpRequest& r, const std::string& p, const std::string& key_owner, Nanos now) {
    const bool revoke = p == kSessionRevocations;
    if (!revoke && !key_owner.empty()) {
      Count(&SimStats::auth_failures);
      return Error(401, "session-key authorization requires builder api-key authentication");
    }
    const std::string idempotency = Header(r, "Idempotency-Key");
    if (!idempotency.empty()) {
      if (auto it = session_idempotency.find(idempotency); it != session_idempotency.end()) {
        if (it->second.first != p + " " + r.body) return Error(409, "idempotency key reused with another request");
        return it->second.second;
      }
    }
    auto request = relayer::ParseSessionSignerRequest(r.body, revoke);
    if (!request.ok()) return Error(400, std::string(request.status().message()));
    if (!key_owner.empty()) {
      auto signer =
          relayer::RecoverBatchSigner(relayer::SessionSignerBatch(*request), options.chain_id, request->signature);
      if (!signer.ok() || signer->ToLower() != key_owner) {
        Count(&SimStats::auth_failures);
        return Error(401, "the relayer api key's address is not the wallet's owner");
      }
    }
    auto answer = relayer.SessionSigner(*request, now);
    if (auto* refused = std::get_if<RelayerRefusal>(&answer)) return Error(refused->status, refused->message);
    if (revoke) {
      const std::string session = request->session_signer.ToLower();
      for (const auto& [api_key, record] : keys) {
        if (record.address == session) exchange.CancelAll(api_key, now);
      }
    }
    relayer.Advance(exchange, now);
    HttpResponse out =
        Json(200, relayer::EncodeSessionSignerAnswer(std::get<relayer::SessionSignerAnswer>(answer), revoke));
    if (!idempotency.empty()) session_idempotency[idempotency] = {p + " " + r.body, out};
    return out;
  }

  HttpResponse RelayerRoute(const HttpRequest& r, const Target& t, Nanos now) {
    const std::string& p = t.path;
    // The chain first, so that a poll sees what was mined by now.
    exchange.Advance(now);
    relayer.Advance(exchange, now);
    if (p == "/relayer/api/keys") {
      // Relayer API keys, created and listed by their owner (L1 headers, as for CLOB keys).
      const signing::L1Headers h{Header(r, "POLY_ADDRESS"), Header(r, "POLY_SIGNATURE"), Header(r, "POLY_TIMESTAMP"),
                                 Header(r, "POLY_NONCE")};
      auto who = signing::VerifyL1(h, options.chain_id, now / kNanosPerSecond, options.auth_max_skew / kNanosPerSecond);
      if (!who.ok()) {
        Count(&SimStats::auth_failures);
        return Error(401, "Invalid L1 Request headers");
      }
      const std::string owner = who->ToLower();
      if (r.method == "POST") {
        size_t owned = 0;
        for (const auto& [k, a] : relayer_keys) owned += a == owner ? 1 : 0;
        if (owned >= 100) return Error(400, "at most 100 relayer api keys per address");
        const std::string key = MakeUuidV4(key_rng);
        relayer_keys[key] = owner;
        return Json(200, fmt::format(R"({{"apiKey":"{}","address":"{}"}})", key, who->ToChecksum()));
      }
      std::string body = "[";
      for (const auto& [k, a] : relayer_keys) {
        if (a != owner) continue;
        body += fmt::format(R"({}{{"apiKey":"{}","address":"{}"}})", body.size() > 1 ? "," : "", k, who->ToChecksum());
      }
      return Json(200, body + "]");
    }
    if (p == "/nonce") {
      if (t.Get("type") != "WALLET") return Error(400, "only type WALLET (deposit wallets) is simulated");
      auto owner = crypto::Address::Parse(t.Get("address"));
      if (!owner.ok()) return Error(400, "invalid address");
      return Json(200, fmt::format(R"({{"nonce":"{}"}})", relayer.WalletNonce(*owner).ToDecimal()));
    }
    if (p == "/deployed") {
      auto wallet = crypto::Address::Parse(t.Get("address"));
      if (!wallet.ok()) return Error(400, "invalid address");
      return Json(200, fmt::format(R"({{"deployed":{}}})", relayer.Deployed(*wallet)));
    }
    if (p == "/transaction") {
      std::vector<relayer::Transaction> found;
      if (const relayer::Transaction* tx = relayer.Find(t.Get("id")); tx != nullptr) found.push_back(*tx);
      return Json(200, relayer::EncodeTransactionList(found));
    }
    if (p == "/v1/account/transactions/params") {
      // The batch nonce, as session-key clients ask for it (same counter as /nonce).
      if (t.Get("type") != "WALLET") return Error(400, "only type WALLET (deposit wallets) is simulated");
      auto owner = crypto::Address::Parse(t.Get("address"));
      if (!owner.ok()) return Error(400, "invalid address");
      return Json(200, fmt::format(R"({{"address":"{}","nonce":"{}"}})", SimRelayerConfig{}.relayer_address,
                                   relayer.WalletNonce(*owner).ToDecimal()));
    }
    if (p.rfind("/v1/account/transactions/", 0) == 0) {
      const relayer::Transaction* tx = relayer.Find(p.substr(std::string_view("/v1/account/transactions/").size()));
      if (tx == nullptr) return Error(404, "transaction not found");
      return Json(200, relayer::EncodeTransactionV1(*tx));
    }
    auto auth = AuthRelayer(r, p, now);
    if (auto* failure = std::get_if<HttpResponse>(&auth)) return *failure;
    const std::string& key_owner = std::get<std::string>(auth);
    if (p == "/transactions") {
      std::vector<relayer::Transaction> mine;
      for (const relayer::Transaction* tx : relayer.All()) {
        if (key_owner.empty() || tx->from.ToLower() == key_owner) mine.push_back(*tx);
      }
      return Json(200, relayer::EncodeTransactionList(mine));
    }
    if (p == kSessionAuthorizations || p == kSessionRevocations) return SessionSignerRoute(r, p, key_owner, now);
    // POST /submit. The official client sends JSON as form-encoded: parsed whatever the type.
    auto request = relayer::ParseSubmit(r.body);
    if (!request.ok()) return Error(400, std::string(request.status().message()));
    if (!key_owner.empty() && request->from.ToLower() != key_owner) {
      return Error(401, "the relayer api key's address is not 'from'");
    }
    auto answer = relayer.Submit(*request, now);
    if (auto* refused = std::get_if<RelayerRefusal>(&answer)) return Error(refused->status, refused->message);
    relayer.Advance(exchange, now);
    return Json(200, relayer::EncodeSubmitAnswer(std::get<relayer::SubmitAnswer>(answer)));
  }

  static std::string IsoDate(int64_t seconds) {
    const time_t t = static_cast<time_t>(seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                       tm.tm_min, tm.tm_sec);
  }

  // --- request routing ---------------------------------------------------------------------------

  void OnRequest(const HttpRequest& r, std::function<void(HttpResponse)> respond) {
    Count(&SimStats::requests);
    const Nanos now = Now();
    if (options.observe_request) options.observe_request(r, now);
    const Target t = ParseTarget(r.target);
    if (options.external) {
      if (auto replay = options.external->Route(r.method, t.path, now)) return respond(std::move(*replay));
      last_client_request = now;
    }
    const std::string route = r.method + " " + t.path;
    Nanos latency = 0;
    for (const auto& key : {route, std::string("*")}) {
      if (auto it = faults.latency_median.find(key); it != faults.latency_median.end() && it->second > 0) {
        latency = static_cast<Nanos>(fault_rng.Exponential(static_cast<double>(it->second) / std::log(2.0)));
        break;
      }
    }
    const auto send = [&](HttpResponse response) {
      response.delay += latency;
      respond(std::move(response));
    };
    // Every 429 a signer is answered counts for it, injected ones included (the truth API's
    // RateLimits.throttled, scripts/up's throttled=N).
    const std::string signer = Lower(Header(r, "POLY_ADDRESS"));
    if (now < faults.burst_until) {
      Count(&SimStats::faults_injected);
      if (faults.burst_status == 429) CountThrottled(signer);
      return send(
          Json(faults.burst_status,
               pm::EncodeErrorBody({.error = faults.burst_status == 429 ? "Too Many Requests" : "service unavailable",
                                    .retry_after_seconds = 1})));
    }
    if (fault_rng.Chance(faults.http_429)) {
      Count(&SimStats::faults_injected);
      CountThrottled(signer);
      HttpResponse throttled = Json(429, R"({"error":"Too Many Requests"})");
      throttled.headers.emplace_back("Retry-After", "1");
      return send(std::move(throttled));
    }
    if (fault_rng.Chance(faults.http_5xx)) {
      Count(&SimStats::faults_injected);
      return send(Error(500, "Internal Server Error"));
    }
    // The Cloudflare layer: per client IP and route, in requests.
    const std::string ip = Header(r, "X-Forwarded-For").empty() ? "127.0.0.1" : Header(r, "X-Forwarded-For");
    if (auto wait = ip_limits.Admit(ip, route, now)) {
      HttpResponse throttled = Json(429, R"({"error":"Too Many Requests"})");
      throttled.headers.emplace_back("Retry-After", CeilSeconds(*wait));
      CountThrottled(signer);
      return send(std::move(throttled));
    }
    hold_request.reset();
    HttpResponse response = Route(r, t, now);
    if (response.status == 429) CountThrottled(signer);
    if (hold_request) {
      // Answered when the delays of its orders end (Dispatch of DelayReleasedOut).
      HeldAnswer held = std::move(*hold_request);
      hold_request.reset();
      held.headers = response.headers;
      held.respond = [respond = std::move(respond), latency](HttpResponse answer) {
        answer.delay += latency;
        respond(std::move(answer));
      };
      const std::string first = held.waiting.begin()->first;
      for (const auto& [id, leg] : held.waiting) held_by_order[id] = first;
      held_answers.emplace(first, std::move(held));
      exchange.Advance(now);
      Dispatch(now);
      return;
    }
    exchange.Advance(now);
    Dispatch(now);
    // Faults that hit after the exchange processed the request.
    // The relayer's /submit too: a batch taken and its answer lost is what positions must survive.
    const bool order_route =
        route == "POST /order" || route == "POST /orders" || r.method == "DELETE" || route == "POST /submit";
    if (order_route && response.status == 200) {
      if (fault_rng.Chance(faults.timeout_after_accept)) {
        Count(&SimStats::faults_injected);
        return;  // processed, never answered
      }
      if (fault_rng.Chance(faults.connection_reset)) {
        Count(&SimStats::faults_injected);
        return send(HttpResponse{.close_without_response = true});
      }
    }
    send(std::move(response));
  }

  HttpResponse Route(const HttpRequest& r, const Target& t, Nanos now) {
    const std::string& p = t.path;
    const std::string& m = r.method;
    // Public
    if (m == "GET" && (p == "/ok" || p == "/"))
      return HttpResponse{.status = 200, .headers = {{"Content-Type", "text/plain"}}, .body = "OK"};
    if (m == "GET" && p == "/time") return Json(200, std::to_string((now + preflight.clock_skew) / kNanosPerSecond));
    // polymarket.com's geoblock answer (on the web host, not the CLOB: the doctor's --geoblock-url).
    if (m == "GET" && p == "/api/geoblock") {
      return Json(200, fmt::format(R"({{"blocked":{},"ip":"127.0.0.1","country":"{}","region":"{}"}})",
                                   preflight.geo_blocked, preflight.geo_country, preflight.geo_region));
    }
    if (m == "POST" && p == "/rpc") return ChainRpc(r.body, now);
    if (IsRelayerRoute(m, p)) return RelayerRoute(r, t, now);
    if (m == "GET" && p == "/version")
      return Json(200, fmt::format(R"({{"version":{}}})", exchange.config().order_version));
    if (m == "GET" && (p == "/markets" || p == "/sampling-markets")) {
      std::string body =
          R"({"limit":100,"count":)" + std::to_string(exchange.Markets().size()) + R"(,"next_cursor":"LTE=","data":[)";
      bool first = true;
      for (const MarketConfig& mk : exchange.Markets()) {
        body += (first ? "" : ",") + MarketJson(mk);
        first = false;
      }
      return Json(200, body + "]}");
    }
    if (m == "GET" && p.rfind("/markets/", 0) == 0) {
      for (const MarketConfig& mk : exchange.Markets()) {
        if (mk.condition_id == p.substr(9)) return Json(200, MarketJson(mk));
      }
      return Error(404, "market not found");
    }
    if (m == "GET" && p == "/gamma/markets") {
      std::string body = "[";
      bool first = true;
      for (const MarketConfig& mk : exchange.Markets()) {
        const std::string slug = t.Get("slug");
        const std::string tokens = t.Get("clob_token_ids");
        if (!slug.empty() && mk.slug != slug) continue;
        if (!tokens.empty() && tokens != mk.yes_token && tokens != mk.no_token) continue;
        body += (first ? "" : ",") + GammaJson(mk);
        first = false;
      }
      return Json(200, body + "]");
    }
    if (m == "GET" && p.rfind("/clob-markets/", 0) == 0) {
      for (const MarketConfig& mk : exchange.Markets()) {
        if (mk.condition_id != p.substr(14)) continue;
        return Json(200, pm::EncodeClobMarket(ClobMarket(mk)));
      }
      return Error(404, "market not found");
    }
    if (m == "GET" && p == "/rebates/current") {
      // The maker's rebates of the closed days whose label starts with `date` (YYYY-MM-DD; a
      // simulated day shorter than 24 h is labelled by its start time, so a date covers several).
      const std::string maker = Lower(t.Get("maker_address"));
      if (maker.empty()) return Error(400, "maker_address is required");
      const auto contracts = *signing::ContractsForChain(options.chain_id);
      return Json(
          200, pm::EncodeRebates(exchange.rebates().Entries(maker, t.Get("date"), contracts.collateral.ToChecksum())));
    }
    if (m == "GET" && p.rfind("/markets-by-token/", 0) == 0) {
      const MarketConfig* mk = exchange.MarketOf(p.substr(18));
      if (mk == nullptr) return Error(404, "market not found");
      return Json(200, fmt::format(R"({{"condition_id":"{}","primary_token_id":"{}","secondary_token_id":"{}"}})",
                                   mk->condition_id, mk->yes_token, mk->no_token));
    }
    const auto token_param = [&]() {
      std::string token = t.Get("token_id");
      const size_t slash = p.rfind('/');
      if (token.empty() && slash != std::string::npos && slash > 0) token = p.substr(slash + 1);
      return token;
    };
    if (m == "GET" && (p == "/tick-size" || p.rfind("/tick-size/", 0) == 0)) {
      const MarketConfig* mk = exchange.MarketOf(token_param());
      if (mk == nullptr) return Error(404, "market not found");
      return Json(200, fmt::format(R"({{"minimum_tick_size":{}}})", TickJson(mk->tick)));
    }
    if (m == "GET" && (p == "/neg-risk" || p.rfind("/neg-risk/", 0) == 0)) {
      const MarketConfig* mk = exchange.MarketOf(token_param());
      if (mk == nullptr) return Error(404, "market not found");
      return Json(200, fmt::format(R"({{"neg_risk":{}}})", mk->neg_risk ? "true" : "false"));
    }
    if (m == "GET" && (p == "/fee-rate" || p.rfind("/fee-rate/", 0) == 0)) {
      const MarketConfig* mk = exchange.MarketOf(token_param());
      if (mk == nullptr) return Error(404, "market not found");
      return Json(200, fmt::format(R"({{"base_fee":{}}})", mk->fees.enabled ? mk->fees.rate_ppm / 100 : 0));
    }
    if (m == "GET" && p == "/book") {
      if (exchange.MarketOf(t.Get("token_id")) == nullptr)
        return Error(404, "No orderbook exists for the requested token id");
      return Json(200, pm::EncodeRestBook(PublishedBook(t.Get("token_id"), now)));
    }
    if (m == "POST" && p == "/books") {
      auto ids = pm::ParseSubscribeRequest(R"({"type":"x","assets_ids":)" + ExtractTokenIds(r.body) + "}");
      std::string body = "[";
      if (ids.ok()) {
        for (size_t i = 0; i < ids->asset_ids.size(); ++i) {
          if (exchange.MarketOf(ids->asset_ids[i]) == nullptr) continue;
          body += (body.size() > 1 ? "," : "") + pm::EncodeRestBook(PublishedBook(ids->asset_ids[i], now));
        }
      }
      return Json(200, body + "]");
    }
    if (m == "GET" && (p == "/midpoint" || p == "/price" || p == "/spread" || p == "/last-trade-price")) {
      const auto book = PublishedBook(t.Get("token_id"), now);
      if (exchange.MarketOf(t.Get("token_id")) == nullptr) return Error(404, "market not found");
      const Price bid = book.bids.empty() ? Price(0) : book.bids.front().price;
      const Price ask = book.asks.empty() ? Price(model::kPriceOne) : book.asks.front().price;
      if (p == "/midpoint")
        return Json(200, fmt::format(R"({{"mid":"{}"}})", Price((bid.units() + ask.units()) / 2).ToString()));
      if (p == "/spread")
        return Json(200, fmt::format(R"({{"spread":"{}"}})", Price(ask.units() - bid.units()).ToString()));
      if (p == "/last-trade-price") {
        return Json(200, fmt::format(R"({{"price":"{}","side":"BUY"}})",
                                     book.last_trade_price ? book.last_trade_price->ToString() : "0.5"));
      }
      // /price: the best price a taker on `side` would pay (BUY -> best ask).
      return Json(200, fmt::format(R"({{"price":"{}"}})", (t.Get("side") == "SELL" ? bid : ask).ToString()));
    }
    // L1
    if ((m == "POST" && p == "/auth/api-key") || (m == "GET" && p == "/auth/derive-api-key")) {
      const signing::L1Headers h{Header(r, "POLY_ADDRESS"), Header(r, "POLY_SIGNATURE"), Header(r, "POLY_TIMESTAMP"),
                                 Header(r, "POLY_NONCE")};
      auto who = signing::VerifyL1(h, options.chain_id, now / kNanosPerSecond, options.auth_max_skew / kNanosPerSecond);
      if (!who.ok()) {
        Count(&SimStats::auth_failures);
        return Error(401, "Invalid L1 Request headers");
      }
      uint64_t nonce = 0;
      if (!h.nonce.empty()) nonce = std::stoull(h.nonce);
      const KeyRecord& rec = KeyFor(who->ToLower(), nonce);
      return Json(200, pm::EncodeApiKey({rec.key, rec.secret, rec.passphrase}));
    }
    // Everything else needs L2.
    auto auth = AuthL2(r, p);
    if (auto* failure = std::get_if<HttpResponse>(&auth)) return *failure;
    const KeyRecord& key = *std::get<const KeyRecord*>(auth);
    return RouteL2(r, t, key, now);
  }

  static std::string ExtractTokenIds(const std::string& body) {
    // [{"token_id":"1"},...] -> ["1",...]
    std::string out = "[";
    size_t pos = 0;
    while ((pos = body.find("\"token_id\"", pos)) != std::string::npos) {
      const size_t q1 = body.find('"', body.find(':', pos) + 1);
      const size_t q2 = body.find('"', q1 + 1);
      if (q1 == std::string::npos || q2 == std::string::npos) break;
      out += (out.size() > 1 ? "," : "") + body.substr(q1, q2 - q1 + 1);
      pos = q2;
    }
    return out + "]";
  }

  // --- rate limits ---------------------------------------------------------------------------

  // The decision of the request being routed: its Poly-RateLimit-* headers go on the answer.
  std::optional<RateDecision> rate_decision;

  // Takes `cost` from the signer's bucket; the 429 to answer when it is refused.
  std::optional<HttpResponse> Throttle(const KeyRecord& key, pm::RateBucket bucket, int64_t cost, Nanos now) {
    RateDecision d = signer_limits.Admit(key.address, bucket, cost, now);
    rate_decision = d;
    if (d.admitted) return std::nullopt;
    const auto& limits = pm::LimitsOf(d.tier);
    const int burst = bucket == pm::RateBucket::kOrders ? limits.order_burst : limits.cancel_burst;
    HttpResponse refused = Json(
        429,
        pm::EncodeErrorBody(
            {.error = d.over_burst ? fmt::format("request costs {} {} tokens, more than the {} burst of {}: split it",
                                                 cost, pm::RateBucketName(bucket), pm::RateTierName(d.tier), burst)
                                   : std::string("Too Many Requests: per-signer rate limit exceeded")}));
    // No Retry-After for a cost above the burst: waiting cannot help.
    if (!d.over_burst) refused.headers.emplace_back("Retry-After", CeilSeconds(d.retry_after));
    return refused;
  }

  void AddRateHeaders(HttpResponse& response, const RateDecision& d) const {
    response.headers.emplace_back("Poly-RateLimit-Remaining", fmt::format("{:.3f}", d.remaining));
    response.headers.emplace_back("Poly-RateLimit-Reset",
                                  fmt::format("{:.3f}", static_cast<double>(d.reset_ms) / 1000.0));
    response.headers.emplace_back("Poly-RateLimit-Tier", std::string(pm::RateTierName(d.tier)));
    if (d.warning) response.headers.emplace_back("Poly-RateLimit-Warning", "true");
  }

  HttpResponse RouteL2(const HttpRequest& r, const Target& t, const KeyRecord& key, Nanos now) {
    rate_decision.reset();
    HttpResponse response = RouteTrading(r, t, key, now);
    if (rate_decision) AddRateHeaders(response, *rate_decision);
    return response;
  }

  HttpResponse RouteTrading(const HttpRequest& r, const Target& t, const KeyRecord& key, Nanos now) {
    const std::string& p = t.path;
    const std::string& m = r.method;
    const bool order_endpoint = p == "/order" || p == "/orders" || p == "/cancel-all" || p == "/cancel-market-orders";
    if (order_endpoint && exchange.EngineDown(now)) {
      return Json(425, pm::EncodeErrorBody(
                           {.error = "Too Early: the matching engine is restarting", .retry_after_seconds = 2}));
    }
    if (m == "DELETE" && order_endpoint && exchange.trading_mode() == TradingMode::kDisabled) {
      return Error(503, "Trading is currently disabled. Check polymarket.com for updates");
    }
    if (m == "POST" && p == "/order") {
      auto posted = signing::ParsePostOrderJson(r.body);
      if (!posted.ok()) return Error(400, "Invalid order payload");
      if (auto refused = Throttle(key, pm::RateBucket::kOrders, 1, now)) return *refused;
      const Placed placed = PlaceOne(*posted, key, now);
      if (!placed.result.success) return FailureResponse(placed.result);
      if (placed.result.status == "delayed" && options.hold_delayed_answers) {
        HeldAnswer held;
        held.legs.push_back(ToWire(placed));
        held.waiting[placed.id] = 0;
        hold_request = std::move(held);
      }
      return Json(200, pm::EncodePostOrderResult(ToWire(placed)));
    }
    if (m == "POST" && p == "/orders") {
      auto posted = signing::ParsePostOrdersJson(r.body);
      if (!posted.ok() || posted->empty()) return Error(400, "Invalid order payload");
      if (posted->size() > 15) {
        return Error(400, fmt::format("Too many orders in payload: {}, max allowed: 15", posted->size()));
      }
      // The whole batch or nothing: the per-signer check counts every order.
      if (auto refused = Throttle(key, pm::RateBucket::kOrders, static_cast<int64_t>(posted->size()), now))
        return *refused;
      std::vector<pm::PostOrderResult> legs;
      for (const auto& one : *posted) {
        if (fault_rng.Chance(faults.batch_leg_reject)) {
          Count(&SimStats::faults_injected);
          pm::PostOrderResult refused{.success = false, .error_msg = "could not insert order"};
          if (fault_rng.Chance(faults.empty_id_leg)) refused.success = true;  // the live quirk
          legs.push_back(refused);
          continue;
        }
        Placed placed = PlaceOne(one, key, now);
        pm::PostOrderResult wire = ToWire(placed);
        if (!placed.result.success && fault_rng.Chance(faults.empty_id_leg)) wire.success = true;
        if (placed.result.status == "delayed" && options.hold_delayed_answers) {
          if (!hold_request) hold_request = HeldAnswer{.batch = true};
          hold_request->waiting[placed.id] = legs.size();
        }
        legs.push_back(wire);
      }
      if (hold_request) hold_request->legs = legs;
      return Json(200, pm::EncodePostOrdersResponse(legs));
    }
    const auto cancel_response = [&](const CancelOutcome& c) {
      return Json(200, pm::EncodeCancelResult({c.canceled, c.not_canceled}));
    };
    if (m == "DELETE" && p == "/order") {
      const auto id_pos = r.body.find("orderI");  // orderID (py/TS) or orderId (rs)
      if (id_pos == std::string::npos) return Error(400, "Invalid orderID");
      const size_t q1 = r.body.find('"', r.body.find(':', id_pos) + 1);
      const size_t q2 = r.body.find('"', q1 + 1);
      if (q1 == std::string::npos || q2 == std::string::npos) return Error(400, "Invalid orderID");
      if (auto refused = Throttle(key, pm::RateBucket::kCancels, 1, now)) return *refused;
      return cancel_response(exchange.Cancel(key.key, {r.body.substr(q1 + 1, q2 - q1 - 1)}, now));
    }
    if (m == "DELETE" && p == "/orders") {
      auto ids = pm::ParseSubscribeRequest(R"({"type":"x","assets_ids":)" + r.body + "}");
      if (!ids.ok()) return Error(400, "Invalid orderID");
      if (ids->asset_ids.size() > 1000) return Error(400, "Too many orders in payload, max allowed: 1000");
      // Costs the ids sent (duplicates too), whole or nothing.
      if (auto refused = Throttle(key, pm::RateBucket::kCancels, static_cast<int64_t>(ids->asset_ids.size()), now))
        return *refused;
      return cancel_response(exchange.Cancel(key.key, ids->asset_ids, now));
    }
    // Cancel-all and cancel-market-orders: 1 token up front, then 1 per order cancelled (into
    // debt where the tier allows it). The strict variant wants all of it up front.
    const auto sweep = [&](const std::string& market, const std::string& asset) -> HttpResponse {
      int64_t up_front = 1;
      if (signer_limits.config().cancel_all_cost_up_front) {
        up_front += static_cast<int64_t>(exchange.OpenOrders(key.key, market, asset).size());
      }
      if (auto refused = Throttle(key, pm::RateBucket::kCancels, up_front, now)) return *refused;
      const CancelOutcome c = exchange.CancelMarket(key.key, market, asset, now);
      if (!signer_limits.config().cancel_all_cost_up_front) {
        const RateDecision after =
            signer_limits.Charge(key.address, pm::RateBucket::kCancels, static_cast<int64_t>(c.canceled.size()), now);
        rate_decision->remaining = after.remaining;
      }
      return cancel_response(c);
    };
    if (m == "DELETE" && p == "/cancel-all") return sweep("", "");
    if (m == "DELETE" && p == "/cancel-market-orders") {
      auto body =
          pm::ParseSubscribeRequest(R"({"type":"x",)" + (r.body.size() > 2 ? r.body.substr(1) : std::string("}")));
      const auto field = [&](const char* name) {
        const size_t at = r.body.find(std::string("\"") + name + "\"");
        if (at == std::string::npos) return std::string();
        const size_t q1 = r.body.find('"', r.body.find(':', at) + 1);
        const size_t q2 = r.body.find('"', q1 + 1);
        return q1 == std::string::npos || q2 == std::string::npos ? std::string() : r.body.substr(q1 + 1, q2 - q1 - 1);
      };
      (void)body;
      return sweep(field("market"), field("asset_id"));
    }
    if (m == "GET" && p.rfind("/data/order/", 0) == 0) {
      // Only active orders: anything else (unknown, cancelled, matched, in a delay) is "not
      // active", answered as the configured variant.
      const Order* o = exchange.Find(p.substr(12));
      if (o == nullptr || o->spec.owner != key.key || o->status != OrderStatus::kLive) {
        switch (options.order_lookup) {
          case OrderLookupAnswer::kNull:
            return Json(200, "null");
          case OrderLookupAnswer::kEmpty:
            return Json(200, "");
          case OrderLookupAnswer::kNotFound:
            return Error(404, "Order not found");
        }
      }
      return Json(200, pm::EncodeOpenOrder(ToOpenOrder(*o)));
    }
    if (m == "GET" && p == "/data/orders") {
      std::vector<pm::OpenOrder> all;
      for (const Order* o : exchange.OpenOrders(key.key, t.Get("market"), t.Get("asset_id"))) {
        if (!t.Get("id").empty() && o->spec.id.ToString() != Lower(t.Get("id"))) continue;
        all.push_back(ToOpenOrder(*o));
      }
      return Json(200, pm::EncodeOpenOrdersPage(Paginate(std::move(all), t.Get("next_cursor"))));
    }
    if (m == "GET" && p == "/data/trades") {
      std::vector<pm::UserTradeEvent> all;
      const int64_t after = t.Get("after").empty() ? 0 : std::stoll(t.Get("after"));
      const int64_t before = t.Get("before").empty() ? INT64_MAX : std::stoll(t.Get("before"));
      for (auto& trade : exchange.Trades(key.key)) {
        if (!t.Get("id").empty() && trade.id != t.Get("id")) continue;
        if (!t.Get("market").empty() && trade.market != t.Get("market")) continue;
        if (!t.Get("asset_id").empty() && trade.asset_id != t.Get("asset_id")) continue;
        const int64_t s = trade.match_time_ms / 1000;
        if (s < after || s > before) continue;
        trade.trader_side = trade.owner == key.key ? "TAKER" : "MAKER";
        all.push_back(std::move(trade));
      }
      return Json(200, pm::EncodeTradesPage(Paginate(std::move(all), t.Get("next_cursor"))));
    }
    if (m == "POST" && (p == "/v1/heartbeats" || p == "/heartbeats")) {
      std::string id;
      if (const size_t at = r.body.find("\"heartbeat_id\""); at != std::string::npos) {
        const size_t colon = r.body.find(':', at);
        const size_t q1 = r.body.find('"', colon + 1);
        const size_t null_at = r.body.find("null", colon + 1);
        if (q1 != std::string::npos && (null_at == std::string::npos || q1 < null_at)) {
          const size_t q2 = r.body.find('"', q1 + 1);
          id = r.body.substr(q1 + 1, q2 - q1 - 1);
        }
      }
      if (p == "/heartbeats") id.clear();  // legacy endpoint: resets the expected id
      std::string expected;
      auto next = exchange.Heartbeat(key.key, id, now, &expected);
      if (!next) return Json(400, pm::EncodeHeartbeat({.heartbeat_id = expected, .error = "Invalid Heartbeat ID"}));
      return Json(200, pm::EncodeHeartbeat({.heartbeat_id = *next}));
    }
    if (m == "GET" && p == "/order-scoring") {
      return Json(200, fmt::format(R"({{"scoring":{}}})", exchange.IsScoring(t.Get("order_id")) ? "true" : "false"));
    }
    if (m == "POST" && p == "/orders-scoring") {
      auto ids = pm::ParseSubscribeRequest(R"({"type":"x","assets_ids":)" + r.body + "}");
      if (!ids.ok()) return Error(400, "Invalid payload");
      std::string body = "{";
      for (size_t i = 0; i < ids->asset_ids.size(); ++i) {
        body += fmt::format(R"({}"{}":{})", i ? "," : "", ids->asset_ids[i],
                            exchange.IsScoring(ids->asset_ids[i]) ? "true" : "false");
      }
      return Json(200, body + "}");
    }
    if (m == "GET" && (p == "/balance-allowance" || p == "/balance-allowance/update")) {
      // The balances of the wallet the request names by its signature type (the official client
      // sends signature_type): the owner itself for EOA (the default), else its derived wallet.
      std::string holder = key.address;
      if (const std::string type = t.Get("signature_type"); !type.empty() && type != "0") {
        int64_t number = -1;
        auto parsed = signing::SignatureTypeFromInt(absl::SimpleAtoi(type, &number) ? number : -1);
        auto owner = crypto::Address::Parse(key.address);
        if (!parsed.ok() || !owner.ok() || !factories.has_value()) return Error(400, "invalid signature_type");
        auto wallet_address = wallet::DefaultWalletOf(*parsed, *owner, *factories);
        if (!wallet_address) return Error(400, "invalid signature_type");
        holder = wallet_address->ToLower();
      }
      const Account* account = exchange.AccountOf(holder);
      pm::BalanceAllowance b;
      if (account != nullptr) {
        if (t.Get("asset_type") == "CONDITIONAL" || t.Get("asset_type") == "CONDITIONAL-V2") {
          auto it = account->tokens.find(t.Get("token_id"));
          b.balance = it == account->tokens.end() ? 0 : it->second;
        } else {
          b.balance = account->collateral;
        }
      }
      const auto contracts = *signing::ContractsForChain(options.chain_id);
      // COLLATERAL: pUSD approve() per spender; CONDITIONAL: the conditional-tokens contract's
      // setApprovalForAll per spender (the exchange answers both the same way).
      const std::string asset = t.Get("asset_type").rfind("CONDITIONAL", 0) == 0 ? "CONDITIONAL" : "COLLATERAL";
      for (const auto& [name, a] : {std::pair{"exchange", contracts.exchange_v2},
                                    std::pair{"neg_risk_exchange", contracts.neg_risk_exchange_v2},
                                    std::pair{"exchange_v3", contracts.exchange_v3}}) {
        const bool revoked = preflight.revoked_approvals.contains(asset + ":" + name);
        b.allowances[a.ToChecksum()] =
            revoked ? "0" : "115792089237316195423570985008687907853269984665640564039457584007913129639935";
      }
      return Json(200, pm::EncodeBalanceAllowance(b));
    }
    if (m == "GET" && p == "/auth/api-keys") {
      std::string body = R"({"apiKeys":[)";
      bool first = true;
      for (const auto& [k, rec] : keys) {
        if (rec.address != key.address) continue;
        body += (first ? "\"" : ",\"") + k + "\"";
        first = false;
      }
      return Json(200, body + "]}");
    }
    if (m == "DELETE" && p == "/auth/api-key") {
      keys.erase(key.key);
      return Json(200, "\"OK\"");
    }
    if (m == "GET" && p == "/auth/ban-status/closed-only") {
      return Json(200, fmt::format(R"({{"closed_only":{}}})", exchange.IsClosedOnly(key.address)));
    }
    if (m == "GET" && p == "/v1/user/session-signers") {
      // The owner's deposit wallet's active session keys (owner L2 credentials).
      if (!factories.has_value()) return Error(400, "session keys need a chain with deposit wallets");
      auto owner = crypto::Address::Parse(key.address);
      if (!owner.ok()) return Error(400, "invalid address");
      crypto::Address wallet_address = wallet::DepositWalletOf(*owner, *factories);
      if (const auto legacy = wallet::LegacyDepositWalletOf(*owner, *factories);
          !relayer.Deployed(wallet_address) && relayer.Deployed(legacy)) {
        wallet_address = legacy;
      }
      return Json(200,
                  relayer::EncodeSessionSigners(wallet_address, relayer.ActiveSessionSigners(wallet_address, now)));
    }
    if (m == "GET" && p == "/v1/user/rate-limit-tier") {
      const pm::RateTier tier = signer_limits.TierOf(key.address);
      const auto& l = pm::LimitsOf(tier);
      return Json(200,
                  fmt::format(R"({{"tier":"{}","order_rate":{},"order_burst":{},"cancel_rate":{},"cancel_burst":{}}})",
                              pm::RateTierName(tier), l.order_rate, l.order_burst, l.cancel_rate, l.cancel_burst));
    }
    return Error(404, fmt::format("no route for {} {}", m, p));
  }

  // --- websockets --------------------------------------------------------------------------------

  void OnWsOpen(const std::shared_ptr<net::WsSession>& s) {
    Count(&SimStats::ws_sessions);
    if (s->path().rfind("/ws/market", 0) == 0)
      market_sessions[s->id()] = {s, {}, std::nullopt, false};
    else if (s->path().rfind("/ws/user", 0) == 0)
      user_sessions[s->id()] = {s, "", {}, std::nullopt};
    else
      reference_sessions[s->id()] = s;
  }

  void OnWsClose(const std::shared_ptr<net::WsSession>& s) {
    market_sessions.erase(s->id());
    user_sessions.erase(s->id());
    reference_sessions.erase(s->id());
  }

  // Polymarket closes a socket whose first message is a PING (before a valid subscription) with
  // 1008 "invalid subscription payload" (NautilusTrader #4864).
  bool AcceptPing(const std::shared_ptr<net::WsSession>& s) {
    bool ok = true;
    if (auto it = market_sessions.find(s->id()); it != market_sessions.end()) ok = it->second.subscribed;
    if (auto it = user_sessions.find(s->id()); it != user_sessions.end()) ok = !it->second.api_key.empty();
    if (!ok) Count(&SimStats::ws_policy_closes);
    return ok;
  }

  void OnWsMessage(const std::shared_ptr<net::WsSession>& s, const std::string& text) {
    auto req = pm::ParseSubscribeRequest(text);
    if (!req.ok()) return;
    const Nanos now = Now();
    if (auto it = market_sessions.find(s->id()); it != market_sessions.end()) {
      std::vector<pm::MarketEvent> dump;
      const bool remove = req->operation == "unsubscribe";
      if (req->type == "market" || req->type == "Market" || req->operation == "subscribe") it->second.subscribed = true;
      for (const std::string& asset : req->asset_ids) {
        if (exchange.MarketOf(asset) == nullptr) continue;
        if (remove) {
          it->second.assets.erase(asset);
          continue;
        }
        if (it->second.assets.insert(asset).second && req->initial_dump) {
          // The websocket book carries last_trade_price and tick_size since 2026 (not the rest).
          pm::BookEvent book = PublishedBook(asset, now);
          book.min_order_size.reset();
          book.neg_risk.reset();
          dump.push_back(std::move(book));
        }
      }
      if (!dump.empty()) s->Send(pm::EncodeMarketFrame(dump));
      return;
    }
    if (auto it = user_sessions.find(s->id()); it != user_sessions.end()) {
      if (!req->auth && !it->second.api_key.empty() && !req->operation.empty()) {
        // Markets added or dropped on the open connection.
        for (const std::string& market : req->markets) {
          if (req->operation == "unsubscribe") {
            it->second.markets.erase(market);
          } else {
            it->second.markets.insert(market);
          }
        }
        return;
      }
      if (!req->auth) return;
      auto key = keys.find(req->auth->api_key);
      if (key == keys.end() || key->second.secret != req->auth->secret ||
          key->second.passphrase != req->auth->passphrase) {
        Count(&SimStats::auth_failures);
        s->Close();
        return;
      }
      it->second.api_key = key->first;
      it->second.markets = std::set<std::string>(req->markets.begin(), req->markets.end());
    }
  }

  void SendUser(UserSession& u, std::string frame) {
    if (fault_rng.Chance(faults.ws_drop)) {
      Count(&SimStats::faults_injected);
      u.session->Drop();
      return;
    }
    if (fault_rng.Chance(faults.ws_reorder) && !u.held) {
      Count(&SimStats::faults_injected);
      u.held = std::move(frame);
      return;
    }
    const bool duplicate = fault_rng.Chance(faults.ws_duplicate);
    u.session->Send(frame);
    if (duplicate) {
      Count(&SimStats::faults_injected);
      u.session->Send(frame);
    }
    if (u.held) {
      u.session->Send(*u.held);
      u.held.reset();
    }
  }

  void Dispatch(Nanos now) {
    // Replay/mirror: the core's events with the merged books' changes instead of its own.
    for (Event& event :
         options.external ? options.external->market().TakeEvents(exchange, now) : exchange.TakeEvents()) {
      if (auto* market_event = std::get_if<MarketEventOut>(&event)) {
        DispatchMarket(market_event->event);
        continue;
      }
      if (auto* released = std::get_if<DelayReleasedOut>(&event)) {
        ReleaseHeld(*released);
        continue;
      }
      auto& user_event = std::get<UserEventOut>(event);
      const std::string frame = pm::EncodeUserEvent(user_event.event);
      const std::string market = std::visit([](const auto& e) { return e.market; }, user_event.event);
      const bool placement = std::holds_alternative<pm::UserOrderEvent>(user_event.event) &&
                             std::get<pm::UserOrderEvent>(user_event.event).type == pm::OrderEventType::kPlacement;
      for (auto& [id, u] : user_sessions) {
        if (u.api_key.empty()) continue;
        if (std::find(user_event.recipients.begin(), user_event.recipients.end(), u.api_key) ==
            user_event.recipients.end())
          continue;
        if (!u.markets.empty() && !u.markets.contains(market)) continue;
        if (placement && faults.placement_delay_max > 0) {
          const auto delay = static_cast<Nanos>(fault_rng.Unit() * static_cast<double>(faults.placement_delay_max));
          std::weak_ptr<Impl> weak = weak_from_this();
          const uint64_t session_id = id;
          io.PostAfter(delay, [weak, session_id, frame] {
            auto self = weak.lock();
            if (!self) return;
            if (auto it = self->user_sessions.find(session_id); it != self->user_sessions.end())
              it->second.session->Send(frame);
          });
          continue;
        }
        SendUser(u, frame);
      }
    }
    (void)now;
  }

  void DispatchMarket(const pm::MarketEvent& event) {
    std::string frame;  // encoded lazily, once
    for (auto& [id, s] : market_sessions) {
      bool wanted = false;
      if (const auto* pc = std::get_if<pm::PriceChangeEvent>(&event)) {
        for (const auto& c : pc->changes) wanted |= s.assets.contains(c.asset_id);
      } else if (std::holds_alternative<pm::NewMarketEvent>(event)) {
        wanted = s.subscribed;  // a new market goes to every subscribed connection
      } else {
        const std::string asset = std::visit(
            [](const auto& e) -> std::string {
              if constexpr (requires { e.asset_id; }) {
                return e.asset_id;
              } else {
                return {};
              }
            },
            event);
        wanted = s.assets.contains(asset);
      }
      if (!wanted) continue;
      if (fault_rng.Chance(faults.ws_drop)) {
        Count(&SimStats::faults_injected);
        s.session->Drop();
        continue;
      }
      if (frame.empty()) frame = pm::EncodeMarketEvent(event);
      if (fault_rng.Chance(faults.ws_reorder) && !s.held) {
        Count(&SimStats::faults_injected);
        s.held = frame;
        continue;
      }
      s.session->Send(frame);
      if (fault_rng.Chance(faults.ws_duplicate)) {
        Count(&SimStats::faults_injected);
        s.session->Send(frame);
      }
      if (s.held) {
        s.session->Send(*s.held);
        s.held.reset();
      }
    }
  }

  // What the market channel and GET /book show: the core's book, or the recorded book with ours.
  pm::BookEvent PublishedBook(const std::string& token, Nanos now) const {
    return options.external ? options.external->market().Book(exchange, token, now) : exchange.Book(token, now);
  }

  void PublishReference(Nanos now) {
    if (options.external) {  // the recorded (or live) reference frames, as they come
      for (const std::string& frame : options.external->market().TakeReferenceFrames(now)) {
        for (auto& [id, s] : reference_sessions) s->Send(frame);
      }
      return;
    }
    if (reference_sessions.empty()) return;
    std::string frame = "[";
    bool first = true;
    const std::vector<MarketConfig> markets = exchange.Markets();  // a copy: keep it while pointing into it
    for (const auto& [condition, fv] : flow.FairValues()) {
      const MarketConfig* m = nullptr;
      for (const MarketConfig& mk : markets) {
        if (mk.condition_id == condition) m = &mk;
      }
      frame += fmt::format(R"({}{{"symbol":"{}","price":"{:.6f}","timestamp":{}}})", first ? "" : ",",
                           m ? m->slug : condition, fv, now / kNanosPerMilli);
      first = false;
    }
    frame += "]";
    for (auto& [id, s] : reference_sessions) s->Send(frame);
  }

  void Tick() {
    if (stopping) return;
    const Nanos now = Now();
    exchange.Advance(now);
    relayer.Advance(exchange, now);
    if (options.external) {
      options.external->Tick(exchange, now, last_client_request);
    } else if (options.flow && !flow_paused) {
      flow.Step(now);
    }
    Dispatch(now);
    if (now - last_reference >= 200 * kNanosPerMilli) {
      last_reference = now;
      PublishReference(now);
    }
    std::weak_ptr<Impl> weak = weak_from_this();
    io.PostAfter(options.tick, [weak] {
      if (auto self = weak.lock()) self->Tick();
    });
  }

  template <typename F>
  auto OnLoop(F&& fn) const {
    using R = decltype(fn());
    std::promise<R> promise;
    auto future = promise.get_future();
    const_cast<net::IoThread&>(io).Post([&] {
      if constexpr (std::is_void_v<R>) {
        fn();
        promise.set_value();
      } else {
        promise.set_value(fn());
      }
    });
    return future.get();
  }
};

absl::StatusOr<std::unique_ptr<SimServer>> SimServer::Start(SimServerOptions options) {
  const Clock& clock = options.clock ? *options.clock : SystemClock::Instance();
  options.exchange.order_version = options.order_version;
  if (options.exchange.seed == 1) options.exchange.seed = options.seed;
  if (options.flow_config.seed == 1) options.flow_config.seed = options.seed * 3 + 1;
  if (options.external) {
    options.markets = options.external->markets();
    options.flow = false;
  }
  if (options.markets.empty()) options.markets = DefaultMarkets(options.seed, 3, clock.WallSeconds());
  auto impl = std::make_shared<Impl>(options);
  std::weak_ptr<Impl> weak = impl;
  net::HttpServerOptions http;
  http.listen = options.listen;
  http.tls_cert_pem = options.tls_cert_pem;
  http.tls_key_pem = options.tls_key_pem;
  http.on_request = [weak](const net::HttpRequest& r, std::function<void(net::HttpResponse)> respond) {
    if (auto self = weak.lock()) self->OnRequest(r, std::move(respond));
  };
  http.accept_websocket = [](const std::string& path) {
    return path.rfind("/ws/market", 0) == 0 || path.rfind("/ws/user", 0) == 0 || path.rfind("/ws/reference", 0) == 0;
  };
  http.on_ws_open = [weak](std::shared_ptr<net::WsSession> s) {
    if (auto self = weak.lock()) self->OnWsOpen(s);
  };
  http.on_ws_message = [weak](std::shared_ptr<net::WsSession> s, std::string m) {
    if (auto self = weak.lock()) self->OnWsMessage(s, m);
  };
  http.on_ws_close = [weak](std::shared_ptr<net::WsSession> s) {
    if (auto self = weak.lock()) self->OnWsClose(s);
  };
  http.accept_ping = [weak](const std::shared_ptr<net::WsSession>& s) {
    auto self = weak.lock();
    return !self || self->AcceptPing(s);
  };
  // Build the exchange state on the loop before serving.
  absl::Status external_started = absl::OkStatus();
  impl->OnLoop([&] {
    for (const MarketConfig& m : impl->options.markets) impl->exchange.AddMarket(m);
    if (impl->options.external) {
      std::weak_ptr<Impl> dispatcher = impl;
      external_started = impl->options.external->Start(
          impl->exchange, impl->io,
          [dispatcher] {
            if (auto self = dispatcher.lock()) self->Dispatch(self->Now());
          },
          clock.WallNanos());
    } else {
      impl->flow.Init(clock.WallNanos());
    }
    (void)impl->exchange.TakeEvents();
  });
  if (!external_started.ok()) return external_started;
  auto server = net::HttpServer::Start(impl->io, http);
  if (!server.ok()) return server.status();
  impl->http = std::move(*server);
  impl->io.Post([weak] {
    if (auto self = weak.lock()) self->Tick();
  });
  return std::unique_ptr<SimServer>(new SimServer(std::move(impl)));
}

SimServer::~SimServer() {
  impl_->OnLoop([this] {
    impl_->stopping = true;
    if (impl_->options.external) impl_->options.external->Stop();
  });
  impl_->http->Stop();
}

uint16_t SimServer::port() const { return impl_->http->port(); }
std::string SimServer::base_url() const { return impl_->http->base_url(); }
std::string SimServer::ws_url() const { return impl_->http->ws_url(); }

void SimServer::SetFaults(const Faults& faults) {
  impl_->OnLoop([&] { impl_->faults = faults; });
}
Faults SimServer::faults() const {
  return impl_->OnLoop([&] { return impl_->faults; });
}
void SimServer::Burst(int status, Nanos duration) {
  impl_->OnLoop([&] {
    impl_->faults.burst_status = status;
    impl_->faults.burst_until = impl_->Now() + duration;
  });
}
bool SimServer::SetTickSize(const std::string& token, model::TickSize tick) {
  return impl_->OnLoop([&] {
    const bool ok = impl_->exchange.SetTickSize(token, tick, impl_->Now());
    impl_->Dispatch(impl_->Now());
    return ok;
  });
}
void SimServer::RestartMatchingEngine(Nanos down, Nanos post_only) {
  impl_->OnLoop([&] {
    const Nanos now = impl_->Now();
    impl_->exchange.RestartMatchingEngine(now + down, now + down + post_only);
  });
}
size_t SimServer::DropConnections(bool market, bool user) {
  return impl_->OnLoop([&] {
    size_t n = 0;
    if (market) {
      for (auto& [id, s] : impl_->market_sessions) {
        s.session->Drop();
        ++n;
      }
    }
    if (user) {
      for (auto& [id, s] : impl_->user_sessions) {
        s.session->Drop();
        ++n;
      }
    }
    return n;
  });
}
void SimServer::Credit(const std::string& address, int64_t collateral, const std::string& token, int64_t tokens) {
  impl_->OnLoop([&] { impl_->exchange.Credit(address, collateral, token, tokens); });
}
bool SimServer::ResolveMarket(const std::string& condition_id, int winning_outcome) {
  return impl_->OnLoop([&] {
    const bool ok = impl_->exchange.Resolve(Lower(condition_id), winning_outcome, impl_->Now());
    impl_->Dispatch(impl_->Now());
    return ok;
  });
}
Nanos SimServer::Mutate(const std::function<void(Exchange&, Nanos)>& fn) {
  return impl_->OnLoop([&] {
    const Nanos now = impl_->Now();
    fn(impl_->exchange, now);
    impl_->Dispatch(now);
    return now;
  });
}
void SimServer::SetFlow(bool enabled) {
  impl_->OnLoop([&] { impl_->flow_paused = !enabled; });
}
void SimServer::SetTradeFailProbability(double p) {
  impl_->OnLoop([&] { impl_->exchange.SetTradeFailProbability(p); });
}
void SimServer::SetOrderVersion(int version) {
  impl_->OnLoop([&] { impl_->exchange.SetOrderVersion(version); });
}

std::vector<Order> SimServer::OpenOrders(const std::string& address, bool include_closed) const {
  return impl_->OnLoop([&] {
    std::vector<Order> out;
    if (include_closed) {
      for (const auto& [id, o] : impl_->exchange.AllOrders()) {
        if (address.empty() || o.spec.maker == Lower(address)) out.push_back(o);
      }
      return out;
    }
    for (const Order* o : impl_->exchange.OpenOrders("")) {
      if (address.empty() || o->spec.maker == Lower(address)) out.push_back(*o);
    }
    return out;
  });
}
std::map<std::string, int64_t> SimServer::Refusals(const std::string& address) const {
  return impl_->OnLoop([&] {
    auto it = impl_->refusals.find(Lower(address));
    return it == impl_->refusals.end() ? std::map<std::string, int64_t>{} : it->second;
  });
}
PlaceResult SimServer::PlaceTestOrder(const std::string& token, Side side, Price price, Size size,
                                      std::string* order_id) {
  return impl_->OnLoop([&] {
    impl_->exchange.OpenAccount(kTestMakerAddress, kTestMakerKey);
    impl_->exchange.Credit(kTestMakerAddress, 1'000'000'000'000, token, 1'000'000'000'000);
    std::array<uint8_t, 32> bytes{};
    const uint64_t n = ++impl_->test_orders;
    for (int b = 0; b < 8; ++b) bytes[static_cast<size_t>(b)] = static_cast<uint8_t>(n >> (8 * b));
    bytes[31] = 0x7e;
    const model::OrderId id(bytes);
    *order_id = id.ToString();
    const Nanos now = impl_->Now();
    PlaceResult r = impl_->exchange.Place({.id = id,
                                           .owner = kTestMakerKey,
                                           .maker = kTestMakerAddress,
                                           .token = token,
                                           .side = side,
                                           .price = price,
                                           .size = size,
                                           .version = impl_->exchange.config().order_version},
                                          now);
    impl_->Dispatch(now);
    return r;
  });
}
size_t SimServer::CancelTestOrders() {
  return impl_->OnLoop([&] {
    const Nanos now = impl_->Now();
    const size_t n = impl_->exchange.CancelAll(kTestMakerKey, now).canceled.size();
    impl_->Dispatch(now);
    return n;
  });
}
std::vector<Account> SimServer::Balances(const std::string& address) const {
  return impl_->OnLoop([&] {
    std::vector<Account> out;
    if (const Account* a = impl_->exchange.AccountOf(address)) out.push_back(*a);
    return out;
  });
}
std::vector<polymarket::UserTradeEvent> SimServer::Trades(const std::string& address) const {
  return impl_->OnLoop([&] {
    std::vector<polymarket::UserTradeEvent> out;
    for (const auto& t : impl_->exchange.Trades("")) {
      bool involved = t.maker_address == Lower(address);
      for (const auto& leg : t.maker_orders) involved |= leg.maker_address == Lower(address);
      if (address.empty() || involved) out.push_back(t);
    }
    return out;
  });
}
polymarket::BookEvent SimServer::Book(const std::string& token) const {
  return impl_->OnLoop([&] { return impl_->exchange.Book(token, impl_->Now()); });
}
std::vector<MarketConfig> SimServer::Markets() const {
  return impl_->OnLoop([&] { return impl_->exchange.Markets(); });
}
SimStats SimServer::stats() const {
  std::lock_guard lock(impl_->stats_mu);
  return impl_->stats;
}

void SimServer::SetRateTier(const std::string& address, polymarket::RateTier tier) {
  impl_->OnLoop([&] { impl_->signer_limits.SetTier(Lower(address), tier, impl_->Now()); });
}
void SimServer::SetRateLimits(bool enabled, bool warning_mode, bool cancel_all_cost_up_front, bool ip_limits) {
  impl_->OnLoop([&] {
    impl_->signer_limits.SetEnabled(enabled);
    impl_->signer_limits.SetWarningMode(warning_mode);
    impl_->signer_limits.SetCancelAllCostUpFront(cancel_all_cost_up_front);
    impl_->ip_limits.SetEnabled(ip_limits);
  });
}
bool SimServer::SetMarketDelay(const std::string& condition_id, Nanos taker_delay, int64_t sports_delay_s) {
  return impl_->OnLoop(
      [&] { return impl_->exchange.SetMarketDelay(Lower(condition_id), taker_delay, sports_delay_s); });
}
void SimServer::SetDelayScope(DelayScope scope, bool hold_answers) {
  impl_->OnLoop([&] {
    impl_->exchange.SetDelayScope(scope);
    impl_->options.hold_delayed_answers = hold_answers;
  });
}
bool SimServer::SetFeeSchedule(const std::string& condition_id, const polymarket::FeeSchedule& fees) {
  return impl_->OnLoop([&] { return impl_->exchange.SetFeeSchedule(Lower(condition_id), fees); });
}
void SimServer::SetTradingMode(TradingMode mode) {
  impl_->OnLoop([&] { impl_->exchange.SetTradingMode(mode); });
}
void SimServer::SetClosedOnly(const std::string& address, bool closed_only) {
  impl_->OnLoop([&] { impl_->exchange.SetClosedOnly(address, closed_only); });
}
void SimServer::SetPreflight(const PreflightState& state) {
  impl_->OnLoop([&] { impl_->preflight = state; });
}
void SimServer::SetWalletPolicy(WalletPolicy policy, const std::set<std::string>& legacy_owners) {
  impl_->OnLoop([&] {
    impl_->options.wallet_policy = policy;
    impl_->options.legacy_owners.clear();
    for (const auto& owner : legacy_owners) impl_->options.legacy_owners.insert(Lower(owner));
  });
}
void SimServer::MarkWalletDeployed(const std::string& wallet) {
  auto address = crypto::Address::Parse(wallet);
  if (!address.ok()) return;
  impl_->OnLoop([&] { impl_->relayer.MarkDeployed(*address); });
}
std::vector<relayer::Transaction> SimServer::RelayerTransactions() const {
  return impl_->OnLoop([&] {
    std::vector<relayer::Transaction> out;
    for (const relayer::Transaction* tx : impl_->relayer.All()) out.push_back(*tx);
    return out;
  });
}
WalletPolicy SimServer::wallet_policy() const {
  return impl_->OnLoop([&] { return impl_->options.wallet_policy; });
}
std::set<std::string> SimServer::legacy_owners() const {
  return impl_->OnLoop([&] { return impl_->options.legacy_owners; });
}
absl::StatusOr<WalletPolicy> ParseWalletPolicy(std::string_view text) {
  if (text == "legacy") return WalletPolicy::kLegacy;
  if (text == "deposit-only") return WalletPolicy::kDepositOnly;
  return absl::InvalidArgumentError(fmt::format("unknown wallet policy '{}': legacy or deposit-only", text));
}
void SimServer::SetOrderLookupAnswer(OrderLookupAnswer answer) {
  impl_->OnLoop([&] { impl_->options.order_lookup = answer; });
}
void SimServer::SetMatchedNotBroadcastedShare(double share) {
  impl_->OnLoop([&] { impl_->exchange.SetMatchedNotBroadcastedShare(share); });
}
void SimServer::AddMarket(const MarketConfig& market) {
  impl_->OnLoop([&] {
    const Nanos now = impl_->Now();
    impl_->exchange.AddMarket(market, now);
    impl_->Dispatch(now);
  });
}
RateLimitTruth SimServer::RateLimits(const std::string& address) const {
  return impl_->OnLoop([&] {
    const std::string a = Lower(address);
    const Nanos now = impl_->Now();
    RateLimitTruth out;
    out.tier = impl_->signer_limits.TierOf(a);
    out.order_tokens = impl_->signer_limits.Level(a, polymarket::RateBucket::kOrders, now);
    out.cancel_tokens = impl_->signer_limits.Level(a, polymarket::RateBucket::kCancels, now);
    auto it = impl_->throttled_by_signer.find(a);
    out.throttled = it == impl_->throttled_by_signer.end() ? 0 : it->second;
    return out;
  });
}
int64_t SimServer::FeesPaid(const std::string& address) const {
  return impl_->OnLoop([&] { return impl_->exchange.FeesPaid(address); });
}
int64_t SimServer::RebatesPaid(const std::string& address) const {
  return impl_->OnLoop([&] { return impl_->exchange.rebates().PaidTo(Lower(address)); });
}
void SimServer::WithExchange(const std::function<void(Exchange&)>& fn) const {
  impl_->OnLoop([&] { fn(impl_->exchange); });
}

}  // namespace clobmaker::simexchange
