#include "common/polymarket/events.h"

#include <algorithm>

namespace clobmaker::polymarket {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool IsOurs(const Identity& us, std::string_view owner, std::string_view address) {
  if (!owner.empty() && std::find(us.api_keys.begin(), us.api_keys.end(), owner) != us.api_keys.end()) return true;
  if (address.empty()) return false;
  const std::string lowered = Lower(address);
  return std::any_of(us.addresses.begin(), us.addresses.end(),
                     [&](const std::string& a) { return Lower(a) == lowered; });
}

}  // namespace

std::string_view OrderEventTypeName(OrderEventType type) {
  switch (type) {
    case OrderEventType::kPlacement:
      return "PLACEMENT";
    case OrderEventType::kUpdate:
      return "UPDATE";
    case OrderEventType::kCancellation:
      return "CANCELLATION";
  }
  return "UNKNOWN";
}

std::string_view TradeStatusName(TradeStatus status) {
  switch (status) {
    case TradeStatus::kMatched:
      return "MATCHED";
    case TradeStatus::kMined:
      return "MINED";
    case TradeStatus::kConfirmed:
      return "CONFIRMED";
    case TradeStatus::kRetrying:
      return "RETRYING";
    case TradeStatus::kFailed:
      return "FAILED";
    case TradeStatus::kMatchedNotBroadcasted:
      return "MATCHED_NOT_BROADCASTED";
    case TradeStatus::kUnknown:
      return "UNKNOWN";
  }
  return "UNKNOWN";
}

bool IsFinal(TradeStatus status) { return status == TradeStatus::kConfirmed || status == TradeStatus::kFailed; }

PlacementClass PostOrderResult::Classify() const {
  if (!success || order_id.empty() || !error_msg.empty()) return PlacementClass::kRejected;
  const std::string s = Lower(status);
  // No status at all: the older answer shape (py-clob-client's mocks); an id and no error.
  if (s.empty() || s == "live" || s == "matched" || s == "delayed") return PlacementClass::kAccepted;
  if (s == "unmatched") return PlacementClass::kUnmatched;
  return PlacementClass::kUnknown;
}

std::string_view TradingRestrictionName(TradingRestriction restriction) {
  switch (restriction) {
    case TradingRestriction::kNone:
      return "none";
    case TradingRestriction::kRestarting:
      return "restarting";
    case TradingRestriction::kPostOnly:
      return "post_only";
    case TradingRestriction::kCancelOnly:
      return "cancel_only";
    case TradingRestriction::kTradingDisabled:
      return "trading_disabled";
    case TradingRestriction::kClosedOnly:
      return "closed_only";
  }
  return "none";
}

TradingRestriction ClassifyRestrictionText(std::string_view error) {
  const std::string text = Lower(error);
  if (text.find("cancel-only") != std::string::npos || text.find("cancel only") != std::string::npos) {
    return TradingRestriction::kCancelOnly;
  }
  if (text.find("trading is currently disabled") != std::string::npos) return TradingRestriction::kTradingDisabled;
  if (text.find("closed only mode") != std::string::npos || text.find("closed-only mode") != std::string::npos) {
    return TradingRestriction::kClosedOnly;
  }
  if (text.find("post-only mode") != std::string::npos || text.find("post_only_mode") != std::string::npos) {
    return TradingRestriction::kPostOnly;
  }
  return TradingRestriction::kNone;
}

TradingRestriction ClassifyRestriction(int http_status, const ErrorBody& error) {
  if (http_status == 425) return TradingRestriction::kRestarting;
  if (error.code == "post_only_mode") return TradingRestriction::kPostOnly;
  return ClassifyRestrictionText(error.error);
}

std::vector<OurFill> AttributeFills(const UserTradeEvent& trade, const Identity& us) {
  std::vector<OurFill> fills;
  // The taker leg: the trade's owner (or trade_owner) is the taker's API key and maker_address
  // the taker order's maker. A message addressed to a maker says trader_side MAKER.
  const std::string_view taker_owner = !trade.trade_owner.empty() ? trade.trade_owner : trade.owner;
  if (trade.trader_side != "MAKER" && IsOurs(us, taker_owner, trade.maker_address)) {
    fills.push_back(
        {trade.taker_order_id, trade.asset_id, trade.side, trade.price, trade.size, true, -1, trade.fee_rate_bps});
  }
  for (size_t i = 0; i < trade.maker_orders.size(); ++i) {
    const MakerOrderLeg& leg = trade.maker_orders[i];
    if (!IsOurs(us, leg.owner, leg.maker_address)) continue;
    model::Side side = leg.asset_id == trade.asset_id ? model::Opposite(trade.side) : trade.side;
    if (leg.side) side = *leg.side;
    fills.push_back({leg.order_id, leg.asset_id, side, leg.price, leg.matched_amount, false, static_cast<int>(i),
                     leg.fee_rate_bps});
  }
  return fills;
}

}  // namespace clobmaker::polymarket
