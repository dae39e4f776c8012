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
  }
  return "UNKNOWN";
}

bool PostOrderResult::accepted() const {
  if (!success || order_id.empty()) return false;
  return status != "unmatched";
}

std::vector<OurFill> AttributeFills(const UserTradeEvent& trade, const Identity& us) {
  std::vector<OurFill> fills;
  // The taker leg: the trade's owner (or trade_owner) is the taker's API key and maker_address
  // the taker order's maker. A message addressed to a maker says trader_side MAKER.
  const std::string_view taker_owner = !trade.trade_owner.empty() ? trade.trade_owner : trade.owner;
  if (trade.trader_side != "MAKER" && IsOurs(us, taker_owner, trade.maker_address)) {
    fills.push_back({trade.taker_order_id, trade.asset_id, trade.side, trade.price, trade.size, true, -1});
  }
  for (size_t i = 0; i < trade.maker_orders.size(); ++i) {
    const MakerOrderLeg& leg = trade.maker_orders[i];
    if (!IsOurs(us, leg.owner, leg.maker_address)) continue;
    model::Side side = leg.asset_id == trade.asset_id ? model::Opposite(trade.side) : trade.side;
    if (leg.side) side = *leg.side;
    fills.push_back({leg.order_id, leg.asset_id, side, leg.price, leg.matched_amount, false, static_cast<int>(i)});
  }
  return fills;
}

}  // namespace clobmaker::polymarket
