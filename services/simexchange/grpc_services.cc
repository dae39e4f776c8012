#include "services/simexchange/grpc_services.h"

#include <cctype>
#include <cmath>
#include <set>

#include "common/crypto/crypto.h"

namespace clobmaker::simexchange {
namespace {

namespace pb = clobmaker::sim::v1;

clobmaker::common::v1::Side ToProto(Side side) {
  return side == Side::kBuy ? clobmaker::common::v1::SIDE_BUY : clobmaker::common::v1::SIDE_SELL;
}

grpc::Status Invalid(const std::string& why) { return {grpc::StatusCode::INVALID_ARGUMENT, why}; }

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool ValidProbability(double p) { return std::isfinite(p) && p >= 0 && p <= 1; }

}  // namespace

grpc::Status ControlService::SetFaults(grpc::ServerContext* ctx, const pb::SetFaultsRequest* req,
                                       pb::SetFaultsResponse*) {
  if (auto s = Check(ctx); !s.ok()) return s;
  const pb::FaultConfig& f = req->faults();
  for (double p : {f.http_429_probability(), f.http_5xx_probability(), f.timeout_after_accept_probability(),
                   f.connection_reset_probability(), f.batch_leg_reject_probability(), f.ws_drop_probability(),
                   f.ws_duplicate_probability(), f.ws_reorder_probability(), f.trade_fail_probability(),
                   f.batch_empty_id_probability()}) {
    if (!ValidProbability(p)) return Invalid("probabilities must lie in [0, 1]");
  }
  Faults faults;
  for (const auto& l : f.latency()) {
    if (l.median_us() < 0) return Invalid("latency must be >= 0");
    faults.latency_median[l.endpoint().empty() ? "*" : l.endpoint()] = l.median_us() * kNanosPerMicro;
  }
  faults.http_429 = f.http_429_probability();
  faults.http_5xx = f.http_5xx_probability();
  faults.timeout_after_accept = f.timeout_after_accept_probability();
  faults.connection_reset = f.connection_reset_probability();
  faults.batch_leg_reject = f.batch_leg_reject_probability();
  faults.empty_id_leg = f.batch_empty_id_probability();
  faults.ws_drop = f.ws_drop_probability();
  faults.ws_duplicate = f.ws_duplicate_probability();
  faults.ws_reorder = f.ws_reorder_probability();
  faults.placement_delay_max = f.placement_delay_max_us() * kNanosPerMicro;
  server_.SetFaults(faults);
  server_.SetTradeFailProbability(f.trade_fail_probability());
  return grpc::Status::OK;
}

grpc::Status ControlService::Burst(grpc::ServerContext* ctx, const pb::BurstRequest* req, pb::BurstResponse*) {
  if (auto s = Check(ctx); !s.ok()) return s;
  if (req->http_status() != 429 && req->http_status() != 425 && req->http_status() != 503) {
    return Invalid("burst status must be 429, 425 or 503");
  }
  server_.Burst(req->http_status(), req->duration_ms() * kNanosPerMilli);
  return grpc::Status::OK;
}

grpc::Status ControlService::SetTickSize(grpc::ServerContext* ctx, const pb::SetTickSizeRequest* req,
                                         pb::SetTickSizeResponse*) {
  if (auto s = Check(ctx); !s.ok()) return s;
  auto tick = model::TickSize::FromUnits(req->tick_units());
  if (!tick.ok()) return Invalid(std::string(tick.status().message()));
  if (!server_.SetTickSize(req->token_id(), *tick)) return {grpc::StatusCode::NOT_FOUND, "unknown token"};
  return grpc::Status::OK;
}

grpc::Status ControlService::RestartMatchingEngine(grpc::ServerContext* ctx,
                                                   const pb::RestartMatchingEngineRequest* req,
                                                   pb::RestartMatchingEngineResponse*) {
  if (auto s = Check(ctx); !s.ok()) return s;
  if (req->down_ms() < 0 || req->post_only_ms() < 0) return Invalid("durations must be >= 0");
  server_.RestartMatchingEngine(req->down_ms() * kNanosPerMilli, req->post_only_ms() * kNanosPerMilli);
  return grpc::Status::OK;
}

grpc::Status ControlService::DropConnections(grpc::ServerContext* ctx, const pb::DropConnectionsRequest* req,
                                             pb::DropConnectionsResponse* res) {
  if (auto s = Check(ctx); !s.ok()) return s;
  res->set_dropped(static_cast<uint32_t>(server_.DropConnections(req->market(), req->user())));
  return grpc::Status::OK;
}

grpc::Status ControlService::SetTradeFailProbability(grpc::ServerContext* ctx,
                                                     const pb::SetTradeFailProbabilityRequest* req,
                                                     pb::SetTradeFailProbabilityResponse*) {
  if (auto s = Check(ctx); !s.ok()) return s;
  if (!ValidProbability(req->probability())) return Invalid("probability must lie in [0, 1]");
  server_.SetTradeFailProbability(req->probability());
  return grpc::Status::OK;
}

grpc::Status ControlService::SetOrderVersion(grpc::ServerContext* ctx, const pb::SetOrderVersionRequest* req,
                                             pb::SetOrderVersionResponse*) {
  if (auto s = Check(ctx); !s.ok()) return s;
  if (req->version() < 1 || req->version() > 3) return Invalid("version must be 1, 2 or 3");
  server_.SetOrderVersion(req->version());
  return grpc::Status::OK;
}

grpc::Status ControlService::SetFlow(grpc::ServerContext* ctx, const pb::SetFlowRequest* req, pb::SetFlowResponse*) {
  if (auto s = Check(ctx); !s.ok()) return s;
  server_.SetFlow(req->enabled());
  return grpc::Status::OK;
}

grpc::Status ControlService::Credit(grpc::ServerContext* ctx, const pb::CreditRequest* req, pb::CreditResponse*) {
  if (auto s = Check(ctx); !s.ok()) return s;
  if (req->address().empty()) return Invalid("address required");
  server_.Credit(req->address(), req->collateral_micros(), req->token_id(), req->token_micros());
  return grpc::Status::OK;
}

grpc::Status ControlService::ResolveMarket(grpc::ServerContext* ctx, const pb::ResolveMarketRequest* req,
                                           pb::ResolveMarketResponse*) {
  if (auto s = Check(ctx); !s.ok()) return s;
  if (req->winning_outcome() != 0 && req->winning_outcome() != 1) return Invalid("winning_outcome must be 0 or 1");
  if (!server_.ResolveMarket(req->condition_id(), req->winning_outcome())) {
    return {grpc::StatusCode::FAILED_PRECONDITION, "unknown market or already resolved"};
  }
  return grpc::Status::OK;
}

grpc::Status ControlService::SetRateTier(grpc::ServerContext* ctx, const pb::SetRateTierRequest* req,
                                         pb::SetRateTierResponse*) {
  if (auto s = Check(ctx); !s.ok()) return s;
  auto tier = polymarket::ParseRateTier(req->tier());
  if (!tier)
    return Invalid("unknown tier '" + req->tier() +
                   "' (Standard, Copper, Bronze, Silver, Gold, Platinum, Diamond, Elite)");
  if (req->address().empty()) return Invalid("address required");
  server_.SetRateTier(req->address(), *tier);
  return grpc::Status::OK;
}

grpc::Status ControlService::SetRateLimits(grpc::ServerContext* ctx, const pb::SetRateLimitsRequest* req,
                                           pb::SetRateLimitsResponse*) {
  if (auto s = Check(ctx); !s.ok()) return s;
  server_.SetRateLimits(req->signer_limits(), req->warning_mode(), req->cancel_all_cost_up_front(), req->ip_limits());
  return grpc::Status::OK;
}

grpc::Status ControlService::SetMarketDelay(grpc::ServerContext* ctx, const pb::SetMarketDelayRequest* req,
                                            pb::SetMarketDelayResponse*) {
  if (auto s = Check(ctx); !s.ok()) return s;
  if (req->taker_delay_ms() < 0 || req->sports_delay_s() < 0 || req->sports_delay_s() > 3600) {
    return Invalid("delays must lie in [0, 3600 s]");
  }
  if (!server_.SetMarketDelay(req->condition_id(), req->taker_delay_ms() * kNanosPerMilli, req->sports_delay_s())) {
    return {grpc::StatusCode::NOT_FOUND, "unknown market"};
  }
  return grpc::Status::OK;
}

grpc::Status ControlService::SetDelayScope(grpc::ServerContext* ctx, const pb::SetDelayScopeRequest* req,
                                           pb::SetDelayScopeResponse*) {
  if (auto s = Check(ctx); !s.ok()) return s;
  server_.SetDelayScope(req->all_orders() ? DelayScope::kAll : DelayScope::kMarketable, req->hold_answers());
  return grpc::Status::OK;
}

grpc::Status ControlService::SetFeeSchedule(grpc::ServerContext* ctx, const pb::SetFeeScheduleRequest* req,
                                            pb::SetFeeScheduleResponse*) {
  if (auto s = Check(ctx); !s.ok()) return s;
  if (req->rate_ppm() < 0 || req->rate_ppm() > 1'000'000 || req->rebate_ppm() < 0 || req->rebate_ppm() > 1'000'000 ||
      req->exponent() < 0 || req->exponent() > 8) {
    return Invalid("rate and rebate in [0, 1e6] ppm, exponent in [0, 8]");
  }
  const polymarket::FeeSchedule fees{.enabled = req->enabled(),
                                     .rate_ppm = req->rate_ppm(),
                                     .exponent = req->exponent(),
                                     .taker_only = req->taker_only(),
                                     .rebate_ppm = req->rebate_ppm()};
  if (!server_.SetFeeSchedule(req->condition_id(), fees)) return {grpc::StatusCode::NOT_FOUND, "unknown market"};
  return grpc::Status::OK;
}

grpc::Status ControlService::SetTradingMode(grpc::ServerContext* ctx, const pb::SetTradingModeRequest* req,
                                            pb::SetTradingModeResponse*) {
  if (auto s = Check(ctx); !s.ok()) return s;
  switch (req->mode()) {
    case pb::TRADING_MODE_CANCEL_ONLY:
      server_.SetTradingMode(TradingMode::kCancelOnly);
      break;
    case pb::TRADING_MODE_DISABLED:
      server_.SetTradingMode(TradingMode::kDisabled);
      break;
    default:
      server_.SetTradingMode(TradingMode::kNormal);
      break;
  }
  return grpc::Status::OK;
}

grpc::Status ControlService::SetClosedOnly(grpc::ServerContext* ctx, const pb::SetClosedOnlyRequest* req,
                                           pb::SetClosedOnlyResponse*) {
  if (auto s = Check(ctx); !s.ok()) return s;
  if (req->address().empty()) return Invalid("address required");
  server_.SetClosedOnly(req->address(), req->closed_only());
  return grpc::Status::OK;
}

grpc::Status ControlService::SetPreflight(grpc::ServerContext* ctx, const pb::SetPreflightRequest* req,
                                          pb::SetPreflightResponse*) {
  if (auto s = Check(ctx); !s.ok()) return s;
  PreflightState state;
  state.geo_blocked = req->geo_blocked();
  if (!req->geo_country().empty()) state.geo_country = req->geo_country();
  state.geo_region = req->geo_region();
  state.clock_skew = req->clock_skew_ms() * kNanosPerMilli;
  for (const auto& r : req->revoked_approvals()) {
    if (r.find(':') == std::string::npos) return Invalid("revoked_approvals: ASSET_TYPE:SPENDER");
    state.revoked_approvals.insert(r);
  }
  state.closed_markets.insert(req->closed_markets().begin(), req->closed_markets().end());
  state.not_accepting_markets.insert(req->not_accepting_markets().begin(), req->not_accepting_markets().end());
  server_.SetPreflight(state);
  return grpc::Status::OK;
}

grpc::Status ControlService::SetOrderLookup(grpc::ServerContext* ctx, const pb::SetOrderLookupRequest* req,
                                            pb::SetOrderLookupResponse*) {
  if (auto s = Check(ctx); !s.ok()) return s;
  server_.SetOrderLookupAnswer(req->answer() == pb::ORDER_LOOKUP_NOT_FOUND ? OrderLookupAnswer::kNotFound
                               : req->answer() == pb::ORDER_LOOKUP_EMPTY   ? OrderLookupAnswer::kEmpty
                                                                           : OrderLookupAnswer::kNull);
  return grpc::Status::OK;
}

grpc::Status ControlService::SetWalletPolicy(grpc::ServerContext* ctx, const pb::SetWalletPolicyRequest* req,
                                             pb::SetWalletPolicyResponse*) {
  if (auto s = Check(ctx); !s.ok()) return s;
  auto policy = ParseWalletPolicy(req->policy());
  if (!policy.ok()) return Invalid(std::string(policy.status().message()));
  std::set<std::string> owners;
  for (const auto& owner : req->legacy_owners()) {
    auto address = crypto::Address::Parse(owner);
    if (!address.ok()) return Invalid("legacy_owners: " + std::string(address.status().message()));
    owners.insert(address->ToLower());
  }
  server_.SetWalletPolicy(*policy, owners);
  return grpc::Status::OK;
}

grpc::Status ControlService::SetMatchedNotBroadcastedShare(grpc::ServerContext* ctx,
                                                           const pb::SetMatchedNotBroadcastedShareRequest* req,
                                                           pb::SetMatchedNotBroadcastedShareResponse*) {
  if (auto s = Check(ctx); !s.ok()) return s;
  if (!ValidProbability(req->share())) return Invalid("share must lie in [0, 1]");
  server_.SetMatchedNotBroadcastedShare(req->share());
  return grpc::Status::OK;
}

grpc::Status TruthService::RateLimits(grpc::ServerContext* ctx, const pb::RateLimitsRequest* req,
                                      pb::RateLimitsResponse* res) {
  if (auto s = Check(ctx); !s.ok()) return s;
  const RateLimitTruth t = server_.RateLimits(req->address());
  res->set_tier(std::string(polymarket::RateTierName(t.tier)));
  res->set_order_tokens(t.order_tokens);
  res->set_cancel_tokens(t.cancel_tokens);
  res->set_throttled(t.throttled);
  return grpc::Status::OK;
}

grpc::Status TruthService::Fees(grpc::ServerContext* ctx, const pb::FeesRequest* req, pb::FeesResponse* res) {
  if (auto s = Check(ctx); !s.ok()) return s;
  res->set_fees_paid_micros(server_.FeesPaid(req->address()));
  res->set_rebates_paid_micros(server_.RebatesPaid(req->address()));
  return grpc::Status::OK;
}

grpc::Status ControlService::PlaceOrder(grpc::ServerContext* ctx, const pb::PlaceOrderRequest* req,
                                        pb::PlaceOrderResponse* res) {
  if (auto s = Check(ctx); !s.ok()) return s;
  if (req->side() != common::v1::SIDE_BUY && req->side() != common::v1::SIDE_SELL) return Invalid("side is required");
  if (req->size_micros() <= 0) return Invalid("size_micros must be positive");
  std::string id;
  const PlaceResult r =
      server_.PlaceTestOrder(req->token_id(), req->side() == common::v1::SIDE_BUY ? Side::kBuy : Side::kSell,
                             Price(req->price_units()), Size(req->size_micros()), &id);
  res->set_order_id(id);
  res->set_success(r.success);
  res->set_error(r.error);
  return grpc::Status::OK;
}

grpc::Status ControlService::CancelPlacedOrders(grpc::ServerContext* ctx, const pb::CancelPlacedOrdersRequest*,
                                                pb::CancelPlacedOrdersResponse* res) {
  if (auto s = Check(ctx); !s.ok()) return s;
  res->set_canceled(static_cast<uint32_t>(server_.CancelTestOrders()));
  return grpc::Status::OK;
}

grpc::Status TruthService::Refusals(grpc::ServerContext* ctx, const pb::RefusalsRequest* req,
                                    pb::RefusalsResponse* res) {
  if (auto s = Check(ctx); !s.ok()) return s;
  for (const auto& [error, n] : server_.Refusals(req->address())) (*res->mutable_by_error())[error] = n;
  return grpc::Status::OK;
}

grpc::Status TruthService::OpenOrders(grpc::ServerContext* ctx, const pb::OpenOrdersRequest* req,
                                      pb::OpenOrdersResponse* res) {
  if (auto s = Check(ctx); !s.ok()) return s;
  for (const Order& o : server_.OpenOrders(req->address(), req->include_closed())) {
    auto* out = res->add_orders();
    out->set_order_id(o.spec.id.ToString());
    out->set_owner_api_key(o.spec.owner);
    out->set_maker_address(o.spec.maker);
    out->set_token_id(o.spec.token);
    out->set_side(ToProto(o.spec.side));
    out->set_price_units(o.spec.price.units());
    out->set_original_size_micros(o.spec.size.micros());
    out->set_matched_size_micros(o.matched.micros());
    out->set_status(std::string(OrderStatusName(o.status)));
    out->set_post_only(o.spec.post_only);
  }
  return grpc::Status::OK;
}

grpc::Status TruthService::Balances(grpc::ServerContext* ctx, const pb::BalancesRequest* req,
                                    pb::BalancesResponse* res) {
  if (auto s = Check(ctx); !s.ok()) return s;
  for (const Account& a : server_.Balances(req->address())) {
    auto* out = res->add_balances();
    out->set_address(a.address);
    out->set_collateral_micros(a.collateral);
    for (const auto& [token, amount] : a.tokens) (*out->mutable_tokens_micros())[token] = amount;
    out->set_chain_collateral_micros(a.chain_collateral);
    for (const auto& [token, amount] : a.chain_tokens) (*out->mutable_chain_tokens_micros())[token] = amount;
  }
  return grpc::Status::OK;
}

grpc::Status TruthService::Trades(grpc::ServerContext* ctx, const pb::TradesRequest* req, pb::TradesResponse* res) {
  if (auto s = Check(ctx); !s.ok()) return s;
  for (const auto& t : server_.Trades(req->address())) {
    auto* out = res->add_trades();
    out->set_trade_id(t.id);
    out->set_status(std::string(polymarket::TradeStatusName(t.status)));
    out->set_token_id(t.asset_id);
    out->set_taker_order_id(t.taker_order_id);
    for (const auto& leg : t.maker_orders) out->add_maker_order_ids(leg.order_id);
    out->set_price_units(t.price.units());
    out->set_size_micros(t.size.micros());
    // The trade's top-level maker address is the taker order's funder.
    out->set_trader_side(!req->address().empty() && t.maker_address == Lower(req->address()) ? "TAKER" : "MAKER");
  }
  return grpc::Status::OK;
}

grpc::Status TruthService::Book(grpc::ServerContext* ctx, const pb::BookRequest* req, pb::BookResponse* res) {
  if (auto s = Check(ctx); !s.ok()) return s;
  const auto book = server_.Book(req->token_id());
  for (const auto& l : book.bids) {
    auto* level = res->add_bids();
    level->set_price_units(l.price.units());
    level->set_size_micros(l.size.micros());
  }
  for (const auto& l : book.asks) {
    auto* level = res->add_asks();
    level->set_price_units(l.price.units());
    level->set_size_micros(l.size.micros());
  }
  if (book.tick_size) res->set_tick_units(book.tick_size->units());
  return grpc::Status::OK;
}

grpc::Status TruthService::Markets(grpc::ServerContext* ctx, const pb::MarketsRequest*, pb::MarketsResponse* res) {
  if (auto s = Check(ctx); !s.ok()) return s;
  for (const MarketConfig& m : server_.Markets()) {
    auto* out = res->add_markets();
    out->set_condition_id(m.condition_id);
    out->set_slug(m.slug);
    out->set_yes_token_id(m.yes_token);
    out->set_no_token_id(m.no_token);
  }
  return grpc::Status::OK;
}

}  // namespace clobmaker::simexchange
