// positions' functional core: the inventory ledger (design.md s1: the only authority on inventory).
//
// Trades come as our legs (one per order of ours in a trade), each through the exchange's status
// lifecycle MATCHED -> MINED -> CONFIRMED, or MATCHED -> RETRYING -> FAILED:
//  - provisional bucket: every leg not FAILED (MATCHED, MINED, RETRYING, CONFIRMED) — exposure;
//  - settled bucket: CONFIRMED legs only — what can be sold, merged or redeemed;
//  - FAILED reverses exactly what the leg had applied (inventory, collateral, cost, realised P&L);
//  - a leg is applied once per bucket whatever the order or repetition of its status messages
//    (dedupe on trade id + our order id), and a status after a terminal one is counted, not applied.
// Seeding: balances from the exchange (provisional) and the chain (settled), and the status of
// recent legs already inside those balances, so that replayed events are not counted twice.
// Reconciliation: a difference from a source is a *suspect* until it persists unchanged across two
// comparisons with no ledger change in between; then it is a Discrepancy, published and counted,
// and our number is kept (never silently overwritten).
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/core/clock.h"
#include "common/model/types.h"
#include "common/polymarket/events.h"

namespace clobmaker::positions {

enum class LegStatus : uint8_t { kMatched, kMined, kRetrying, kConfirmed, kFailed };

// A trade status as a leg status: MATCHED_NOT_BROADCASTED (2026) and statuses nobody documented are
// provisional like MATCHED -- never final; `unknown` is set for the latter (the caller counts it).
std::optional<LegStatus> LegStatusOf(polymarket::TradeStatus status, bool* unknown = nullptr);

struct TradeLeg {
  std::string trade_id;
  std::string order_id;  // ours
  std::string token_id;
  std::string condition_id;
  model::Side side = model::Side::kBuy;
  int64_t price_units = 0;
  int64_t size_micros = 0;
  LegStatus status = LegStatus::kMatched;
  int64_t fee_micros = 0;  // the taker fee of this leg, in pUSD (makers never pay): collateral and P&L
};

struct TokenPosition {
  std::string token_id;
  std::string condition_id;
  int64_t provisional_micros = 0;
  int64_t settled_micros = 0;
  int64_t onchain_micros = 0;  // what the chain should say: legs MINED or CONFIRMED (reconciliation)
  int64_t cost_micros = 0;     // pUSD paid for the provisional holding (average-cost basis)
  int64_t realized_pnl_micros = 0;
  std::optional<int64_t> mark_units;  // mid of the token's book
  int64_t unvalued_seed_micros = 0;   // seeded holdings with no cost yet: valued at the first mark
  int64_t unsettled_sell_micros = 0;  // sold, not yet CONFIRMED or FAILED: spoken for
  // What is certainly ours and not spoken for: settled, less sales still settling (at most what
  // the chain holds and at most what the exchange holds). What merge and redeem may use.
  int64_t FreeMicros() const { return std::max<int64_t>(settled_micros - unsettled_sell_micros, 0); }
  uint64_t version = 0;              // bumps on every change
  int64_t AvgCostUnitsX1e6() const;  // average entry price x 10^6, in price units
  int64_t UnrealizedMicros() const;  // at the mark; 0 without one
};

struct Collateral {
  int64_t provisional_micros = 0;
  int64_t settled_micros = 0;
  int64_t onchain_micros = 0;
  uint64_t version = 0;
};

enum class Source : uint8_t { kExchange, kChain };
std::string_view SourceName(Source s);

struct Discrepancy {
  Source source = Source::kExchange;
  std::string token_id;  // empty: collateral
  int64_t ours_micros = 0;
  int64_t theirs_micros = 0;
  Nanos at = 0;
  std::string detail;
};

// A conditional-tokens transaction of ours that was mined successfully: a merge of `amount` full
// sets back to collateral, or a redemption of every token of a resolved market at its payouts.
struct ChainAction {
  enum class Kind : uint8_t { kMerge, kRedeem } kind = Kind::kMerge;
  std::string tx_hash;
  std::string condition_id;
  std::string yes_token;
  std::string no_token;
  int64_t amount_micros = 0;                    // merge
  uint64_t payout_denominator = 0;              // redeem
  std::array<uint64_t, 2> payout_numerators{};  // redeem: YES, NO
};

// A maker rebate paid by the exchange (GET /rebates/current): one per market and day.
struct Rebate {
  std::string date;  // the day's label as the exchange writes it
  std::string condition_id;
  int64_t micros = 0;
};

struct LedgerCounters {
  uint64_t legs = 0, applied = 0, settled = 0, reversed = 0, duplicates = 0, after_terminal = 0,
           confirmed_then_failed = 0, seeded_legs_skipped = 0, comparisons = 0, suspects = 0, discrepancies = 0,
           merges = 0, redeems = 0, chain_duplicates = 0, rebates = 0, rebate_duplicates = 0;
  int64_t merged_micros = 0, redeemed_payout_micros = 0;
};

// P&L in 10^-6 pUSD: trading (realised at average cost, unrealised at the mark), taker fees paid
// (legs not FAILED) and maker rebates earned; net = realised + unrealised - fees + rebates.
struct PnlSummary {
  int64_t realized_micros = 0;
  int64_t unrealized_micros = 0;
  int64_t fees_paid_micros = 0;
  int64_t rebates_micros = 0;
  int64_t net_micros() const { return realized_micros + unrealized_micros - fees_paid_micros + rebates_micros; }
};

class Ledger {
 public:
  // --- seeding (start-up) ---
  void SeedToken(const std::string& token_id, const std::string& condition_id, int64_t provisional_micros,
                 int64_t settled_micros);
  void SeedCollateral(int64_t provisional_micros, int64_t settled_micros);
  // A leg whose effects are already inside the seeded balances, at `status`.
  void SeedLeg(const TradeLeg& leg);

  // --- trades ---
  // Returns true when the ledger changed.
  bool OnLeg(const TradeLeg& leg);
  void SetMark(const std::string& token_id, int64_t mark_units);

  // --- rebates ---
  // Books a rebate into collateral (every bucket: it is paid on chain) and P&L, once per market
  // and day; returns true when applied.
  bool OnRebate(const Rebate& rebate);

  // --- chain actions ---
  // Applies a mined merge or redemption to every bucket (the chain, hence the exchange, already
  // moved): merge: both tokens -amount, collateral +amount, the cost basis of what was merged
  // realised against the proceeds; redeem: every token of the market burned at what the chain
  // holds, collateral + the payout. Once per transaction hash; returns true when applied.
  bool OnChainAction(const ChainAction& action);

  // --- reconciliation ---
  // Compares a source's balance with ours (exchange: provisional; chain: what is on chain, i.e.
  // legs MINED or CONFIRMED — the chain moves when a trade is mined, before it is CONFIRMED). Returns the
  // discrepancy when a difference has persisted; nullopt otherwise.
  std::optional<Discrepancy> Compare(Source source, const std::string& token_id, int64_t theirs_micros, Nanos now);

  const std::map<std::string, TokenPosition>& positions() const { return positions_; }
  const TokenPosition* Find(const std::string& token_id) const;
  const Collateral& collateral() const { return collateral_; }
  const LedgerCounters& counters() const { return counters_; }
  const std::vector<Discrepancy>& discrepancies() const { return discrepancies_; }
  // Tokens changed since the last call (to publish).
  std::vector<std::string> TakeChanged();
  int64_t RealizedMicros() const;
  int64_t UnrealizedMicros() const;
  int64_t FeesPaidMicros() const { return fees_paid_micros_; }
  int64_t RebatesMicros() const { return rebates_micros_; }
  PnlSummary Pnl() const;

 private:
  struct Applied {
    bool provisional = false;
    bool settled = false;
    bool failed = false;
    bool onchain = false;
    int64_t token_delta = 0;
    int64_t collateral_delta = 0;
    int64_t cost_delta = 0;
    int64_t realized_delta = 0;
    int64_t fee_delta = 0;
  };
  TokenPosition& Position(const std::string& token_id, const std::string& condition_id);
  void ApplyProvisional(const TradeLeg& leg, Applied& a);
  void ApplyOnchain(TokenPosition& p, Applied& a);
  void Touch(TokenPosition& p);

  std::map<std::string, TokenPosition> positions_;
  Collateral collateral_;
  std::map<std::string, Applied> legs_;  // trade id + ":" + order id
  std::set<std::string> chain_actions_;  // transaction hashes applied
  std::set<std::string> rebates_seen_;   // date + condition
  int64_t fees_paid_micros_ = 0;
  int64_t rebates_micros_ = 0;
  struct Suspect {
    int64_t ours = 0, theirs = 0;
    uint64_t version = 0;
    bool reported = false;
  };
  std::map<std::string, Suspect> suspects_;  // source + token
  std::vector<Discrepancy> discrepancies_;
  std::vector<std::string> changed_;
  LedgerCounters counters_;
};

}  // namespace clobmaker::positions
