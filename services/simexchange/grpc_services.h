// simexchange's gRPC control (faults on demand) and truth (the exchange's own view) services:
// thin adapters over SimServer.
#pragma once

#include "clobmaker/sim/v1/sim.grpc.pb.h"
#include "common/grpcserver/grpc_server.h"
#include "services/simexchange/server/sim_server.h"

namespace clobmaker::simexchange {

class ControlService final : public clobmaker::sim::v1::SimControl::Service {
 public:
  // `auth` is asked first by every method (null: every call is refused).
  ControlService(SimServer& server, std::shared_ptr<const grpcserver::Authorizer> auth)
      : server_(server), auth_(std::move(auth)) {}
  grpc::Status SetFaults(grpc::ServerContext* ctx, const clobmaker::sim::v1::SetFaultsRequest* req,
                         clobmaker::sim::v1::SetFaultsResponse* res) override;
  grpc::Status Burst(grpc::ServerContext* ctx, const clobmaker::sim::v1::BurstRequest* req,
                     clobmaker::sim::v1::BurstResponse* res) override;
  grpc::Status SetTickSize(grpc::ServerContext* ctx, const clobmaker::sim::v1::SetTickSizeRequest* req,
                           clobmaker::sim::v1::SetTickSizeResponse* res) override;
  grpc::Status RestartMatchingEngine(grpc::ServerContext* ctx,
                                     const clobmaker::sim::v1::RestartMatchingEngineRequest* req,
                                     clobmaker::sim::v1::RestartMatchingEngineResponse* res) override;
  grpc::Status DropConnections(grpc::ServerContext* ctx, const clobmaker::sim::v1::DropConnectionsRequest* req,
                               clobmaker::sim::v1::DropConnectionsResponse* res) override;
  grpc::Status SetTradeFailProbability(grpc::ServerContext* ctx,
                                       const clobmaker::sim::v1::SetTradeFailProbabilityRequest* req,
                                       clobmaker::sim::v1::SetTradeFailProbabilityResponse* res) override;
  grpc::Status SetOrderVersion(grpc::ServerContext* ctx, const clobmaker::sim::v1::SetOrderVersionRequest* req,
                               clobmaker::sim::v1::SetOrderVersionResponse* res) override;
  grpc::Status SetFlow(grpc::ServerContext* ctx, const clobmaker::sim::v1::SetFlowRequest* req,
                       clobmaker::sim::v1::SetFlowResponse* res) override;
  grpc::Status Credit(grpc::ServerContext* ctx, const clobmaker::sim::v1::CreditRequest* req,
                      clobmaker::sim::v1::CreditResponse* res) override;
  grpc::Status ResolveMarket(grpc::ServerContext* ctx, const clobmaker::sim::v1::ResolveMarketRequest* req,
                             clobmaker::sim::v1::ResolveMarketResponse* res) override;
  grpc::Status SetRateTier(grpc::ServerContext* ctx, const clobmaker::sim::v1::SetRateTierRequest* req,
                           clobmaker::sim::v1::SetRateTierResponse* res) override;
  grpc::Status SetRateLimits(grpc::ServerContext* ctx, const clobmaker::sim::v1::SetRateLimitsRequest* req,
                             clobmaker::sim::v1::SetRateLimitsResponse* res) override;
  grpc::Status SetMarketDelay(grpc::ServerContext* ctx, const clobmaker::sim::v1::SetMarketDelayRequest* req,
                              clobmaker::sim::v1::SetMarketDelayResponse* res) override;
  grpc::Status SetDelayScope(grpc::ServerContext* ctx, const clobmaker::sim::v1::SetDelayScopeRequest* req,
                             clobmaker::sim::v1::SetDelayScopeResponse* res) override;
  grpc::Status SetFeeSchedule(grpc::ServerContext* ctx, const clobmaker::sim::v1::SetFeeScheduleRequest* req,
                              clobmaker::sim::v1::SetFeeScheduleResponse* res) override;
  grpc::Status SetTradingMode(grpc::ServerContext* ctx, const clobmaker::sim::v1::SetTradingModeRequest* req,
                              clobmaker::sim::v1::SetTradingModeResponse* res) override;
  grpc::Status SetClosedOnly(grpc::ServerContext* ctx, const clobmaker::sim::v1::SetClosedOnlyRequest* req,
                             clobmaker::sim::v1::SetClosedOnlyResponse* res) override;
  grpc::Status SetPreflight(grpc::ServerContext* ctx, const clobmaker::sim::v1::SetPreflightRequest* req,
                            clobmaker::sim::v1::SetPreflightResponse* res) override;
  grpc::Status SetOrderLookup(grpc::ServerContext* ctx, const clobmaker::sim::v1::SetOrderLookupRequest* req,
                              clobmaker::sim::v1::SetOrderLookupResponse* res) override;
  grpc::Status SetWalletPolicy(grpc::ServerContext* ctx, const clobmaker::sim::v1::SetWalletPolicyRequest* req,
                               clobmaker::sim::v1::SetWalletPolicyResponse* res) override;
  grpc::Status SetMatchedNotBroadcastedShare(grpc::ServerContext* ctx,
                                             const clobmaker::sim::v1::SetMatchedNotBroadcastedShareRequest* req,
                                             clobmaker::sim::v1::SetMatchedNotBroadcastedShareResponse* res) override;
  grpc::Status PlaceOrder(grpc::ServerContext* ctx, const clobmaker::sim::v1::PlaceOrderRequest* req,
                          clobmaker::sim::v1::PlaceOrderResponse* res) override;
  grpc::Status CancelPlacedOrders(grpc::ServerContext* ctx, const clobmaker::sim::v1::CancelPlacedOrdersRequest* req,
                                  clobmaker::sim::v1::CancelPlacedOrdersResponse* res) override;

 private:
  grpc::Status Check(grpc::ServerContext* ctx) const { return grpcserver::Authorize(auth_.get(), *ctx); }
  SimServer& server_;
  const std::shared_ptr<const grpcserver::Authorizer> auth_;
};

class TruthService final : public clobmaker::sim::v1::SimTruth::Service {
 public:
  TruthService(SimServer& server, std::shared_ptr<const grpcserver::Authorizer> auth)
      : server_(server), auth_(std::move(auth)) {}
  grpc::Status OpenOrders(grpc::ServerContext* ctx, const clobmaker::sim::v1::OpenOrdersRequest* req,
                          clobmaker::sim::v1::OpenOrdersResponse* res) override;
  grpc::Status Balances(grpc::ServerContext* ctx, const clobmaker::sim::v1::BalancesRequest* req,
                        clobmaker::sim::v1::BalancesResponse* res) override;
  grpc::Status Trades(grpc::ServerContext* ctx, const clobmaker::sim::v1::TradesRequest* req,
                      clobmaker::sim::v1::TradesResponse* res) override;
  grpc::Status Book(grpc::ServerContext* ctx, const clobmaker::sim::v1::BookRequest* req,
                    clobmaker::sim::v1::BookResponse* res) override;
  grpc::Status Markets(grpc::ServerContext* ctx, const clobmaker::sim::v1::MarketsRequest* req,
                       clobmaker::sim::v1::MarketsResponse* res) override;
  grpc::Status RateLimits(grpc::ServerContext* ctx, const clobmaker::sim::v1::RateLimitsRequest* req,
                          clobmaker::sim::v1::RateLimitsResponse* res) override;
  grpc::Status Fees(grpc::ServerContext* ctx, const clobmaker::sim::v1::FeesRequest* req,
                    clobmaker::sim::v1::FeesResponse* res) override;
  grpc::Status Refusals(grpc::ServerContext* ctx, const clobmaker::sim::v1::RefusalsRequest* req,
                        clobmaker::sim::v1::RefusalsResponse* res) override;

 private:
  grpc::Status Check(grpc::ServerContext* ctx) const { return grpcserver::Authorize(auth_.get(), *ctx); }
  SimServer& server_;
  const std::shared_ptr<const grpcserver::Authorizer> auth_;
};

}  // namespace clobmaker::simexchange
