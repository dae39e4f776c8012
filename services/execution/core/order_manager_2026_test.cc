// The OrderManager against the exchange of late 2026 (issue 18): per-signer rate limits (tier,
// bucket-sized batches, header re-sync, the cancel reserve, shedding by priority, 429s that are
// never rejections), `delayed` / `unmatched` / unknown statuses, cancels refused inside a matching
// delay, lookups that answer 200-null, and trading restrictions. Driven by hand, like
// order_manager_test.cc.
#include <gtest/gtest.h>

#include <algorithm>

#include "services/execution/core/order_manager.h"

namespace clobmaker::execution {
namespace {

using model::Price;
using model::Side;
using model::Size;
using polymarket::RateTier;

constexpr Nanos kSec = kNanosPerSecond;

class Factory : public OrderFactory {
 public:
  absl::StatusOr<signing::SignedOrder> Make(const OrderSpec& spec) override {
    signing::SignedOrder s;
    std::array<uint8_t, 32> bytes{};
    const uint64_t n = ++made;
    for (int i = 0; i < 8; ++i) bytes[31 - i] = static_cast<uint8_t>(n >> (8 * i));
    s.id = model::OrderId(bytes);
    s.version = static_cast<signing::OrderVersion>(spec.version);
    specs[s.id] = spec;
    return s;
  }
  uint64_t made = 0;
  std::map<model::OrderId, OrderSpec> specs;
};

class Om2026 : public ::testing::Test {
 protected:
  Om2026() { Make(Config()); }
  static OrderManagerConfig Config() {
    OrderManagerConfig c;
    c.reconcile_interval = 1000 * kSec;
    return c;
  }
  void Make(OrderManagerConfig c) { om_ = std::make_unique<OrderManager>(c, &factory_); }

  std::vector<Action> Take() { return om_->TakeActions(); }
  static std::vector<Action> Only(const std::vector<Action>& actions, ActionKind kind) {
    std::vector<Action> out;
    for (const Action& a : actions) {
      if (a.kind == kind) out.push_back(a);
    }
    return out;
  }
  void StartReady(std::optional<RateTier> tier = RateTier::kStandard) {
    tier_ = tier;
    om_->Start(false, now_);
    for (int round = 0; round < 6 && om_->phase() != Phase::kReady; ++round) {
      for (const Action& a : Take()) Answer(a);
    }
    ASSERT_EQ(om_->phase(), Phase::kReady);
    for (const Action& a : Take()) Answer(a);
  }
  void Answer(const Action& a) {
    switch (a.kind) {
      case ActionKind::kHeartbeat:
        om_->OnHeartbeatReply(a.request_id, {.outcome = net::Outcome::kOk, .heartbeat_id = "hb"}, now_);
        break;
      case ActionKind::kGetVersion:
        om_->OnVersionReply(a.request_id, {.outcome = net::Outcome::kOk, .version = 2}, now_);
        break;
      case ActionKind::kGetRateTier:
        om_->OnRateTierReply(a.request_id,
                             {.outcome = tier_ ? net::Outcome::kOk : net::Outcome::kAmbiguous, .tier = tier_}, now_);
        break;
      case ActionKind::kCancelAll:
      case ActionKind::kCancelMarket:
        om_->OnCancelReply(a.request_id, {.outcome = net::Outcome::kOk}, now_);
        break;
      case ActionKind::kListOpenOrders:
        om_->OnListReply(a.request_id, {.outcome = net::Outcome::kOk, .orders = open_}, now_);
        break;
      case ActionKind::kCancel: {
        CancelReply r{.outcome = net::Outcome::kOk};
        for (const auto& id : a.order_ids) r.result.canceled.push_back(id.ToString());
        om_->OnCancelReply(a.request_id, r, now_);
        break;
      }
      case ActionKind::kPost: {
        PostReply r{.outcome = net::Outcome::kOk};
        for (const auto& o : a.orders)
          r.legs.push_back({.success = true, .order_id = o->id.ToString(), .status = "live"});
        om_->OnPostReply(a.request_id, r, now_);
        break;
      }
      case ActionKind::kQueryOrder:
        om_->OnQueryReply(a.request_id, {.outcome = net::Outcome::kOk, .http_status = 200}, now_);  // 200 null
        break;
      case ActionKind::kQueryTrades:
        om_->OnTradesReply(a.request_id, {.outcome = net::Outcome::kOk, .trades = trades_}, now_);
        break;
    }
  }
  // A ladder of `levels` bids and `levels` asks on one token.
  MarketLadder Ladder(uint64_t seq, int levels, int64_t bid_top = 4800) {
    MarketLadder l{.market = "0xm",
                   .tokens = {"111", "222"},
                   .tick = model::TickSize::Cent(),
                   .sequence = seq,
                   .valid_until = now_ + 600 * kSec};
    for (int i = 0; i < levels; ++i) {
      l.quotes.push_back({.intent = {.token = "111", .side = Side::kBuy, .level = static_cast<uint32_t>(i)},
                          .price = Price(bid_top - 100 * (i % 20)),
                          .size = Size::FromWhole(10)});
      l.quotes.push_back({.intent = {.token = "111", .side = Side::kSell, .level = static_cast<uint32_t>(i)},
                          .price = Price(bid_top + 200 + 100 * (i % 20)),
                          .size = Size::FromWhole(10)});
    }
    return l;
  }
  // Runs the timer and answers every action happily for `seconds`, in steps; returns the posts.
  std::vector<Action> Run(double seconds, Nanos step = 50 * kNanosPerMilli) {
    std::vector<Action> posts;
    const Nanos end = now_ + static_cast<Nanos>(seconds * kSec);
    while (now_ < end) {
      om_->OnTimer(now_);
      for (int i = 0; i < 20; ++i) {
        auto actions = Take();
        if (actions.empty()) break;
        for (const Action& a : actions) {
          if (a.kind == ActionKind::kPost) posts.push_back(a);
          Answer(a);
        }
      }
      now_ += step;
    }
    return posts;
  }
  size_t Count(OrderState s) const {
    const auto all = om_->Orders();
    return static_cast<size_t>(std::count_if(all.begin(), all.end(), [&](const OrderView& v) { return v.state == s; }));
  }
  static size_t Orders(const std::vector<Action>& posts) {
    size_t n = 0;
    for (const Action& p : posts) n += p.orders.size();
    return n;
  }

  Nanos now_ = 1'700'000'000 * kSec;
  std::optional<RateTier> tier_ = RateTier::kStandard;
  std::vector<polymarket::OpenOrder> open_;
  std::vector<polymarket::UserTradeEvent> trades_;
  Factory factory_;
  std::unique_ptr<OrderManager> om_;
};

TEST_F(Om2026, TheTierIsLearntAtStartUpAndSizesBothBuckets) {
  EXPECT_EQ(om_->budget_config(ActionKind::kPost).capacity, 60);  // Standard until told
  EXPECT_FALSE(om_->rate_tier_confirmed());
  om_->Start(false, now_);
  auto first = Take();
  ASSERT_EQ(Only(first, ActionKind::kGetRateTier).size(), 1u);
  tier_ = RateTier::kGold;
  for (const Action& a : first) Answer(a);
  EXPECT_EQ(om_->rate_tier(), RateTier::kGold);
  EXPECT_TRUE(om_->rate_tier_confirmed());
  EXPECT_EQ(om_->budget_config(ActionKind::kPost).capacity, 600);
  EXPECT_EQ(om_->budget_config(ActionKind::kPost).refill_per_second, 400);
  EXPECT_EQ(om_->budget_config(ActionKind::kCancel).capacity, 1200);
}

TEST_F(Om2026, ATierTheHeadersReportWinsAndTheBucketFollowsRemaining) {
  // The tier follows the maker wallet and is refreshed every 3 h: the headers say when it moved.
  polymarket::RateLimitHeaders h{.present = true, .remaining = 10.0, .tier = RateTier::kCopper};
  StartReady(RateTier::kGold);
  om_->OnLadder(Ladder(1, 1), now_);
  auto posts = Only(Take(), ActionKind::kPost);
  ASSERT_EQ(posts.size(), 1u);
  om_->OnPostReply(posts[0].request_id,
                   {.outcome = net::Outcome::kOk,
                    .legs = {{.success = true, .order_id = posts[0].orders[0]->id.ToString(), .status = "live"},
                             {.success = true, .order_id = posts[0].orders[1]->id.ToString(), .status = "live"}},
                    .rate_limit = h},
                   now_);
  EXPECT_EQ(om_->rate_tier(), RateTier::kCopper);
  EXPECT_EQ(om_->budget_config(ActionKind::kPost).capacity, 90);
  EXPECT_NEAR(om_->budget_available(ActionKind::kPost, now_), 10.0, 1e-6);  // re-synced from the header
}

TEST_F(Om2026, NoBatchCostsMoreThanTheBucketHoldsAndNoBurstExceedsTheTiers) {
  StartReady();
  // 60 bids and 60 asks wanted at once; the Standard order bucket holds 60 and refills 40/s.
  om_->OnLadder(Ladder(1, 60, 6900), now_);
  std::vector<std::pair<Nanos, size_t>> timeline;
  const Nanos t0 = now_;
  while (now_ < t0 + 3 * kSec) {
    om_->OnTimer(now_);
    for (int i = 0; i < 20; ++i) {
      auto actions = Take();
      if (actions.empty()) break;
      for (const Action& a : actions) {
        if (a.kind == ActionKind::kPost) {
          EXPECT_LE(a.orders.size(), 15u);
          timeline.emplace_back(now_, a.orders.size());
        }
        Answer(a);
      }
    }
    now_ += 20 * kNanosPerMilli;
  }
  size_t in_first_instant = 0, total = 0;
  for (const auto& [t, n] : timeline) {
    total += n;
    if (t == t0) in_first_instant += n;
  }
  EXPECT_LE(in_first_instant, 60u) << "never more than the burst at once";
  for (const auto& [t, n] : timeline) {
    size_t window = 0;
    for (const auto& [u, m] : timeline) window += (u >= t && u < t + kSec) ? m : 0;
    EXPECT_LE(window, 60u + 40u) << "a second's posts fit the burst plus a second of refill";
  }
  EXPECT_GT(total, 60u) << "the rest goes as the bucket refills";
  EXPECT_GT(om_->counters().posts_shed, 0u);
  EXPECT_EQ(om_->counters().throttled, 0u);
}

TEST_F(Om2026, PostsLeaveTheCancelBucketEnoughToCancelEverythingOpen) {
  OrderManagerConfig c = Config();
  c.cancel_budget = RateBudgetConfig{.capacity = 11, .refill_per_second = 0.001};  // a small cancel bucket
  Make(c);
  StartReady();
  om_->OnLadder(Ladder(1, 10), now_);
  Run(2.0);
  // 1 + open must fit the 11 cancel tokens: at most 10 orders may be live (less what the start-up
  // cancel-all took).
  const size_t live = Count(OrderState::kLive);
  EXPECT_LE(live, 10u);
  EXPECT_GT(live, 0u);
  EXPECT_GT(om_->counters().posts_shed_cancel_reserve, 0u);
  // A kill can cancel all of them: every id in one affordable batch, plus the cancel-all.
  om_->Kill("test", now_);
  auto actions = Take();
  size_t ids = 0;
  for (const Action& a : Only(actions, ActionKind::kCancel)) ids += a.order_ids.size();
  EXPECT_EQ(ids, live);
  EXPECT_EQ(Only(actions, ActionKind::kCancelAll).size(), 1u);
  EXPECT_EQ(om_->counters().cancels_waiting_tokens, 0u);
}

TEST_F(Om2026, UnderPressureTheDeepestLevelsAreShedFirst) {
  OrderManagerConfig c = Config();
  c.post_budget = RateBudgetConfig{.capacity = 4, .refill_per_second = 0.001};
  c.lead_batch = 15;
  Make(c);
  StartReady();
  om_->OnLadder(Ladder(1, 5), now_);  // 10 quotes wanted, 4 tokens
  auto posts = Only(Take(), ActionKind::kPost);
  ASSERT_EQ(posts.size(), 1u);
  ASSERT_EQ(posts[0].orders.size(), 4u);
  for (const auto& o : posts[0].orders) {
    EXPECT_LE(factory_.specs.at(o->id).intent.level, 1u) << "top of the ladder first";
  }
  EXPECT_EQ(om_->counters().posts_shed, 6u);
}

TEST_F(Om2026, A429IsNeverARejectionAndIsCountedPerEndpoint) {
  StartReady();
  om_->OnLadder(Ladder(1, 1), now_);
  auto posts = Only(Take(), ActionKind::kPost);
  ASSERT_EQ(posts.size(), 1u);
  om_->OnPostReply(posts[0].request_id, {.outcome = net::Outcome::kThrottled, .http_status = 429},
                   now_);  // no Retry-After
  EXPECT_EQ(Count(OrderState::kRejected), 0u);
  EXPECT_EQ(Count(OrderState::kPendingSubmit), 2u);
  EXPECT_FALSE(om_->posting_allowed(now_)) << "no Retry-After: our own backoff";
  EXPECT_EQ(om_->counters().throttled_by_endpoint.at("post"), 1u);
  now_ += 2 * kSec;
  auto again = Run(0.1);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].orders[0].get(), posts[0].orders[0].get()) << "the same signed orders";
  ASSERT_EQ(Count(OrderState::kLive), 2u);
  // A throttled cancel keeps the orders PENDING_CANCEL (not UNKNOWN), waits, and goes again.
  om_->OnLadder(Ladder(2, 0), now_);
  auto cancels = Only(Take(), ActionKind::kCancel);
  ASSERT_EQ(cancels.size(), 1u);
  om_->OnCancelReply(cancels[0].request_id,
                     {.outcome = net::Outcome::kThrottled, .http_status = 429, .retry_after = 1 * kSec}, now_);
  EXPECT_EQ(Count(OrderState::kPendingCancel), 2u);
  EXPECT_EQ(Count(OrderState::kUnknown), 0u);
  EXPECT_EQ(om_->counters().throttled_by_endpoint.at("cancel"), 1u);
  om_->OnTimer(now_ + 500 * kNanosPerMilli);
  EXPECT_TRUE(Only(Take(), ActionKind::kCancel).empty()) << "inside the Retry-After";
  now_ += 1100 * kNanosPerMilli;
  om_->OnTimer(now_);
  auto retried = Only(Take(), ActionKind::kCancel);
  ASSERT_EQ(retried.size(), 1u);
  EXPECT_EQ(retried[0].order_ids.size(), 2u);
}

TEST_F(Om2026, HeadersResyncTheBucketsAndBadHeadersAreCounted) {
  StartReady();
  om_->OnLadder(Ladder(1, 1), now_);
  auto posts = Only(Take(), ActionKind::kPost);
  ASSERT_EQ(posts.size(), 1u);
  PostReply r{.outcome = net::Outcome::kOk};
  for (const auto& o : posts[0].orders)
    r.legs.push_back({.success = true, .order_id = o->id.ToString(), .status = "live"});
  r.rate_limit = {.present = true, .remaining = 3.0, .tier = RateTier::kStandard};
  om_->OnPostReply(posts[0].request_id, r, now_);
  EXPECT_NEAR(om_->budget_available(ActionKind::kPost, now_), 3.0, 1e-6);
  om_->OnLadder(Ladder(2, 1, 4700), now_);
  auto cancels = Only(Take(), ActionKind::kCancel);
  ASSERT_FALSE(cancels.empty());
  CancelReply garbled{.outcome = net::Outcome::kOk};
  for (const auto& id : cancels[0].order_ids) garbled.result.canceled.push_back(id.ToString());
  garbled.rate_limit = {.present = true, .garbled = true};
  const double before = om_->budget_available(ActionKind::kCancel, now_);
  om_->OnCancelReply(cancels[0].request_id, garbled, now_);
  EXPECT_EQ(om_->counters().rate_headers_garbled, 1u);
  EXPECT_NEAR(om_->budget_available(ActionKind::kCancel, now_), before, 1e-6) << "our own figures stand";
  // An answer without the headers: counted, our estimate kept.
  const uint64_t missing_before = om_->counters().rate_headers_missing;
  om_->OnLadder(Ladder(3, 0), now_);
  auto more = Only(Take(), ActionKind::kCancel);
  ASSERT_FALSE(more.empty());
  CancelReply missing{.outcome = net::Outcome::kOk};
  for (const auto& id : more[0].order_ids) missing.result.canceled.push_back(id.ToString());
  om_->OnCancelReply(more[0].request_id, missing, now_);
  EXPECT_EQ(om_->counters().rate_headers_missing, missing_before + 1);
}

TEST_F(Om2026, DelayedIsInFlightUnmatchedAndUnknownStatusesAreNotFinal) {
  StartReady();
  om_->SetMarketDelay("0xm", 250 * kNanosPerMilli);
  om_->OnLadder(Ladder(1, 2), now_);
  auto posts = Only(Take(), ActionKind::kPost);
  ASSERT_EQ(posts.size(), 1u);
  ASSERT_EQ(posts[0].orders.size(), 2u);
  const auto delayed = posts[0].orders[0]->id, unmatched = posts[0].orders[1]->id;
  om_->OnPostReply(posts[0].request_id,
                   {.outcome = net::Outcome::kOk,
                    .legs = {{.success = true, .order_id = delayed.ToString(), .status = "delayed"},
                             {.success = true, .order_id = unmatched.ToString(), .status = "unmatched"}}},
                   now_);
  EXPECT_EQ(om_->Find(delayed)->state, OrderState::kLive);
  EXPECT_EQ(om_->Find(delayed)->matched, Size(0)) << "delayed is never a fill";
  EXPECT_EQ(om_->Find(unmatched)->state, OrderState::kUnknown) << "unmatched: resting state unknown";
  EXPECT_EQ(om_->counters().delayed, 1u);
  EXPECT_EQ(om_->counters().unmatched, 1u);
  // The unknown one is queried; a live answer settles it (it rests: no second order).
  now_ += 2 * kSec;
  om_->OnTimer(now_);
  auto queries = Only(Take(), ActionKind::kQueryOrder);
  ASSERT_EQ(queries.size(), 1u);
  om_->OnQueryReply(queries[0].request_id,
                    {.outcome = net::Outcome::kOk,
                     .http_status = 200,
                     .order = polymarket::OpenOrder{.id = unmatched.ToString(), .status = "LIVE"}},
                    now_);
  EXPECT_EQ(om_->Find(unmatched)->state, OrderState::kLive);
  EXPECT_EQ(factory_.made, 4u);  // nothing re-signed
  // A status nobody documented is not final either.
  om_->OnLadder(Ladder(2, 3), now_);
  auto more = Only(Take(), ActionKind::kPost);
  ASSERT_FALSE(more.empty());
  PostReply odd{.outcome = net::Outcome::kOk};
  for (const auto& o : more[0].orders)
    odd.legs.push_back({.success = true, .order_id = o->id.ToString(), .status = "queued"});
  om_->OnPostReply(more[0].request_id, odd, now_);
  EXPECT_EQ(om_->Find(more[0].orders[0]->id)->state, OrderState::kUnknown);
  EXPECT_EQ(om_->counters().unknown_placement_statuses, more[0].orders.size());
}

TEST_F(Om2026, ACancelRefusedInsideTheDelayIsRetriedAfterIt) {
  StartReady();
  om_->SetMarketDelay("0xm", 3 * kSec);
  om_->OnLadder(Ladder(1, 1), now_);
  auto posts = Only(Take(), ActionKind::kPost);
  ASSERT_EQ(posts.size(), 1u);
  PostReply r{.outcome = net::Outcome::kOk};
  for (const auto& o : posts[0].orders)
    r.legs.push_back({.success = true, .order_id = o->id.ToString(), .status = "delayed"});
  om_->OnPostReply(posts[0].request_id, r, now_);
  om_->OnLadder(Ladder(2, 0), now_);  // cancel them at once, inside the delay
  auto cancels = Only(Take(), ActionKind::kCancel);
  ASSERT_EQ(cancels.size(), 1u);
  CancelReply refused{.outcome = net::Outcome::kOk};
  for (const auto& id : cancels[0].order_ids) {
    refused.result.not_canceled.emplace_back(id.ToString(), "order is in a matching delay and cannot be canceled");
  }
  om_->OnCancelReply(cancels[0].request_id, refused, now_);
  EXPECT_EQ(Count(OrderState::kPendingCancel), 2u) << "not UNKNOWN: we know why";
  EXPECT_EQ(om_->counters().cancels_refused_in_delay, 2u);
  om_->OnTimer(now_ + 1 * kSec);
  EXPECT_TRUE(Only(Take(), ActionKind::kCancel).empty()) << "not inside the delay";
  EXPECT_TRUE(Only(Take(), ActionKind::kQueryOrder).empty());
  now_ += 4 * kSec;
  om_->OnTimer(now_);
  auto retried = Only(Take(), ActionKind::kCancel);
  ASSERT_EQ(retried.size(), 1u);
  EXPECT_EQ(retried[0].order_ids.size(), 2u);
  EXPECT_EQ(om_->counters().escalations, 0u);
}

// Start-up after a crash: an order the previous incarnation sent sits in a matching delay. The
// cancel-all cannot cancel it (not_canceled, "delay") and the verifying listing cannot see it, so
// verifying at once would declare the exchange clean and the order would go live beside new ones
// (the race simulator's invariant 4). Start-up waits the delay out and cancels all again.
TEST_F(Om2026, StartUpWaitsOutAMatchingDelayAndCancelsAllAgain) {
  om_->SetMarketDelay("0xm", 250 * kNanosPerMilli);
  const std::string old_order = model::OrderId(std::array<uint8_t, 32>{9}).ToString();
  om_->Start(false, now_);
  int cancel_alls = 0;
  std::vector<Nanos> verified_at;  // listings sent after a cancel-all
  const auto answer_all = [&] {
    for (int round = 0; round < 6; ++round) {
      auto actions = Take();
      if (actions.empty()) return;
      for (const Action& a : actions) {
        if (a.kind == ActionKind::kCancelAll) {
          CancelReply r{.outcome = net::Outcome::kOk};
          if (++cancel_alls == 1) r.result.not_canceled.emplace_back(old_order, "order is in a matching delay");
          om_->OnCancelReply(a.request_id, r, now_);
        } else {
          if (a.kind == ActionKind::kListOpenOrders && cancel_alls > 0) verified_at.push_back(now_);
          Answer(a);
        }
      }
    }
  };
  const Nanos start = now_;
  answer_all();
  EXPECT_EQ(cancel_alls, 1);
  EXPECT_NE(om_->phase(), Phase::kReady) << "the refused order would go live after start-up";
  EXPECT_EQ(om_->counters().startup_delay_waits, 1u);
  EXPECT_TRUE(verified_at.empty()) << "nothing is listed inside the delay";
  // Inside the delay nothing more goes out; after it, a listing and a second cancel-all.
  now_ += 100 * kNanosPerMilli;
  om_->OnTimer(now_);
  answer_all();
  EXPECT_EQ(cancel_alls, 1);
  now_ = start + 400 * kNanosPerMilli;
  om_->OnTimer(now_);
  answer_all();
  EXPECT_EQ(cancel_alls, 2);
  EXPECT_EQ(om_->phase(), Phase::kReady);
  EXPECT_EQ(om_->counters().startup_delay_gave_up, 0u);
}

// Bounded: a delay refusal on every answer stops the waiting after startup_delay_rounds, counted.
TEST_F(Om2026, StartUpWaitsForADelayOnlySoOften) {
  OrderManagerConfig c = Config();
  c.startup_delay_rounds = 2;
  Make(c);
  om_->SetMarketDelay("0xm", 250 * kNanosPerMilli);
  om_->Start(false, now_);
  int cancel_alls = 0;
  for (int step = 0; step < 40 && om_->phase() != Phase::kReady; ++step) {
    for (const Action& a : Take()) {
      if (a.kind == ActionKind::kCancelAll) {
        ++cancel_alls;
        CancelReply r{.outcome = net::Outcome::kOk};
        r.result.not_canceled.emplace_back(model::OrderId(std::array<uint8_t, 32>{9}).ToString(), "matching delay");
        om_->OnCancelReply(a.request_id, r, now_);
      } else {
        Answer(a);
      }
    }
    now_ += 100 * kNanosPerMilli;
    om_->OnTimer(now_);
  }
  EXPECT_EQ(om_->phase(), Phase::kReady);
  EXPECT_EQ(cancel_alls, 3);
  EXPECT_EQ(om_->counters().startup_delay_waits, 2u);
  EXPECT_EQ(om_->counters().startup_delay_gave_up, 1u);
}

// Adopting trusts a listing, which cannot show an order inside a delay: it lists only once the
// longest matching delay has passed since start-up.
TEST_F(Om2026, AdoptListsOnlyOnceTheLongestDelayHasPassed) {
  om_->SetMarketDelay("0xm", 2 * kSec);
  const Nanos start = now_;
  om_->Start(true, now_);
  std::vector<Nanos> listed;
  for (int step = 0; step < 60 && om_->phase() != Phase::kReady; ++step) {
    for (const Action& a : Take()) {
      if (a.kind == ActionKind::kListOpenOrders) listed.push_back(now_);
      Answer(a);
    }
    now_ += 100 * kNanosPerMilli;
    om_->OnTimer(now_);
  }
  EXPECT_EQ(om_->phase(), Phase::kReady);
  ASSERT_FALSE(listed.empty());
  EXPECT_GE(listed.front(), start + 2 * kSec);
  EXPECT_EQ(om_->counters().adopt_delay_waits, 1u);
}

// A 429 on the listing (reconciliation) carries Retry-After: the next listing waits that long,
// not the usual one-second retry; at start-up too.
TEST_F(Om2026, AThrottledListingWaitsForRetryAfter) {
  StartReady();
  const auto listings = [&] {
    om_->OnTimer(now_);
    return Only(Take(), ActionKind::kListOpenOrders);
  };
  om_->ReconcileNow(now_);
  auto first = Only(Take(), ActionKind::kListOpenOrders);
  ASSERT_EQ(first.size(), 1u);
  om_->OnListReply(first[0].request_id, {.outcome = net::Outcome::kThrottled, .retry_after = 5 * kSec}, now_);
  const Nanos throttled_at = now_;
  now_ = throttled_at + 1500 * kNanosPerMilli;
  EXPECT_TRUE(listings().empty()) << "inside the exchange's Retry-After";
  now_ = throttled_at + 4900 * kNanosPerMilli;
  EXPECT_TRUE(listings().empty());
  now_ = throttled_at + 5 * kSec;
  auto again = listings();
  ASSERT_EQ(again.size(), 1u) << "asked again once the wait is over";
  EXPECT_EQ(om_->counters().throttled_by_endpoint.at("list_open_orders"), 1u);
  EXPECT_EQ(om_->counters().listings_spaced, 1u);
  // Without Retry-After: the throttle backoff, at least the usual retry.
  om_->OnListReply(again[0].request_id, {.outcome = net::Outcome::kThrottled}, now_);
  now_ += Config().throttle_backoff;
  EXPECT_EQ(listings().size(), 1u);
}

TEST_F(Om2026, AThrottledStartUpListingWaitsForRetryAfter) {
  om_->Start(false, now_);
  const Nanos start = now_;
  std::vector<Nanos> listed;
  bool throttled = false;
  for (int step = 0; step < 100 && om_->phase() != Phase::kReady; ++step) {
    for (const Action& a : Take()) {
      if (a.kind == ActionKind::kListOpenOrders) {
        listed.push_back(now_);
        if (!throttled) {
          throttled = true;
          om_->OnListReply(a.request_id, {.outcome = net::Outcome::kThrottled, .retry_after = 4 * kSec}, now_);
          continue;
        }
      }
      Answer(a);
    }
    now_ += 100 * kNanosPerMilli;
    om_->OnTimer(now_);
  }
  EXPECT_EQ(om_->phase(), Phase::kReady);
  ASSERT_GE(listed.size(), 2u);
  EXPECT_GE(listed[1] - listed[0], 4 * kSec);
  EXPECT_LT(listed[0], start + 1 * kSec);
}

TEST_F(Om2026, ANullLookupIsResolvedThroughTradesAfterTheMarketsDelay) {
  StartReady();
  om_->SetMarketDelay("0xm", 5 * kSec);
  om_->OnLadder(Ladder(1, 1), now_);
  auto posts = Only(Take(), ActionKind::kPost);
  ASSERT_EQ(posts.size(), 1u);
  om_->OnPostReply(posts[0].request_id, {.outcome = net::Outcome::kAmbiguous, .http_status = 504}, now_);
  ASSERT_EQ(Count(OrderState::kUnknown), 2u);
  const auto filled = posts[0].orders[0]->id;
  // 4 s later: 200 null, but the market's delay is 5 s: nothing is proven yet.
  now_ += 4 * kSec;
  om_->OnTimer(now_);
  for (const Action& q : Only(Take(), ActionKind::kQueryOrder)) Answer(q);
  EXPECT_TRUE(Only(Take(), ActionKind::kQueryTrades).empty());
  EXPECT_EQ(Count(OrderState::kUnknown), 2u);
  EXPECT_EQ(om_->counters().not_active_lookups, 2u);
  // Later: not active, resolved through /data/trades: one order filled, the other dead.
  polymarket::UserTradeEvent t{.id = "trade-1", .taker_order_id = "0xother", .market = "0xm"};
  t.maker_orders.push_back({.order_id = filled.ToString(), .matched_amount = Size::FromWhole(10)});
  trades_ = {t};
  now_ += 5 * kSec;  // 9 s after the send: past the 3 s grace plus the 5 s delay (and inside the heartbeat timeout)
  om_->OnTimer(now_);
  for (const Action& q : Only(Take(), ActionKind::kQueryOrder)) Answer(q);
  auto trade_queries = Only(Take(), ActionKind::kQueryTrades);
  ASSERT_EQ(trade_queries.size(), 2u);
  EXPECT_EQ(trade_queries[0].market, "0xm");
  for (const Action& q : trade_queries) Answer(q);
  EXPECT_EQ(om_->Find(filled)->state, OrderState::kFilled);
  EXPECT_EQ(om_->Find(posts[0].orders[1]->id)->state, OrderState::kCanceled);
}

TEST_F(Om2026, RestrictionsStopPostsCancelsGoOnAndTheStatusShowsThem) {
  StartReady();
  om_->OnLadder(Ladder(1, 1), now_);
  auto posts = Only(Take(), ActionKind::kPost);
  ASSERT_EQ(posts.size(), 1u);
  om_->OnPostReply(posts[0].request_id,
                   {.outcome = net::Outcome::kAmbiguous,
                    .http_status = 503,
                    .error = "Trading is currently cancel-only. New orders are not accepted, but cancels are allowed."},
                   now_);
  EXPECT_EQ(om_->restriction(now_), polymarket::TradingRestriction::kCancelOnly);
  EXPECT_EQ(Count(OrderState::kPendingSubmit), 2u) << "refused before processing: kept, not UNKNOWN";
  EXPECT_FALSE(om_->posting_allowed(now_));
  // Cancels go on meanwhile (a kill, here).
  om_->Kill("restricted", now_);
  auto actions = Take();
  EXPECT_EQ(Only(actions, ActionKind::kCancelAll).size(), 1u);
  om_->Reset(now_);
  for (const Action& a : actions) Answer(a);
  // The restriction is probed again later; then posts resume.
  now_ += 31 * kSec;
  auto again = Run(0.2);
  EXPECT_FALSE(again.empty());
  EXPECT_EQ(om_->restriction(now_), polymarket::TradingRestriction::kNone);
}

}  // namespace
}  // namespace clobmaker::execution
