#include "services/positions/core/ledger.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/core/int128.h"

namespace clobmaker::positions {

namespace {

// pUSD micros of `size` shares (micros) at `price` units: size x price / 10^4.
int64_t Notional(int64_t size_micros, int64_t price_units) {
  return static_cast<int64_t>(static_cast<Int128>(size_micros) * price_units / model::kPriceOne);
}

std::string LegKey(const TradeLeg& leg) { return leg.trade_id + ":" + leg.order_id; }

}  // namespace

std::string_view SourceName(Source s) { return s == Source::kExchange ? "exchange" : "chain"; }

int64_t TokenPosition::AvgCostUnitsX1e6() const {
  if (provisional_micros <= 0) return 0;
  return static_cast<int64_t>(static_cast<Int128>(cost_micros) * model::kPriceOne * 1'000'000 / provisional_micros);
}

int64_t TokenPosition::UnrealizedMicros() const {
  if (!mark_units) return 0;
  return Notional(provisional_micros, *mark_units) - cost_micros;
}

TokenPosition& Ledger::Position(const std::string& token_id, const std::string& condition_id) {
  TokenPosition& p = positions_[token_id];
  p.token_id = token_id;
  if (!condition_id.empty()) p.condition_id = condition_id;
  return p;
}

void Ledger::Touch(TokenPosition& p) {
  p.version++;
  if (std::find(changed_.begin(), changed_.end(), p.token_id) == changed_.end()) changed_.push_back(p.token_id);
}

void Ledger::SeedToken(const std::string& token_id, const std::string& condition_id, int64_t provisional_micros,
                       int64_t settled_micros) {
  TokenPosition& p = Position(token_id, condition_id);
  p.provisional_micros = provisional_micros;
  p.settled_micros = settled_micros;
  p.onchain_micros = settled_micros;  // the chain's balance
  p.cost_micros = 0;                  // unknown history: valued at the first mark (P&L counts from there)
  p.unvalued_seed_micros = std::max<int64_t>(provisional_micros, 0);
  Touch(p);
}

void Ledger::SeedCollateral(int64_t provisional_micros, int64_t settled_micros) {
  collateral_.provisional_micros = provisional_micros;
  collateral_.settled_micros = settled_micros;
  collateral_.onchain_micros = settled_micros;
  collateral_.version++;
}

void Ledger::SeedLeg(const TradeLeg& leg) {
  Applied& a = legs_[LegKey(leg)];
  switch (leg.status) {
    case LegStatus::kFailed:
      a.failed = true;
      break;
    case LegStatus::kConfirmed:
      a.provisional = a.settled = a.onchain = true;
      break;
    case LegStatus::kMined:
      a.provisional = a.onchain = true;
      break;
    default:
      a.provisional = true;
      break;
  }
  // The amounts are needed to settle or reverse it later.
  a.token_delta = leg.side == model::Side::kBuy ? leg.size_micros : -leg.size_micros;
  a.collateral_delta = leg.side == model::Side::kBuy ? -Notional(leg.size_micros, leg.price_units)
                                                     : Notional(leg.size_micros, leg.price_units);
  a.fee_delta = std::max<int64_t>(leg.fee_micros, 0);
  a.collateral_delta -= a.fee_delta;  // inside the seeded balance already; kept to settle or reverse it
  TokenPosition& p = Position(leg.token_id, leg.condition_id);
  if (a.provisional && !a.settled && a.token_delta < 0) p.unsettled_sell_micros -= a.token_delta;
}

void Ledger::ApplyOnchain(TokenPosition& p, Applied& a) {
  if (a.onchain) return;
  a.onchain = true;
  p.onchain_micros += a.token_delta;
  collateral_.onchain_micros += a.collateral_delta;
  collateral_.version++;
}

void Ledger::ApplyProvisional(const TradeLeg& leg, Applied& a) {
  TokenPosition& p = Position(leg.token_id, leg.condition_id);
  const int64_t notional = Notional(leg.size_micros, leg.price_units);
  if (leg.side == model::Side::kBuy) {
    a.token_delta = leg.size_micros;
    a.collateral_delta = -notional;
    a.cost_delta = notional;
  } else {
    a.token_delta = -leg.size_micros;
    a.collateral_delta = notional;
    // Average cost of what is sold leaves the basis; the rest is realised.
    const int64_t held = std::max<int64_t>(p.provisional_micros, 0);
    const int64_t sold_from_held = std::min(leg.size_micros, held);
    const int64_t basis =
        held > 0 ? static_cast<int64_t>(static_cast<Int128>(p.cost_micros) * sold_from_held / held) : 0;
    a.cost_delta = -basis;
    a.realized_delta = Notional(sold_from_held, leg.price_units) - basis;
  }
  // A taker fee leaves the collateral with the trade (and comes back if it fails).
  a.fee_delta = std::max<int64_t>(leg.fee_micros, 0);
  a.collateral_delta -= a.fee_delta;
  fees_paid_micros_ += a.fee_delta;
  p.provisional_micros += a.token_delta;
  p.cost_micros += a.cost_delta;
  p.realized_pnl_micros += a.realized_delta;
  if (a.token_delta < 0) p.unsettled_sell_micros -= a.token_delta;
  collateral_.provisional_micros += a.collateral_delta;
  collateral_.version++;
  a.provisional = true;
  counters_.applied++;
  Touch(p);
}

bool Ledger::OnLeg(const TradeLeg& leg) {
  counters_.legs++;
  const bool known = legs_.contains(LegKey(leg));
  Applied& a = legs_[LegKey(leg)];
  TokenPosition& p = Position(leg.token_id, leg.condition_id);
  switch (leg.status) {
    case LegStatus::kMatched:
    case LegStatus::kMined:
    case LegStatus::kRetrying:
      if (a.failed || a.settled) {
        counters_.after_terminal++;
        return false;
      }
      if (a.provisional) {
        if (leg.status == LegStatus::kMined && !a.onchain) {
          ApplyOnchain(p, a);
          Touch(p);
          return true;
        }
        if (known) counters_.duplicates++;
        return false;
      }
      ApplyProvisional(leg, a);
      if (leg.status == LegStatus::kMined) ApplyOnchain(p, a);
      return true;
    case LegStatus::kConfirmed:
      if (a.failed) {
        counters_.after_terminal++;
        return false;
      }
      if (a.settled) {
        counters_.duplicates++;
        return false;
      }
      if (!a.provisional) ApplyProvisional(leg, a);
      ApplyOnchain(p, a);
      p.settled_micros += a.token_delta;
      if (a.token_delta < 0) p.unsettled_sell_micros += a.token_delta;
      collateral_.settled_micros += a.collateral_delta;
      collateral_.version++;
      a.settled = true;
      counters_.settled++;
      Touch(p);
      return true;
    case LegStatus::kFailed:
      if (a.failed) {
        counters_.duplicates++;
        return false;
      }
      if (a.settled) {
        // On chain already: a FAILED after CONFIRMED contradicts the exchange; keep the chain's word.
        counters_.confirmed_then_failed++;
        return false;
      }
      a.failed = true;
      if (a.provisional) {
        p.provisional_micros -= a.token_delta;
        if (a.token_delta < 0) p.unsettled_sell_micros += a.token_delta;
        p.cost_micros -= a.cost_delta;
        p.realized_pnl_micros -= a.realized_delta;
        fees_paid_micros_ -= a.fee_delta;
        collateral_.provisional_micros -= a.collateral_delta;
        collateral_.version++;
        a.provisional = false;
        counters_.reversed++;
        Touch(p);
        return true;
      }
      return false;
  }
  return false;
}

void Ledger::SetMark(const std::string& token_id, int64_t mark_units) {
  auto it = positions_.find(token_id);
  if (it == positions_.end()) return;
  // Not a change to publish by itself (marks move with every book): the periodic republication
  // carries it.
  it->second.mark_units = mark_units;
  if (it->second.unvalued_seed_micros > 0) {
    it->second.cost_micros += Notional(it->second.unvalued_seed_micros, mark_units);
    it->second.unvalued_seed_micros = 0;
  }
}

bool Ledger::OnChainAction(const ChainAction& action) {
  if (!chain_actions_.insert(action.tx_hash).second) {
    counters_.chain_duplicates++;
    return false;
  }
  std::array<TokenPosition*, 2> tokens = {&Position(action.yes_token, action.condition_id),
                                          &Position(action.no_token, action.condition_id)};
  // What leaves each token's holding: its share of the cost basis (and of seeded, not yet valued
  // holdings), and the collateral it brings back.
  std::array<int64_t, 2> burned{};
  std::array<int64_t, 2> proceeds{};
  if (action.kind == ChainAction::Kind::kMerge) {
    burned = {action.amount_micros, action.amount_micros};
  } else {
    for (size_t i = 0; i < 2; ++i) {
      burned[i] = std::max<int64_t>(tokens[i]->onchain_micros, 0);  // the chain burns what it holds
      proceeds[i] = action.payout_denominator == 0
                        ? 0
                        : static_cast<int64_t>(static_cast<Int128>(burned[i]) * action.payout_numerators[i] /
                                               action.payout_denominator);
    }
  }
  std::array<int64_t, 2> basis{};
  for (size_t i = 0; i < 2; ++i) {
    TokenPosition& p = *tokens[i];
    const int64_t held = std::max<int64_t>(p.provisional_micros, 0);
    const int64_t out = std::min(burned[i], held);
    basis[i] = held > 0 ? static_cast<int64_t>(static_cast<Int128>(p.cost_micros) * out / held) : 0;
    p.unvalued_seed_micros -=
        held > 0 ? static_cast<int64_t>(static_cast<Int128>(p.unvalued_seed_micros) * out / held) : 0;
  }
  if (action.kind == ChainAction::Kind::kMerge) {
    // A full set is worth exactly 1: the proceeds are split in proportion to the basis (equally
    // without one), so both tokens show the same return and the sum is exact.
    const int64_t total_basis = basis[0] + basis[1];
    proceeds[0] = total_basis > 0
                      ? static_cast<int64_t>(static_cast<Int128>(action.amount_micros) * basis[0] / total_basis)
                      : action.amount_micros / 2;
    proceeds[1] = action.amount_micros - proceeds[0];
  }
  int64_t collateral_in = 0;
  for (size_t i = 0; i < 2; ++i) {
    TokenPosition& p = *tokens[i];
    p.provisional_micros -= burned[i];
    p.onchain_micros -= burned[i];
    p.settled_micros -= burned[i];
    p.cost_micros -= basis[i];
    p.realized_pnl_micros += proceeds[i] - basis[i];
    collateral_in += proceeds[i];
    Touch(p);
  }
  collateral_.provisional_micros += collateral_in;
  collateral_.onchain_micros += collateral_in;
  collateral_.settled_micros += collateral_in;
  collateral_.version++;
  if (action.kind == ChainAction::Kind::kMerge) {
    counters_.merges++;
    counters_.merged_micros += action.amount_micros;
  } else {
    counters_.redeems++;
    counters_.redeemed_payout_micros += collateral_in;
  }
  return true;
}

std::optional<Discrepancy> Ledger::Compare(Source source, const std::string& token_id, int64_t theirs_micros,
                                           Nanos now) {
  counters_.comparisons++;
  int64_t ours = 0;
  uint64_t version = 0;
  if (token_id.empty()) {
    ours = source == Source::kExchange ? collateral_.provisional_micros : collateral_.onchain_micros;
    version = collateral_.version;
  } else {
    const TokenPosition* p = Find(token_id);
    ours = p == nullptr ? 0 : (source == Source::kExchange ? p->provisional_micros : p->onchain_micros);
    version = p == nullptr ? 0 : p->version;
  }
  const std::string key = std::string(SourceName(source)) + "/" + token_id;
  if (ours == theirs_micros) {
    suspects_.erase(key);
    return std::nullopt;
  }
  auto it = suspects_.find(key);
  if (it == suspects_.end() || it->second.ours != ours || it->second.theirs != theirs_micros ||
      it->second.version != version) {
    // First sight, or things moved: events may still be on their way. Look again next time.
    suspects_[key] = {ours, theirs_micros, version, false};
    counters_.suspects++;
    return std::nullopt;
  }
  if (it->second.reported) return std::nullopt;  // the same difference is reported once
  it->second.reported = true;
  counters_.discrepancies++;
  Discrepancy d{.source = source,
                .token_id = token_id,
                .ours_micros = ours,
                .theirs_micros = theirs_micros,
                .at = now,
                .detail = fmt::format("{} {} {}: ours {} theirs {} (difference {})", SourceName(source),
                                      token_id.empty() ? "collateral" : "token", token_id, ours, theirs_micros,
                                      theirs_micros - ours)};
  discrepancies_.push_back(d);
  if (discrepancies_.size() > 1000) discrepancies_.erase(discrepancies_.begin());
  return d;
}

const TokenPosition* Ledger::Find(const std::string& token_id) const {
  auto it = positions_.find(token_id);
  return it == positions_.end() ? nullptr : &it->second;
}

std::vector<std::string> Ledger::TakeChanged() {
  std::vector<std::string> out;
  out.swap(changed_);
  return out;
}

std::optional<LegStatus> LegStatusOf(polymarket::TradeStatus status, bool* unknown) {
  if (unknown != nullptr) *unknown = status == polymarket::TradeStatus::kUnknown;
  switch (status) {
    case polymarket::TradeStatus::kMatched:
    case polymarket::TradeStatus::kMatchedNotBroadcasted:
    case polymarket::TradeStatus::kUnknown:
      return LegStatus::kMatched;
    case polymarket::TradeStatus::kMined:
      return LegStatus::kMined;
    case polymarket::TradeStatus::kRetrying:
      return LegStatus::kRetrying;
    case polymarket::TradeStatus::kConfirmed:
      return LegStatus::kConfirmed;
    case polymarket::TradeStatus::kFailed:
      return LegStatus::kFailed;
  }
  return std::nullopt;
}

bool Ledger::OnRebate(const Rebate& rebate) {
  if (rebate.micros <= 0) return false;
  if (!rebates_seen_.insert(rebate.date + "|" + rebate.condition_id).second) {
    counters_.rebate_duplicates++;
    return false;
  }
  counters_.rebates++;
  rebates_micros_ += rebate.micros;
  collateral_.provisional_micros += rebate.micros;
  collateral_.settled_micros += rebate.micros;
  collateral_.onchain_micros += rebate.micros;
  collateral_.version++;
  return true;
}

PnlSummary Ledger::Pnl() const { return {RealizedMicros(), UnrealizedMicros(), fees_paid_micros_, rebates_micros_}; }

int64_t Ledger::RealizedMicros() const {
  int64_t sum = 0;
  for (const auto& [token, p] : positions_) sum += p.realized_pnl_micros;
  return sum;
}

int64_t Ledger::UnrealizedMicros() const {
  int64_t sum = 0;
  for (const auto& [token, p] : positions_) sum += p.UnrealizedMicros();
  return sum;
}

}  // namespace clobmaker::positions
