// One test per rule of the OrderManager (issue 6, design.md s3-5). The manager is driven by hand:
// each test answers the actions it emits the way the exchange would in that scenario.
#include "services/execution/core/order_manager.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <set>

namespace clobmaker::execution {
namespace {

using model::Price;
using model::Side;
using model::Size;

constexpr Nanos kSec = kNanosPerSecond;

// Order ids from a counter; the version is kept so tests can see what was signed for.
class CountingFactory : public OrderFactory {
 public:
  absl::StatusOr<signing::SignedOrder> Make(const OrderSpec& spec) override {
    signing::SignedOrder s;
    std::array<uint8_t, 32> bytes{};
    const uint64_t n = ++made;
    for (int i = 0; i < 8; ++i) bytes[31 - i] = static_cast<uint8_t>(n >> (8 * i));
    s.id = model::OrderId(bytes);
    s.version = static_cast<signing::OrderVersion>(spec.version);
    specs.push_back(spec);
    return s;
  }
  uint64_t made = 0;
  std::vector<OrderSpec> specs;
};

class OrderManagerTest : public ::testing::Test {
 protected:
  OrderManagerTest() : om_(std::make_unique<OrderManager>(Config(), &factory_)) {}

  static OrderManagerConfig Config() {
    OrderManagerConfig c;
    c.reconcile_interval = 1000 * kSec;  // reconciliation only when a test asks for it
    return c;
  }

  // A manager with another configuration, in place of the fixture's.
  void Rebuild(const OrderManagerConfig& config) { om_ = std::make_unique<OrderManager>(config, &factory_); }

  std::vector<Action> Take() { return om_->TakeActions(); }
  static std::vector<Action> Only(const std::vector<Action>& actions, ActionKind kind) {
    std::vector<Action> out;
    for (const Action& a : actions) {
      if (a.kind == kind) out.push_back(a);
    }
    return out;
  }

  // Heartbeat, version, cancel-all, empty listing: READY.
  void StartReady() {
    om_->Start(false, now_);
    for (int round = 0; round < 6 && om_->phase() != Phase::kReady; ++round) {
      for (const Action& a : Take()) Answer(a);
    }
    ASSERT_EQ(om_->phase(), Phase::kReady);
    Take();
  }
  // The happy answer to an action.
  void Answer(const Action& a) {
    switch (a.kind) {
      case ActionKind::kHeartbeat:
        om_->OnHeartbeatReply(
            a.request_id, {.outcome = net::Outcome::kOk, .heartbeat_id = "hb-" + std::to_string(a.request_id)}, now_);
        break;
      case ActionKind::kGetVersion:
        om_->OnVersionReply(a.request_id, {.outcome = net::Outcome::kOk, .version = version_}, now_);
        break;
      case ActionKind::kCancelAll:
      case ActionKind::kCancelMarket:
        om_->OnCancelReply(a.request_id, {.outcome = net::Outcome::kOk}, now_);
        break;
      case ActionKind::kListOpenOrders:
        om_->OnListReply(a.request_id, {.outcome = net::Outcome::kOk, .orders = open_, .pages = pages_}, now_);
        break;
      case ActionKind::kCancel: {
        CancelReply r{.outcome = net::Outcome::kOk};
        for (const auto& id : a.order_ids) r.result.canceled.push_back(id.ToString());
        om_->OnCancelReply(a.request_id, r, now_);
        break;
      }
      case ActionKind::kPost: {
        PostReply r{.outcome = net::Outcome::kOk};
        for (const auto& o : a.orders) r.legs.push_back(Accepted(o->id));
        om_->OnPostReply(a.request_id, r, now_);
        break;
      }
      case ActionKind::kQueryOrder:
        om_->OnQueryReply(a.request_id, {.outcome = net::Outcome::kRejected, .http_status = 404}, now_);
        break;
      case ActionKind::kGetRateTier:
        om_->OnRateTierReply(a.request_id, {.outcome = net::Outcome::kOk, .tier = tier_}, now_);
        break;
      case ActionKind::kQueryTrades:
        om_->OnTradesReply(a.request_id, {.outcome = net::Outcome::kOk, .trades = trades_}, now_);
        break;
    }
  }
  static polymarket::PostOrderResult Accepted(const model::OrderId& id) {
    return {.success = true, .order_id = id.ToString(), .status = "live"};
  }

  MarketLadder Ladder(uint64_t seq, int levels, int64_t bid_top = 4800, int64_t tick = 100) {
    MarketLadder l{.market = "0xmarket",
                   .tokens = {"111", "222"},
                   .tick = *model::TickSize::FromUnits(tick),
                   .sequence = seq,
                   .valid_until = now_ + 60 * kSec};
    for (int i = 0; i < levels; ++i) {
      l.quotes.push_back({.intent = {.token = "111", .side = Side::kBuy, .level = static_cast<uint32_t>(i)},
                          .price = Price(bid_top - tick * i),
                          .size = Size::FromWhole(10)});
      l.quotes.push_back({.intent = {.token = "111", .side = Side::kSell, .level = static_cast<uint32_t>(i)},
                          .price = Price(bid_top + 2 * tick + tick * i),
                          .size = Size::FromWhole(10)});
    }
    return l;
  }

  // Posts everything the ladder wants and accepts it; returns the posted ids.
  std::vector<model::OrderId> QuoteAndAccept(const MarketLadder& ladder) {
    om_->OnLadder(ladder, now_);
    std::vector<model::OrderId> ids;
    for (int i = 0; i < 20; ++i) {
      auto actions = Take();
      if (actions.empty() && !om_->HasPendingWork()) break;
      for (const Action& a : actions) {
        if (a.kind == ActionKind::kPost) {
          for (const auto& o : a.orders) ids.push_back(o->id);
        }
        Answer(a);
      }
      om_->OnTimer(now_);
    }
    return ids;
  }

  size_t CountState(OrderState s) {
    const auto all = om_->Orders();
    return static_cast<size_t>(std::count_if(all.begin(), all.end(), [&](const OrderView& v) { return v.state == s; }));
  }

  Nanos now_ = 1'700'000'000 * kSec;
  int version_ = 2;
  polymarket::RateTier tier_ = polymarket::RateTier::kStandard;
  std::vector<polymarket::UserTradeEvent> trades_;
  std::vector<polymarket::OpenOrder> open_;
  int pages_ = 1;  // how many pages the listings the fixture answers took
  CountingFactory factory_;
  std::unique_ptr<OrderManager> om_;
};

TEST_F(OrderManagerTest, StartupCancelsAllAndVerifiesBeforeAnyPost) {
  om_->OnLadder(Ladder(1, 2), now_);  // arrives before start-up: kept, not acted on
  om_->Start(false, now_);
  auto first = Take();
  EXPECT_EQ(Only(first, ActionKind::kHeartbeat).size(), 1u) << "the heartbeat chain starts first";
  EXPECT_TRUE(Only(first, ActionKind::kPost).empty());
  for (const Action& a : first) Answer(a);
  auto listing = Take();
  ASSERT_EQ(Only(listing, ActionKind::kListOpenOrders).size(), 1u) << "what is open, before the cancel-all";
  EXPECT_TRUE(Only(listing, ActionKind::kCancelAll).empty());
  EXPECT_EQ(om_->phase(), Phase::kListing);
  for (const Action& a : listing) Answer(a);
  auto second = Take();
  ASSERT_EQ(Only(second, ActionKind::kCancelAll).size(), 1u);
  EXPECT_TRUE(Only(second, ActionKind::kPost).empty());
  for (const Action& a : second) Answer(a);
  auto third = Take();
  ASSERT_EQ(Only(third, ActionKind::kListOpenOrders).size(), 1u);
  for (const Action& a : third) Answer(a);
  EXPECT_EQ(om_->phase(), Phase::kReady);
  EXPECT_FALSE(Only(Take(), ActionKind::kPost).empty()) << "the held ladder is quoted once ready";
}

TEST_F(OrderManagerTest, StartupHaltsWhenOpenOrdersSurviveCancelAll) {
  open_.push_back(
      {.id = model::OrderId(std::array<uint8_t, 32>{9}).ToString(), .market = "0xmarket", .asset_id = "111"});
  om_->Start(false, now_);
  for (int i = 0; i < 40 && om_->phase() != Phase::kHalted; ++i) {
    for (const Action& a : Take()) {
      ASSERT_NE(a.kind, ActionKind::kPost);
      Answer(a);
    }
    now_ += 2 * kSec;
    om_->OnTimer(now_);
  }
  EXPECT_EQ(om_->phase(), Phase::kHalted);
  EXPECT_NE(om_->halt_reason().find("could not be verified"), std::string::npos) << om_->halt_reason();
  EXPECT_FALSE(om_->ready());
}

TEST_F(OrderManagerTest, AdoptSeedsTheCacheFromTheListing) {
  const model::OrderId id(std::array<uint8_t, 32>{7});
  open_.push_back({.id = id.ToString(),
                   .status = "LIVE",
                   .market = "0xmarket",
                   .asset_id = "111",
                   .side = Side::kBuy,
                   .original_size = Size::FromWhole(10),
                   .size_matched = Size::FromWhole(3),
                   .price = Price(4800)});
  om_->Start(true, now_);
  now_ += 3 * kSec;  // adopt lists once the longest matching delay (unknown: the default) passed
  for (int i = 0; i < 3; ++i) {
    for (const Action& a : Take()) {
      EXPECT_NE(a.kind, ActionKind::kCancelAll) << "adopt mode does not cancel";
      Answer(a);
    }
  }
  ASSERT_EQ(om_->phase(), Phase::kReady);
  auto view = om_->Find(id);
  ASSERT_TRUE(view.has_value());
  EXPECT_EQ(view->state, OrderState::kPartiallyFilled);
  EXPECT_EQ(view->matched, Size::FromWhole(3));
  // A ladder wanting exactly that price claims the order instead of posting a second one: only
  // the other side (SELL level 0) is signed and posted.
  om_->OnLadder(Ladder(1, 1), now_);
  auto actions = Take();
  ASSERT_EQ(factory_.specs.size(), 1u);
  EXPECT_EQ(factory_.specs[0].intent.side, Side::kSell);
  size_t posted = 0;
  for (const Action& a : Only(actions, ActionKind::kPost)) {
    for (const auto& o : a.orders) {
      EXPECT_NE(o->id, id);
      ++posted;
    }
  }
  EXPECT_EQ(posted, 1u);
  EXPECT_EQ(om_->Find(id)->intent.level, 0u);
  EXPECT_EQ(om_->Find(id)->intent.side, Side::kBuy);
  EXPECT_TRUE(Only(actions, ActionKind::kCancel).empty());
}

TEST_F(OrderManagerTest, QuotesArePostOnlyInBatchesOfAtMostFifteenTopFirst) {
  StartReady();
  om_->OnLadder(Ladder(1, 10), now_);
  auto first = Only(Take(), ActionKind::kPost);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].orders.size(), 2u) << "the lead batch: top of each side";
  EXPECT_TRUE(first[0].post_only);
  EXPECT_EQ(factory_.specs[0].intent.level, 0u);
  EXPECT_EQ(factory_.specs[1].intent.level, 0u);
  EXPECT_TRUE(om_->HasPendingWork());
  om_->OnTimer(now_);
  auto second = Only(Take(), ActionKind::kPost);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].orders.size(), 15u);
  om_->OnTimer(now_);
  auto third = Only(Take(), ActionKind::kPost);
  ASSERT_EQ(third.size(), 1u);
  EXPECT_EQ(third[0].orders.size(), 3u);
}

TEST_F(OrderManagerTest, CancelsAreNeverGatedByBackoffOrPendingSubmits) {
  StartReady();
  auto live = QuoteAndAccept(Ladder(1, 1));
  ASSERT_EQ(live.size(), 2u);
  // A throttled post puts posts into backoff...
  om_->OnLadder(Ladder(2, 2), now_);
  auto posts = Only(Take(), ActionKind::kPost);
  ASSERT_EQ(posts.size(), 1u);
  om_->OnPostReply(posts[0].request_id, {.outcome = net::Outcome::kThrottled, .retry_after = 30 * kSec}, now_);
  EXPECT_FALSE(om_->posting_allowed(now_));
  // ...and the post is still pending when the prices move: the cancels go at once.
  om_->OnLadder(Ladder(3, 1, 4500), now_);
  auto actions = Take();
  auto cancels = Only(actions, ActionKind::kCancel);
  ASSERT_FALSE(cancels.empty());
  size_t n = 0;
  for (const Action& c : cancels) n += c.order_ids.size();
  EXPECT_EQ(n, 4u) << "both live orders and both throttled (maybe-sent) orders";
  EXPECT_TRUE(Only(actions, ActionKind::kPost).empty()) << "posts wait for the backoff and for proof of death";
}

TEST_F(OrderManagerTest, PostsAreShedUnderRatePressureCancelsStillGo) {
  OrderManagerConfig c = Config();
  c.post_budget = {.capacity = 2, .refill_per_second = 0.001, .reserve = 0};
  Rebuild(c);
  StartReady();
  auto live = QuoteAndAccept(Ladder(1, 1));
  EXPECT_EQ(live.size(), 2u);
  om_->OnLadder(Ladder(2, 3, 4000), now_);
  auto actions = Take();
  EXPECT_EQ(Only(actions, ActionKind::kCancel).size(), 1u);
  for (const Action& a : actions) Answer(a);
  om_->OnTimer(now_);
  EXPECT_TRUE(Only(Take(), ActionKind::kPost).empty());
  EXPECT_GT(om_->counters().posts_shed, 0u);
}

TEST_F(OrderManagerTest, BatchResultsAreStructuredPerLeg) {
  StartReady();
  om_->OnLadder(Ladder(1, 2), now_);
  auto lead = Only(Take(), ActionKind::kPost);
  ASSERT_EQ(lead.size(), 1u);
  Answer(lead[0]);
  om_->OnTimer(now_);
  auto posts = Only(Take(), ActionKind::kPost);
  ASSERT_EQ(posts.size(), 1u);
  ASSERT_EQ(posts[0].orders.size(), 2u);
  const auto a = posts[0].orders[0]->id;
  const auto b = posts[0].orders[1]->id;
  PostReply reply{.outcome = net::Outcome::kOk};
  reply.legs.push_back(Accepted(a));
  reply.legs.push_back({.success = true, .order_id = "", .status = ""});  // the empty-id quirk
  om_->OnPostReply(posts[0].request_id, reply, now_);
  EXPECT_EQ(om_->Find(a)->state, OrderState::kLive) << "accepted whatever happened to its neighbour";
  EXPECT_EQ(om_->Find(b)->state, OrderState::kRejected) << "success:true with an empty id is a rejection";
}

TEST_F(OrderManagerTest, AmbiguousLegsBecomeUnknownAndAreQueried) {
  StartReady();
  om_->OnLadder(Ladder(1, 1), now_);
  auto posts = Only(Take(), ActionKind::kPost);
  ASSERT_EQ(posts.size(), 1u);
  om_->OnPostReply(posts[0].request_id, {.outcome = net::Outcome::kAmbiguous, .http_status = 504}, now_);
  const auto id = posts[0].orders[0]->id;
  EXPECT_EQ(om_->Find(id)->state, OrderState::kUnknown);
  now_ += 2 * kSec;
  om_->OnTimer(now_);
  auto queries = Only(Take(), ActionKind::kQueryOrder);
  ASSERT_EQ(queries.size(), 2u);
  polymarket::OpenOrder live{.id = id.ToString(), .status = "LIVE", .original_size = Size::FromWhole(10)};
  const Action& query = queries[0].order_ids[0] == id ? queries[0] : queries[1];
  om_->OnQueryReply(query.request_id, {.outcome = net::Outcome::kOk, .order = live}, now_);
  EXPECT_EQ(om_->Find(id)->state, OrderState::kLive);
}

TEST_F(OrderManagerTest, RetryResendsTheSameSignedOrder) {
  StartReady();
  om_->OnLadder(Ladder(1, 1), now_);
  auto posts = Only(Take(), ActionKind::kPost);
  ASSERT_EQ(posts.size(), 1u);
  const auto first = posts[0].orders;
  om_->OnPostReply(posts[0].request_id, {.outcome = net::Outcome::kThrottled, .retry_after = 1 * kSec}, now_);
  now_ += 5 * kSec;
  om_->OnTimer(now_);
  auto again = Only(Take(), ActionKind::kPost);
  ASSERT_EQ(again.size(), 1u);
  ASSERT_EQ(again[0].orders.size(), first.size());
  for (size_t i = 0; i < first.size(); ++i) EXPECT_EQ(again[0].orders[i].get(), first[i].get());
  EXPECT_EQ(factory_.made, 2u) << "no new signature";
}

TEST_F(OrderManagerTest, DuplicateAnswerMeansTheOrderExists) {
  StartReady();
  om_->OnLadder(Ladder(1, 1), now_);
  auto posts = Only(Take(), ActionKind::kPost);
  PostReply reply{.outcome = net::Outcome::kOk};
  for (size_t i = 0; i < posts[0].orders.size(); ++i) {
    reply.legs.push_back({.success = false,
                          .error_msg = "order is invalid. Duplicated. Same order has already been placed, can't be "
                                       "placed again"});
  }
  om_->OnPostReply(posts[0].request_id, reply, now_);
  EXPECT_EQ(CountState(OrderState::kUnknown), 2u);
  EXPECT_EQ(CountState(OrderState::kRejected), 0u);
}

TEST_F(OrderManagerTest, NewSignatureOnlyAfterTheFirstIsProvenDead) {
  StartReady();
  om_->OnLadder(Ladder(1, 1), now_);
  auto posts = Only(Take(), ActionKind::kPost);
  om_->OnPostReply(posts[0].request_id, {.outcome = net::Outcome::kAmbiguous, .http_status = 502}, now_);
  // Unknown: the intent is covered, nothing new is signed however often we look.
  for (int i = 0; i < 5; ++i) {
    om_->OnTimer(now_);
    EXPECT_TRUE(Only(Take(), ActionKind::kPost).empty());
  }
  EXPECT_EQ(factory_.made, 2u);
  // A 404 too soon after the send proves nothing (the request could still land)...
  now_ += 1 * kSec + 1;
  om_->OnTimer(now_);
  for (const Action& q : Only(Take(), ActionKind::kQueryOrder)) Answer(q);
  EXPECT_EQ(CountState(OrderState::kUnknown), 2u);
  // ...a later one does.
  now_ += 5 * kSec;
  om_->OnTimer(now_);
  for (const Action& q : Only(Take(), ActionKind::kQueryOrder)) Answer(q);
  // Not active at the exchange: its trades say whether it filled.
  for (const Action& q : Only(Take(), ActionKind::kQueryTrades)) Answer(q);
  EXPECT_EQ(CountState(OrderState::kCanceled), 2u);
  om_->OnTimer(now_);
  size_t reposted = 0;
  for (const Action& p : Only(Take(), ActionKind::kPost)) reposted += p.orders.size();
  EXPECT_EQ(reposted, 2u);
  EXPECT_EQ(factory_.made, 4u);
}

TEST_F(OrderManagerTest, CancelEscalationLadderEndsInHalt) {
  StartReady();
  auto live = QuoteAndAccept(Ladder(1, 1));
  om_->OnLadder(Ladder(2, 0), now_);  // nothing wanted: cancel both
  std::vector<ActionKind> seen;
  for (int i = 0; i < 60 && om_->phase() != Phase::kHalted; ++i) {
    for (const Action& a : Take()) {
      seen.push_back(a.kind);
      if (a.kind == ActionKind::kCancel || a.kind == ActionKind::kCancelMarket || a.kind == ActionKind::kCancelAll) {
        om_->OnCancelReply(a.request_id, {.outcome = net::Outcome::kAmbiguous, .http_status = 503}, now_);
      } else if (a.kind == ActionKind::kListOpenOrders) {
        ListReply r{.outcome = net::Outcome::kOk};
        for (const auto& id : live) r.orders.push_back({.id = id.ToString(), .status = "LIVE"});
        om_->OnListReply(a.request_id, r, now_);
      } else {
        Answer(a);
      }
    }
    now_ += 1 * kSec;
    om_->OnTimer(now_);
  }
  const auto first = [&](ActionKind k) { return std::find(seen.begin(), seen.end(), k) - seen.begin(); };
  EXPECT_LT(first(ActionKind::kCancel), first(ActionKind::kCancelMarket));
  EXPECT_LT(first(ActionKind::kCancelMarket), first(ActionKind::kCancelAll));
  EXPECT_LT(first(ActionKind::kCancelAll), first(ActionKind::kListOpenOrders));
  EXPECT_EQ(om_->phase(), Phase::kHalted);
  EXPECT_NE(om_->halt_reason().find("cancel escalation exhausted"), std::string::npos) << om_->halt_reason();
  // Halted, it still tries to cancel.
  now_ += 2 * kSec;
  om_->OnTimer(now_);
  EXPECT_FALSE(Only(Take(), ActionKind::kCancel).empty());
}

TEST_F(OrderManagerTest, KillCoversPendingSubmitsThroughTheirIdsAndBlocksPosts) {
  StartReady();
  om_->OnLadder(Ladder(1, 1), now_);
  auto posts = Only(Take(), ActionKind::kPost);  // in flight, unanswered
  ASSERT_EQ(posts.size(), 1u);
  om_->Kill("test", now_);
  auto actions = Take();
  auto cancels = Only(actions, ActionKind::kCancel);
  ASSERT_EQ(cancels.size(), 1u);
  EXPECT_EQ(cancels[0].order_ids.size(), 2u);
  EXPECT_EQ(Only(actions, ActionKind::kCancelAll).size(), 1u);
  // The post lands after all: the orders are cancelled, never quoted again until reset.
  Answer(posts[0]);
  for (const Action& a : actions) Answer(a);
  om_->OnLadder(Ladder(2, 2), now_);
  om_->OnTimer(now_);
  for (const Action& a : Take()) EXPECT_NE(a.kind, ActionKind::kPost);
  om_->Reset(now_);
  om_->OnTimer(now_);
  EXPECT_FALSE(Only(Take(), ActionKind::kPost).empty());
}

TEST_F(OrderManagerTest, VersionMismatchReResolvesAndReSignsWithoutDuplicates) {
  StartReady();
  om_->OnLadder(Ladder(1, 1), now_);
  auto posts = Only(Take(), ActionKind::kPost);
  PostReply reply{.outcome = net::Outcome::kOk};
  reply.legs.push_back({.success = false, .error_msg = "order_version_mismatch"});
  reply.legs.push_back(Accepted(posts[0].orders[1]->id));
  version_ = 3;
  om_->OnPostReply(posts[0].request_id, reply, now_);
  auto actions = Take();
  EXPECT_EQ(Only(actions, ActionKind::kGetVersion).size(), 1u);
  EXPECT_TRUE(Only(actions, ActionKind::kPost).empty()) << "nothing is signed until the version is known";
  for (const Action& a : actions) Answer(a);
  auto reposts = Only(Take(), ActionKind::kPost);
  ASSERT_EQ(reposts.size(), 1u);
  ASSERT_EQ(reposts[0].orders.size(), 1u) << "only the refused intent is re-signed";
  EXPECT_EQ(reposts[0].orders[0]->version, signing::OrderVersion::kV3);
}

TEST_F(OrderManagerTest, TerminalOrdersAreNeverRevivedButMatchedSizeRises) {
  StartReady();
  auto live = QuoteAndAccept(Ladder(1, 1));
  const auto id = live[0];
  polymarket::UserOrderEvent cancel{.type = polymarket::OrderEventType::kCancellation,
                                    .id = id.ToString(),
                                    .original_size = Size::FromWhole(10),
                                    .size_matched = Size::FromWhole(2)};
  om_->OnUserOrder(cancel, now_);
  EXPECT_EQ(om_->Find(id)->state, OrderState::kCanceled);
  polymarket::UserOrderEvent late{.type = polymarket::OrderEventType::kPlacement,
                                  .id = id.ToString(),
                                  .original_size = Size::FromWhole(10),
                                  .size_matched = Size::FromWhole(4),
                                  .status_base = "LIVE"};
  om_->OnUserOrder(late, now_);
  EXPECT_EQ(om_->Find(id)->state, OrderState::kCanceled);
  EXPECT_EQ(om_->Find(id)->matched, Size::FromWhole(4));
  late.size_matched = Size::FromWhole(1);
  om_->OnUserOrder(late, now_);
  EXPECT_EQ(om_->Find(id)->matched, Size::FromWhole(4)) << "matched size never decreases";
}

TEST_F(OrderManagerTest, TradesCountOncePerLegAcrossStatuses) {
  StartReady();
  auto live = QuoteAndAccept(Ladder(1, 1));
  polymarket::UserTradeEvent trade{.id = "t1", .taker_order_id = "0xffff"};
  trade.maker_orders.push_back({.order_id = live[0].ToString(), .matched_amount = Size::FromWhole(3)});
  for (auto status : {polymarket::TradeStatus::kMatched, polymarket::TradeStatus::kMined,
                      polymarket::TradeStatus::kConfirmed, polymarket::TradeStatus::kMatched}) {
    trade.status = status;
    om_->OnUserTrade(trade, now_);
  }
  EXPECT_EQ(om_->Find(live[0])->matched, Size::FromWhole(3));
  EXPECT_EQ(om_->Find(live[0])->state, OrderState::kPartiallyFilled);
  EXPECT_EQ(om_->counters().duplicate_trade_legs, 3u);
}

TEST_F(OrderManagerTest, HeartbeatChainBreakStopsPostsCancelsAndResyncs) {
  StartReady();
  auto live = QuoteAndAccept(Ladder(1, 1));
  now_ += 6 * kSec;
  om_->OnTimer(now_);
  auto hb = Only(Take(), ActionKind::kHeartbeat);
  ASSERT_EQ(hb.size(), 1u);
  om_->OnHeartbeatReply(hb[0].request_id, {.outcome = net::Outcome::kRejected, .error = "Invalid Heartbeat ID"}, now_);
  EXPECT_FALSE(om_->posting_allowed(now_));
  auto actions = Take();
  EXPECT_FALSE(Only(actions, ActionKind::kCancel).empty());
  EXPECT_EQ(Only(actions, ActionKind::kCancelAll).size(), 1u);
  ASSERT_EQ(Only(actions, ActionKind::kHeartbeat).size(), 1u);
  EXPECT_EQ(Only(actions, ActionKind::kHeartbeat)[0].heartbeat_id, "") << "a new chain";
  for (int i = 0; i < 4; ++i) {
    for (const Action& a : actions) Answer(a);
    actions = Take();
  }
  now_ += 4 * kSec;
  om_->OnTimer(now_);
  EXPECT_TRUE(om_->posting_allowed(now_));
}

TEST_F(OrderManagerTest, TickSizeChangeCancelsTheOldGridAndQuotesTheNew) {
  StartReady();
  auto live = QuoteAndAccept(Ladder(1, 1));
  om_->OnTickSize("111", *model::TickSize::FromUnits(10), now_);
  auto cancels = Only(Take(), ActionKind::kCancel);
  ASSERT_EQ(cancels.size(), 1u);
  EXPECT_EQ(cancels[0].order_ids.size(), 2u);
  Answer(cancels[0]);
  auto next = QuoteAndAccept(Ladder(2, 1, 4810, 10));
  ASSERT_EQ(next.size(), 2u);
  EXPECT_EQ(factory_.specs.back().tick.units(), 10);
}

TEST_F(OrderManagerTest, StaleAndExpiredLaddersAreIgnored) {
  StartReady();
  auto live = QuoteAndAccept(Ladder(5, 1));
  om_->OnLadder(Ladder(4, 3), now_);
  EXPECT_EQ(om_->counters().ladders_stale, 1u);
  EXPECT_TRUE(Take().empty()) << "an older ladder changes nothing";
  MarketLadder old = Ladder(6, 3);
  old.valid_until = now_ - 1;
  om_->OnLadder(old, now_);
  EXPECT_EQ(om_->counters().ladders_expired, 1u);
  EXPECT_TRUE(Take().empty()) << "a ladder past its deadline changes nothing";
  EXPECT_EQ(CountState(OrderState::kLive), 2u);
}

// Strategy dies (or NATS cuts it off): no input arrives any more but the timer and the
// heartbeats, which are answered, so the chain never lapses. The ladder's deadline alone must
// empty the market, at the first step after it, and a fresher ladder moves the deadline.
TEST_F(OrderManagerTest, AnExpiredLadderIsCancelledAtItsDeadlineWithNothingElseHappening) {
  StartReady();
  MarketLadder first = Ladder(1, 1);
  first.valid_until = now_ + 5 * kSec;
  auto live = QuoteAndAccept(first);
  ASSERT_EQ(live.size(), 2u);
  EXPECT_EQ(om_->next_ladder_deadline(), first.valid_until);
  const Nanos tick = 20 * kNanosPerMilli;
  size_t cancelled = 0;
  Nanos cancelled_at = 0;
  const auto run_until = [&](Nanos until) {
    while (now_ < until) {
      now_ += tick;
      om_->OnTimer(now_);
      for (const Action& a : Take()) {
        if (a.kind == ActionKind::kHeartbeat) {
          Answer(a);
          continue;
        }
        ASSERT_EQ(a.kind, ActionKind::kCancel) << ActionKindName(a.kind);
        cancelled += a.order_ids.size();
        if (cancelled_at == 0) cancelled_at = now_;
      }
    }
  };
  // A fresher ladder (the same quotes) three seconds in: the first deadline no longer counts.
  run_until(now_ + 3 * kSec);
  MarketLadder second = Ladder(2, 1);
  second.valid_until = now_ + 5 * kSec;
  om_->OnLadder(second, now_);
  EXPECT_TRUE(Take().empty()) << "the same quotes: nothing to do";
  EXPECT_EQ(om_->next_ladder_deadline(), second.valid_until);
  run_until(first.valid_until + 1 * kSec);
  EXPECT_EQ(cancelled, 0u) << "the first ladder's deadline was superseded";
  run_until(second.valid_until + 2 * kSec);
  EXPECT_EQ(cancelled, 2u) << "both quotes cancelled when the ladder lapsed";
  EXPECT_GT(cancelled_at, second.valid_until);
  EXPECT_LE(cancelled_at, second.valid_until + tick) << "at the first step after the deadline";
  EXPECT_EQ(CountState(OrderState::kPendingCancel), 2u);
  EXPECT_EQ(om_->counters().ladders_lapsed, 1u);
  EXPECT_EQ(om_->counters().heartbeat_chain_breaks, 0u) << "not the heartbeat-timeout path";
  EXPECT_GE(om_->counters().heartbeats_ok, 3u);
  EXPECT_FALSE(om_->next_ladder_deadline().has_value());
  bool cause_named = false;
  for (const OrderEvent& e : om_->TakeEvents()) cause_named |= e.cause == "ladder_expired";
  EXPECT_TRUE(cause_named);
}

// Whatever the input, due work is done on it: past a ladder's deadline even a stale ladder (here
// after a stall, with no timer call at all) cancels the expired quotes.
TEST_F(OrderManagerTest, AnyInputRunsADueDeadline) {
  StartReady();
  MarketLadder ladder = Ladder(5, 1);
  ladder.valid_until = now_ + 5 * kSec;
  auto live = QuoteAndAccept(ladder);
  ASSERT_EQ(live.size(), 2u);
  now_ += 6 * kSec;
  om_->OnLadder(Ladder(4, 1), now_);  // older: ignored, but it is a moment past the deadline
  size_t cancelled = 0;
  for (const Action& a : Only(Take(), ActionKind::kCancel)) cancelled += a.order_ids.size();
  EXPECT_EQ(cancelled, 2u);
  EXPECT_EQ(om_->counters().ladders_stale, 1u);
}

// Issue 17 item 4: a crashed incarnation's orders, closed by this one's start-up cancel-all
// without it knowing them, are reported CANCELED (market and token from the listing before the
// cancel-all) once the cancel-all is verified, so consumers of CM_ORDERS drop them.
TEST_F(OrderManagerTest, StartupReportsTheUnknownOrdersItsCancelAllClosed) {
  const model::OrderId left1(std::array<uint8_t, 32>{0xa1});
  const model::OrderId left2(std::array<uint8_t, 32>{0xa2});
  open_ = {{.id = left1.ToString(),
            .status = "LIVE",
            .market = "0xmarket",
            .asset_id = "111",
            .side = Side::kBuy,
            .original_size = Size::FromWhole(10),
            .size_matched = Size::FromWhole(3),
            .price = Price(4700)},
           {.id = left2.ToString(),
            .status = "LIVE",
            .market = "0xother",
            .asset_id = "333",
            .side = Side::kSell,
            .original_size = Size::FromWhole(5),
            .price = Price(5300)}};
  om_->Start(false, now_);
  std::vector<OrderEvent> events;
  bool canceled_all = false;
  for (int round = 0; round < 6 && om_->phase() != Phase::kReady; ++round) {
    for (const Action& a : Take()) {
      if (a.kind == ActionKind::kCancelAll) {
        canceled_all = true;
        EXPECT_TRUE(events.empty()) << "nothing is reported before the cancel-all is verified";
        open_.clear();  // the cancel-all closes them
      }
      Answer(a);
    }
    for (OrderEvent& e : om_->TakeEvents()) events.push_back(std::move(e));
  }
  ASSERT_TRUE(canceled_all);
  ASSERT_EQ(om_->phase(), Phase::kReady);
  ASSERT_EQ(events.size(), 2u);
  std::map<model::OrderId, OrderEvent> by_id;
  for (const OrderEvent& e : events) by_id.emplace(e.order.id, e);
  ASSERT_TRUE(by_id.contains(left1) && by_id.contains(left2));
  const OrderEvent& a = by_id.at(left1);
  EXPECT_EQ(a.order.state, OrderState::kCanceled);
  EXPECT_EQ(a.previous, OrderState::kLive);
  EXPECT_EQ(a.order.market, "0xmarket");
  EXPECT_EQ(a.order.intent.token, "111");
  EXPECT_EQ(a.order.intent.side, Side::kBuy);
  EXPECT_EQ(a.order.price, Price(4700));
  EXPECT_EQ(a.order.matched, Size::FromWhole(3));
  EXPECT_EQ(a.cause, "start-up:cancel_all");
  EXPECT_EQ(a.sequence, 1u);
  EXPECT_EQ(by_id.at(left2).order.market, "0xother");
  EXPECT_EQ(by_id.at(left2).order.intent.token, "333");
  EXPECT_EQ(om_->counters().startup_unknown_canceled, 2u);
  EXPECT_TRUE(om_->Orders().empty()) << "reported, not taken into the cache";
  // Nothing more about them later.
  now_ += 60 * kSec;
  om_->ReconcileNow(now_);
  for (const Action& act : Take()) Answer(act);
  EXPECT_TRUE(om_->TakeEvents().empty());
}

// Not verified (still open after the cancel-all), nothing is reported; a failed start-up listing
// does not hold the cancel-all back for good.
TEST_F(OrderManagerTest, StartupReportsNothingUnverifiedAndCancelsAllWithoutAListing) {
  const model::OrderId stuck(std::array<uint8_t, 32>{0xb1});
  open_ = {{.id = stuck.ToString(), .status = "LIVE", .market = "0xmarket", .asset_id = "111"}};
  om_->Start(false, now_);
  for (int i = 0; i < 40 && om_->phase() != Phase::kHalted; ++i) {
    for (const Action& a : Take()) Answer(a);  // the cancel-all never closes it
    EXPECT_TRUE(om_->TakeEvents().empty());
    now_ += 2 * kSec;
    om_->OnTimer(now_);
  }
  EXPECT_EQ(om_->phase(), Phase::kHalted);

  Rebuild(Config());
  open_.clear();
  om_->Start(false, now_);
  int listings_failed = 0;
  bool canceled_all = false;
  for (int i = 0; i < 40 && om_->phase() != Phase::kReady; ++i) {
    for (const Action& a : Take()) {
      if (a.kind == ActionKind::kListOpenOrders && !canceled_all) {
        listings_failed++;
        om_->OnListReply(a.request_id, {.outcome = net::Outcome::kAmbiguous}, now_);
        continue;
      }
      canceled_all |= a.kind == ActionKind::kCancelAll;
      Answer(a);
    }
    now_ += 2 * kSec;
    om_->OnTimer(now_);
  }
  EXPECT_TRUE(canceled_all);
  EXPECT_EQ(om_->phase(), Phase::kReady);
  EXPECT_EQ(listings_failed, Config().startup_attempts);
  EXPECT_EQ(om_->counters().startup_listing_failures, 1u);
}

TEST_F(OrderManagerTest, ReconcileCancelsOrphansAndBuriesAbsentOrders) {
  StartReady();
  auto live = QuoteAndAccept(Ladder(1, 1));
  now_ += 10 * kSec;
  const model::OrderId orphan(std::array<uint8_t, 32>{0xaa});
  open_ = {{.id = orphan.ToString(), .status = "LIVE"}, {.id = live[0].ToString(), .status = "LIVE"}};
  om_->ReconcileNow(now_);
  auto actions = Take();
  auto lists = Only(actions, ActionKind::kListOpenOrders);
  ASSERT_EQ(lists.size(), 1u);
  Answer(lists[0]);
  EXPECT_EQ(om_->Find(live[0])->state, OrderState::kLive);
  EXPECT_EQ(om_->Find(live[1])->state, OrderState::kCanceled) << "absent from the listing";
  auto cancels = Only(Take(), ActionKind::kCancel);
  ASSERT_FALSE(cancels.empty());
  EXPECT_EQ(cancels[0].order_ids[0], orphan);
  EXPECT_EQ(om_->counters().orphans_canceled, 1u);
}

TEST_F(OrderManagerTest, IllegalTransitionsAreCountedNotApplied) {
  StartReady();
  om_->OnLadder(Ladder(1, 1), now_);
  auto posts = Only(Take(), ActionKind::kPost);
  PostReply reply{.outcome = net::Outcome::kOk};
  for (size_t i = 0; i < posts[0].orders.size(); ++i) reply.legs.push_back({.success = false, .error_msg = "bad"});
  om_->OnPostReply(posts[0].request_id, reply, now_);
  const auto id = posts[0].orders[0]->id;
  ASSERT_EQ(om_->Find(id)->state, OrderState::kRejected);
  om_->OnUserOrder({.type = polymarket::OrderEventType::kPlacement, .id = id.ToString(), .status_base = "LIVE"}, now_);
  EXPECT_EQ(om_->Find(id)->state, OrderState::kRejected);
  EXPECT_EQ(om_->counters().illegal_transitions, 1u);
}

}  // namespace
}  // namespace clobmaker::execution

namespace clobmaker::execution {
namespace {

TEST_F(OrderManagerTest, ARefusedQuoteIsHeldBackNotChurned) {
  StartReady();
  om_->OnLadder(Ladder(1, 1), now_);
  size_t posted = 0;
  for (int i = 0; i < 50; ++i) {  // the exchange refuses every post (a post-only cross)
    for (const Action& a : Take()) {
      if (a.kind != ActionKind::kPost) {
        Answer(a);
        continue;
      }
      posted += a.orders.size();
      PostReply r{.outcome = net::Outcome::kOk};
      for (size_t j = 0; j < a.orders.size(); ++j) {
        r.legs.push_back({.success = false, .error_msg = "invalid post-only order: order crosses book"});
      }
      om_->OnPostReply(a.request_id, r, now_);
    }
    now_ += 20 * kNanosPerMilli;
    om_->OnTimer(now_);
  }
  EXPECT_EQ(posted, 2u) << "one try per intent in the first second, not one per step";
  EXPECT_EQ(om_->counters().rejects_by_reason.at("post_only_cross"), 2u);  // counted by class
  EXPECT_EQ(om_->counters().rejects_by_reason.size(), 1u);
  // A new price is tried at once; the same price only after the (doubling) hold.
  om_->OnLadder(Ladder(2, 1, 4700), now_);
  size_t repriced = 0;
  for (const Action& a : Only(Take(), ActionKind::kPost)) repriced += a.orders.size();
  EXPECT_EQ(repriced, 2u);
}

// The exchange pages listings by offset: an order can slip between pages while others close, so
// absence from a paged listing proves nothing; the order is asked for by id instead.
TEST_F(OrderManagerTest, APagedListingProvesNoAbsenceTheOrderIsQueriedById) {
  StartReady();
  auto live = QuoteAndAccept(Ladder(1, 1));
  ASSERT_EQ(live.size(), 2u);
  now_ += 10 * kSec;
  open_ = {{.id = live[0].ToString(), .status = "LIVE"}};
  pages_ = 2;
  om_->ReconcileNow(now_);
  for (const Action& a : Only(Take(), ActionKind::kListOpenOrders)) Answer(a);
  EXPECT_EQ(om_->Find(live[1])->state, OrderState::kLive) << "missing from a paged listing: not proven dead";
  EXPECT_EQ(om_->counters().proven_absent, 0u);
  auto queries = Only(Take(), ActionKind::kQueryOrder);
  ASSERT_EQ(queries.size(), 1u);
  EXPECT_EQ(queries[0].order_ids[0], live[1]);
  Answer(queries[0]);  // 404: not active at the exchange; its trades say whether it filled
  for (const Action& q : Only(Take(), ActionKind::kQueryTrades)) Answer(q);
  EXPECT_EQ(om_->Find(live[1])->state, OrderState::kCanceled);
}

TEST_F(OrderManagerTest, AdoptionFromAPagedListingFallsBackToCancelAll) {
  open_.push_back({.id = model::OrderId(std::array<uint8_t, 32>{7}).ToString(),
                   .status = "LIVE",
                   .market = "0xmarket",
                   .asset_id = "111",
                   .original_size = Size::FromWhole(10),
                   .price = Price(4800)});
  pages_ = 2;
  om_->Start(true, now_);
  now_ += 3 * kSec;  // adopt lists once the longest matching delay (unknown: the default) passed
  std::vector<ActionKind> seen;
  for (int i = 0; i < 4 && om_->phase() != Phase::kReady; ++i) {
    for (const Action& a : Take()) {
      seen.push_back(a.kind);
      if (a.kind == ActionKind::kCancelAll) {
        open_.clear();
        pages_ = 1;
      }
      Answer(a);
    }
  }
  ASSERT_EQ(om_->phase(), Phase::kReady);
  EXPECT_NE(std::find(seen.begin(), seen.end(), ActionKind::kCancelAll), seen.end());
  EXPECT_EQ(om_->counters().adopt_fallbacks, 1u);
  EXPECT_TRUE(om_->Orders().empty()) << "nothing adopted from a listing that is no snapshot";
}

// A 429 can come after the exchange processed the request: the re-send's refusal (here for the
// balance the first send's order reserves) does not prove the first send dead.
TEST_F(OrderManagerTest, ARefusedResendAfterA429IsUnknownNotRejected) {
  StartReady();
  om_->OnLadder(Ladder(1, 1), now_);
  auto posts = Only(Take(), ActionKind::kPost);
  ASSERT_EQ(posts.size(), 1u);
  om_->OnPostReply(posts[0].request_id, {.outcome = net::Outcome::kThrottled, .retry_after = 1 * kSec}, now_);
  now_ += 2 * kSec;
  om_->OnTimer(now_);
  auto resend = Only(Take(), ActionKind::kPost);
  ASSERT_EQ(resend.size(), 1u);
  PostReply refused{.outcome = net::Outcome::kOk};
  for (size_t i = 0; i < resend[0].orders.size(); ++i) {
    refused.legs.push_back({.success = false, .error_msg = "not enough balance / allowance"});
  }
  om_->OnPostReply(resend[0].request_id, refused, now_);
  EXPECT_EQ(CountState(OrderState::kUnknown), 2u);
  EXPECT_EQ(CountState(OrderState::kRejected), 0u);
}

// Killed (or halted), adopted orders are cancelled at once rather than waiting for a ladder.
TEST_F(OrderManagerTest, AKilledExecutionCancelsWhatItAdoptsAtOnce) {
  const model::OrderId id(std::array<uint8_t, 32>{7});
  open_.push_back({.id = id.ToString(),
                   .status = "LIVE",
                   .market = "0xmarket",
                   .asset_id = "111",
                   .original_size = Size::FromWhole(10),
                   .price = Price(4800)});
  om_->Start(true, now_);
  now_ += 3 * kSec;  // adopt lists once the longest matching delay (unknown: the default) passed
  om_->Kill("restarted killed", now_);
  std::vector<model::OrderId> cancelled;
  for (int i = 0; i < 4; ++i) {
    for (const Action& a : Take()) {
      if (a.kind == ActionKind::kCancel) cancelled.insert(cancelled.end(), a.order_ids.begin(), a.order_ids.end());
      if (a.kind != ActionKind::kCancel && a.kind != ActionKind::kCancelAll) Answer(a);
    }
  }
  ASSERT_TRUE(om_->Find(id).has_value());
  EXPECT_EQ(cancelled, std::vector<model::OrderId>{id}) << "no wait for the adopt grace while killed";
  EXPECT_EQ(om_->Find(id)->state, OrderState::kPendingCancel);
}

// terminal_seen_open counts contradictions only: an order dead before the listing was asked for.
TEST_F(OrderManagerTest, TerminalSeenOpenCountsOnlyOrdersDeadBeforeTheListing) {
  StartReady();
  auto live = QuoteAndAccept(Ladder(1, 1));
  ASSERT_EQ(live.size(), 2u);
  open_ = {{.id = live[0].ToString(), .status = "LIVE"}, {.id = live[1].ToString(), .status = "LIVE"}};
  now_ += 1 * kSec;
  om_->ReconcileNow(now_);
  auto lists = Only(Take(), ActionKind::kListOpenOrders);
  ASSERT_EQ(lists.size(), 1u);
  // Both die after the listing went out; it answers with both open (older news).
  now_ += 1;
  for (const auto& id : live) {
    om_->OnUserOrder({.type = polymarket::OrderEventType::kCancellation, .id = id.ToString()}, now_);
  }
  Answer(lists[0]);
  EXPECT_EQ(om_->counters().terminal_seen_open, 0u);
  // The next listing still shows one open although it was dead before it was asked for.
  now_ += 1 * kSec;
  open_ = {{.id = live[0].ToString(), .status = "LIVE"}};
  om_->ReconcileNow(now_);
  for (const Action& a : Only(Take(), ActionKind::kListOpenOrders)) Answer(a);
  EXPECT_EQ(om_->counters().terminal_seen_open, 1u);
  EXPECT_EQ(om_->Find(live[0])->state, OrderState::kCanceled) << "never revived";
}

// CM_ORDERS message ids: one per transition, also when an order comes back to a state it had
// (the old key, order id + state + matched + level, repeated and JetStream dropped the second).
TEST_F(OrderManagerTest, EveryEventHasItsOwnMessageId) {
  StartReady();
  auto live = QuoteAndAccept(Ladder(1, 1));
  ASSERT_EQ(live.size(), 2u);
  om_->OnLadder(Ladder(2, 0), now_);  // nothing wanted: both PENDING_CANCEL
  auto cancels = Only(Take(), ActionKind::kCancel);
  ASSERT_EQ(cancels.size(), 1u);
  CancelReply refused{.outcome = net::Outcome::kOk};
  for (const auto& id : cancels[0].order_ids) refused.result.not_canceled.emplace_back(id.ToString(), "not found");
  om_->OnCancelReply(cancels[0].request_id, refused, now_);  // -> UNKNOWN
  now_ += 2 * kSec;
  om_->OnTimer(now_);  // cancelled again: PENDING_CANCEL a second time
  ASSERT_EQ(CountState(OrderState::kPendingCancel), 2u);
  std::set<std::string> ids, old_keys;
  size_t events = 0, old_repeats = 0;
  for (const OrderEvent& e : om_->TakeEvents()) {
    ++events;
    EXPECT_TRUE(ids.insert(OrdersMsgId(e, 7)).second) << OrdersMsgId(e, 7);
    old_repeats += !old_keys
                        .insert(fmt::format("{}:{}:{}:{}", e.order.id.ToString(), OrderStateName(e.order.state),
                                            e.order.matched.micros(), e.order.intent.level))
                        .second;
  }
  EXPECT_EQ(ids.size(), events);
  EXPECT_GE(old_repeats, 2u) << "the scenario returns orders to a state they had";
  // Another incarnation's events never share an id with this one's.
  const OrderEvent e{.order = *om_->Find(live[0]), .sequence = 1};
  EXPECT_NE(OrdersMsgId(e, 7), OrdersMsgId(e, 8));
}

TEST(RejectReasonClass, NamesTheExchangesRefusalsInAFixedSet) {
  EXPECT_EQ(RejectReasonClass("invalid post-only order: order crosses book"), "post_only_cross");
  EXPECT_EQ(RejectReasonClass("order 0x1 is invalid. Price (0.505) breaks minimum tick size rule: 0.01"), "tick_size");
  EXPECT_EQ(RejectReasonClass("order 0x1 is invalid. Size (1) lower than the minimum: 5"), "min_size");
  EXPECT_EQ(RejectReasonClass("not enough balance / allowance"), "balance");
  EXPECT_EQ(RejectReasonClass("order_version_mismatch"), "version_mismatch");
  EXPECT_EQ(RejectReasonClass("the market is resolved: not accepting orders"), "market_closed");
  EXPECT_EQ(RejectReasonClass("the matching engine is restarting, try again later"), "engine_unavailable");
  EXPECT_EQ(RejectReasonClass("Unauthorized/Invalid api key"), "auth");
  EXPECT_EQ(RejectReasonClass("invalid expiration"), "expiration");
  EXPECT_EQ(RejectReasonClass("something new the exchange says"), "other");
}

}  // namespace
}  // namespace clobmaker::execution
