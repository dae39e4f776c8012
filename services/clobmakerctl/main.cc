// clobmakerctl: the operator's command line over the services' gRPC admin APIs.
//
//   clobmakerctl [--json] [--token-file F] [--execution ADDR] [--marketdata ADDR] [--strategy ADDR]
//                [--positions ADDR] [--userstream ADDR] [--sim ADDR] COMMAND [ARGS]
//
//   status | markets | books | orders [--all] | positions | pnl | discrepancies
//   kill [REASON] | reset | cancel-all [REASON] | pause CONDITION [REASON] | resume CONDITION
//   params get CONDITION | params set CONDITION KEY=VALUE... | reconcile
//   orphans --address A      orders live at the simulator that execution does not know (persisting)
//   sim-open --address A [--token T]...  our orders open at the simulator (on those tokens);
//   sim-fills --address A [--ids]  our trades at the simulator (and their ids)
//   sim-throttled --address A  429 answers the simulator gave our signer, its tier and token levels
//   sim-tick --token T --tick 0.001   the simulator changes a market's tick size
//   sim-credit --address A [--collateral 100] [--token T --tokens 50]  the simulator credits an
//            account (chain and exchange) with pUSD and outcome tokens
//   live-env --config LIVE.yaml   the live configuration as NAME=value lines (scripts/up --live)
//   wallet-address (--key-file F | --key-env V) [--wallet NAME] [--funder A] [--chain-id 137]
//            the address the key trades through as that wallet: "wallet=NAME address=0x..."
//   session-key authorize|revoke|list (--key-file F | --key-env V) [--address SESSION] [--scope S]...
//            the deposit wallet's owner manages session keys (builder credentials from the environment)
//   doctor [--config LIVE.yaml] [--clob-url U] [--geoblock-url U] [--market M]...  preflight checks
//            before going live: one line per check with the fix; exit 1 on any failure
//
// Tables by default, --json (one JSON object per line) for scripts. The admin token comes from
// --token-file or CLOBMAKER_ADMIN_TOKEN and is sent as a bearer token. Exit codes: 0 done, 1 the
// service refused or is unreachable, 2 bad usage.
#include <fmt/format.h>
#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "clobmaker/marketdata/v1/marketdata.grpc.pb.h"
#include "clobmaker/orders/v1/orders.grpc.pb.h"
#include "clobmaker/positions/v1/positions.grpc.pb.h"
#include "clobmaker/sim/v1/sim.grpc.pb.h"
#include "clobmaker/strategy/v1/strategy.grpc.pb.h"
#include "clobmaker/user/v1/user.grpc.pb.h"
#include "common/core/status.h"
#include "common/grpcserver/grpc_server.h"
#include "common/model/decimal.h"
#include "common/model/types.h"
#include "common/signing/keys.h"
#include "common/wallet/wallet.h"
#include "services/clobmakerctl/doctor/doctor_shell.h"
#include "services/clobmakerctl/doctor/live_config.h"
#include "services/clobmakerctl/session_keys.h"

namespace {

struct Ctl {
  bool json = false;
  std::string token;
  std::string execution = "127.0.0.1:9101", userstream = "127.0.0.1:9102", marketdata = "127.0.0.1:9103",
              strategy = "127.0.0.1:9104", positions = "127.0.0.1:9105", sim = "127.0.0.1:9090";

  std::unique_ptr<grpc::ClientContext> Context() const {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(15));
    if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
    return ctx;
  }
  static std::shared_ptr<grpc::Channel> Channel(const std::string& address) {
    return grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  }
  void Json(const google::protobuf::Message& m) const {
    std::string out;
    google::protobuf::util::JsonPrintOptions options;
    options.always_print_primitive_fields = true;
    (void)google::protobuf::util::MessageToJsonString(m, &out, options);
    std::printf("%s\n", out.c_str());
  }
};

int Fail(const char* what, const grpc::Status& st) {
  std::fprintf(stderr, "clobmakerctl: %s: %s (%d)\n", what, st.error_message().c_str(),
               static_cast<int>(st.error_code()));
  return 1;
}

// What people read: prices with the market's tick precision (rounded when off the grid, as a fair
// value is), shares with 2 decimals, pUSD figures (P&L, fees, rebates, collateral) with all 6: exact, so
// scripts can read them back (docs/console.md).
std::string Price(int64_t units, int64_t tick_units) { return clobmaker::model::FormatPrice(units, tick_units); }
std::string Qty(int64_t micros) { return clobmaker::model::FormatAmount(micros, 2); }
std::string Usd(int64_t micros) { return clobmaker::model::FormatAmount(micros, 6); }
std::string Short(const std::string& s, size_t n = 14) { return s.size() <= n ? s : s.substr(0, n - 1) + "…"; }

int Status(const Ctl& c) {
  struct Row {
    std::string name;
    std::string address;
  };
  int rc = 0;
  if (!c.json) std::printf("%-11s %-21s %-6s %s\n", "SERVICE", "ADDRESS", "READY", "DETAIL");
  const auto show = [&](const std::string& name, const std::string& address,
                        const clobmaker::common::v1::ServiceStatus& s, const std::string& extra) {
    if (c.json) {
      c.Json(s);
      return;
    }
    std::printf("%-11s %-21s %-6s %s%s\n", name.c_str(), address.c_str(), s.ready() ? "yes" : "no",
                s.not_ready_reason().c_str(), extra.c_str());
  };
  const auto unreachable = [&](const std::string& name, const std::string& address, const grpc::Status& st) {
    rc = 1;
    if (c.json) {
      std::printf("{\"service\":\"%s\",\"error\":\"%s\"}\n", name.c_str(), st.error_message().c_str());
    } else {
      std::printf("%-11s %-21s %-6s %s\n", name.c_str(), address.c_str(), "-", st.error_message().c_str());
    }
  };
  {
    auto stub = clobmaker::orders::v1::ExecutionAdmin::NewStub(Ctl::Channel(c.execution));
    clobmaker::orders::v1::ExecutionStatus s;
    auto st = stub->Status(c.Context().get(), {}, &s);
    if (st.ok()) {
      if (c.json) {
        c.Json(s);
      } else {
        // The rate tier (confirmed by the exchange or assumed), each bucket's level of its burst,
        // 429s by endpoint, and the trading restriction the exchange reported.
        std::string buckets;
        for (const auto& b : s.budgets()) {
          buckets += fmt::format(" {}={}/{}", b.endpoint(), b.available(), b.capacity());
        }
        std::string throttled;
        for (const auto& [endpoint, n] : s.throttled_by_endpoint()) throttled += fmt::format(" {}:{}", endpoint, n);
        const auto counter = [&](const char* name) {
          auto it = s.service().counters().find(name);
          return it == s.service().counters().end() ? int64_t{0} : it->second;
        };
        show("execution", c.execution, s.service(),
             fmt::format("{} phase={} killed={} halted={} lease={} version={} posts={} cancels={} tier={}{}{} "
                         "restriction={} throttled={}{}",
                         s.dry_run() ? " DRY-RUN" : "", s.phase(), s.killed(), s.halted(), s.lease_held(),
                         s.order_version(), counter("posts_sent"), counter("cancels_sent"),
                         s.rate_tier().empty() ? "?" : s.rate_tier(), s.rate_tier_confirmed() ? "" : "(assumed)",
                         buckets, s.trading_restriction().empty() ? "none" : s.trading_restriction(),
                         counter("throttled"), throttled));
      }
    } else {
      unreachable("execution", c.execution, st);
    }
  }
  const auto generic = [&](const std::string& name, const std::string& address, auto stub_factory) {
    auto stub = stub_factory(Ctl::Channel(address));
    clobmaker::common::v1::ServiceStatus s;
    auto st = stub->Status(c.Context().get(), {}, &s);
    if (st.ok()) {
      show(name, address, s, "");
    } else {
      unreachable(name, address, st);
    }
  };
  generic("marketdata", c.marketdata, [](auto ch) { return clobmaker::marketdata::v1::MarketDataAdmin::NewStub(ch); });
  generic("userstream", c.userstream, [](auto ch) { return clobmaker::user::v1::UserStreamAdmin::NewStub(ch); });
  generic("strategy", c.strategy, [](auto ch) { return clobmaker::strategy::v1::StrategyAdmin::NewStub(ch); });
  generic("positions", c.positions, [](auto ch) { return clobmaker::positions::v1::PositionsAdmin::NewStub(ch); });
  return rc;
}

int Markets(const Ctl& c) {
  auto stub = clobmaker::strategy::v1::StrategyAdmin::NewStub(Ctl::Channel(c.strategy));
  clobmaker::strategy::v1::ListMarketsResponse r;
  if (auto st = stub->ListMarkets(c.Context().get(), {}, &r); !st.ok()) return Fail("strategy", st);
  if (c.json) {
    for (const auto& m : r.markets()) c.Json(m);
    return 0;
  }
  std::printf("%-16s %-14s %-7s %-15s %-6s %-10s %-8s %s\n", "MARKET", "SLUG", "FAIR", "BID / ASK", "BAND", "NET",
              "SCORING", "GATES");
  for (const auto& m : r.markets()) {
    const int64_t tick = m.ladder().tick_units();
    int64_t bid = 0, ask = 0;
    for (const auto& o : m.ladder().orders()) {
      const bool yes = o.token_id() == m.market().yes_token_id();
      const bool is_bid = (o.side() == clobmaker::common::v1::SIDE_BUY) == yes;
      const int64_t p = yes ? o.price_units() : 10'000 - o.price_units();
      if (is_bid) bid = std::max(bid, p);
      if (!is_bid && (ask == 0 || p < ask)) ask = p;
    }
    std::string gates;
    for (const auto& g : m.gates_closed()) gates += (gates.empty() ? "" : "; ") + g;
    std::printf("%-16s %-14s %-7s %-15s %-6s %-10s %-8s %s\n", Short(m.market().condition_id(), 16).c_str(),
                Short(m.market().slug()).c_str(), Price(m.fair_value_units(), tick).c_str(),
                (bid ? Price(bid, tick) + " / " + Price(ask, tick) : std::string("-")).c_str(),
                m.in_reward_band() ? "in" : "-", Qty(m.net_position_micros()).c_str(),
                fmt::format("{:.0f}%", 100 * m.scoring_share()).c_str(), gates.empty() ? "quoting" : gates.c_str());
  }
  return 0;
}

int Books(const Ctl& c) {
  auto stub = clobmaker::marketdata::v1::MarketDataAdmin::NewStub(Ctl::Channel(c.marketdata));
  clobmaker::marketdata::v1::ListBooksResponse r;
  if (auto st = stub->ListBooks(c.Context().get(), {}, &r); !st.ok()) return Fail("marketdata", st);
  if (c.json) {
    for (const auto& b : r.books()) c.Json(b);
    return 0;
  }
  std::printf("%-16s %-8s %-8s %-7s %-10s %s\n", "TOKEN", "BID", "ASK", "TICK", "AGE", "STATE");
  for (const auto& b : r.books()) {
    std::printf("%-16s %-8s %-8s %-7s %-10s %s\n", Short(b.token_id(), 16).c_str(),
                Price(b.best_bid_units(), b.tick_units()).c_str(), Price(b.best_ask_units(), b.tick_units()).c_str(),
                Price(b.tick_units(), b.tick_units()).c_str(),
                fmt::format("{:.1f}s", static_cast<double>(b.age_ns()) / 1e9).c_str(),
                b.resyncing() ? "resyncing" : "trusted");
  }
  return 0;
}

int Orders(const Ctl& c, bool all) {
  auto stub = clobmaker::orders::v1::ExecutionAdmin::NewStub(Ctl::Channel(c.execution));
  clobmaker::orders::v1::ListOrdersRequest req;
  req.set_include_terminal(all);
  clobmaker::orders::v1::ListOrdersResponse r;
  if (auto st = stub->ListOrders(c.Context().get(), req, &r); !st.ok()) return Fail("execution", st);
  if (c.json) {
    for (const auto& o : r.orders()) c.Json(o);
    return 0;
  }
  std::printf("%-16s %-16s %-5s %-3s %-7s %-10s %-10s %s\n", "ORDER", "TOKEN", "SIDE", "LVL", "PRICE", "SIZE",
              "MATCHED", "STATE");
  for (const auto& o : r.orders()) {
    std::printf("%-16s %-16s %-5s %-3u %-7s %-10s %-10s %s\n", Short(o.order_id(), 16).c_str(),
                Short(o.token_id(), 16).c_str(), o.side() == clobmaker::common::v1::SIDE_BUY ? "BUY" : "SELL",
                o.level(), Price(o.price_units(), o.tick_units()).c_str(), Qty(o.original_size_micros()).c_str(),
                Qty(o.matched_size_micros()).c_str(), clobmaker::orders::v1::OrderState_Name(o.state()).c_str());
  }
  return 0;
}

int Positions(const Ctl& c) {
  auto stub = clobmaker::positions::v1::PositionsAdmin::NewStub(Ctl::Channel(c.positions));
  clobmaker::positions::v1::GetPositionsResponse r;
  if (auto st = stub->GetPositions(c.Context().get(), {}, &r); !st.ok()) return Fail("positions", st);
  if (c.json) {
    c.Json(r);
    return 0;
  }
  std::printf("%-16s %-12s %-12s %-9s %-10s %s\n", "TOKEN", "PROVISIONAL", "SETTLED", "AVG", "REALISED", "UNREALISED");
  for (const auto& p : r.positions()) {
    std::printf("%-16s %-12s %-12s %-9s %-10s %s\n", Short(p.token_id(), 16).c_str(),
                Qty(p.provisional_micros()).c_str(), Qty(p.settled_micros()).c_str(),
                Price(p.avg_cost_units_x1e6() / 1'000'000, 0).c_str(), Usd(p.realized_pnl_micros()).c_str(),
                Usd(p.unrealized_pnl_micros()).c_str());
  }
  std::printf("%-16s %-12s %-12s\n", "pUSD", Usd(r.collateral().provisional_micros()).c_str(),
              Usd(r.collateral().settled_micros()).c_str());
  return 0;
}

int Pnl(const Ctl& c) {
  auto stub = clobmaker::positions::v1::PositionsAdmin::NewStub(Ctl::Channel(c.positions));
  clobmaker::positions::v1::GetPnlResponse r;
  if (auto st = stub->GetPnl(c.Context().get(), {}, &r); !st.ok()) return Fail("positions", st);
  if (c.json) {
    c.Json(r);
  } else {
    std::printf("realised %s  unrealised %s  fees %s  rebates %s  net %s pUSD\n", Usd(r.realized_micros()).c_str(),
                Usd(r.unrealized_micros()).c_str(), Usd(r.fees_micros()).c_str(), Usd(r.rebates_micros()).c_str(),
                Usd(r.net_micros()).c_str());
  }
  return 0;
}

int Discrepancies(const Ctl& c) {
  auto stub = clobmaker::positions::v1::PositionsAdmin::NewStub(Ctl::Channel(c.positions));
  clobmaker::positions::v1::ListDiscrepanciesResponse r;
  if (auto st = stub->ListDiscrepancies(c.Context().get(), {}, &r); !st.ok()) return Fail("positions", st);
  for (const auto& d : r.discrepancies()) {
    if (c.json) {
      c.Json(d);
    } else {
      std::printf("%s\n", d.detail().c_str());
    }
  }
  return 0;
}

std::vector<clobmaker::sim::v1::TruthOrder> SimOpen(const Ctl& c, const std::string& address, grpc::Status* st) {
  auto stub = clobmaker::sim::v1::SimTruth::NewStub(Ctl::Channel(c.sim));
  clobmaker::sim::v1::OpenOrdersRequest req;
  req.set_address(address);
  clobmaker::sim::v1::OpenOrdersResponse r;
  *st = stub->OpenOrders(c.Context().get(), req, &r);
  return {r.orders().begin(), r.orders().end()};
}

// Orders open at the simulator that execution does not know, over three looks 500 ms apart (an
// order in flight is known to execution before it is sent, so a real orphan persists).
int Orphans(const Ctl& c, const std::string& address) {
  std::map<std::string, int> seen;
  for (int look = 0; look < 3; ++look) {
    if (look > 0) std::this_thread::sleep_for(std::chrono::milliseconds(500));
    grpc::Status st;
    const auto open = SimOpen(c, address, &st);
    if (!st.ok()) return Fail("simulator", st);
    auto stub = clobmaker::orders::v1::ExecutionAdmin::NewStub(Ctl::Channel(c.execution));
    clobmaker::orders::v1::ListOrdersResponse known;
    if (auto est = stub->ListOrders(c.Context().get(), {}, &known); !est.ok()) return Fail("execution", est);
    std::set<std::string> ids;
    for (const auto& o : known.orders()) ids.insert(o.order_id());
    for (const auto& o : open) {
      if (!ids.contains(o.order_id())) seen[o.order_id()]++;
    }
  }
  int orphans = 0;
  for (const auto& [id, n] : seen) orphans += n == 3 ? 1 : 0;
  std::printf(c.json ? "{\"orphans\":%d}\n" : "orphans=%d\n", orphans);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Ctl c;
  CLI::App app{"clobmakerctl: the operator's command line over the admin APIs"};
  std::string token_file, address, reason;
  bool all = false;
  app.add_flag("--json", c.json, "JSON, one object per line");
  app.add_option("--token-file", token_file, "admin bearer token file; else CLOBMAKER_ADMIN_TOKEN");
  app.add_option("--execution", c.execution, "execution admin address")->capture_default_str();
  app.add_option("--marketdata", c.marketdata, "marketdata admin address")->capture_default_str();
  app.add_option("--strategy", c.strategy, "strategy admin address")->capture_default_str();
  app.add_option("--positions", c.positions, "positions admin address")->capture_default_str();
  app.add_option("--userstream", c.userstream, "userstream admin address")->capture_default_str();
  app.add_option("--sim", c.sim, "simulator control/truth address")->capture_default_str();
  app.require_subcommand(1);
  auto* status = app.add_subcommand("status", "every service's readiness and key figures");
  auto* markets = app.add_subcommand("markets", "markets: fair value, our quote, band, net position, gates");
  auto* books = app.add_subcommand("books", "books marketdata holds");
  auto* orders = app.add_subcommand("orders", "execution's orders");
  orders->add_flag("--all", all, "include terminal orders");
  auto* positions = app.add_subcommand("positions", "inventory and collateral");
  auto* pnl = app.add_subcommand("pnl", "realised and unrealised P&L");
  auto* discrepancies = app.add_subcommand("discrepancies", "reconciliation discrepancies");
  auto* kill = app.add_subcommand("kill", "kill switch: cancel everything, post nothing until reset");
  kill->add_option("reason", reason);
  auto* reset = app.add_subcommand("reset", "clear the kill switch / halt");
  auto* cancel_all = app.add_subcommand("cancel-all", "cancel every order now");
  cancel_all->add_option("reason", reason);
  std::string condition;
  auto* pause = app.add_subcommand("pause", "stop quoting one market");
  pause->add_option("condition", condition)->required();
  pause->add_option("reason", reason);
  auto* resume = app.add_subcommand("resume", "quote one market again");
  resume->add_option("condition", condition)->required();
  auto* params = app.add_subcommand("params", "strategy parameters");
  params->require_subcommand(1);
  auto* params_get = params->add_subcommand("get", "show a market's parameters");
  params_get->add_option("condition", condition)->required();
  std::vector<std::string> assignments;
  auto* params_set = params->add_subcommand("set", "change parameters (validated as a whole)");
  params_set->add_option("condition", condition)->required();
  params_set->add_option("values", assignments, "KEY=VALUE ...")->required();
  auto* reconcile = app.add_subcommand("reconcile", "execution and positions reconcile now");
  auto* orphans = app.add_subcommand("orphans", "orders live at the simulator that execution does not know");
  orphans->add_option("--address", address, "our funder address")->required();
  auto* sim_open = app.add_subcommand("sim-open", "our orders open at the simulator");
  sim_open->add_option("--address", address, "our funder address")->required();
  std::vector<std::string> open_tokens;
  sim_open->add_option("--token", open_tokens, "count only orders on these tokens (repeatable)");
  auto* sim_fills = app.add_subcommand("sim-fills", "our trades at the simulator");
  sim_fills->add_option("--address", address, "our funder address")->required();
  bool fill_ids = false;
  sim_fills->add_flag("--ids", fill_ids, "also print each trade's id, one per line, after the count");
  auto* sim_throttled = app.add_subcommand("sim-throttled", "429 answers the simulator gave our signer");
  sim_throttled->add_option("--address", address, "our signer address")->required();
  std::string tick_token, tick_size;
  auto* sim_tick = app.add_subcommand("sim-tick", "change a market's tick size at the simulator (both tokens)");
  sim_tick->add_option("--token", tick_token, "either token of the market")->required();
  sim_tick->add_option("--tick", tick_size, "new tick size, e.g. 0.001")->required();
  std::string credit_collateral = "0", credit_token, credit_tokens = "0";
  auto* sim_credit = app.add_subcommand("sim-credit", "the simulator credits an account with pUSD and tokens");
  sim_credit->add_option("--address", address, "the account (a wallet or an EOA)")->required();
  sim_credit->add_option("--collateral", credit_collateral, "pUSD, e.g. 100.5");
  sim_credit->add_option("--token", credit_token, "an outcome token id");
  sim_credit->add_option("--tokens", credit_tokens, "shares of --token, e.g. 50");
  clobmaker::doctor::DoctorOptions doctor_options;
  std::string doctor_order_size = "0", doctor_min_collateral = "0.000001";
  int64_t doctor_skew_ms = 2000;
  bool no_heartbeat = false;
  std::string live_config;
  auto* doctor = app.add_subcommand("doctor", "preflight checks before going live (exit 1 on any failure)");
  doctor->add_option("--config", live_config,
                     "live configuration file (docs/samples/live.example.yaml); flags override it");
  doctor->add_option("--clob-url", doctor_options.clob_url, "CLOB REST base URL")->capture_default_str();
  doctor->add_option("--geoblock-url", doctor_options.geoblock_url,
                     "geoblock host (its /api/geoblock; default https://polymarket.com)");
  doctor->add_option("--gamma-url", doctor_options.gamma_url, "metadata API (default <clob-url>/gamma)");
  doctor->add_option("--relayer-url", doctor_options.relayer_url,
                     "Polymarket's relayer, asked whether a deposit wallet is deployed (default <clob-url>)");
  doctor->add_option("--chain-id", doctor_options.chain_id, "137 (Polygon) or 80002 (Amoy)")->capture_default_str();
  doctor->add_option("--key-file", doctor_options.key_file, "wallet key file (owner-only)");
  doctor->add_option("--key-env", doctor_options.key_env, "environment variable holding the wallet key")
      ->capture_default_str();
  doctor->add_option("--signature-type", doctor_options.signature_type, "0 EOA, 1 POLY_PROXY, 2 SAFE, 3 POLY_1271")
      ->capture_default_str();
  doctor->add_option("--funder", doctor_options.funder, "maker (funder) address when it is not the key's own");
  doctor->add_option("--market", doctor_options.markets, "market slug or token id to quote (repeatable)");
  doctor->add_option("--order-size", doctor_order_size, "order size to quote, shares (checked against minimums)");
  doctor->add_option("--min-collateral", doctor_min_collateral, "pUSD the configuration needs at least");
  doctor->add_option("--max-clock-skew-ms", doctor_skew_ms, "largest clock skew allowed")->capture_default_str();
  doctor->add_flag("--no-heartbeat", no_heartbeat,
                   "send no heartbeat (one would restart the chain of a running execution on the same key)");
  std::string wallet_key_file, wallet_key_env = "CLOBMAKER_PRIVATE_KEY";
  clobmaker::wallet::WalletSetting wallet_setting;
  uint64_t wallet_chain_id = 137;
  auto* wallet_address = app.add_subcommand(
      "wallet-address", "the address the key trades through as a wallet (scripts/up: our funder address)");
  wallet_address->add_option("--key-file", wallet_key_file, "wallet key file (owner-only)");
  wallet_address->add_option("--key-env", wallet_key_env, "environment variable holding the wallet key")
      ->capture_default_str();
  wallet_address->add_option("--wallet", wallet_setting.wallet,
                             "EOA, POLY_PROXY, POLY_GNOSIS_SAFE or POLY_1271 (default: CLOBMAKER_WALLET, else EOA)");
  wallet_address->add_option("--funder", wallet_setting.funder, "the wallet's address, checked against the key");
  wallet_address->add_option("--chain-id", wallet_chain_id, "137 (Polygon) or 80002 (Amoy)")->capture_default_str();
  clobmaker::ctl::SessionKeyOptions session_options;
  auto* session_key = app.add_subcommand(
      "session-key", "the deposit wallet's owner authorizes, revokes or lists session keys (docs/session-keys.md)");
  session_key->add_option("action", session_options.action, "authorize, revoke or list")->required();
  session_key->add_option("--key-file", session_options.key_file, "the owner's key file (owner-only)");
  session_key->add_option("--key-env", session_options.key_env, "environment variable holding the owner's key")
      ->capture_default_str();
  session_key->add_option("--address", session_options.address, "the session key's address (authorize, revoke)");
  session_key->add_option("--wallet", session_options.wallet, "the deposit wallet (default: the owner's)");
  session_key->add_option("--scope", session_options.scopes, "CLOB (default), COMBOSRFQ, ... or ALL alone");
  session_key->add_option("--clob-url", session_options.clob_url, "CLOB REST base URL")->capture_default_str();
  session_key->add_option("--relayer-url", session_options.relayer_url, "Polymarket's relayer (default <clob-url>)");
  session_key->add_option("--chain-id", session_options.chain_id, "137 (Polygon) or 80002 (Amoy)")
      ->capture_default_str();
  std::string env_config;
  auto* live_env = app.add_subcommand("live-env", "a live configuration as NAME=value lines, for scripts/up --live");
  live_env->add_option("--config", env_config, "live configuration file")->required();
  CLI11_PARSE(app, argc, argv);
  if (*session_key) return clobmaker::ctl::RunSessionKey(session_options);
  if (*wallet_address) {
    auto key = wallet_key_file.empty() ? clobmaker::signing::LoadPrivateKeyEnv(wallet_key_env)
                                       : clobmaker::signing::LoadPrivateKeyFile(wallet_key_file);
    if (!key.ok()) {
      std::fprintf(stderr, "clobmakerctl wallet-address: wallet key: %s\n",
                   std::string(clobmaker::StatusText(key.status())).c_str());
      return 2;
    }
    if (const char* env = std::getenv(std::string(clobmaker::wallet::kWalletEnv).c_str())) {
      wallet_setting.env_wallet = env;
    }
    auto account = clobmaker::wallet::ResolveAccount(wallet_setting, key->address(), wallet_chain_id);
    if (!account.ok()) {
      std::fprintf(stderr, "clobmakerctl wallet-address: %s\n",
                   std::string(clobmaker::StatusText(account.status())).c_str());
      return 2;
    }
    std::printf("wallet=%s address=%s\n", std::string(clobmaker::wallet::WalletName(account->type)).c_str(),
                account->funder.ToChecksum().c_str());
    return 0;
  }
  if (*live_env) {
    std::ifstream in(env_config);
    std::stringstream text;
    text << in.rdbuf();
    const char* home = std::getenv("HOME");
    auto cfg = clobmaker::doctor::ParseLiveConfig(in ? text.str() : "", home ? home : "");
    if (!in || !cfg.ok()) {
      std::fprintf(stderr, "clobmakerctl live-env: %s: %s\n", env_config.c_str(),
                   in ? std::string(cfg.status().message()).c_str() : "cannot read");
      return 2;
    }
    auto lines = clobmaker::doctor::LiveEnvironment(*cfg);
    if (!lines.ok()) {
      std::fprintf(stderr, "clobmakerctl live-env: %s: %s\n", env_config.c_str(),
                   std::string(lines.status().message()).c_str());
      return 2;
    }
    std::fputs(lines->c_str(), stdout);
    return 0;
  }
  if (*doctor) {
    auto size = clobmaker::model::ParseScaled(doctor_order_size, 6);
    auto collateral = clobmaker::model::ParseScaled(doctor_min_collateral, 6);
    if (!size.ok() || !collateral.ok()) {
      std::fprintf(stderr, "clobmakerctl doctor: --order-size/--min-collateral: not a decimal\n");
      return 2;
    }
    doctor_options.order_size_micros = *size;
    doctor_options.min_collateral_micros = *collateral;
    doctor_options.max_clock_skew = doctor_skew_ms * clobmaker::kNanosPerMilli;
    doctor_options.heartbeat = !no_heartbeat;
    if (!live_config.empty()) {
      std::ifstream in(live_config);
      std::stringstream text;
      text << in.rdbuf();
      const char* home = std::getenv("HOME");
      auto cfg = clobmaker::doctor::ParseLiveConfig(in ? text.str() : "", home ? home : "");
      if (!in || !cfg.ok()) {
        std::fprintf(stderr, "clobmakerctl doctor: %s: %s\n", live_config.c_str(),
                     in ? std::string(cfg.status().message()).c_str() : "cannot read");
        return 2;
      }
      // The file is the base; a flag given on the command line wins.
      auto merged = clobmaker::doctor::DoctorOptionsFrom(*cfg);
      const auto given = [&](const char* flag) { return doctor->count(flag) > 0; };
      if (given("--clob-url")) merged.clob_url = doctor_options.clob_url;
      if (given("--geoblock-url")) merged.geoblock_url = doctor_options.geoblock_url;
      if (given("--gamma-url")) merged.gamma_url = doctor_options.gamma_url;
      if (given("--relayer-url")) merged.relayer_url = doctor_options.relayer_url;
      if (given("--chain-id")) merged.chain_id = doctor_options.chain_id;
      if (given("--key-file")) merged.key_file = doctor_options.key_file;
      if (given("--key-env")) merged.key_env = doctor_options.key_env;
      if (given("--signature-type")) merged.signature_type = doctor_options.signature_type;
      if (given("--funder")) merged.funder = doctor_options.funder;
      if (given("--market")) merged.markets = doctor_options.markets;
      if (given("--order-size")) merged.order_size_micros = doctor_options.order_size_micros;
      if (given("--min-collateral")) merged.min_collateral_micros = doctor_options.min_collateral_micros;
      if (given("--max-clock-skew-ms")) merged.max_clock_skew = doctor_options.max_clock_skew;
      merged.heartbeat = doctor_options.heartbeat;
      doctor_options = merged;
    }
    return clobmaker::doctor::RunDoctor(doctor_options, c.json);
  }

  auto token = clobmaker::grpcserver::LoadAdminToken(token_file, "CLOBMAKER_ADMIN_TOKEN");
  if (!token.ok()) {
    std::fprintf(stderr, "clobmakerctl: %s\n", std::string(clobmaker::StatusText(token.status())).c_str());
    return 2;
  }
  c.token = *token;
  auto exec = clobmaker::orders::v1::ExecutionAdmin::NewStub(Ctl::Channel(c.execution));
  const auto done = [&](const char* what, const grpc::Status& st) {
    if (!st.ok()) return Fail(what, st);
    std::printf(c.json ? "{\"ok\":true}\n" : "ok\n");
    return 0;
  };
  if (*sim_tick) {
    auto tick = clobmaker::model::TickSize::Parse(tick_size);
    if (!tick.ok()) {
      std::fprintf(stderr, "clobmakerctl: --tick: %s\n", std::string(tick.status().message()).c_str());
      return 2;
    }
    auto stub = clobmaker::sim::v1::SimControl::NewStub(Ctl::Channel(c.sim));
    clobmaker::sim::v1::SetTickSizeRequest req;
    req.set_token_id(tick_token);
    req.set_tick_units(tick->units());
    clobmaker::sim::v1::SetTickSizeResponse r;
    return done("simexchange", stub->SetTickSize(c.Context().get(), req, &r));
  }
  if (*sim_credit) {
    auto collateral = clobmaker::model::ParseScaled(credit_collateral, 6);
    auto tokens = clobmaker::model::ParseScaled(credit_tokens, 6);
    if (!collateral.ok() || !tokens.ok() || *collateral < 0 || *tokens < 0 || (*tokens > 0 && credit_token.empty())) {
      std::fprintf(stderr, "clobmakerctl: sim-credit: amounts are non-negative decimals; --tokens needs --token\n");
      return 2;
    }
    auto stub = clobmaker::sim::v1::SimControl::NewStub(Ctl::Channel(c.sim));
    clobmaker::sim::v1::CreditRequest req;
    req.set_address(address);
    req.set_collateral_micros(*collateral);
    req.set_token_id(credit_token);
    req.set_token_micros(*tokens);
    clobmaker::sim::v1::CreditResponse r;
    return done("simexchange", stub->Credit(c.Context().get(), req, &r));
  }
  if (*status) return Status(c);
  if (*markets) return Markets(c);
  if (*books) return Books(c);
  if (*orders) return Orders(c, all);
  if (*positions) return Positions(c);
  if (*pnl) return Pnl(c);
  if (*discrepancies) return Discrepancies(c);
  if (*kill) {
    clobmaker::orders::v1::KillRequest req;
    req.set_reason(reason.empty() ? "clobmakerctl" : reason);
    clobmaker::orders::v1::KillResponse r;
    return done("execution", exec->Kill(c.Context().get(), req, &r));
  }
  if (*reset) {
    clobmaker::orders::v1::ResetResponse r;
    return done("execution", exec->Reset(c.Context().get(), {}, &r));
  }
  if (*cancel_all) {
    clobmaker::orders::v1::CancelAllRequest req;
    req.set_reason(reason.empty() ? "clobmakerctl" : reason);
    clobmaker::orders::v1::CancelAllResponse r;
    return done("execution", exec->CancelAll(c.Context().get(), req, &r));
  }
  if (*pause) {
    clobmaker::orders::v1::PauseMarketRequest req;
    req.set_condition_id(condition);
    req.set_reason(reason.empty() ? "clobmakerctl" : reason);
    clobmaker::orders::v1::PauseMarketResponse r;
    return done("execution", exec->PauseMarket(c.Context().get(), req, &r));
  }
  if (*resume) {
    clobmaker::orders::v1::ResumeMarketRequest req;
    req.set_condition_id(condition);
    clobmaker::orders::v1::ResumeMarketResponse r;
    return done("execution", exec->ResumeMarket(c.Context().get(), req, &r));
  }
  auto strat = clobmaker::strategy::v1::StrategyAdmin::NewStub(Ctl::Channel(c.strategy));
  if (*params_get) {
    clobmaker::strategy::v1::GetParamsRequest req;
    req.set_condition_id(condition);
    clobmaker::strategy::v1::MarketParams r;
    if (auto st = strat->GetParams(c.Context().get(), req, &r); !st.ok()) return Fail("strategy", st);
    c.Json(r);  // parameters read best as JSON in both modes
    return 0;
  }
  if (*params_set) {
    clobmaker::strategy::v1::SetParamsRequest req;
    req.set_condition_id(condition);
    for (const std::string& a : assignments) {
      const size_t eq = a.find('=');
      if (eq == std::string::npos || eq == 0) {
        std::fprintf(stderr, "clobmakerctl: '%s' is not KEY=VALUE\n", a.c_str());
        return 2;
      }
      (*req.mutable_values())[a.substr(0, eq)] = a.substr(eq + 1);
    }
    clobmaker::strategy::v1::SetParamsResponse r;
    if (auto st = strat->SetParams(c.Context().get(), req, &r); !st.ok()) return Fail("strategy", st);
    c.Json(r.params());
    return 0;
  }
  if (*reconcile) {
    clobmaker::orders::v1::ReconcileResponse er;
    if (auto st = exec->Reconcile(c.Context().get(), {}, &er); !st.ok()) return Fail("execution", st);
    auto pos = clobmaker::positions::v1::PositionsAdmin::NewStub(Ctl::Channel(c.positions));
    clobmaker::positions::v1::ReconcileResponse pr;
    if (auto st = pos->Reconcile(c.Context().get(), {}, &pr); !st.ok()) return Fail("positions", st);
    std::printf(c.json ? "{\"exchange_open\":%u,\"cache_live\":%u,\"position_discrepancies\":%u}\n"
                       : "execution: %u open at the exchange, %u live in the cache; positions: %u discrepancies\n",
                er.exchange_open(), er.cache_live(), pr.discrepancies());
    return 0;
  }
  if (*orphans) return Orphans(c, address);
  if (*sim_open) {
    grpc::Status st;
    const auto open = SimOpen(c, address, &st);
    if (!st.ok()) return Fail("simulator", st);
    size_t n = 0;
    for (const auto& o : open) {
      n += open_tokens.empty() || std::find(open_tokens.begin(), open_tokens.end(), o.token_id()) != open_tokens.end();
    }
    std::printf(c.json ? "{\"open\":%zu}\n" : "open=%zu\n", n);
    return 0;
  }
  if (*sim_fills) {
    auto stub = clobmaker::sim::v1::SimTruth::NewStub(Ctl::Channel(c.sim));
    clobmaker::sim::v1::TradesRequest req;
    req.set_address(address);
    clobmaker::sim::v1::TradesResponse r;
    if (auto st = stub->Trades(c.Context().get(), req, &r); !st.ok()) return Fail("simulator", st);
    std::printf(c.json ? "{\"fills\":%d}\n" : "fills=%d\n", r.trades_size());
    if (fill_ids) {
      for (const auto& t : r.trades()) std::printf("%s\n", t.trade_id().c_str());
    }
    return 0;
  }
  if (*sim_throttled) {
    auto stub = clobmaker::sim::v1::SimTruth::NewStub(Ctl::Channel(c.sim));
    clobmaker::sim::v1::RateLimitsRequest req;
    req.set_address(address);
    clobmaker::sim::v1::RateLimitsResponse r;
    if (auto st = stub->RateLimits(c.Context().get(), req, &r); !st.ok()) return Fail("simulator", st);
    if (c.json) {
      c.Json(r);
    } else {
      std::printf("throttled=%llu tier=%s order_tokens=%.1f cancel_tokens=%.1f\n",
                  static_cast<unsigned long long>(r.throttled()), r.tier().c_str(), r.order_tokens(),
                  r.cancel_tokens());
    }
    return 0;
  }
  return 2;
}
