// Conversions between the bus's protobuf messages and the in-process types (polymarket events,
// execution's ladders and orders). Integers pass through unchanged; nothing is rounded here.
#pragma once

#include <absl/status/statusor.h>

#include "clobmaker/common/v1/common.pb.h"
#include "clobmaker/user/v1/user.pb.h"
#include "common/model/types.h"
#include "common/polymarket/events.h"

namespace clobmaker::bus {

common::v1::Side ToProto(model::Side side);
absl::StatusOr<model::Side> FromProto(common::v1::Side side);

user::v1::TradeStatus ToProto(polymarket::TradeStatus status);
absl::StatusOr<polymarket::TradeStatus> FromProto(user::v1::TradeStatus status);

// User channel events as userstream publishes them into CM_USER. A trade carries only our legs
// (`fills`), as AttributeFills found them.
user::v1::UserOrderEvent ToProto(const polymarket::UserOrderEvent& event);
absl::StatusOr<polymarket::UserOrderEvent> FromProto(const user::v1::UserOrderEvent& event);
user::v1::UserTradeEvent ToProto(const polymarket::UserTradeEvent& event, const std::vector<polymarket::OurFill>& ours);
// Rebuilds the trade from our legs: the taker leg as taker_order_id/size, maker legs as
// maker_orders.
absl::StatusOr<polymarket::UserTradeEvent> FromProto(const user::v1::UserTradeEvent& event);

// The exchange-derived dedupe keys (Nats-Msg-Id) of design.md s2.
std::string DedupeKey(const polymarket::UserOrderEvent& event);
std::string DedupeKey(const polymarket::UserTradeEvent& event);

}  // namespace clobmaker::bus
