// NATS subjects, JetStream streams and KV buckets: the bus contract of design.md s1, in one place.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace clobmaker::bus {

// JetStream streams (everything that must not be lost).
inline constexpr std::string_view kUserStream = "CM_USER";      // cm.user.>
inline constexpr std::string_view kOrdersStream = "CM_ORDERS";  // cm.orders.>
// marketdata's journal of raw frames (docs/replay.md), bounded by size and age.
inline constexpr std::string_view kJournalStream = "CM_JOURNAL";  // cm.journal.>
inline constexpr std::string_view kJournalWildcard = "cm.journal.>";
inline std::string JournalSubject(std::string_view kind) { return "cm.journal." + std::string(kind); }
// CM_USER's duplicate window: longer than userstream's start-up backfill lookback, so a replayed
// exchange event is dropped by the server (consumers also dedupe on the same keys).
inline constexpr int64_t kUserDuplicateWindowSeconds = 10 * 60;
// KV buckets.
inline constexpr std::string_view kExecutionBucket = "CM_EXECUTION";  // lease and kill switch per shard
inline constexpr std::string_view kPositionsBucket = "CM_POSITIONS";
inline constexpr std::string_view kPositionsChainBucket = "CM_POSITIONS_CHAIN";  // positions' pending merge/redeem
inline constexpr std::string_view kMarketsBucket = "CM_MARKETS";                 // MarketInfo per condition id
inline constexpr std::string_view kUserStreamBucket = "CM_USERSTREAM";           // userstream's trade backfill cursor

inline std::string UserOrderSubject(std::string_view token) { return "cm.user.order." + std::string(token); }
inline std::string UserTradeSubject(std::string_view token) { return "cm.user.trade." + std::string(token); }
// Announced by userstream on every (re)connect, inside CM_USER so it is ordered with the events.
inline constexpr std::string_view kUserConnectedSubject = "cm.user.connected";
inline std::string OrdersSubject(std::string_view market, std::string_view token) {
  return "cm.orders." + std::string(market) + "." + std::string(token);
}
// Latest-wins core NATS subjects.
inline std::string DesiredSubject(std::string_view market) { return "cm.strategy.desired." + std::string(market); }
inline constexpr std::string_view kDesiredWildcard = "cm.strategy.desired.>";
inline std::string BookSubject(std::string_view token) { return "cm.md.book." + std::string(token); }
inline std::string TickSubject(std::string_view token) { return "cm.md.tick." + std::string(token); }
inline constexpr std::string_view kTickWildcard = "cm.md.tick.>";
inline std::string TradeSubject(std::string_view token) { return "cm.md.trade." + std::string(token); }
inline std::string MarketInfoSubject(std::string_view condition) { return "cm.md.market." + std::string(condition); }
inline constexpr std::string_view kBookWildcard = "cm.md.book.>";
inline constexpr std::string_view kMarketInfoWildcard = "cm.md.market.>";
inline constexpr std::string_view kReferenceWildcard = "cm.ref.>";
// A reference symbol as one subject token ('.', '*', '>' and whitespace would change the subject).
inline std::string SubjectToken(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c == '.' || c == '*' || c == '>' || c == ' ' || c == '\t' || c == '\r' || c == '\n') c = '_';
  }
  return out;
}
inline std::string ReferenceSubject(std::string_view symbol) { return "cm.ref." + SubjectToken(symbol); }
inline constexpr std::string_view kMarketStatusSubject = "cm.md.status";
// execution's status (ExecutionStatus), every 500 ms: strategy's "execution ready" gate.
inline std::string ExecutionStatusSubject(std::string_view shard) {
  return "cm.execution.status." + std::string(shard);
}
inline constexpr std::string_view kExecutionStatusWildcard = "cm.execution.status.>";
inline std::string PositionsSubject(std::string_view token) { return "cm.positions." + std::string(token); }

}  // namespace clobmaker::bus
