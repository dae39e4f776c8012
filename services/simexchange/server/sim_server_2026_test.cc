// The exchange of late 2026 at the simulator's front end, through clobmaker's own clients:
// per-signer rate limits and their headers, the rate-limit tier, per-IP limits, 200-null order
// lookups (and the 404 / empty variants), matching delays, fees and rebates, trading
// restrictions, websocket rules (no PING before a subscription, subscribe/unsubscribe on open
// connections, the new book fields).
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <future>
#include <mutex>

#include "common/chain/ctf.h"
#include "common/clob/channels.h"
#include "common/clob/rest_client.h"
#include "common/core/hex.h"
#include "common/net/http_client.h"
#include "common/polymarket/decode.h"
#include "common/polymarket/encode.h"
#include "common/relayer/relayer.h"
#include "common/signing/auth.h"
#include "common/signing/session_signer.h"
#include "common/testing/eventually.h"
#include "common/wallet/wallet.h"
#include "services/simexchange/server/sim_server.h"

namespace clobmaker::simexchange {
namespace {

using testing::Eventually;
namespace pm = clobmaker::polymarket;

constexpr char kKey[] = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

template <typename T, typename F>
clob::Result<T> Wait(F call) {
  std::promise<clob::Result<T>> p;
  call([&p](clob::Result<T> r) { p.set_value(std::move(r)); });
  return p.get_future().get();
}

class Sim2026Test : public ::testing::Test {
 protected:
  void Start(SimServerOptions options = {}) {
    options.seed = 11;
    options.flow = false;
    options.starting_collateral = 100'000 * model::kQuantityOne;
    auto server = SimServer::Start(std::move(options));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    market_ = server_->Markets().at(0);
    key_ = std::make_unique<crypto::PrivateKey>(std::move(*crypto::PrivateKey::FromHex(kKey)));
    auto l1 = clob::ClobRestClient::Create(io_, {.http = {.base_url = server_->base_url()}, .executor = &owner_},
                                           key_.get(), nullptr);
    ASSERT_TRUE(l1.ok());
    auto creds = Wait<pm::ApiKeyCreds>([&](auto cb) { (*l1)->DeriveApiKey(0, cb); });
    ASSERT_TRUE(creds.ok()) << creds.error.error;
    api_ = *creds.value;
    creds_ = std::make_unique<signing::ApiCredentials>(api_.api_key, api_.secret, api_.passphrase);
    client_ = std::move(*clob::ClobRestClient::Create(
        io_, {.http = {.base_url = server_->base_url()}, .executor = &owner_}, key_.get(), creds_.get()));
  }
  void SetUp() override {}

  signing::SignedOrder Sign(Side side, int64_t price_units, int64_t shares) {
    return SignAs(signing::SignatureType::kEoa, key_->address(), side, price_units, shares);
  }
  // An order whose maker is `maker` (a wallet of the key's owner, or not), signed as `type`
  // signs: the owner's plain signature, or for POLY_1271 the ERC-7739 wrap with signer = maker.
  signing::SignedOrder SignAs(signing::SignatureType type, const crypto::Address& maker, Side side, int64_t price_units,
                              int64_t shares) {
    const auto amounts = *signing::LimitOrderAmounts(side, Price(price_units), Size::FromWhole(shares), market_.tick);
    signing::UnsignedOrder o;
    o.salt = Uint256(++salt_);
    o.maker = maker;
    o.signer = type == signing::SignatureType::kPoly1271 ? maker : key_->address();
    o.signature_type = type;
    o.token_id = *Uint256::FromDecimal(market_.yes_token);
    o.maker_amount = amounts.maker;
    o.taker_amount = amounts.taker;
    o.side = side;
    o.timestamp_ms = static_cast<uint64_t>(SystemClock::Instance().WallMillis());
    const auto contracts = *signing::ContractsForChain(137);
    return *signing::SignOrder(
        o,
        signing::HashDomain({.version = signing::OrderVersion::kV2,
                             .chain_id = 137,
                             .exchange = signing::ExchangeFor(contracts, signing::OrderVersion::kV2, false)}),
        *key_);
  }
  clob::Result<pm::PostOrderResult> Post(const signing::SignedOrder& o, bool post_only = true,
                                         signing::OrderType type = signing::OrderType::kGtc) {
    return Wait<pm::PostOrderResult>([&](auto cb) { client_->PostOrder(o, type, post_only, cb); });
  }
  clob::Result<std::vector<pm::PostOrderResult>> PostBatch(const std::vector<signing::SignedOrder>& orders) {
    std::vector<const signing::SignedOrder*> ptrs;
    for (const auto& o : orders) ptrs.push_back(&o);
    return Wait<std::vector<pm::PostOrderResult>>(
        [&](auto cb) { client_->PostOrders(ptrs, signing::OrderType::kGtc, true, cb); });
  }
  std::string Address() const { return key_->address().ToLower(); }

  std::unique_ptr<SimServer> server_;
  MarketConfig market_;
  net::IoThread io_;
  ThreadExecutor owner_;
  std::unique_ptr<crypto::PrivateKey> key_;
  pm::ApiKeyCreds api_;
  std::unique_ptr<signing::ApiCredentials> creds_;
  std::unique_ptr<clob::ClobRestClient> client_;
  uint64_t salt_ = 5000;
};

TEST_F(Sim2026Test, PerSignerOrderBucketWithHeadersAndRetryAfter) {
  Start();
  auto tier = Wait<pm::RateTier>([&](auto cb) { client_->GetRateLimitTier(cb); });
  ASSERT_TRUE(tier.ok()) << tier.error.error;
  EXPECT_EQ(*tier.value, pm::RateTier::kStandard);
  // The Standard order burst is 60: the 61st order within the burst is refused with a 429.
  std::optional<double> last_remaining;
  int accepted = 0;
  clob::Result<pm::PostOrderResult> refused;
  const auto began = std::chrono::steady_clock::now();
  for (int i = 0; i < 400; ++i) {
    auto r = Post(Sign(Side::kBuy, 1000 + (i % 20) * 100, 5));
    ASSERT_TRUE(r.rate_limit.present) << "every trading answer carries the headers";
    EXPECT_EQ(r.rate_limit.tier, pm::RateTier::kStandard);
    if (r.outcome == net::Outcome::kThrottled) {
      refused = r;
      break;
    }
    ASSERT_TRUE(r.ok()) << r.error.error;
    ++accepted;
    if (last_remaining) {
      EXPECT_LT(*r.rate_limit.remaining, *last_remaining + 1.0);
    }
    last_remaining = r.rate_limit.remaining;
  }
  // The bucket refills at 40/s while we post: on a slow (sanitized, loaded) machine the loop takes
  // long enough for that to matter, so the bound is what could have refilled in the time taken.
  const double took_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  EXPECT_GE(accepted, 60);
  EXPECT_LE(accepted, 60 + static_cast<int>(std::ceil(40.0 * took_s)) + 1) << "posting took " << took_s << " s";
  EXPECT_EQ(refused.http_status, 429);
  ASSERT_TRUE(refused.retry_after.has_value());
  EXPECT_GE(*refused.retry_after, kNanosPerSecond);  // whole seconds, at least one
  EXPECT_EQ(server_->OpenOrders(Address()).size(), static_cast<size_t>(accepted));
  const RateLimitTruth truth = server_->RateLimits(Address());
  EXPECT_EQ(truth.throttled, 1u);
  EXPECT_LT(truth.order_tokens, 5.0);
}

TEST_F(Sim2026Test, BatchesAreAdmittedWholeOrNotAtAll) {
  Start();
  std::vector<signing::SignedOrder> batch;
  for (int round = 0; round < 4; ++round) {
    batch.clear();
    for (int i = 0; i < 15; ++i) batch.push_back(Sign(Side::kBuy, 1000 + i * 100, 5));
    ASSERT_TRUE(PostBatch(batch).ok());
  }
  // 60 spent: a batch of 15 finds (almost) nothing and is refused whole; no leg is placed.
  batch.clear();
  for (int i = 0; i < 15; ++i) batch.push_back(Sign(Side::kBuy, 2000 + i * 100, 5));
  auto r = PostBatch(batch);
  EXPECT_EQ(r.outcome, net::Outcome::kThrottled);
  EXPECT_EQ(server_->OpenOrders(Address()).size(), 60u);
  // More than 15 is a 400 whatever the tokens.
  server_->SetRateTier(Address(), pm::RateTier::kElite);
  batch.clear();
  for (int i = 0; i < 16; ++i) batch.push_back(Sign(Side::kBuy, 3000 + i * 100, 5));
  auto big = PostBatch(batch);
  EXPECT_EQ(big.outcome, net::Outcome::kRejected);
  EXPECT_NE(big.error.error.find("max allowed: 15"), std::string::npos);
  // The tier set through the control API is what the headers and the tier endpoint say.
  batch.resize(15);
  auto gold = PostBatch(batch);
  ASSERT_TRUE(gold.ok()) << gold.error.error;
  EXPECT_EQ(gold.rate_limit.tier, pm::RateTier::kElite);
  EXPECT_EQ(*Wait<pm::RateTier>([&](auto cb) { client_->GetRateLimitTier(cb); }).value, pm::RateTier::kElite);
}

TEST_F(Sim2026Test, CancelAllGoesIntoDebtAndBlocksFurtherCancels) {
  Start();
  server_->SetRateTier(Address(), pm::RateTier::kSilver);  // room to place 200 orders
  std::vector<signing::SignedOrder> batch;
  for (int round = 0; round < 14; ++round) {
    batch.clear();
    for (int i = 0; i < 15; ++i) batch.push_back(Sign(Side::kBuy, 1000 + ((round * 15 + i) % 40) * 100, 5));
    ASSERT_TRUE(PostBatch(batch).ok());
  }
  ASSERT_EQ(server_->OpenOrders(Address()).size(), 210u);
  server_->SetRateTier(Address(), pm::RateTier::kStandard);  // cancel burst 120, debt allowed
  auto all = Wait<pm::CancelResult>([&](auto cb) { client_->CancelAll(cb); });
  ASSERT_TRUE(all.ok()) << all.error.error;  // admitted with one token up front
  EXPECT_EQ(all.value->canceled.size(), 210u);
  ASSERT_TRUE(all.rate_limit.remaining.has_value());
  EXPECT_LT(*all.rate_limit.remaining, -80.0);  // 120 - 1 - 210: in debt
  auto blocked = Wait<pm::CancelResult>([&](auto cb) { client_->CancelOrder("0x1234", cb); });
  EXPECT_EQ(blocked.outcome, net::Outcome::kThrottled);
  ASSERT_TRUE(blocked.retry_after.has_value());
  EXPECT_GE(*blocked.retry_after, kNanosPerSecond);
  // A DELETE /orders costing more than the burst can never pass: 429 without Retry-After.
  std::vector<std::string> ids(121, "0xdead");
  server_->SetRateTier(Address(), pm::RateTier::kStandard);
  auto over = Wait<pm::CancelResult>([&](auto cb) { client_->CancelOrders(ids, cb); });
  EXPECT_EQ(over.outcome, net::Outcome::kThrottled);
  EXPECT_FALSE(over.retry_after.has_value());
  EXPECT_NE(over.error.error.find("split"), std::string::npos);
  // More than 1,000 ids is a 400 whatever the tokens (Elite's cancel burst is 1,800).
  server_->SetRateTier(Address(), pm::RateTier::kElite);
  std::vector<std::string> many(1001, "0xdead");
  auto too_many = Wait<pm::CancelResult>([&](auto cb) { client_->CancelOrders(many, cb); });
  EXPECT_EQ(too_many.outcome, net::Outcome::kRejected);
  EXPECT_NE(too_many.error.error.find("max allowed: 1000"), std::string::npos) << too_many.error.error;
  many.resize(1000);
  EXPECT_TRUE(Wait<pm::CancelResult>([&](auto cb) { client_->CancelOrders(many, cb); }).ok());
}

TEST_F(Sim2026Test, PerIpLimitsCountRequests) {
  SimServerOptions o;
  o.ip_limits.rules = {{"GET /data/orders", 5, 10 * kNanosPerSecond, 0, 0}};
  Start(o);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(Wait<pm::Page<pm::OpenOrder>>([&](auto cb) { client_->GetOpenOrders({}, cb); }).ok());
  }
  auto sixth = Wait<pm::Page<pm::OpenOrder>>([&](auto cb) { client_->GetOpenOrders({}, cb); });
  EXPECT_EQ(sixth.outcome, net::Outcome::kThrottled);
  EXPECT_TRUE(sixth.retry_after.has_value());
  EXPECT_EQ(server_->RateLimits(Address()).throttled, 1u);
}

TEST_F(Sim2026Test, LookupsOfInactiveOrdersAre200NullByDefaultAnd404Or200EmptyAsVariants) {
  Start();
  const auto order = Sign(Side::kBuy, 3000, 10);
  ASSERT_TRUE(Post(order).ok());
  auto live = Wait<std::optional<pm::OpenOrder>>([&](auto cb) { client_->GetOrder(order.id.ToString(), cb); });
  ASSERT_TRUE(live.ok());
  ASSERT_TRUE(live.value->has_value());
  EXPECT_EQ((*live.value)->status, "LIVE");
  ASSERT_TRUE(Wait<pm::CancelResult>([&](auto cb) { client_->CancelOrder(order.id.ToString(), cb); }).ok());
  // Cancelled, or never seen: 200 null, the live exchange's answer.
  for (const std::string& id : {order.id.ToString(), std::string("0x") + std::string(64, '7')}) {
    auto gone = Wait<std::optional<pm::OpenOrder>>([&](auto cb) { client_->GetOrder(id, cb); });
    EXPECT_EQ(gone.http_status, 200);
    ASSERT_TRUE(gone.ok());
    EXPECT_FALSE(gone.value->has_value());
  }
  server_->SetOrderLookupAnswer(OrderLookupAnswer::kNotFound);
  auto not_found = Wait<std::optional<pm::OpenOrder>>([&](auto cb) { client_->GetOrder(order.id.ToString(), cb); });
  EXPECT_EQ(not_found.http_status, 404);
  EXPECT_EQ(not_found.outcome, net::Outcome::kRejected);
  server_->SetOrderLookupAnswer(OrderLookupAnswer::kEmpty);
  auto empty = Wait<std::optional<pm::OpenOrder>>([&](auto cb) { client_->GetOrder(order.id.ToString(), cb); });
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(empty.value->has_value());
}

TEST_F(Sim2026Test, TakerDelayDelayedAnswerUncancellableInvisibleThenMatched) {
  Start();
  ASSERT_TRUE(server_->SetMarketDelay(market_.condition_id, 250 * kNanosPerMilli, 0));
  auto info = Wait<pm::ClobMarketInfo>([&](auto cb) { client_->GetClobMarket(market_.condition_id, cb); });
  ASSERT_TRUE(info.ok()) << info.error.error;
  EXPECT_TRUE(info.value->taker_delay);
  EXPECT_EQ(info.value->matching_delay_ms(), 250);
  const int64_t ask = server_->Book(market_.yes_token).asks.at(0).price.units();
  const auto order = Sign(Side::kBuy, ask, 5);
  auto r = Post(order, /*post_only=*/false);
  ASSERT_TRUE(r.ok()) << r.error.error;
  EXPECT_EQ(r.value->status, "delayed");
  EXPECT_TRUE(r.value->accepted());
  EXPECT_EQ(r.value->making_amount, 0);
  auto cancel = Wait<pm::CancelResult>([&](auto cb) { client_->CancelOrder(order.id.ToString(), cb); });
  ASSERT_TRUE(cancel.ok());
  ASSERT_EQ(cancel.value->not_canceled.size(), 1u);
  EXPECT_NE(cancel.value->not_canceled[0].second.find("delay"), std::string::npos);
  auto lookup = Wait<std::optional<pm::OpenOrder>>([&](auto cb) { client_->GetOrder(order.id.ToString(), cb); });
  ASSERT_TRUE(lookup.ok());
  EXPECT_FALSE(lookup.value->has_value());  // invisible during the delay
  ASSERT_TRUE(Eventually([&] { return !server_->Trades(Address()).empty(); }));
}

TEST_F(Sim2026Test, HeldAnswersSayUnmatchedForAnOrderThatRestedAfterItsDelay) {
  SimServerOptions o;
  o.exchange.delay_scope = DelayScope::kAll;
  o.hold_delayed_answers = true;
  Start(o);
  ASSERT_TRUE(server_->SetMarketDelay(market_.condition_id, 0, 1));
  const auto start = SystemClock::Instance().WallNanos();
  auto r = Post(Sign(Side::kBuy, 1000, 5));
  ASSERT_TRUE(r.ok()) << r.error.error;
  EXPECT_GE(SystemClock::Instance().WallNanos() - start, 900 * kNanosPerMilli);  // held for the delay
  EXPECT_EQ(r.value->status, "unmatched");
  EXPECT_EQ(r.value->Classify(), pm::PlacementClass::kUnmatched);
  EXPECT_EQ(server_->OpenOrders(Address()).size(), 1u);  // it rests: unmatched is not a rejection
}

TEST_F(Sim2026Test, FeesChargedToTakersAndRebatesPaidToMakersAtTheDaysEnd) {
  SimServerOptions o;
  o.exchange.rebate_day = 2 * kNanosPerSecond;
  Start(o);
  const pm::FeeSchedule crypto{.enabled = true, .rate_ppm = 70'000, .exponent = 1, .rebate_ppm = 200'000};
  ASSERT_TRUE(server_->SetFeeSchedule(market_.condition_id, crypto));
  auto info = Wait<pm::ClobMarketInfo>([&](auto cb) { client_->GetClobMarket(market_.condition_id, cb); });
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info.value->fees, (pm::FeeSchedule{.enabled = true, .rate_ppm = 70'000, .exponent = 1}));
  // We rest a sell; the background maker's quotes are there too. Take our own level from another
  // account through the exchange core directly (a taker that is not us).
  // Our sell becomes the best ask (one tick above the best bid, below the maker's asks).
  const auto book = server_->Book(market_.yes_token);
  const int64_t price = book.bids.at(0).price.units() + market_.tick.units();
  ASSERT_LT(price, book.asks.at(0).price.units());
  const auto sell = Sign(Side::kSell, price, 20);
  ASSERT_TRUE(Post(sell).ok());
  server_->Mutate([&](Exchange& ex, Nanos now) {
    ex.OpenAccount("0xtaker", "taker-key");
    ex.Credit("0xtaker", 1'000 * model::kQuantityOne);
    NewOrder take{.id = model::OrderId(crypto::Keccak256("taker-order")),
                  .owner = "taker-key",
                  .maker = "0xtaker",
                  .token = market_.yes_token,
                  .side = Side::kBuy,
                  .price = Price(price),
                  .size = Size::FromWhole(20),
                  .type = OrderType::kFak};
    ASSERT_TRUE(ex.Place(take, now).success);
  });
  ASSERT_GT(server_->FeesPaid("0xtaker"), 0);
  EXPECT_EQ(server_->FeesPaid(Address()), 0);  // we were the maker
  ASSERT_TRUE(Eventually([&] { return server_->RebatesPaid(Address()) > 0; }));
  auto rebates = Wait<std::vector<pm::RebateEntry>>([&](auto cb) { client_->GetRebates("", Address(), cb); });
  ASSERT_TRUE(rebates.ok()) << rebates.error.error;
  ASSERT_FALSE(rebates.value->empty());
  int64_t total = 0;
  for (const auto& e : *rebates.value) total += e.rebated_fees_micros;
  EXPECT_EQ(total, server_->RebatesPaid(Address()));
  EXPECT_EQ(rebates.value->front().condition_id, market_.condition_id);
}

TEST_F(Sim2026Test, RestrictionsAreTypedPostsStopCancelsGoOn) {
  Start();
  const auto resting = Sign(Side::kBuy, 2000, 5);
  ASSERT_TRUE(Post(resting).ok());
  server_->SetTradingMode(TradingMode::kCancelOnly);
  auto refused = Post(Sign(Side::kBuy, 2100, 5));
  EXPECT_EQ(refused.http_status, 503);
  EXPECT_EQ(pm::ClassifyRestriction(refused.http_status, refused.error), pm::TradingRestriction::kCancelOnly);
  EXPECT_TRUE(Wait<pm::CancelResult>([&](auto cb) { client_->CancelOrder(resting.id.ToString(), cb); }).ok());
  server_->SetTradingMode(TradingMode::kNormal);
  server_->SetClosedOnly(Address(), true);
  auto ban = Wait<pm::BanStatus>([&](auto cb) { client_->GetBanStatus(cb); });
  ASSERT_TRUE(ban.ok());
  EXPECT_TRUE(ban.value->closed_only);
  auto buy = Post(Sign(Side::kBuy, 2100, 5));
  EXPECT_EQ(pm::ClassifyRestriction(buy.http_status, buy.error), pm::TradingRestriction::kClosedOnly);
  server_->RestartMatchingEngine(0, 5 * kNanosPerSecond);
  auto not_post_only = Post(Sign(Side::kSell, 9900, 5), /*post_only=*/false);
  EXPECT_EQ(pm::ClassifyRestriction(not_post_only.http_status, not_post_only.error), pm::TradingRestriction::kPostOnly);
  EXPECT_TRUE(not_post_only.retry_after.has_value());
}

// --- wallets (issue 19): which makers an owner may trade through ---------------------------------

// The owner's wallets as Polymarket derives them on Polygon (the simulator's chain).
struct OwnerWallets {
  crypto::Address eoa, proxy, safe, deposit, legacy_deposit;
};
OwnerWallets WalletsOf(const crypto::Address& owner) {
  const auto f = *wallet::FactoriesForChain(137);
  return {owner, wallet::ProxyWalletOf(owner, f), wallet::SafeOf(owner, f), wallet::DepositWalletOf(owner, f),
          wallet::LegacyDepositWalletOf(owner, f)};
}

TEST_F(Sim2026Test, DepositOnlyRefusesEoaProxyAndSafeMakersWithTheExchangesErrorAndTakesTheDepositWallet) {
  SimServerOptions options;
  options.wallet_policy = WalletPolicy::kDepositOnly;
  Start(std::move(options));
  using signing::SignatureType;
  const OwnerWallets w = WalletsOf(key_->address());
  for (const auto& [type, maker] :
       {std::pair{SignatureType::kEoa, w.eoa}, std::pair{SignatureType::kPolyProxy, w.proxy},
        std::pair{SignatureType::kPolyGnosisSafe, w.safe}}) {
    auto refused = Post(SignAs(type, maker, Side::kBuy, 2000, 5));
    EXPECT_EQ(refused.http_status, 400) << wallet::WalletName(type);
    EXPECT_EQ(refused.error.error, kDepositWalletFlowError) << wallet::WalletName(type);
    // Counted where the exchange keeps it, under the maker that was refused.
    EXPECT_EQ(server_->Refusals(maker.ToLower()).at(kDepositWalletFlowError), 1) << wallet::WalletName(type);
    EXPECT_TRUE(server_->OpenOrders(maker.ToLower(), /*include_closed=*/true).empty());
  }
  // The deposit wallet, through the ERC-7739 signature the exchange verifies: accepted, resting
  // under the wallet, and paid from the wallet's balance, not the owner's.
  const auto order = SignAs(SignatureType::kPoly1271, w.deposit, Side::kBuy, 2000, 5);
  auto placed = Post(order);
  ASSERT_TRUE(placed.ok()) << placed.error.error;
  const auto open = server_->OpenOrders(w.deposit.ToLower());
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].spec.id, order.id);
  EXPECT_EQ(open[0].spec.maker, w.deposit.ToLower());
  const auto balances = server_->Balances(w.deposit.ToLower());
  ASSERT_EQ(balances.size(), 1u);
  EXPECT_EQ(balances[0].reserved_collateral, 5 * 2000 * model::kQuantityOne / model::kPriceOne);
  for (const auto& account : server_->Balances(w.eoa.ToLower())) EXPECT_EQ(account.reserved_collateral, 0);
}

// A new account's deposit wallet is funded with it (what the stack trading through the wallet
// seeds from), and GET /balance-allowance answers the wallet the request's signature_type names.
TEST_F(Sim2026Test, BalanceAllowanceAnswersTheWalletOfTheSignatureTypeAndANewDepositWalletIsFunded) {
  Start({});  // the fixture's starting collateral: 100,000 pUSD
  const OwnerWallets w = WalletsOf(key_->address());
  auto balance_of = [&](int signature_type) {
    return Wait<pm::BalanceAllowance>(
        [&](auto cb) { client_->GetBalanceAllowance("COLLATERAL", "", signature_type, cb); });
  };
  auto eoa = balance_of(0);
  ASSERT_TRUE(eoa.ok()) << eoa.error.error;
  EXPECT_EQ(eoa.value->balance, 100'000 * model::kQuantityOne);
  auto deposit = balance_of(3);
  ASSERT_TRUE(deposit.ok()) << deposit.error.error;
  EXPECT_EQ(deposit.value->balance, 100'000 * model::kQuantityOne);
  // Two accounts, not one answered twice: the truth holds both.
  ASSERT_EQ(server_->Balances(w.deposit.ToLower()).size(), 1u);
  ASSERT_EQ(server_->Balances(w.eoa.ToLower()).size(), 1u);
  // A proxy wallet is not funded until it trades: its balance is zero, not the owner's.
  auto proxy = balance_of(1);
  ASSERT_TRUE(proxy.ok()) << proxy.error.error;
  EXPECT_EQ(proxy.value->balance, 0);
}

TEST_F(Sim2026Test, LegacyOwnersKeepTheirEoaProxyAndSafeUnderDepositOnly) {
  SimServerOptions options;
  options.wallet_policy = WalletPolicy::kDepositOnly;
  options.legacy_owners = {crypto::PrivateKey::FromHex(kKey)->address().ToLower()};
  Start(std::move(options));
  using signing::SignatureType;
  const OwnerWallets w = WalletsOf(key_->address());
  for (const auto& [type, maker] :
       {std::pair{SignatureType::kEoa, w.eoa}, std::pair{SignatureType::kPolyProxy, w.proxy},
        std::pair{SignatureType::kPolyGnosisSafe, w.safe}}) {
    auto placed = Post(SignAs(type, maker, Side::kBuy, 2000, 5));
    EXPECT_TRUE(placed.ok()) << wallet::WalletName(type) << ": " << placed.error.error;
    EXPECT_EQ(server_->OpenOrders(maker.ToLower()).size(), 1u) << wallet::WalletName(type);
  }
  // Set at run time, as SimControl sets it: the owner is no longer legacy.
  server_->SetWalletPolicy(WalletPolicy::kDepositOnly, {});
  auto refused = Post(SignAs(SignatureType::kEoa, w.eoa, Side::kBuy, 2100, 5));
  EXPECT_EQ(refused.error.error, kDepositWalletFlowError);
  server_->SetWalletPolicy(WalletPolicy::kLegacy, {});
  EXPECT_TRUE(Post(SignAs(SignatureType::kEoa, w.eoa, Side::kBuy, 2100, 5)).ok());
}

TEST_F(Sim2026Test, AMakerThatIsNotTheOwnersWalletOfTheOrdersTypeFailsTheSignatureCheck) {
  Start();  // legacy: every wallet type is open, but only the owner's own wallets
  using signing::SignatureType;
  const OwnerWallets w = WalletsOf(key_->address());
  const OwnerWallets other = WalletsOf(*crypto::Address::Parse("0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf"));
  const std::vector<std::pair<SignatureType, crypto::Address>> wrong = {
      {SignatureType::kPolyProxy, w.safe},        // the owner's Safe signed as a proxy
      {SignatureType::kPolyGnosisSafe, w.proxy},  // and the other way round
      {SignatureType::kPolyProxy, other.proxy},   // someone else's proxy
      {SignatureType::kPoly1271, other.deposit},  // someone else's deposit wallet
      {SignatureType::kPoly1271, w.safe},         // a wallet that is no deposit wallet
  };
  for (const auto& [type, maker] : wrong) {
    auto refused = Post(SignAs(type, maker, Side::kBuy, 2000, 5));
    EXPECT_EQ(refused.http_status, 400) << wallet::WalletName(type) << " " << maker.ToChecksum();
    EXPECT_EQ(refused.error.error, "invalid signature") << wallet::WalletName(type) << " " << maker.ToChecksum();
    EXPECT_EQ(server_->Refusals(maker.ToLower()).count("invalid signature"), 1u) << maker.ToChecksum();
    EXPECT_TRUE(server_->OpenOrders(maker.ToLower(), /*include_closed=*/true).empty());
  }
  // The owner's own wallets, each as its type (both deposit-wallet generations).
  for (const auto& [type, maker] :
       {std::pair{SignatureType::kPolyProxy, w.proxy}, std::pair{SignatureType::kPolyGnosisSafe, w.safe},
        std::pair{SignatureType::kPoly1271, w.deposit}, std::pair{SignatureType::kPoly1271, w.legacy_deposit}}) {
    auto placed = Post(SignAs(type, maker, Side::kBuy, 2000, 5));
    EXPECT_TRUE(placed.ok()) << wallet::WalletName(type) << " " << maker.ToChecksum() << ": " << placed.error.error;
  }
}

// A raw websocket client: PINGs early (what the exchange closes with 1008).
TEST_F(Sim2026Test, APingBeforeTheSubscriptionGetsTheSocketClosedWith1008) {
  Start();
  std::atomic<int> disconnects{0};
  std::mutex mu;
  std::string reason;
  net::WsClientOptions o;
  o.url = server_->ws_url() + "/ws/market";
  o.executor = &owner_;
  o.ping_interval = 100 * kNanosPerMilli;
  o.ping_before_first_message = true;  // the behaviour the exchange punishes
  o.backoff_initial = 10 * kNanosPerSecond;
  o.on_disconnected = [&](std::string why) {
    std::lock_guard lock(mu);
    reason = why;
    ++disconnects;
  };
  auto eager = net::WsClient::Create(io_, o);
  ASSERT_TRUE(eager.ok());
  (*eager)->Start();
  ASSERT_TRUE(Eventually([&] { return disconnects.load() > 0; }));
  {
    std::lock_guard lock(mu);
    EXPECT_NE(reason.find("1008"), std::string::npos) << reason;
  }
  EXPECT_EQ((*eager)->stats().policy_closes, 1u);
  EXPECT_GE(server_->stats().ws_policy_closes, 1u);
  (*eager)->Stop();

  // Ours: nothing is pinged until a subscription went out, so an idle socket stays open.
  std::atomic<int> polite_drops{0};
  o.ping_before_first_message = false;
  o.on_disconnected = [&](std::string) { ++polite_drops; };
  auto polite = net::WsClient::Create(io_, o);
  (*polite)->Start();
  ASSERT_TRUE(Eventually([&] { return (*polite)->stats().pings_held >= 3; }));
  EXPECT_EQ(polite_drops.load(), 0);
  EXPECT_EQ((*polite)->stats().pings, 0u);
  (*polite)->Send(pm::MarketSubscribeMessage({market_.yes_token}));
  ASSERT_TRUE(Eventually([&] { return (*polite)->stats().pings >= 3; }));
  EXPECT_EQ(polite_drops.load(), 0);
  EXPECT_EQ((*polite)->stats().policy_closes, 0u);
  (*polite)->Stop();
}

TEST_F(Sim2026Test, MarketsAreAddedAndDroppedOnOpenConnectionsAndBooksCarryTheNewFields) {
  Start();
  const MarketConfig second = server_->Markets().at(1);
  std::mutex mu;
  std::vector<std::string> market_frames, user_frames;
  clob::MarketChannelOptions mo;
  mo.url = server_->ws_url() + "/ws/market";
  mo.executor = &owner_;
  mo.on_message = [&](size_t, std::string m) {
    std::lock_guard lock(mu);
    market_frames.push_back(std::move(m));
  };
  std::unique_ptr<clob::MarketChannel> market;
  std::promise<void> ready;
  owner_.Post([&] {
    market = std::move(*clob::MarketChannel::Create(io_, mo));
    market->Subscribe({market_.yes_token});
    ready.set_value();
  });
  ready.get_future().wait();
  pm::MarketDecoder md;
  const auto book_seen = [&](const std::string& asset) {
    std::lock_guard lock(mu);
    for (const auto& f : market_frames) {
      for (const auto& e : md.Decode(f).events) {
        if (const auto* b = std::get_if<pm::BookEvent>(&e); b != nullptr && b->asset_id == asset) {
          return b->tick_size.has_value();  // the 2026 field is on the websocket book
        }
      }
    }
    return false;
  };
  ASSERT_TRUE(Eventually([&] { return book_seen(market_.yes_token); }));
  // Add the second market's token on the same connection: its book arrives, no reconnect.
  std::promise<void> added;
  owner_.Post([&] {
    market->Subscribe({second.yes_token});
    added.set_value();
  });
  added.get_future().wait();
  ASSERT_TRUE(Eventually([&] { return book_seen(second.yes_token); }));
  EXPECT_EQ(server_->stats().ws_sessions, 1u);

  // The user channel: subscribe to the first market, then add the second on the open socket.
  clob::UserChannelOptions uo;
  uo.url = server_->ws_url() + "/ws/user";
  uo.credentials = api_;
  uo.executor = &owner_;
  uo.markets = {market_.condition_id};
  std::atomic<bool> connected{false};
  uo.on_connected = [&](bool) { connected = true; };
  uo.on_message = [&](std::string m) {
    std::lock_guard lock(mu);
    user_frames.push_back(std::move(m));
  };
  std::unique_ptr<clob::UserChannel> user;
  std::promise<void> made;
  owner_.Post([&] {
    user = std::move(*clob::UserChannel::Create(io_, uo));
    made.set_value();
  });
  made.get_future().wait();
  ASSERT_TRUE(Eventually([&] { return connected.load(); }));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the subscription is processed
  std::promise<void> widened;
  owner_.Post([&] {
    user->Subscribe({second.condition_id});
    widened.set_value();
  });
  widened.get_future().wait();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the update is processed
  // An order on the second market is seen on the open connection.
  signing::SignedOrder order;
  {
    const MarketConfig saved = market_;
    market_ = second;
    order = Sign(Side::kBuy, 2000, 5);
    market_ = saved;
  }
  ASSERT_TRUE(Post(order).ok());
  pm::UserDecoder ud;
  ASSERT_TRUE(Eventually([&] {
    std::lock_guard lock(mu);
    for (const auto& f : user_frames) {
      for (const auto& e : ud.Decode(f).events) {
        if (const auto* o = std::get_if<pm::UserOrderEvent>(&e); o != nullptr && o->id == order.id.ToString())
          return true;
      }
    }
    return false;
  }));
  std::promise<void> done;
  owner_.Post([&] {
    market.reset();
    user.reset();
    done.set_value();
  });
  done.get_future().wait();
}

// A market dropped on an open market socket stops arriving. No sleeps: the socket's messages are
// processed in order, so once the book of a token subscribed after the unsubscribe has arrived,
// the unsubscribe was processed; and one socket's frames are sent in order, so once the change
// of an order placed after one on the dropped market has arrived, a frame for the dropped market
// would have arrived before it.
TEST_F(Sim2026Test, AMarketUnsubscribedOnAnOpenSocketStopsArriving) {
  Start();
  const MarketConfig first = market_;
  const MarketConfig second = server_->Markets().at(1);
  std::mutex mu;
  std::vector<std::string> frames;
  clob::MarketChannelOptions mo;
  mo.url = server_->ws_url() + "/ws/market";
  mo.executor = &owner_;
  mo.on_message = [&](size_t, std::string m) {
    std::lock_guard lock(mu);
    frames.push_back(std::move(m));
  };
  std::unique_ptr<clob::MarketChannel> market;
  const auto on_owner = [&](auto f) {
    std::promise<void> done;
    owner_.Post([&] {
      f();
      done.set_value();
    });
    done.get_future().wait();
  };
  // The index of the first frame, at or after `from`, that mentions `text` (or -1).
  const auto find = [&](const std::string& text, size_t from = 0) -> long {
    std::lock_guard lock(mu);
    for (size_t i = from; i < frames.size(); ++i) {
      if (frames[i].find(text) != std::string::npos) return static_cast<long>(i);
    }
    return -1;
  };
  on_owner([&] {
    market = std::move(*clob::MarketChannel::Create(io_, mo));
    market->Subscribe({first.yes_token, second.yes_token});
  });
  ASSERT_TRUE(Eventually([&] { return find(first.yes_token) >= 0 && find(second.yes_token) >= 0; }));
  // While subscribed, an order on the first market is seen.
  const auto post_on = [&](const MarketConfig& m, int64_t price) {
    const MarketConfig saved = market_;
    market_ = m;
    const signing::SignedOrder o = Sign(Side::kBuy, price, 5);
    market_ = saved;
    auto r = Post(o);
    ASSERT_TRUE(r.ok()) << r.error.error;
  };
  size_t mark = 0;
  {
    std::lock_guard lock(mu);
    mark = frames.size();
  }
  post_on(first, 2100);
  ASSERT_TRUE(Eventually([&] { return find(first.yes_token, mark) >= 0; })) << "the test can see the market";

  // Drop the first market on the open socket, then subscribe another token as a barrier.
  on_owner([&] {
    market->Unsubscribe({first.yes_token});
    market->Subscribe({second.no_token});
  });
  ASSERT_TRUE(Eventually([&] { return find(second.no_token) >= 0; }));
  {
    std::lock_guard lock(mu);
    mark = frames.size();
  }
  post_on(first, 2200);   // would be seen first...
  post_on(second, 2300);  // ...before this one, on the same socket
  ASSERT_TRUE(Eventually([&] { return find(second.yes_token, mark) >= 0; }));
  EXPECT_EQ(find(first.yes_token, mark), -1) << "a dropped market still arrives";
  EXPECT_EQ(server_->stats().ws_sessions, 1u) << "dropped without reconnecting";
  EXPECT_EQ(market->shard_count(), 1u);
  on_owner([&] { market.reset(); });
}

// --- the relayer (issue 19 item 2) -------------------------------------------------------------

class SimRelayerHttpTest : public Sim2026Test {
 protected:
  net::HttpResponse Send(std::string method, std::string target, std::string body = {},
                         std::vector<std::pair<std::string, std::string>> headers = {}) {
    if (!http_) http_ = std::move(*net::HttpClient::Create(io_, {.base_url = server_->base_url()}));
    auto result = http_->SendSync({.method = std::move(method),
                                   .target = std::move(target),
                                   .headers = std::move(headers),
                                   .body = std::move(body)},
                                  5 * kNanosPerSecond);
    EXPECT_TRUE(result.response.has_value()) << result.error;
    return result.response.value_or(net::HttpResponse{});
  }
  // POST /submit as builder-relayer-client sends it: the JSON body form-encoded, builder HMAC.
  net::HttpResponse Submit(const relayer::SubmitRequest& request, std::string secret = kSimBuilderSecret) {
    const std::string body = relayer::EncodeSubmit(request);
    const int64_t now_s = SystemClock::Instance().WallNanos() / kNanosPerSecond;
    auto headers = relayer::BuilderHeaders(
        {.key = kSimBuilderKey, .secret = std::move(secret), .passphrase = kSimBuilderPassphrase}, now_s, "POST",
        "/submit", body);
    headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    return Send("POST", "/submit", body, std::move(headers));
  }
  relayer::SubmitRequest MergeOf(const crypto::Address& wallet, int64_t amount, uint64_t nonce) {
    const auto targets = *relayer::CallTargetsForChain(137);
    crypto::Hash32 condition;
    EXPECT_TRUE(HexDecodeInto(market_.condition_id, condition).ok());
    relayer::WalletBatch batch{
        .wallet = wallet,
        .nonce = Uint256(nonce),
        .deadline = static_cast<uint64_t>(SystemClock::Instance().WallNanos() / kNanosPerSecond + 240),
        .calls = {{.target = targets.collateral_adapter,
                   .value = Uint256(0),
                   .data = chain::MergePositionsCall(targets.collateral, condition,
                                                     Uint256(static_cast<uint64_t>(amount)))}}};
    relayer::SubmitRequest r{.type = relayer::SubmitType::kWallet,
                             .from = key_->address(),
                             .to = targets.deposit_wallet_factory,
                             .batch = batch,
                             .metadata = "merge"};
    r.signature = relayer::SignBatch(batch, 137, *key_);
    return r;
  }
  int64_t ChainTokens(const std::string& address, const std::string& token) {
    int64_t n = 0;
    for (const Account& a : server_->Balances(address)) {
      if (auto it = a.chain_tokens.find(token); it != a.chain_tokens.end()) n = it->second;
    }
    return n;
  }
  std::unique_ptr<net::HttpClient> http_;
};

TEST_F(SimRelayerHttpTest, DeployThenMergeThroughTheDepositWalletIsMinedAtTheChainsTruth) {
  SimServerOptions options;
  options.exchange.block_time = 100 * kNanosPerMilli;
  Start(std::move(options));
  const auto factories = *wallet::FactoriesForChain(137);
  const crypto::Address deposit = wallet::DepositWalletOf(key_->address(), factories);
  // The wallet is funded on its first order, as any maker.
  ASSERT_TRUE(Post(SignAs(signing::SignatureType::kPoly1271, deposit, Side::kBuy, 2000, 5)).ok());
  const int64_t yes_before = ChainTokens(deposit.ToLower(), market_.yes_token);
  const int64_t no_before = ChainTokens(deposit.ToLower(), market_.no_token);
  const int64_t owner_yes_before = ChainTokens(Address(), market_.yes_token);

  auto deployed = Send("GET", "/deployed?address=" + deposit.ToChecksum() + "&type=WALLET");
  EXPECT_EQ(deployed.body, R"({"deployed":false})");
  const auto targets = *relayer::CallTargetsForChain(137);
  auto create = Submit(
      {.type = relayer::SubmitType::kWalletCreate, .from = key_->address(), .to = targets.deposit_wallet_factory});
  ASSERT_EQ(create.status, 200) << create.body;
  const std::string create_id = relayer::ParseSubmitAnswer(create.body)->transaction_id;
  ASSERT_TRUE(Eventually(
      [&] { return Send("GET", "/deployed?address=" + deposit.ToChecksum()).body == R"({"deployed":true})"; }));

  auto nonce =
      relayer::ParseNonceAnswer(Send("GET", "/nonce?address=" + key_->address().ToChecksum() + "&type=WALLET").body);
  ASSERT_TRUE(nonce.ok());
  const int64_t ten = 10 * model::kQuantityOne;
  auto submitted = Submit(MergeOf(deposit, ten, nonce->Low64()));
  ASSERT_EQ(submitted.status, 200) << submitted.body;
  auto answer = relayer::ParseSubmitAnswer(submitted.body);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_NE(answer->transaction_id, create_id);
  // Polled as the official clients poll: rc until MINED, pc (snake_case) until CONFIRMED.
  ASSERT_TRUE(Eventually([&] {
    auto list = relayer::ParseTransactionList(Send("GET", "/transaction?id=" + answer->transaction_id).body);
    return list.ok() && list->size() == 1 && relayer::Succeeded((*list)[0].state);
  }));
  ASSERT_TRUE(Eventually([&] {
    auto tx = relayer::ParseTransactionV1(Send("GET", "/v1/account/transactions/" + answer->transaction_id).body);
    return tx.ok() && tx->state == relayer::TxState::kConfirmed && !tx->hash.empty();
  }));
  // At the chain's truth: the wallet's positions, not the owner's.
  EXPECT_EQ(ChainTokens(deposit.ToLower(), market_.yes_token), yes_before - ten);
  EXPECT_EQ(ChainTokens(deposit.ToLower(), market_.no_token), no_before - ten);
  EXPECT_EQ(ChainTokens(Address(), market_.yes_token), owner_yes_before) << "the owner's own positions moved";
  const auto txs = server_->RelayerTransactions();
  ASSERT_EQ(txs.size(), 2u);
  EXPECT_EQ(txs[1].proxy_address, deposit);
  EXPECT_EQ(txs[1].metadata, "merge");
  // The nonce moved on: the same batch again is stale, with the text the official client retries on.
  auto stale = Submit(MergeOf(deposit, ten, nonce->Low64()));
  EXPECT_EQ(stale.status, 400);
  EXPECT_NE(stale.body.find("batch nonce 0 does not match on-chain nonce 1"), std::string::npos) << stale.body;
}

TEST_F(SimRelayerHttpTest, SubmitNeedsAValidBuilderSignatureOrRelayerKey) {
  Start();
  const auto factories = *wallet::FactoriesForChain(137);
  const crypto::Address deposit = wallet::DepositWalletOf(key_->address(), factories);
  server_->MarkWalletDeployed(deposit.ToChecksum());
  const uint64_t failures_before = server_->stats().auth_failures;
  // A wrong secret, no headers, a relayer key nobody created: 401, counted, nothing submitted.
  auto wrong = Submit(MergeOf(deposit, model::kQuantityOne, 0), "d3Jvbmctc2VjcmV0");
  EXPECT_EQ(wrong.status, 401) << wrong.body;
  EXPECT_EQ(Send("POST", "/submit", relayer::EncodeSubmit(MergeOf(deposit, model::kQuantityOne, 0))).status, 401);
  EXPECT_EQ(Send("POST", "/submit", relayer::EncodeSubmit(MergeOf(deposit, model::kQuantityOne, 0)),
                 {{"RELAYER_API_KEY", "0190b317-0000-4000-8000-000000000000"},
                  {"RELAYER_API_KEY_ADDRESS", key_->address().ToChecksum()}})
                .status,
            401);
  EXPECT_EQ(server_->stats().auth_failures, failures_before + 3);
  EXPECT_TRUE(server_->RelayerTransactions().empty());
  // Malformed bodies: 400 with the reason, nothing submitted.
  for (const std::string& body : {std::string("not json"), std::string(R"({"type":"PROXY"})"),
                                  std::string(R"({"type":"WALLET","from":"0x1","to":"0x2"})")}) {
    const int64_t now_s = SystemClock::Instance().WallNanos() / kNanosPerSecond;
    auto headers = relayer::BuilderHeaders(
        {.key = kSimBuilderKey, .secret = kSimBuilderSecret, .passphrase = kSimBuilderPassphrase}, now_s, "POST",
        "/submit", body);
    EXPECT_EQ(Send("POST", "/submit", body, headers).status, 400) << body;
  }
  EXPECT_TRUE(server_->RelayerTransactions().empty());
  // A relayer API key its owner created (L1 headers) submits the owner's transactions.
  const int64_t now_s = SystemClock::Instance().WallNanos() / kNanosPerSecond;
  const signing::L1Headers l1 = signing::MakeL1Headers(*key_, 137, now_s, 0);
  const std::vector<std::pair<std::string, std::string>> l1_headers = {{"POLY_ADDRESS", l1.address},
                                                                       {"POLY_SIGNATURE", l1.signature},
                                                                       {"POLY_TIMESTAMP", l1.timestamp},
                                                                       {"POLY_NONCE", l1.nonce}};
  auto created = Send("POST", "/relayer/api/keys", "", l1_headers);
  ASSERT_EQ(created.status, 200) << created.body;
  const size_t at = created.body.find("\"apiKey\":\"");
  ASSERT_NE(at, std::string::npos);
  const std::string key = created.body.substr(at + 10, 36);
  const std::vector<std::pair<std::string, std::string>> key_headers = {
      {"RELAYER_API_KEY", key}, {"RELAYER_API_KEY_ADDRESS", key_->address().ToChecksum()}};
  // Not for another owner's transaction, even with the right key and address.
  const auto other = *crypto::PrivateKey::FromHex("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d");
  auto foreign = MergeOf(wallet::DepositWalletOf(other.address(), factories), model::kQuantityOne, 0);
  foreign.from = other.address();
  foreign.signature = relayer::SignBatch(*foreign.batch, 137, other);
  EXPECT_EQ(Send("POST", "/submit", relayer::EncodeSubmit(foreign), key_headers).status, 401);
  // A builder signature over another body, or an old timestamp: refused.
  const std::string body = relayer::EncodeSubmit(MergeOf(deposit, model::kQuantityOne, 0));
  const relayer::BuilderCredentials sim_builder{
      .key = kSimBuilderKey, .secret = kSimBuilderSecret, .passphrase = kSimBuilderPassphrase};
  EXPECT_EQ(
      Send("POST", "/submit", body, relayer::BuilderHeaders(sim_builder, now_s, "POST", "/submit", body + " ")).status,
      401);
  EXPECT_EQ(
      Send("POST", "/submit", body, relayer::BuilderHeaders(sim_builder, now_s - 3600, "POST", "/submit", body)).status,
      401);
  EXPECT_TRUE(server_->RelayerTransactions().empty());
  auto accepted = Send("POST", "/submit", body, key_headers);
  EXPECT_EQ(accepted.status, 200) << accepted.body;
  EXPECT_EQ(server_->RelayerTransactions().size(), 1u);
  // GET /transactions: authenticated; a relayer key sees its owner's transactions only.
  EXPECT_EQ(Send("GET", "/transactions").status, 401);
  server_->MarkWalletDeployed(wallet::DepositWalletOf(other.address(), factories).ToChecksum());
  auto by_builder = Submit(foreign);
  ASSERT_EQ(by_builder.status, 200) << by_builder.body;
  auto mine = relayer::ParseTransactionList(Send("GET", "/transactions", "", key_headers).body);
  ASSERT_TRUE(mine.ok()) << mine.status();
  ASSERT_EQ(mine->size(), 1u);
  EXPECT_EQ((*mine)[0].from, key_->address());
  auto all = relayer::ParseTransactionList(
      Send("GET", "/transactions", "", relayer::BuilderHeaders(sim_builder, now_s, "GET", "/transactions", "")).body);
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->size(), 2u);
}

// Session keys end to end at the exchange (docs/session-keys.md): the owner authorizes a key
// through the relayer (builder key; a relayer key is refused; a retried Idempotency-Key answers
// the same); once mined the owner lists it and the key's own API key posts orders for the
// deposit wallet, resting under the wallet; before that and after its revocation the same
// signature fails, and the revocation cancels the key's resting orders.
TEST_F(SimRelayerHttpTest, ASessionKeyTradesForTheWalletOnceAuthorizedAndItsOrdersGoWithItsRevocation) {
  SimServerOptions options;
  options.exchange.block_time = 100 * kNanosPerMilli;
  Start(std::move(options));
  const auto factories = *wallet::FactoriesForChain(137);
  const crypto::Address deposit = wallet::DepositWalletOf(key_->address(), factories);
  const auto targets = *relayer::CallTargetsForChain(137);
  ASSERT_EQ(
      Submit(
          {.type = relayer::SubmitType::kWalletCreate, .from = key_->address(), .to = targets.deposit_wallet_factory})
          .status,
      200);
  ASSERT_TRUE(Eventually(
      [&] { return Send("GET", "/deployed?address=" + deposit.ToChecksum()).body == R"({"deployed":true})"; }));

  // The session key's own API key (L1 with the session key), and its orders for the wallet.
  auto session = *crypto::PrivateKey::FromHex("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d");
  auto l1 = clob::ClobRestClient::Create(io_, {.http = {.base_url = server_->base_url()}, .executor = &owner_},
                                         &session, nullptr);
  ASSERT_TRUE(l1.ok());
  auto session_api = Wait<pm::ApiKeyCreds>([&](auto cb) { (*l1)->DeriveApiKey(0, cb); });
  ASSERT_TRUE(session_api.ok()) << session_api.error.error;
  const signing::ApiCredentials session_creds(session_api.value->api_key, session_api.value->secret,
                                              session_api.value->passphrase);
  auto session_client = std::move(*clob::ClobRestClient::Create(
      io_, {.http = {.base_url = server_->base_url()}, .executor = &owner_}, &session, &session_creds));
  const auto contracts = *signing::ContractsForChain(137);
  const auto domain =
      signing::HashDomain({.version = signing::OrderVersion::kV2,
                           .chain_id = 137,
                           .exchange = signing::ExchangeFor(contracts, signing::OrderVersion::kV2, false)});
  const auto session_order = [&](int64_t price) {
    const auto amounts = *signing::LimitOrderAmounts(Side::kBuy, Price(price), Size::FromWhole(5), market_.tick);
    signing::UnsignedOrder o;
    o.salt = Uint256(++salt_);
    o.maker = o.signer = deposit;
    o.signature_type = signing::SignatureType::kPoly1271;
    o.token_id = *Uint256::FromDecimal(market_.yes_token);
    o.maker_amount = amounts.maker;
    o.taker_amount = amounts.taker;
    o.side = Side::kBuy;
    o.timestamp_ms = static_cast<uint64_t>(SystemClock::Instance().WallMillis());
    return *signing::SignOrderAsSessionKey(o, domain, session);
  };
  const auto post_as_session = [&](const signing::SignedOrder& o) {
    return Wait<pm::PostOrderResult>(
        [&](auto cb) { session_client->PostOrder(o, signing::OrderType::kGtc, /*post_only=*/true, cb); });
  };
  const auto listed = [&]() -> std::vector<relayer::ActiveSessionSigner> {
    const int64_t now_s = SystemClock::Instance().WallNanos() / kNanosPerSecond;
    auto h = *signing::MakeL2Headers(*creds_, key_->address(), now_s, "GET", "/v1/user/session-signers", "");
    auto answer = Send("GET", "/v1/user/session-signers", "",
                       {{"POLY_ADDRESS", h.address},
                        {"POLY_SIGNATURE", h.signature},
                        {"POLY_TIMESTAMP", h.timestamp},
                        {"POLY_API_KEY", h.api_key},
                        {"POLY_PASSPHRASE", h.passphrase}});
    EXPECT_EQ(answer.status, 200) << answer.body;
    auto signers = relayer::ParseSessionSigners(answer.body);
    EXPECT_TRUE(signers.ok()) << answer.body;
    return signers.ok() ? *signers : std::vector<relayer::ActiveSessionSigner>{};
  };

  auto before = post_as_session(session_order(2000));
  EXPECT_EQ(before.http_status, 400);
  EXPECT_EQ(before.error.error, "invalid signature");

  const auto session_request = [&](bool revoke) {
    auto params = relayer::ParseTransactionParamsNonce(
        Send("GET", "/v1/account/transactions/params?address=" + key_->address().ToChecksum() + "&type=WALLET").body);
    EXPECT_TRUE(params.ok());
    const int64_t now_s = SystemClock::Instance().WallNanos() / kNanosPerSecond;
    relayer::SessionSignerRequest r{
        .revoke = revoke,
        .wallet = deposit,
        .session_signer = session.address(),
        .scopes = revoke ? std::vector<std::string>{} : std::vector<std::string>{"CLOB"},
        .valid_until_s = revoke ? 0 : static_cast<uint64_t>(now_s + signing::kSessionKeyLifetimeSeconds),
        .nonce = params.ok() ? *params : Uint256(0),
        .deadline_s = static_cast<uint64_t>(now_s + 600)};
    r.signature = relayer::SignBatch(relayer::SessionSignerBatch(r), 137, *key_);
    return relayer::EncodeSessionSignerRequest(r);
  };
  const auto send_session = [&](std::string_view path, const std::string& body, const std::string& idempotency) {
    const int64_t now_s = SystemClock::Instance().WallNanos() / kNanosPerSecond;
    auto headers = relayer::BuilderHeaders(
        {.key = kSimBuilderKey, .secret = kSimBuilderSecret, .passphrase = kSimBuilderPassphrase}, now_s, "POST",
        std::string(path), body);
    headers.emplace_back("Idempotency-Key", idempotency);
    return Send("POST", std::string(path), body, std::move(headers));
  };
  const std::string authorize = session_request(false);
  // A relayer API key may not authorize.
  auto l1_headers = signing::MakeL1Headers(*key_, 137, SystemClock::Instance().WallNanos() / kNanosPerSecond, 0);
  auto created = Send("POST", "/relayer/api/keys", "",
                      {{"POLY_ADDRESS", l1_headers.address},
                       {"POLY_SIGNATURE", l1_headers.signature},
                       {"POLY_TIMESTAMP", l1_headers.timestamp},
                       {"POLY_NONCE", l1_headers.nonce}});
  ASSERT_EQ(created.status, 200) << created.body;
  const std::string relayer_key = (*relayer::ParseRelayerApiKeys(created.body))[0];
  auto by_relayer_key =
      Send("POST", "/v1/session-signers/authorizations", authorize,
           {{"RELAYER_API_KEY", relayer_key}, {"RELAYER_API_KEY_ADDRESS", key_->address().ToChecksum()}});
  EXPECT_EQ(by_relayer_key.status, 401) << by_relayer_key.body;

  auto accepted = send_session("/v1/session-signers/authorizations", authorize, "idem-1");
  ASSERT_EQ(accepted.status, 200) << accepted.body;
  auto answer = relayer::ParseSessionSignerAnswer(accepted.body);
  ASSERT_TRUE(answer.ok()) << accepted.body;
  EXPECT_TRUE(relayer::SessionSignerAccepted(answer->status, false)) << answer->status;
  auto again = send_session("/v1/session-signers/authorizations", authorize, "idem-1");
  EXPECT_EQ(again.body, accepted.body);  // the same answer, not a second authorization
  EXPECT_EQ(send_session("/v1/session-signers/authorizations", authorize + " ", "idem-1").status, 409);
  ASSERT_TRUE(Eventually([&] {
    auto signers = listed();
    return signers.size() == 1 && signers[0].address == session.address();
  }));
  EXPECT_EQ(server_->RelayerTransactions().size(), 2u);  // the deployment and one authorization

  const auto order = session_order(2100);
  auto placed = post_as_session(order);
  ASSERT_TRUE(placed.ok()) << placed.error.error;
  const auto open = server_->OpenOrders(deposit.ToLower());
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].spec.id, order.id);

  auto revoked = send_session("/v1/session-signers/revocations", session_request(true), "idem-2");
  ASSERT_EQ(revoked.status, 200) << revoked.body;
  auto revoke_answer = relayer::ParseSessionSignerAnswer(revoked.body);
  ASSERT_TRUE(revoke_answer.ok());
  EXPECT_TRUE(revoke_answer->fenced);
  // At the exchange's truth: the key's order is gone, the key is no longer listed, and its next
  // order fails the wallet's signature check.
  EXPECT_TRUE(server_->OpenOrders(deposit.ToLower()).empty());
  EXPECT_TRUE(listed().empty());
  auto after = post_as_session(session_order(2200));
  EXPECT_EQ(after.http_status, 400);
  EXPECT_EQ(after.error.error, "invalid signature");
  EXPECT_EQ(server_->Refusals(deposit.ToLower()).at("invalid signature: session key not authorized"), 2);
}

}  // namespace
}  // namespace clobmaker::simexchange
