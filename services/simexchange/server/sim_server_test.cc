// simexchange through clobmaker's own protocol clients: authentication, signatures, orders,
// cancels, heartbeats, both websocket channels and injected faults.
#include "services/simexchange/server/sim_server.h"

#include <gtest/gtest.h>

#include <future>
#include <mutex>

#include "common/clob/channels.h"
#include "common/clob/rest_client.h"
#include "common/polymarket/decode.h"
#include "common/testing/eventually.h"

namespace clobmaker::simexchange {
namespace {

using testing::Eventually;
namespace pm = clobmaker::polymarket;

constexpr char kKey[] = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
constexpr char kOtherKey[] = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

template <typename T, typename F>
clob::Result<T> Wait(F call) {
  std::promise<clob::Result<T>> p;
  call([&p](clob::Result<T> r) { p.set_value(std::move(r)); });
  return p.get_future().get();
}

class SimServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = SimServer::Start({.seed = 11, .flow = false});
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
    auto client = clob::ClobRestClient::Create(io_, {.http = {.base_url = server_->base_url()}, .executor = &owner_},
                                               key_.get(), creds_.get());
    client_ = std::move(*client);
  }

  signing::SignedOrder Sign(const crypto::PrivateKey& key, Side side, int64_t price_units, int64_t shares,
                            signing::OrderVersion version = signing::OrderVersion::kV2, const std::string& token = "") {
    const auto amounts = *signing::LimitOrderAmounts(side, Price(price_units), Size::FromWhole(shares), market_.tick);
    signing::UnsignedOrder o;
    o.salt = Uint256(++salt_);
    o.maker = key.address();
    o.signer = key.address();
    o.token_id = *Uint256::FromDecimal(token.empty() ? market_.yes_token : token);
    o.maker_amount = amounts.maker;
    o.taker_amount = amounts.taker;
    o.side = side;
    o.timestamp_ms = static_cast<uint64_t>(SystemClock::Instance().WallMillis());
    const auto contracts = *signing::ContractsForChain(137);
    return *signing::SignOrder(
        o,
        signing::HashDomain(
            {.version = version, .chain_id = 137, .exchange = signing::ExchangeFor(contracts, version, false)}),
        key);
  }

  clob::Result<pm::PostOrderResult> Post(const signing::SignedOrder& o, bool post_only = true,
                                         signing::OrderType type = signing::OrderType::kGtc) {
    return Wait<pm::PostOrderResult>([&](auto cb) { client_->PostOrder(o, type, post_only, cb); });
  }

  std::unique_ptr<SimServer> server_;
  MarketConfig market_;
  net::IoThread io_;
  ThreadExecutor owner_;
  std::unique_ptr<crypto::PrivateKey> key_;
  pm::ApiKeyCreds api_;
  std::unique_ptr<signing::ApiCredentials> creds_;
  std::unique_ptr<clob::ClobRestClient> client_;
  uint64_t salt_ = 1000;
};

TEST_F(SimServerTest, PublicEndpoints) {
  EXPECT_EQ(*Wait<int>([&](auto cb) { client_->GetVersion(cb); }).value, 2);
  auto tick = Wait<model::TickSize>([&](auto cb) { client_->GetTickSize(market_.yes_token, cb); });
  ASSERT_TRUE(tick.ok());
  EXPECT_EQ(tick.value->units(), 100);
  auto book = Wait<pm::BookEvent>([&](auto cb) { client_->GetBook(market_.yes_token, cb); });
  ASSERT_TRUE(book.ok()) << book.error.error;
  EXPECT_FALSE(book.value->bids.empty());  // the environment's maker quotes at start
  auto unknown = Wait<pm::BookEvent>([&](auto cb) { client_->GetBook("123", cb); });
  EXPECT_EQ(unknown.outcome, net::Outcome::kRejected);
}

TEST_F(SimServerTest, OrdersAreVerifiedPlacedListedAndCancelled) {
  const auto order = Sign(*key_, Side::kBuy, 3000, 10);
  auto placed = Post(order);
  ASSERT_TRUE(placed.ok()) << placed.error.error;
  EXPECT_TRUE(placed.value->accepted());
  EXPECT_EQ(placed.value->order_id, order.id.ToString());  // the order id is the EIP-712 hash
  auto open = Wait<pm::Page<pm::OpenOrder>>([&](auto cb) { client_->GetOpenOrders({}, cb); });
  ASSERT_TRUE(open.ok());
  ASSERT_EQ(open.value->data.size(), 1u);
  EXPECT_EQ(open.value->data[0].price, Price(3000));
  EXPECT_EQ(server_->OpenOrders(key_->address().ToLower()).size(), 1u);
  auto again = Post(order);
  EXPECT_EQ(again.outcome, net::Outcome::kRejected);  // duplicate
  auto cancel = Wait<pm::CancelResult>([&](auto cb) { client_->CancelOrder(order.id.ToString(), cb); });
  ASSERT_TRUE(cancel.ok());
  EXPECT_EQ(cancel.value->canceled, std::vector<std::string>{order.id.ToString()});
  EXPECT_TRUE(server_->OpenOrders(key_->address().ToLower()).empty());
}

TEST_F(SimServerTest, PostOnlyCrossingAndFokAreRefusedWithTheExchangesMessages) {
  const auto book = server_->Book(market_.yes_token);
  const int64_t best_ask = book.asks.front().price.units();
  auto crossing = Post(Sign(*key_, Side::kBuy, best_ask, 10));
  EXPECT_EQ(crossing.outcome, net::Outcome::kRejected);
  EXPECT_EQ(crossing.error.error, "invalid post-only order: order crosses book");
  auto taker = Post(Sign(*key_, Side::kBuy, best_ask, 10), false, signing::OrderType::kFok);
  ASSERT_TRUE(taker.ok()) << taker.error.error;
  EXPECT_EQ(taker.value->status, "matched");
  EXPECT_EQ(taker.value->trade_ids.size(), 1u);
  // The truth: the refusal counted by its text, every order with its post-only flag (closed too).
  const std::string address = key_->address().ToLower();
  const auto refusals = server_->Refusals(address);
  ASSERT_EQ(refusals.size(), 1u);
  EXPECT_EQ(refusals.at("invalid post-only order: order crosses book"), 1);
  EXPECT_TRUE(server_->OpenOrders(address).empty());
  const auto all = server_->OpenOrders(address, /*include_closed=*/true);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_FALSE(all[0].spec.post_only);
  EXPECT_EQ(all[0].status, OrderStatus::kMatched);
  ASSERT_TRUE(Post(Sign(*key_, Side::kBuy, 3000, 10)).ok());
  const auto both = server_->OpenOrders(address, true);
  ASSERT_EQ(both.size(), 2u);
  EXPECT_EQ(both[0].spec.post_only + both[1].spec.post_only, 1);
}

TEST_F(SimServerTest, ForeignSignaturesBadAuthAndVersionMismatchAreRefused) {
  auto other = crypto::PrivateKey::FromHex(kOtherKey);
  auto foreign = Post(Sign(*other, Side::kBuy, 3000, 10));
  EXPECT_EQ(foreign.outcome, net::Outcome::kRejected);
  EXPECT_EQ(foreign.error.error, "the order signer address has to be the address of the API KEY");
  signing::SignedOrder tampered = Sign(*key_, Side::kBuy, 3000, 10);
  tampered.order.maker_amount += 10'000;
  EXPECT_EQ(Post(tampered).error.error, "invalid signature");
  signing::ApiCredentials wrong(api_.api_key, api_.secret, "wrong-passphrase");
  auto bad = clob::ClobRestClient::Create(io_, {.http = {.base_url = server_->base_url()}, .executor = &owner_},
                                          key_.get(), &wrong);
  auto unauth = Wait<pm::CancelResult>([&](auto cb) { (*bad)->CancelAll(cb); });
  EXPECT_EQ(unauth.http_status, 401);
  server_->SetOrderVersion(3);
  auto mismatch = Post(Sign(*key_, Side::kBuy, 3000, 10));
  EXPECT_EQ(mismatch.error.error, "order_version_mismatch");
  EXPECT_TRUE(Post(Sign(*key_, Side::kBuy, 3000, 10, signing::OrderVersion::kV3)).ok());
  EXPECT_GE(server_->stats().auth_failures, 1u);
}

TEST_F(SimServerTest, HeartbeatChainAndBalances) {
  auto hb = Wait<pm::HeartbeatResult>([&](auto cb) { client_->PostHeartbeat("", cb); });
  ASSERT_TRUE(hb.ok());
  auto next = Wait<pm::HeartbeatResult>([&](auto cb) { client_->PostHeartbeat(hb.value->heartbeat_id, cb); });
  ASSERT_TRUE(next.ok());
  auto wrong = Wait<pm::HeartbeatResult>([&](auto cb) { client_->PostHeartbeat("bogus", cb); });
  EXPECT_EQ(wrong.outcome, net::Outcome::kRejected);
  EXPECT_EQ(wrong.error.error, "Invalid Heartbeat ID");
  auto balance = Wait<pm::BalanceAllowance>([&](auto cb) { client_->GetBalanceAllowance("COLLATERAL", "", 0, cb); });
  ASSERT_TRUE(balance.ok());
  EXPECT_EQ(balance.value->balance, 10'000 * model::kQuantityOne);
}

TEST_F(SimServerTest, BatchesAreStructuredPerLeg) {
  const auto a = Sign(*key_, Side::kBuy, 3000, 10);
  const auto b = Sign(*key_, Side::kBuy, 3000, 2);  // below the minimum order size
  auto batch = Wait<std::vector<pm::PostOrderResult>>([&](auto cb) {
    client_->PostOrders({&a, &b}, signing::OrderType::kGtc, true, cb);
  });
  ASSERT_TRUE(batch.ok()) << batch.error.error;
  EXPECT_TRUE((*batch.value)[0].accepted());
  EXPECT_FALSE((*batch.value)[1].accepted());
}

TEST_F(SimServerTest, FaultTimeoutAfterAcceptLeavesTheOrderLiveButUnanswered) {
  auto client = clob::ClobRestClient::Create(
      io_, {.http = {.base_url = server_->base_url()}, .order_deadline = 300 * kNanosPerMilli, .executor = &owner_},
      key_.get(), creds_.get());
  server_->SetFaults({.timeout_after_accept = 1.0});
  const auto order = Sign(*key_, Side::kBuy, 3000, 10);
  auto r = Wait<pm::PostOrderResult>([&](auto cb) { (*client)->PostOrder(order, signing::OrderType::kGtc, true, cb); });
  EXPECT_EQ(r.outcome, net::Outcome::kAmbiguous);
  server_->SetFaults({});
  EXPECT_EQ(server_->OpenOrders(key_->address().ToLower()).size(), 1u);  // it is live at the exchange
  auto found = Wait<std::optional<pm::OpenOrder>>([&](auto cb) { client_->GetOrder(order.id.ToString(), cb); });
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(found.value->has_value());
  EXPECT_EQ((*found.value)->status, "LIVE");
}

TEST_F(SimServerTest, MarketAndUserChannels) {
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
  clob::UserChannelOptions uo;
  uo.url = server_->ws_url() + "/ws/user";
  uo.credentials = api_;
  uo.executor = &owner_;
  std::atomic<bool> user_connected{false};
  uo.on_connected = [&](bool) { user_connected = true; };
  uo.on_message = [&](std::string m) {
    std::lock_guard lock(mu);
    user_frames.push_back(std::move(m));
  };
  auto user = clob::UserChannel::Create(io_, uo);
  ASSERT_TRUE(user.ok());
  ASSERT_TRUE(Eventually([&] {
    std::lock_guard lock(mu);
    return !market_frames.empty() && user_connected.load();
  }));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the subscription is processed
  const auto order = Sign(*key_, Side::kBuy, 3000, 10);
  ASSERT_TRUE(Post(order).ok());
  pm::UserDecoder ud;
  pm::MarketDecoder md;
  ASSERT_TRUE(Eventually([&] {
    std::lock_guard lock(mu);
    bool placement = false, change = false;
    for (const auto& f : user_frames) {
      for (const auto& e : ud.Decode(f).events) {
        if (auto* o = std::get_if<pm::UserOrderEvent>(&e))
          placement |= o->type == pm::OrderEventType::kPlacement && o->id == order.id.ToString();
      }
    }
    for (const auto& f : market_frames) {
      for (const auto& e : md.Decode(f).events) {
        if (auto* pc = std::get_if<pm::PriceChangeEvent>(&e)) {
          for (const auto& c : pc->changes) change |= c.price == Price(3000) && c.asset_id == market_.yes_token;
        }
      }
    }
    return placement && change;
  }));
  std::promise<void> done;
  owner_.Post([&] {
    market.reset();
    done.set_value();
  });
  done.get_future().wait();
  (*user)->Stop();
}

}  // namespace
}  // namespace clobmaker::simexchange
