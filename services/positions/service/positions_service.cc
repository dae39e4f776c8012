#include "services/positions/service/positions_service.h"

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <chrono>
#include <ctime>
#include <future>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "clobmaker/marketdata/v1/marketdata.pb.h"
#include "clobmaker/positions/v1/positions.grpc.pb.h"
#include "clobmaker/user/v1/user.pb.h"
#include "common/bus/convert.h"
#include "common/bus/header.h"
#include "common/bus/subjects.h"
#include "common/chain/ctf.h"
#include "common/chain/json_rpc.h"
#include "common/chain/transaction.h"
#include "common/wallet/wallet.h"
#include "common/clob/rest_client.h"
#include "common/core/executor.h"
#include "common/core/hex.h"
#include "common/core/run_and_wait.h"
#include "common/core/status.h"
#include "common/grpcserver/grpc_server.h"
#include "common/metrics/metrics.h"
#include "common/metrics/service_status.h"
#include "common/model/decimal.h"
#include "common/nats/nats.h"
#include "common/net/http_client.h"
#include "common/net/io_thread.h"
#include "common/polymarket/fees.h"
#include "common/signing/order.h"
#include "services/positions/core/chain_planner.h"
#include "services/positions/core/ledger.h"
#include "services/positions/core/relayer_batch.h"
#include "services/positions/service/chain_client.h"
#include "services/positions/service/relayer_client.h"

namespace clobmaker::positions {

class AdminService;

namespace {

std::optional<LegStatus> ToLegStatus(polymarket::TradeStatus s) { return LegStatusOf(s); }

std::string UtcDate(Nanos t) {
  const time_t s = static_cast<time_t>(t / kNanosPerSecond);
  std::tm tm{};
  gmtime_r(&s, &tm);
  return fmt::format("{:04}-{:02}-{:02}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

}  // namespace

struct PositionsService::Impl {
  PositionsOptions options;
  const crypto::PrivateKey* key = nullptr;
  const signing::ApiCredentials* credentials = nullptr;
  const Clock& clock = SystemClock::Instance();
  ThreadExecutor loop;       // owns the ledger
  ThreadExecutor callbacks;  // REST answers land here (never the loop: the worker threads wait on them)
  ThreadExecutor kv_writer;
  std::unique_ptr<net::IoThread> io;
  std::unique_ptr<clob::ClobRestClient> rest;
  std::unique_ptr<ChainClient> rpc;
  // Deposit wallets: merges and redeems go to the relayer as batches the owner signs.
  std::unique_ptr<RelayerClient> relayer_client;
  bool via_relayer = false;
  bool relayer_ready = false;  // chain worker / start-up: authenticated and the wallet deployed
  bool relayer_authenticated = false;
  std::string last_relayer_hash;  // the chain transaction the relayer sent our batch in (logs)
  relayer::CallTargets targets;
  std::unique_ptr<nats::Connection> nats;
  std::unique_ptr<nats::JetStream> js;
  std::unique_ptr<nats::KeyValue> positions_kv;
  std::unique_ptr<nats::KeyValue> markets_kv;
  std::unique_ptr<nats::KeyValue> chain_kv;  // the pending merge/redeem
  std::vector<std::unique_ptr<nats::Subscription>> subs;
  std::unique_ptr<nats::PullConsumer> consumer;
  bus::HeaderStamper stamper{"positions"};
  Ledger ledger;
  polymarket::Identity identity;
  crypto::Address funder;
  signing::ChainContracts contracts;
  std::unique_ptr<AdminService> admin;
  std::unique_ptr<grpcserver::GrpcServer> grpc;
  metrics::Registry registry;
  metrics::Histogram& matched_to_confirmed = registry.AddHistogram(
      "clobmaker_positions_matched_to_confirmed_seconds", "a trade's match time -> its CONFIRMED status applied");
  std::unique_ptr<metrics::MetricsServer> metrics_server;
  std::vector<std::thread> threads;
  std::atomic<bool> threads_stop{false};
  std::atomic<bool> seeded{false};
  std::atomic<bool> reconcile_requested{false};
  // Admin Reconcile calls, answered by the worker (never run on a gRPC thread): two rounds
  // 500 ms apart, since a difference becomes a discrepancy only when it persists. No value: the
  // service stopped first.
  struct ReconcileAsk {
    std::promise<std::optional<uint32_t>> done;
    std::optional<uint32_t> first;  // the first round's discrepancies
    Nanos first_at = 0;
  };
  std::mutex asks_mu;
  std::vector<std::shared_ptr<ReconcileAsk>> reconcile_asks;
  std::atomic<uint64_t> source_failures{0}, bad_messages{0}, kv_failures{0}, reconciles{0};
  std::atomic<uint64_t> chain_sent{0}, chain_reverted{0}, chain_failures{0}, reconciles_deferred{0},
      markets_resolved{0}, chain_replaced{0}, chain_never_seen{0}, relayer_refused{0}, relayer_ambiguous{0};
  const std::atomic<bool>* stop = nullptr;  // Run's: start-up waits end early on a stop
  std::atomic<bool> chain_pending_flag{false};
  std::atomic<uint64_t> unknown_trade_statuses{0}, rebates_booked{0}, rebate_failures{0};
  std::map<std::string, int> fee_exponent;  // loop-owned: condition -> its fee schedule's exponent
  bool chain_enabled = false;
  // Chain worker-owned.
  std::optional<positions::v1::ChainTransaction> chain_pending;
  // The decision about chain_pending.
  std::optional<PendingTransaction> chain_tracker;
  std::map<std::string, Resolution> resolutions;  // condition -> payouts, once resolved (final)
  std::map<std::string, Nanos> chain_retry_at;    // condition -> not before
  Nanos last_resolution_read = 0;
  // Loop-owned.
  std::map<std::string, std::string> token_market;  // token -> condition
  std::map<std::string, MarketTokens> markets;      // condition -> its two tokens
  std::set<std::string> seeded_tokens;
  Nanos last_republish = 0;

  Nanos Now() const { return clock.WallNanos(); }

  template <typename F>
  auto OnLoop(F&& fn) {
    return RunAndWait(loop, std::forward<F>(fn));
  }

  // --- sources (called from worker threads, never the loop) ---
  absl::StatusOr<int64_t> ExchangeBalance(const std::string& token) {
    std::promise<clob::Result<polymarket::BalanceAllowance>> p;
    rest->GetBalanceAllowance(token.empty() ? "COLLATERAL" : "CONDITIONAL", token, options.signature_type,
                              [&](clob::Result<polymarket::BalanceAllowance> r) { p.set_value(std::move(r)); });
    auto r = p.get_future().get();
    if (!r.ok()) {
      source_failures++;
      return absl::UnavailableError(
          fmt::format("balance-allowance {}: {}", token.empty() ? "collateral" : token, r.error.error));
    }
    return r.value->balance;
  }

  absl::StatusOr<int64_t> ChainBalance(const std::string& token) {
    std::string data;
    crypto::Address to = contracts.collateral;
    if (token.empty()) {
      data = chain::Erc20BalanceOfCall(funder);
    } else {
      auto id = Uint256::FromDecimal(token);
      if (!id.ok()) return id.status();
      data = chain::Erc1155BalanceOfCall(funder, *id);
      to = contracts.conditional_tokens;
    }
    auto v = rpc->CallUint(to, data);
    if (!v.ok()) source_failures++;
    return v;
  }

  std::vector<std::string> KnownTokens() {
    return OnLoop([&] {
      std::vector<std::string> out;
      for (const auto& [token, market] : token_market) out.push_back(token);
      return out;
    });
  }

  // Start-up: balances from both sources, then the legs already inside them.
  void Seed(const std::vector<std::string>& tokens) {
    for (const std::string& token : tokens) {
      auto ex = ExchangeBalance(token);
      auto ch = ChainBalance(token);
      if (!ex.ok() || !ch.ok()) {
        spdlog::warn("positions: cannot seed {}: {} / {}", token.empty() ? "collateral" : token,
                     StatusText(ex.status()), StatusText(ch.status()));
        continue;
      }
      OnLoop([&] {
        if (token.empty()) {
          ledger.SeedCollateral(*ex, *ch);
        } else {
          ledger.SeedToken(token, token_market[token], *ex, *ch);
          seeded_tokens.insert(token);
        }
      });
    }
  }

  void SeedRecentLegs() {
    const int64_t after = (Now() - options.seed_lookback) / kNanosPerSecond;
    std::string cursor(polymarket::kFirstCursor);
    size_t legs = 0;
    for (int page = 0; page < 50; ++page) {
      std::promise<clob::Result<polymarket::Page<polymarket::UserTradeEvent>>> p;
      rest->GetTrades({.after_s = after, .cursor = cursor}, [&](auto r) { p.set_value(std::move(r)); });
      auto r = p.get_future().get();
      if (!r.ok()) {
        spdlog::warn("positions: recent trades for the seed: {}", r.error.error);
        return;
      }
      OnLoop([&] {
        for (const polymarket::UserTradeEvent& t : r.value->data) {
          auto status = ToLegStatus(t.status);
          if (!status) continue;
          for (const polymarket::OurFill& f : polymarket::AttributeFills(t, identity)) {
            ledger.SeedLeg({.trade_id = t.id,
                            .order_id = f.order_id,
                            .token_id = f.asset_id,
                            .condition_id = t.market,
                            .side = f.side,
                            .price_units = f.price.units(),
                            .size_micros = f.size.micros(),
                            .status = *status});
            legs++;
          }
        }
      });
      if (r.value->last()) break;
      cursor = r.value->next_cursor;
    }
    spdlog::info("positions: {} recent legs are inside the seeded balances", legs);
  }

  // One round: both sources for collateral and every known token. Returns discrepancies found.
  // Rebates arrive in the collateral: they are read first, so a payout is booked, not reported.
  uint32_t Reconcile() {
    PollRebates();
    if (chain_pending_flag) {
      // A merge/redeem in flight moves the chain (and the exchange) before we see its receipt.
      reconciles_deferred++;
      return 0;
    }
    reconciles++;
    uint32_t found = 0;
    std::vector<std::string> tokens = KnownTokens();
    tokens.insert(tokens.begin(), "");  // collateral
    for (const std::string& token : tokens) {
      for (Source source : {Source::kExchange, Source::kChain}) {
        auto theirs = source == Source::kExchange ? ExchangeBalance(token) : ChainBalance(token);
        if (!theirs.ok()) continue;
        auto d = OnLoop([&] { return ledger.Compare(source, token, *theirs, Now()); });
        if (!d) continue;
        found++;
        spdlog::warn("positions: discrepancy: {}", d->detail);
        positions::v1::Discrepancy msg;
        const Nanos now = Now();
        OnLoop([&] { stamper.Stamp(msg.mutable_header(), 0, now, now); });
        msg.set_source(std::string(SourceName(d->source)));
        msg.set_token_id(d->token_id);
        msg.set_ours_micros(d->ours_micros);
        msg.set_theirs_micros(d->theirs_micros);
        msg.set_detail(d->detail);
        (void)nats->Publish("cm.positions.discrepancy", msg.SerializeAsString());
      }
    }
    return found;
  }

  // Worker: a first round for new admin asks, the second for those whose first is 500 ms old.
  void AnswerReconcileAsks() {
    std::vector<std::shared_ptr<ReconcileAsk>> asks;
    {
      std::lock_guard lock(asks_mu);
      asks = reconcile_asks;
    }
    if (asks.empty()) return;
    if (std::any_of(asks.begin(), asks.end(), [](const auto& a) { return !a->first; })) {
      const uint32_t found = Reconcile();
      for (const auto& a : asks) {
        if (!a->first) {
          a->first = found;
          a->first_at = Now();
        }
      }
    }
    std::vector<std::shared_ptr<ReconcileAsk>> due;
    for (const auto& a : asks) {
      if (Now() - a->first_at >= 500 * kNanosPerMilli) due.push_back(a);
    }
    if (due.empty()) return;
    const uint32_t found = Reconcile();
    std::lock_guard lock(asks_mu);
    for (const auto& a : due) {
      a->done.set_value(*a->first + found);
      std::erase(reconcile_asks, a);
    }
  }

  // --- loop side ---
  void FillPosition(const TokenPosition& p, positions::v1::Position& out, Nanos now) {
    stamper.Stamp(out.mutable_header(), 0, now, now);
    out.set_token_id(p.token_id);
    out.set_condition_id(p.condition_id);
    out.set_provisional_micros(p.provisional_micros);
    out.set_settled_micros(p.settled_micros);
    out.set_avg_cost_units_x1e6(p.AvgCostUnitsX1e6());
    out.set_realized_pnl_micros(p.realized_pnl_micros);
    out.set_unrealized_pnl_micros(p.UnrealizedMicros());
    if (p.mark_units) out.set_mark_price_units(*p.mark_units);
  }

  void Publish(const std::vector<std::string>& tokens) {
    const Nanos now = Now();
    for (const std::string& token : tokens) {
      const TokenPosition* p = ledger.Find(token);
      if (p == nullptr) continue;
      positions::v1::Position msg;
      FillPosition(*p, msg, now);
      std::string data = msg.SerializeAsString();
      (void)nats->Publish(bus::PositionsSubject(token), data);
      kv_writer.Post([this, token, data = std::move(data)] {
        if (auto put = positions_kv->Put(token, data); !put.ok()) kv_failures++;
      });
    }
  }

  void Flush() {
    if (!seeded) return;  // nothing leaves before the seed: a partial picture would mislead strategy
    Publish(ledger.TakeChanged());
  }

  void OnTradeMessage(const std::string& data) {
    user::v1::UserTradeEvent e;
    if (!e.ParseFromString(data)) {
      bad_messages++;
      return;
    }
    auto status = bus::FromProto(e.status());
    if (!status.ok()) {
      bad_messages++;
      return;
    }
    auto leg_status = ToLegStatus(*status);
    if (!leg_status) return;
    if (*status == polymarket::TradeStatus::kUnknown) unknown_trade_statuses++;
    for (const user::v1::Fill& f : e.fills()) {
      auto side = bus::FromProto(f.side());
      if (!side.ok()) {
        bad_messages++;
        continue;
      }
      const bool applied =
          ledger.OnLeg({.trade_id = e.trade_id(),
                        .order_id = f.order_id(),
                        .token_id = f.token_id(),
                        .condition_id = e.condition_id().empty() ? token_market[f.token_id()] : e.condition_id(),
                        .side = *side,
                        .price_units = f.price_units(),
                        .size_micros = f.size_micros(),
                        .status = *leg_status,
                        .fee_micros = LegFee(f, e.condition_id())});
      if (applied && *leg_status == LegStatus::kConfirmed && e.match_time_ns() > 0) {
        matched_to_confirmed.Observe(Now() - e.match_time_ns());
      }
    }
    Flush();
  }

  // The taker fee of one of our legs: the leg's rate as sent and the market's exponent (1 until
  // marketdata has told us the schedule). Makers never pay.
  int64_t LegFee(const user::v1::Fill& f, const std::string& condition) const {
    if (!f.is_taker() || f.fee_rate_bps() <= 0) return 0;
    auto it = fee_exponent.find(condition.empty() ? "" : condition);
    const polymarket::FeeSchedule schedule{
        .enabled = true, .rate_ppm = f.fee_rate_bps() * 100, .exponent = it == fee_exponent.end() ? 1 : it->second};
    return polymarket::TakerFeeMicros(model::Size(f.size_micros()), model::Price(f.price_units()), schedule);
  }

  // Worker side: our rebates of today and yesterday (UTC), booked once per market and day.
  void PollRebates() {
    const std::string maker = funder.ToLower();
    for (const Nanos day : {Now() - 24 * 3600 * kNanosPerSecond, Now()}) {
      std::promise<clob::Result<std::vector<polymarket::RebateEntry>>> p;
      rest->GetRebates(UtcDate(day), maker, [&](auto r) { p.set_value(std::move(r)); });
      auto r = p.get_future().get();
      if (!r.ok()) {
        rebate_failures++;
        continue;
      }
      OnLoop([&] {
        for (const polymarket::RebateEntry& e : *r.value) {
          if (ledger.OnRebate({.date = e.date, .condition_id = e.condition_id, .micros = e.rebated_fees_micros})) {
            rebates_booked++;
            spdlog::info("positions: maker rebate {} pUSD on {} for {}", model::FormatScaled(e.rebated_fees_micros, 6),
                         e.condition_id, e.date);
          }
        }
        Flush();
      });
    }
  }

  void OnMarketInfo(const std::string& data, std::vector<std::string>* fresh) {
    marketdata::v1::MarketInfo info;
    if (!info.ParseFromString(data)) {
      bad_messages++;
      return;
    }
    if (info.fees_enabled()) fee_exponent[info.market().condition_id()] = info.fee_exponent();
    if (!info.market().yes_token_id().empty() && !info.market().no_token_id().empty()) {
      markets[info.market().condition_id()] = {.condition_id = info.market().condition_id(),
                                               .yes_token = info.market().yes_token_id(),
                                               .no_token = info.market().no_token_id(),
                                               .neg_risk = info.neg_risk()};
    }
    for (const std::string& token : {info.market().yes_token_id(), info.market().no_token_id()}) {
      if (token.empty()) continue;
      if (token_market.emplace(token, info.market().condition_id()).second && fresh) fresh->push_back(token);
    }
  }

  void ConsumeTrades() {
    while (!threads_stop) {
      auto batch = consumer->Fetch(64, 250 * kNanosPerMilli);
      if (!batch.ok()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        continue;
      }
      for (nats::JsMessage& msg : *batch) {
        const std::string subject(msg.subject());
        std::string data(msg.data());
        if (subject == bus::kUserConnectedSubject) {
          reconcile_requested = true;  // the user stream reconnected: compare soon
        } else if (subject.rfind("cm.user.trade.", 0) == 0) {
          OnLoop([&] { OnTradeMessage(data); });  // applied before the ack: nothing is lost
        }
        (void)msg.Ack();
      }
    }
  }

  void Worker() {
    Nanos last_reconcile = Now();
    Nanos last_rebates = 0;
    while (!threads_stop) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      // Markets that appeared since: seed their tokens before counting on them.
      std::vector<std::string> unseeded = OnLoop([&] {
        std::vector<std::string> out;
        for (const auto& [token, market] : token_market) {
          if (!seeded_tokens.contains(token)) out.push_back(token);
        }
        return out;
      });
      if (!unseeded.empty()) {
        Seed(unseeded);
        OnLoop([&] { Flush(); });
      }
      const Nanos now = Now();
      const bool reconcile = reconcile_requested.exchange(false) || now - last_reconcile >= options.reconcile_interval;
      // (Reconcile reads the rebates first itself.)
      if (!reconcile && now - last_rebates >= options.rebates_interval) {
        last_rebates = now;
        PollRebates();
      }
      if (reconcile) {
        last_reconcile = now;
        Reconcile();
      }
      AnswerReconcileAsks();
      OnLoop([&] {
        if (now - last_republish >= options.republish_interval) {
          last_republish = now;
          std::vector<std::string> all;
          for (const auto& [token, p] : ledger.positions()) all.push_back(token);
          Publish(all);
        }
      });
    }
    std::lock_guard lock(asks_mu);
    for (const auto& a : reconcile_asks) a->done.set_value(std::nullopt);
    reconcile_asks.clear();
  }

  // --- merge and redeem (the chain worker thread) ---
  static ChainAction ActionOf(const positions::v1::ChainTransaction& t) {
    ChainAction a{.kind = t.kind() == "redeem" ? ChainAction::Kind::kRedeem : ChainAction::Kind::kMerge,
                  .tx_hash = t.tx_hash(),
                  .condition_id = t.condition_id(),
                  .yes_token = t.yes_token_id(),
                  .no_token = t.no_token_id(),
                  .amount_micros = t.amount_micros(),
                  .payout_denominator = t.payout_denominator()};
    for (int i = 0; i < std::min(t.payout_numerators_size(), 2); ++i) {
      a.payout_numerators[static_cast<size_t>(i)] = t.payout_numerators(i);
    }
    return a;
  }

  void SetPending(std::optional<positions::v1::ChainTransaction> t) {
    chain_tracker.reset();
    if (t) chain_tracker = TrackerOf(*t);
    chain_pending = std::move(t);
    chain_pending_flag = chain_pending.has_value();
  }

  PendingTransaction TrackerOf(const positions::v1::ChainTransaction& t) const {
    if (t.via_relayer()) {
      return PendingTransaction(t.nonce(), static_cast<Nanos>(t.deadline_s()) * kNanosPerSecond, options.pending_tx);
    }
    return PendingTransaction(t.nonce(), options.pending_tx);
  }

  bool RelayerAuthenticated() {
    if (relayer_authenticated) return true;
    if (auto auth = relayer_client->Authenticate(); !auth.ok()) {
      chain_failures++;
      spdlog::warn("positions: relayer: {}", StatusText(auth));
      return false;
    }
    return relayer_authenticated = true;
  }

  // The relayer's API key and the deposit wallet deployed (once; retried until it works).
  bool EnsureRelayer() {
    if (relayer_ready) return true;
    if (!RelayerAuthenticated()) return false;
    auto deployed = relayer_client->Deployed(funder);
    if (!deployed.ok()) {
      chain_failures++;
      spdlog::warn("positions: relayer: {}", StatusText(deployed.status()));
      return false;
    }
    if (!*deployed) {
      // A wallet deployed later (the relayer deploys it gaslessly) is the same address: orders
      // signed for it were valid all along; only batches need its code.
      relayer::SubmitRequest create{.type = relayer::SubmitType::kWalletCreate,
                                    .from = key->address(),
                                    .to = targets.deposit_wallet_factory,
                                    .metadata = "clobmaker:positions:deploy"};
      auto answer = relayer_client->Submit(create);
      if (!answer.ok() && answer.status().message().find("already deployed") == std::string_view::npos) {
        chain_failures++;
        spdlog::warn("positions: deploying the deposit wallet {}: {}", funder.ToChecksum(), StatusText(answer.status()));
        return false;
      }
      spdlog::info("positions: deposit wallet {} not deployed: deployment submitted to the relayer", funder.ToChecksum());
      return false;  // asked again on the next round
    }
    relayer_ready = true;
    spdlog::info("positions: merges and redeems through the relayer for deposit wallet {}", funder.ToChecksum());
    return true;
  }

  // The evidence about a batch at the relayer, in the order PendingTransaction needs: the owner's
  // batch nonce first, then the batch itself: by id when the /submit answer was read, otherwise in
  // the listing by the record's metadata (the answer to a submission that timed out, or that a
  // killed process never read).
  TxObservation ObserveRelayerTx(const positions::v1::ChainTransaction& t, std::string* tx_hash_out) {
    TxObservation o;
    if (!RelayerAuthenticated()) return {.final_nonce = std::nullopt, .lookup = TxLookup::kUnavailable};
    if (auto nonce = relayer_client->Nonce(); nonce.ok()) {
      o.final_nonce = *nonce;
    } else {
      chain_failures++;
    }
    auto found = t.relayer_transaction_id().empty() ? relayer_client->ByMetadata(t.metadata())
                                                    : relayer_client->ById(t.relayer_transaction_id());
    if (!found.ok()) {
      chain_failures++;
      return {.final_nonce = std::nullopt, .lookup = TxLookup::kUnavailable};
    }
    std::optional<relayer::TxState> state;
    if (*found) {
      state = (*found)->state;
      if (tx_hash_out != nullptr) *tx_hash_out = (*found)->hash;
    }
    o.lookup = LookupOfRelayerState(state);
    return o;
  }

  // The evidence about a recorded transaction, in the order PendingTransaction needs: the mined
  // nonce first, then the transaction's receipt and, without one, whether the node knows it.
  TxObservation ObserveChainTx(const positions::v1::ChainTransaction& t, chain::Receipt* receipt_out) {
    if (t.via_relayer()) return ObserveRelayerTx(t, &last_relayer_hash);
    TxObservation o;
    if (auto nonce = rpc->MinedNonce(key->address()); nonce.ok()) {
      o.final_nonce = *nonce;
    } else {
      chain_failures++;
    }
    auto receipt = rpc->Receipt(t.tx_hash());
    if (!receipt.ok()) {
      chain_failures++;
      return {.final_nonce = std::nullopt, .lookup = TxLookup::kUnavailable};
    }
    if (receipt->found) {
      *receipt_out = *receipt;
      o.lookup = receipt->success ? TxLookup::kSucceeded : TxLookup::kFailed;
      return o;
    }
    auto known = rpc->Transaction(t.tx_hash());
    if (!known.ok()) {
      chain_failures++;
      return {.final_nonce = std::nullopt, .lookup = TxLookup::kUnavailable};
    }
    o.lookup = known->found ? TxLookup::kPending : TxLookup::kUnknown;
    return o;
  }

  // A transaction that will never execute: nothing is applied, the balances stay what the chain
  // says. Counted by why.
  void CountNotApplied(const positions::v1::ChainTransaction& t, TxVerdict v, std::string_view when) {
    (v == TxVerdict::kReplaced ? chain_replaced : chain_never_seen)++;
    spdlog::warn("positions: {} {} (nonce {}){} is {}: not applied ({})", t.kind(), t.tx_hash(), t.nonce(), when,
                 VerdictName(v),
                 v == TxVerdict::kReplaced
                     ? "the account's nonce passed it and the chain has no receipt for it: dropped or replaced"
                     : fmt::format("the chain did not know it for {} s with its nonce still free",
                                   options.pending_tx.unknown_grace / kNanosPerSecond));
  }

  // Reads the payouts of markets not known to be resolved (resolution is final).
  void ReadResolutions() {
    std::vector<MarketTokens> open = OnLoop([&] {
      std::vector<MarketTokens> out;
      for (const auto& [condition, m] : markets) {
        if (!resolutions.contains(condition)) out.push_back(m);
      }
      return out;
    });
    for (const MarketTokens& m : open) {
      crypto::Hash32 condition{};
      if (!HexDecodeInto(m.condition_id, condition).ok()) continue;
      auto den = rpc->CallUint(contracts.conditional_tokens, chain::PayoutDenominatorCall(condition));
      if (!den.ok()) {
        chain_failures++;
        return;
      }
      if (*den <= 0) continue;
      Resolution r{.denominator = static_cast<uint64_t>(*den)};
      bool ok = true;
      for (uint64_t i = 0; i < 2 && ok; ++i) {
        auto num = rpc->CallUint(contracts.conditional_tokens, chain::PayoutNumeratorsCall(condition, i));
        ok = num.ok();
        if (ok) r.numerators[i] = static_cast<uint64_t>(*num);
      }
      if (!ok) {
        chain_failures++;
        continue;
      }
      resolutions[m.condition_id] = r;
      markets_resolved++;
      spdlog::info("positions: market {} resolved on chain (payouts {}/{}, {}/{})", m.condition_id, r.numerators[0],
                   r.denominator, r.numerators[1], r.denominator);
    }
  }

  // The pending transaction, decided by PendingTransaction: applied once mined successfully;
  // reverted, dropped/replaced or never seen: nothing applied, the market retried later.
  void PollPending() {
    chain::Receipt receipt;
    const TxVerdict v = chain_tracker->Observe(ObserveChainTx(*chain_pending, &receipt), Now());
    if (!IsFinal(v)) return;
    const positions::v1::ChainTransaction t = *chain_pending;
    if (v == TxVerdict::kApplied) {
      const ChainAction action = ActionOf(t);
      const bool applied = OnLoop([&] {
        const bool changed = ledger.OnChainAction(action);
        Flush();
        return changed;
      });
      if (t.via_relayer()) {
        spdlog::info("positions: {} through the relayer mined (transaction {}, chain tx {}, market {}, {} micros){}",
                     t.kind(), t.relayer_transaction_id().empty() ? t.metadata() : t.relayer_transaction_id(),
                     last_relayer_hash, t.condition_id(), t.kind() == "merge" ? t.amount_micros() : 0,
                     applied ? "" : " - already applied");
      } else {
        spdlog::info("positions: {} {} mined in block {} (market {}, {} micros){}", t.kind(), t.tx_hash(),
                     receipt.block, t.condition_id(), t.kind() == "merge" ? t.amount_micros() : 0,
                     applied ? "" : " - already applied");
      }
    } else {
      chain_retry_at[t.condition_id()] = Now() + options.chain_retry_after;
      if (v == TxVerdict::kReverted) {
        chain_reverted++;
        spdlog::warn("positions: {} {} reverted (market {}); retrying in {} s", t.kind(), t.tx_hash(), t.condition_id(),
                     options.chain_retry_after / kNanosPerSecond);
      } else {
        CountNotApplied(t, v, "");
      }
    }
    if (auto del = chain_kv->Delete("pending"); !del.ok()) kv_failures++;
    SetPending(std::nullopt);
  }

  // One planned action as a deposit-wallet batch through the relayer. The record (which fixes the
  // batch) goes to KV before /submit. A refusal (4xx) took nothing: the record goes and the market
  // waits chain_retry_after. Anything else (5xx, a timeout, a garbled answer) may have been taken:
  // the record stays undecided until the relayer's own evidence decides it, and nothing is
  // submitted for the market meanwhile — never a second batch for the same merge.
  void SendThroughRelayer(const MarketTokens& m, const PlannedChainAction& plan) {
    auto nonce = relayer_client->Nonce();
    if (!nonce.ok()) {
      chain_failures++;
      spdlog::warn("positions: cannot prepare a batch: {}", StatusText(nonce.status()));
      return;
    }
    const bool merge = plan.kind == ChainAction::Kind::kMerge;
    const Nanos now = Now();
    const auto deadline_s = static_cast<uint64_t>((now + options.relayer_deadline) / kNanosPerSecond);
    const std::string record_id = fmt::format("{}-{}-n{}-{}", merge ? "merge" : "redeem", m.condition_id.substr(0, 18),
                                              *nonce, now / 1'000'000);
    auto batch = ChainActionBatch({.merge = merge,
                                   .condition_id = m.condition_id,
                                   .neg_risk = m.neg_risk,
                                   .amount_micros = merge ? plan.amount_micros : 0,
                                   .wallet = funder,
                                   .nonce = *nonce,
                                   .deadline_s = deadline_s},
                                  targets);
    if (!batch.ok()) {
      spdlog::warn("positions: no batch for market {}: {}", m.condition_id, StatusText(batch.status()));
      chain_retry_at[m.condition_id] = now + options.chain_retry_after;
      return;
    }
    positions::v1::ChainTransaction record;
    record.set_via_relayer(true);
    record.set_tx_hash("relayer:" + record_id);  // the ledger's once-only key for this action
    record.set_kind(merge ? "merge" : "redeem");
    record.set_condition_id(m.condition_id);
    record.set_yes_token_id(m.yes_token);
    record.set_no_token_id(m.no_token);
    record.set_amount_micros(merge ? plan.amount_micros : 0);
    record.set_nonce(*nonce);
    record.set_sent_ns(now);
    record.set_wallet(funder.ToChecksum());
    record.set_deadline_s(deadline_s);
    record.set_metadata(BatchMetadata(record_id));
    record.set_neg_risk(m.neg_risk);
    if (!merge) {
      const Resolution& r = resolutions.at(m.condition_id);
      record.set_payout_denominator(r.denominator);
      for (uint64_t n : r.numerators) record.add_payout_numerators(n);
    }
    if (auto put = chain_kv->Put("pending", record.SerializeAsString()); !put.ok()) {
      kv_failures++;
      spdlog::warn("positions: not submitting a {}: the pending record could not be stored: {}", record.kind(),
                   StatusText(put.status()));
      return;
    }
    SetPending(record);
    relayer::SubmitRequest request{.type = relayer::SubmitType::kWallet,
                                   .from = key->address(),
                                   .to = targets.deposit_wallet_factory,
                                   .batch = *batch,
                                   .signature = relayer::SignBatch(*batch, options.chain_id, *key),
                                   .metadata = record.metadata()};
    auto answer = relayer_client->Submit(request);
    if (!answer.ok() && (absl::IsFailedPrecondition(answer.status()) || absl::IsResourceExhausted(answer.status()))) {
      relayer_refused++;
      chain_retry_at[m.condition_id] = Now() + options.chain_retry_after;
      spdlog::warn("positions: {} for market {} refused by the relayer: {}", record.kind(), m.condition_id,
                   StatusText(answer.status()));
      if (auto del = chain_kv->Delete("pending"); !del.ok()) kv_failures++;
      SetPending(std::nullopt);
      return;
    }
    chain_sent++;
    if (!answer.ok()) {
      relayer_ambiguous++;
      spdlog::warn("positions: {} for market {} submitted without a usable answer ({}): undecided until the "
                   "relayer's listing shows it or its deadline passes",
                   record.kind(), m.condition_id, StatusText(answer.status()));
      return;
    }
    chain_pending->set_relayer_transaction_id(answer->transaction_id);
    // Not stored: the metadata finds it too.
    if (auto put = chain_kv->Put("pending", chain_pending->SerializeAsString()); !put.ok()) kv_failures++;
    spdlog::info("positions: submitted {} {} to the relayer for market {} ({} micros, batch nonce {})", record.kind(),
                 answer->transaction_id, m.condition_id, record.amount_micros(), *nonce);
  }

  // Signs and sends one planned action. The record goes to KV before the transaction leaves.
  void Send(const MarketTokens& m, const PlannedChainAction& plan) {
    if (via_relayer) {
      SendThroughRelayer(m, plan);
      return;
    }
    crypto::Hash32 condition{};
    if (!HexDecodeInto(m.condition_id, condition).ok()) return;
    auto nonce = rpc->PendingNonce(key->address());
    auto gas_price = rpc->Quantity("eth_gasPrice");
    auto tip = rpc->Quantity("eth_maxPriorityFeePerGas");
    if (!nonce.ok() || !gas_price.ok()) {
      chain_failures++;
      spdlog::warn("positions: cannot prepare a transaction: {} / {}", StatusText(nonce.status()),
                   StatusText(gas_price.status()));
      return;
    }
    const uint64_t priority = tip.ok() ? *tip : *gas_price;
    chain::Eip1559Transaction tx{.chain_id = options.chain_id,
                                 .nonce = *nonce,
                                 .max_priority_fee_per_gas = Uint256(priority),
                                 .max_fee_per_gas = Uint256(2 * *gas_price + priority),  // survives a base-fee doubling
                                 .gas_limit = options.chain_gas_limit,
                                 .to = contracts.conditional_tokens};
    const bool merge = plan.kind == ChainAction::Kind::kMerge;
    tx.data = merge ? chain::MergePositionsCall(contracts.collateral, condition,
                                                Uint256(static_cast<uint64_t>(plan.amount_micros)))
                    : chain::RedeemPositionsCall(contracts.collateral, condition);
    const chain::Bytes raw = chain::SignTransaction(tx, *key);
    positions::v1::ChainTransaction record;
    record.set_tx_hash(HexEncode(chain::TransactionHash(raw)));
    record.set_kind(merge ? "merge" : "redeem");
    record.set_condition_id(m.condition_id);
    record.set_yes_token_id(m.yes_token);
    record.set_no_token_id(m.no_token);
    record.set_amount_micros(merge ? plan.amount_micros : 0);
    record.set_nonce(*nonce);
    record.set_sent_ns(Now());
    if (!merge) {
      const Resolution& r = resolutions.at(m.condition_id);
      record.set_payout_denominator(r.denominator);
      for (uint64_t n : r.numerators) record.add_payout_numerators(n);
    }
    if (auto put = chain_kv->Put("pending", record.SerializeAsString()); !put.ok()) {
      kv_failures++;
      spdlog::warn("positions: not sending a {}: the pending record could not be stored: {}", record.kind(),
                   StatusText(put.status()));
      return;
    }
    SetPending(record);
    auto sent = rpc->SendRawTransaction(HexEncode(raw));
    if (!sent.ok() && sent.status().message().find("already known") == std::string_view::npos) {
      // Refused by the node (nonce, funds, ...): nothing is in flight.
      chain_failures++;
      chain_retry_at[m.condition_id] = Now() + options.chain_retry_after;
      spdlog::warn("positions: {} for market {} refused: {}", record.kind(), m.condition_id, StatusText(sent.status()));
      if (auto del = chain_kv->Delete("pending"); !del.ok()) kv_failures++;
      SetPending(std::nullopt);
      return;
    }
    chain_sent++;
    spdlog::info("positions: sent {} {} for market {} ({} micros, nonce {})", record.kind(), record.tx_hash(),
                 m.condition_id, record.amount_micros(), *nonce);
  }

  void ChainWorker() {
    Nanos last_plan = 0;
    while (!threads_stop) {
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
      if (chain_pending) {
        PollPending();
        continue;
      }
      const Nanos now = Now();
      if (now - last_plan < options.chain_interval) continue;
      last_plan = now;
      if (via_relayer && !EnsureRelayer()) continue;
      if (now - last_resolution_read >= options.chain_resolution_interval) {
        last_resolution_read = now;
        ReadResolutions();
      }
      // One transaction at a time: the first market with something to do.
      auto next = OnLoop([&]() -> std::optional<std::pair<MarketTokens, PlannedChainAction>> {
        for (const auto& [condition, m] : markets) {
          auto retry = chain_retry_at.find(condition);
          if (retry != chain_retry_at.end() && now < retry->second) continue;
          auto r = resolutions.find(condition);
          auto plan = PlanChainAction(ledger, m, r == resolutions.end() ? Resolution{} : r->second, options.chain);
          if (plan) return std::make_pair(m, *plan);
        }
        return std::nullopt;
      });
      if (next) Send(next->first, next->second);
    }
  }

  // Start-up: a transaction an earlier process recorded as in flight, decided before the balances
  // are read (PendingTransaction). Mined, succeeded or reverted: the balances about to be seeded
  // include it (nothing to apply). Dropped/replaced or never seen by the chain: not applied, counted
  // and logged; the seeded balances are the truth. Start-up waits for a decision at most
  // chain_startup_wait (or until stopped); still undecided (known to the node and not mined, or the
  // node unreachable), the record is carried on: decided by the chain worker, applied on top of
  // the seed if it is mined.
  void SettlePendingFromEarlierRun() {
    auto entry = chain_kv->Get("pending");
    if (!entry.ok()) return;
    positions::v1::ChainTransaction t;
    if (!t.ParseFromString(entry->value)) {
      bad_messages++;
      (void)chain_kv->Delete("pending");
      return;
    }
    PendingTransaction tracker = TrackerOf(t);
    const Nanos deadline = Now() + options.chain_startup_wait;
    chain::Receipt receipt;
    TxVerdict v = TxVerdict::kWaiting;
    for (;;) {
      v = tracker.Observe(ObserveChainTx(t, &receipt), Now());
      if (IsFinal(v) || Now() >= deadline || (stop != nullptr && *stop)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    if (v == TxVerdict::kApplied || v == TxVerdict::kReverted) {
      spdlog::info("positions: {} {} from an earlier run was mined ({}): inside the balances seeded now", t.kind(),
                   t.tx_hash(), v == TxVerdict::kApplied ? "success" : "reverted");
      (void)chain_kv->Delete("pending");
      return;
    }
    if (IsFinal(v)) {
      CountNotApplied(t, v, " from an earlier run");
      (void)chain_kv->Delete("pending");
      return;
    }
    if (!chain_enabled) {
      // Nothing would poll it: reconciliation reports its effect if it is mined later.
      spdlog::warn("positions: {} {} from an earlier run is still pending and merge/redeem are off: dropped", t.kind(),
                   t.tx_hash());
      (void)chain_kv->Delete("pending");
      return;
    }
    spdlog::warn(
        "positions: {} {} from an earlier run is still undecided after {} s ({}): seeding now, applied if "
        "mined",
        t.kind(), t.tx_hash(), options.chain_startup_wait / kNanosPerSecond,
        tracker.unknown_since() ? "unknown to the chain" : "pending or the node unreachable");
    SetPending(t);
    chain_tracker = tracker;  // keeps how long it has been unknown
  }

  absl::Status Setup() {
    CM_ASSIGN_OR_RETURN(contracts, signing::ContractsForChain(options.chain_id));
    funder = key->address();
    if (!options.funder.empty()) {
      CM_ASSIGN_OR_RETURN(funder, crypto::Address::Parse(options.funder));
    }
    identity = {.api_keys = {credentials->key()}, .addresses = {key->address().ToLower(), funder.ToLower()}};
    CM_ASSIGN_OR_RETURN(nats,
                        nats::Connection::Connect({.url = options.nats_url, .name = "positions", .executor = &loop}));
    CM_ASSIGN_OR_RETURN(js, nats::JetStream::Create(*nats));
    CM_RETURN_IF_ERROR(js->EnsureStream({.name = std::string(bus::kUserStream),
                                         .subjects = {"cm.user.>"},
                                         .duplicate_window = bus::kUserDuplicateWindowSeconds * kNanosPerSecond}));
    CM_ASSIGN_OR_RETURN(positions_kv, js->EnsureKeyValue({.bucket = std::string(bus::kPositionsBucket)}));
    CM_ASSIGN_OR_RETURN(markets_kv, js->EnsureKeyValue({.bucket = std::string(bus::kMarketsBucket)}));
    CM_ASSIGN_OR_RETURN(chain_kv, js->EnsureKeyValue({.bucket = std::string(bus::kPositionsChainBucket)}));
    io = std::make_unique<net::IoThread>();
    clob::ClobClientOptions rest_options;
    rest_options.http.base_url = options.clob_url;
    rest_options.chain_id = options.chain_id;
    rest_options.executor = &callbacks;
    CM_ASSIGN_OR_RETURN(rest, clob::ClobRestClient::Create(*io, rest_options, key, credentials));
    if (options.rpc_url.empty()) options.rpc_url = options.clob_url + "/rpc";
    CM_ASSIGN_OR_RETURN(auto rpc_http, net::HttpClient::Create(*io, {.base_url = options.rpc_url}));
    rpc = std::make_unique<ChainClient>(std::move(rpc_http));
    chain_enabled = options.chain.merge || options.chain.redeem;
    if (options.signature_type == static_cast<int>(signing::SignatureType::kPoly1271)) {
      // A deposit wallet merges and redeems through Polymarket's relayer: batches the owner signs.
      CM_ASSIGN_OR_RETURN(auto factories, wallet::FactoriesForChain(options.chain_id));
      if (!wallet::IsWalletOf(signing::SignatureType::kPoly1271, key->address(), funder, factories)) {
        return absl::InvalidArgumentError(
            fmt::format("--funder {} is not a deposit wallet of the key's address", funder.ToChecksum()));
      }
      CM_ASSIGN_OR_RETURN(targets, relayer::CallTargetsForChain(options.chain_id));
      if (options.relayer_url.empty()) options.relayer_url = options.clob_url;
      if (!options.relayer_builder) {
        // Builder credentials from the environment, all three or none (never logged).
        const char* k = std::getenv("CLOBMAKER_BUILDER_API_KEY");
        const char* sec = std::getenv("CLOBMAKER_BUILDER_SECRET");
        const char* pass = std::getenv("CLOBMAKER_BUILDER_PASSPHRASE");
        if ((k != nullptr) != (sec != nullptr) || (k != nullptr) != (pass != nullptr)) {
          return absl::InvalidArgumentError(
              "CLOBMAKER_BUILDER_API_KEY, CLOBMAKER_BUILDER_SECRET and CLOBMAKER_BUILDER_PASSPHRASE: all three or none");
        }
        if (k != nullptr) options.relayer_builder = relayer::BuilderCredentials{k, sec, pass};
      }
      CM_ASSIGN_OR_RETURN(auto relayer_http, net::HttpClient::Create(*io, {.base_url = options.relayer_url}));
      relayer_client = std::make_unique<RelayerClient>(std::move(relayer_http), *key, options.chain_id,
                                                       options.relayer_builder, clock);
      via_relayer = true;
    } else if (chain_enabled && (options.signature_type != 0 || funder != key->address())) {
      // Proxy and Safe wallets merge through the relayer's PROXY and SAFE transactions, which
      // positions does not build (docs/positions.md, "Through the relayer").
      spdlog::warn(
          "positions: merge and redeem are off: proxy and Safe wallets need the relayer's PROXY/SAFE transactions, "
          "not built (EOA and deposit wallets merge)");
      chain_enabled = false;
    }
    return absl::OkStatus();
  }

  absl::Status Start();

  void Shutdown() {
    if (grpc) grpc->Shutdown();
    metrics_server.reset();
    threads_stop = true;
    for (std::thread& t : threads) t.join();
    subs.clear();
    OnLoop([] {});
    rest.reset();
    rpc.reset();
    relayer_client.reset();  // its HTTP client runs on io
    io.reset();
    std::promise<void> flushed;
    kv_writer.Post([&] { flushed.set_value(); });
    flushed.get_future().wait();
  }
};

class AdminService final : public v1::PositionsAdmin::Service {
 public:
  AdminService(PositionsService::Impl& s, std::shared_ptr<const grpcserver::Authorizer> auth)
      : s_(s), auth_(std::move(auth)) {}

  grpc::Status GetPositions(grpc::ServerContext* ctx, const v1::GetPositionsRequest* in,
                            v1::GetPositionsResponse* out) override {
    if (auto st = Authorize(*ctx); !st.ok()) return st;
    s_.OnLoop([&] {
      const Nanos now = s_.Now();
      for (const auto& [token, p] : s_.ledger.positions()) {
        if (!in->condition_id().empty() && p.condition_id != in->condition_id()) continue;
        s_.FillPosition(p, *out->add_positions(), now);
      }
      out->mutable_collateral()->set_provisional_micros(s_.ledger.collateral().provisional_micros);
      out->mutable_collateral()->set_settled_micros(s_.ledger.collateral().settled_micros);
    });
    return grpc::Status::OK;
  }

  grpc::Status GetPnl(grpc::ServerContext* ctx, const v1::GetPnlRequest*, v1::GetPnlResponse* out) override {
    if (auto st = Authorize(*ctx); !st.ok()) return st;
    s_.OnLoop([&] {
      const PnlSummary pnl = s_.ledger.Pnl();
      out->set_realized_micros(pnl.realized_micros);
      out->set_unrealized_micros(pnl.unrealized_micros);
      out->set_fees_micros(pnl.fees_paid_micros);
      out->set_rebates_micros(pnl.rebates_micros);
      out->set_net_micros(pnl.net_micros());
    });
    return grpc::Status::OK;
  }

  grpc::Status ListDiscrepancies(grpc::ServerContext* ctx, const v1::ListDiscrepanciesRequest* in,
                                 v1::ListDiscrepanciesResponse* out) override {
    if (auto st = Authorize(*ctx); !st.ok()) return st;
    s_.OnLoop([&] {
      const auto& all = s_.ledger.discrepancies();
      const size_t limit = in->limit() == 0 ? all.size() : std::min<size_t>(in->limit(), all.size());
      for (size_t i = all.size() - limit; i < all.size(); ++i) {
        const Discrepancy& d = all[i];
        v1::Discrepancy* m = out->add_discrepancies();
        m->mutable_header()->set_publish_ts_ns(d.at);
        m->set_source(std::string(SourceName(d.source)));
        m->set_token_id(d.token_id);
        m->set_ours_micros(d.ours_micros);
        m->set_theirs_micros(d.theirs_micros);
        m->set_detail(d.detail);
      }
    });
    return grpc::Status::OK;
  }

  grpc::Status Reconcile(grpc::ServerContext* ctx, const v1::ReconcileRequest*, v1::ReconcileResponse* out) override {
    if (auto st = Authorize(*ctx); !st.ok()) return st;
    // Two rounds: a difference becomes a discrepancy only when it persists.
    auto ask = std::make_shared<PositionsService::Impl::ReconcileAsk>();
    auto answer = ask->done.get_future();
    {
      std::lock_guard lock(s_.asks_mu);
      s_.reconcile_asks.push_back(ask);
    }
    if (answer.wait_for(std::chrono::seconds(60)) != std::future_status::ready) {
      return {grpc::StatusCode::DEADLINE_EXCEEDED, "reconciliation did not finish within 60 s"};
    }
    const std::optional<uint32_t> found = answer.get();
    if (!found) return {grpc::StatusCode::UNAVAILABLE, "positions is stopping"};
    out->set_discrepancies(*found);
    return grpc::Status::OK;
  }

  grpc::Status Status(grpc::ServerContext* ctx, const v1::StatusRequest*, common::v1::ServiceStatus* out) override {
    if (auto st = Authorize(*ctx); !st.ok()) return st;
    FillServiceStatus(out);
    return grpc::Status::OK;
  }

  // Also read by the metrics endpoint (no authorization there: it binds loopback by default).
  void FillServiceStatus(common::v1::ServiceStatus* out) {
    s_.OnLoop([&] {
      const LedgerCounters& c = s_.ledger.counters();
      out->set_service("positions");
      out->set_ready(s_.seeded.load());
      if (!s_.seeded) out->set_not_ready_reason("seeding from the exchange and the chain");
      auto& m = *out->mutable_counters();
      const auto put = [&](const char* name, uint64_t v) { m[name] = static_cast<int64_t>(v); };
      put("tokens", s_.ledger.positions().size());
      put("legs", c.legs);
      put("applied", c.applied);
      put("settled", c.settled);
      put("reversed", c.reversed);
      put("duplicates", c.duplicates);
      put("after_terminal", c.after_terminal);
      put("confirmed_then_failed", c.confirmed_then_failed);
      put("comparisons", c.comparisons);
      put("suspects", c.suspects);
      put("discrepancies", c.discrepancies);
      put("reconciles", s_.reconciles.load());
      put("source_failures", s_.source_failures.load());
      put("bad_messages", s_.bad_messages.load());
      put("kv_failures", s_.kv_failures.load());
      put("merges", c.merges);
      put("merged_micros", static_cast<uint64_t>(c.merged_micros));
      put("redeems", c.redeems);
      put("redeemed_payout_micros", static_cast<uint64_t>(c.redeemed_payout_micros));
      put("rebates", c.rebates);
      put("rebate_duplicates", c.rebate_duplicates);
      put("rebate_failures", s_.rebate_failures.load());
      put("unknown_trade_statuses", s_.unknown_trade_statuses.load());
      m["fees_paid_micros"] = s_.ledger.FeesPaidMicros();
      m["rebates_micros"] = s_.ledger.RebatesMicros();
      put("chain_tx_sent", s_.chain_sent.load());
      put("chain_tx_reverted", s_.chain_reverted.load());
      put("chain_failures", s_.chain_failures.load());
      put("chain_pending", s_.chain_pending_flag.load() ? 1 : 0);
      put("chain_tx_replaced", s_.chain_replaced.load());
      put("chain_tx_never_seen", s_.chain_never_seen.load());
      put("relayer_refused", s_.relayer_refused.load());
      put("relayer_ambiguous", s_.relayer_ambiguous.load());
      put("chain_duplicates", c.chain_duplicates);
      put("markets_resolved", s_.markets_resolved.load());
      put("reconciles_deferred", s_.reconciles_deferred.load());
    });
  }

 private:
  grpc::Status Authorize(const grpc::ServerContext& ctx) const { return grpcserver::Authorize(auth_.get(), ctx); }
  PositionsService::Impl& s_;
  const std::shared_ptr<const grpcserver::Authorizer> auth_;  // set before the server exists
};

absl::Status PositionsService::Impl::Start() {
  // 1. The durable consumer first (new ones start at the end of the stream), so that nothing
  //    published during the seed is missed; replays from before it are deduplicated.
  CM_ASSIGN_OR_RETURN(
      consumer, js->Consumer(bus::kUserStream, "positions", {.filter_subject = "cm.user.>", .deliver_new_only = true}));
  // 2. Markets known so far, and those that appear later.
  CM_ASSIGN_OR_RETURN(const std::vector<std::string> keys, markets_kv->Keys());
  for (const std::string& k : keys) {
    auto entry = markets_kv->Get(k);
    if (entry.ok()) OnLoop([&] { OnMarketInfo(entry->value, nullptr); });
  }
  CM_ASSIGN_OR_RETURN(auto sub, nats->Subscribe(std::string(bus::kMarketInfoWildcard),
                                                [this](nats::Message m) { OnMarketInfo(m.data, nullptr); }));
  subs.push_back(std::move(sub));
  CM_ASSIGN_OR_RETURN(auto books, nats->Subscribe(std::string(bus::kBookWildcard), [this](nats::Message m) {
    marketdata::v1::Book b;
    if (!b.ParseFromString(m.data) || b.bids_size() == 0 || b.asks_size() == 0 || b.resyncing()) return;
    ledger.SetMark(b.token_id(), (b.bids(0).price_units() + b.asks(0).price_units()) / 2);
  }));
  subs.push_back(std::move(books));
  // 3. A merge/redeem an earlier run left in flight, before the balances are read (whatever this
  //    run's flags say).
  SettlePendingFromEarlierRun();
  // 4. Seed: collateral and every known token from both sources, then the legs inside them.
  std::vector<std::string> tokens = KnownTokens();
  tokens.insert(tokens.begin(), "");
  Seed(tokens);
  SeedRecentLegs();
  seeded = true;
  OnLoop([&] {
    std::vector<std::string> all;
    for (const auto& [token, p] : ledger.positions()) all.push_back(token);
    Publish(all);
    (void)ledger.TakeChanged();
  });
  spdlog::info("positions: seeded {} tokens and collateral from the exchange and the chain ({})", tokens.size() - 1,
               options.rpc_url);
  threads.emplace_back([this] { ConsumeTrades(); });
  threads.emplace_back([this] { Worker(); });
  if (chain_enabled) threads.emplace_back([this] { ChainWorker(); });
  // The authorizer is in place before the server accepts a call (fail-closed without one).
  const auto authorizer = grpcserver::Authorizer::Token(options.admin_token);
  admin = std::make_unique<AdminService>(*this, authorizer);
  CM_ASSIGN_OR_RETURN(
      grpc, grpcserver::GrpcServer::Start({.listen = options.admin_listen, .authorizer = authorizer}, {admin.get()}));
  metrics::AddServiceStatusCollector(registry, "positions",
                                     [this](common::v1::ServiceStatus* st) { admin->FillServiceStatus(st); });
  if (!options.metrics_listen.empty()) {
    CM_ASSIGN_OR_RETURN(metrics_server, metrics::MetricsServer::Start(*io, options.metrics_listen, registry));
    spdlog::info("positions: metrics on http://{}/metrics", metrics_server->address());
  }
  spdlog::info("positions: admin API on {}", grpc->address());
  return absl::OkStatus();
}

PositionsService::PositionsService(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PositionsService::~PositionsService() { impl_->Shutdown(); }

absl::StatusOr<std::unique_ptr<PositionsService>> PositionsService::Create(const PositionsOptions& options,
                                                                           const crypto::PrivateKey& key,
                                                                           const signing::ApiCredentials& credentials) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->key = &key;
  impl->credentials = &credentials;
  CM_RETURN_IF_ERROR(impl->Setup());
  return std::unique_ptr<PositionsService>(new PositionsService(std::move(impl)));
}

absl::Status PositionsService::Run(const std::atomic<bool>& stop) {
  impl_->stop = &stop;
  CM_RETURN_IF_ERROR(impl_->Start());
  while (!stop) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  return absl::OkStatus();
}

}  // namespace clobmaker::positions
