#include "common/bus/convert.h"

#include <fmt/format.h>

namespace clobmaker::bus {

common::v1::Side ToProto(model::Side side) {
  return side == model::Side::kBuy ? common::v1::SIDE_BUY : common::v1::SIDE_SELL;
}

absl::StatusOr<model::Side> FromProto(common::v1::Side side) {
  switch (side) {
    case common::v1::SIDE_BUY:
      return model::Side::kBuy;
    case common::v1::SIDE_SELL:
      return model::Side::kSell;
    default:
      return absl::InvalidArgumentError("side unspecified");
  }
}

user::v1::TradeStatus ToProto(polymarket::TradeStatus status) {
  switch (status) {
    case polymarket::TradeStatus::kMatched:
      return user::v1::TRADE_STATUS_MATCHED;
    case polymarket::TradeStatus::kMined:
      return user::v1::TRADE_STATUS_MINED;
    case polymarket::TradeStatus::kConfirmed:
      return user::v1::TRADE_STATUS_CONFIRMED;
    case polymarket::TradeStatus::kRetrying:
      return user::v1::TRADE_STATUS_RETRYING;
    case polymarket::TradeStatus::kFailed:
      return user::v1::TRADE_STATUS_FAILED;
    case polymarket::TradeStatus::kMatchedNotBroadcasted:
      return user::v1::TRADE_STATUS_MATCHED_NOT_BROADCASTED;
    case polymarket::TradeStatus::kUnknown:
      return user::v1::TRADE_STATUS_UNKNOWN;
  }
  return user::v1::TRADE_STATUS_UNSPECIFIED;
}

absl::StatusOr<polymarket::TradeStatus> FromProto(user::v1::TradeStatus status) {
  switch (status) {
    case user::v1::TRADE_STATUS_MATCHED:
      return polymarket::TradeStatus::kMatched;
    case user::v1::TRADE_STATUS_MINED:
      return polymarket::TradeStatus::kMined;
    case user::v1::TRADE_STATUS_CONFIRMED:
      return polymarket::TradeStatus::kConfirmed;
    case user::v1::TRADE_STATUS_RETRYING:
      return polymarket::TradeStatus::kRetrying;
    case user::v1::TRADE_STATUS_FAILED:
      return polymarket::TradeStatus::kFailed;
    case user::v1::TRADE_STATUS_MATCHED_NOT_BROADCASTED:
      return polymarket::TradeStatus::kMatchedNotBroadcasted;
    case user::v1::TRADE_STATUS_UNKNOWN:
      return polymarket::TradeStatus::kUnknown;
    default:
      return absl::InvalidArgumentError("trade status unspecified");
  }
}

user::v1::UserOrderEvent ToProto(const polymarket::UserOrderEvent& e) {
  user::v1::UserOrderEvent out;
  switch (e.type) {
    case polymarket::OrderEventType::kPlacement:
      out.set_type(user::v1::ORDER_EVENT_TYPE_PLACEMENT);
      break;
    case polymarket::OrderEventType::kUpdate:
      out.set_type(user::v1::ORDER_EVENT_TYPE_UPDATE);
      break;
    case polymarket::OrderEventType::kCancellation:
      out.set_type(user::v1::ORDER_EVENT_TYPE_CANCELLATION);
      break;
  }
  out.set_order_id(e.id);
  out.set_token_id(e.asset_id);
  out.set_condition_id(e.market);
  out.set_side(ToProto(e.side));
  out.set_price_units(e.price.units());
  out.set_original_size_micros(e.original_size.micros());
  out.set_size_matched_micros(e.size_matched.micros());
  out.set_status(e.status);
  out.set_cancel_reason(e.status_reason);
  out.set_owner(e.owner);
  out.set_maker_address(e.maker_address);
  out.set_order_type(e.order_type);
  for (const std::string& t : e.associate_trades) out.add_associate_trades(t);
  out.mutable_header()->set_exchange_ts_ns(e.timestamp_ms * 1'000'000);
  return out;
}

absl::StatusOr<polymarket::UserOrderEvent> FromProto(const user::v1::UserOrderEvent& in) {
  polymarket::UserOrderEvent e;
  switch (in.type()) {
    case user::v1::ORDER_EVENT_TYPE_PLACEMENT:
      e.type = polymarket::OrderEventType::kPlacement;
      break;
    case user::v1::ORDER_EVENT_TYPE_UPDATE:
      e.type = polymarket::OrderEventType::kUpdate;
      break;
    case user::v1::ORDER_EVENT_TYPE_CANCELLATION:
      e.type = polymarket::OrderEventType::kCancellation;
      break;
    default:
      return absl::InvalidArgumentError("order event type unspecified");
  }
  if (in.order_id().empty()) return absl::InvalidArgumentError("order event without an order id");
  auto side = FromProto(in.side());
  if (!side.ok()) return side.status();
  e.id = in.order_id();
  e.asset_id = in.token_id();
  e.market = in.condition_id();
  e.side = *side;
  e.price = model::Price(in.price_units());
  e.original_size = model::Size(in.original_size_micros());
  e.size_matched = model::Size(in.size_matched_micros());
  e.status = in.status();
  const size_t underscore = e.status.find('_');
  e.status_base = e.status.substr(0, underscore);
  e.status_reason = in.cancel_reason();
  e.owner = in.owner();
  e.maker_address = in.maker_address();
  e.order_type = in.order_type();
  e.associate_trades.assign(in.associate_trades().begin(), in.associate_trades().end());
  e.timestamp_ms = in.header().exchange_ts_ns() / 1'000'000;
  return e;
}

user::v1::UserTradeEvent ToProto(const polymarket::UserTradeEvent& e, const std::vector<polymarket::OurFill>& ours) {
  user::v1::UserTradeEvent out;
  out.set_trade_id(e.id);
  out.set_status(ToProto(e.status));
  out.set_condition_id(e.market);
  out.set_taker_order_id(e.taker_order_id);
  out.set_match_time_ns(e.match_time_ms * 1'000'000);
  out.set_transaction_hash(e.transaction_hash);
  for (const polymarket::OurFill& f : ours) {
    user::v1::Fill* fill = out.add_fills();
    fill->set_order_id(f.order_id);
    fill->set_token_id(f.asset_id);
    fill->set_side(ToProto(f.side));
    fill->set_price_units(f.price.units());
    fill->set_size_micros(f.size.micros());
    fill->set_is_taker(f.is_taker);
    fill->set_fee_rate_bps(f.fee_rate_bps);
  }
  out.mutable_header()->set_exchange_ts_ns(e.last_update_ms * 1'000'000);
  return out;
}

absl::StatusOr<polymarket::UserTradeEvent> FromProto(const user::v1::UserTradeEvent& in) {
  if (in.trade_id().empty()) return absl::InvalidArgumentError("trade event without a trade id");
  auto status = FromProto(in.status());
  if (!status.ok()) return status.status();
  polymarket::UserTradeEvent e;
  e.id = in.trade_id();
  e.status = *status;
  e.market = in.condition_id();
  e.match_time_ms = in.match_time_ns() / 1'000'000;
  e.transaction_hash = in.transaction_hash();
  for (const user::v1::Fill& f : in.fills()) {
    auto side = FromProto(f.side());
    if (!side.ok()) return side.status();
    if (f.is_taker()) {
      e.taker_order_id = f.order_id();
      e.asset_id = f.token_id();
      e.side = *side;
      e.size = model::Size(f.size_micros());
      e.price = model::Price(f.price_units());
      e.fee_rate_bps = f.fee_rate_bps();
    } else {
      e.maker_orders.push_back({.order_id = f.order_id(),
                                .matched_amount = model::Size(f.size_micros()),
                                .price = model::Price(f.price_units()),
                                .asset_id = f.token_id(),
                                .side = *side,
                                .fee_rate_bps = f.fee_rate_bps()});
    }
  }
  return e;
}

std::string DedupeKey(const polymarket::UserOrderEvent& e) {
  return fmt::format("order:{}:{}:{}:{}", e.id, polymarket::OrderEventTypeName(e.type), e.size_matched.micros(),
                     e.status);
}

std::string DedupeKey(const polymarket::UserTradeEvent& e) {
  return fmt::format("trade:{}:{}{}", e.id, polymarket::TradeStatusName(e.status), e.status_text);
}

}  // namespace clobmaker::bus
