// The simulated exchange's maker rebates (docs `trading/fees`): per market and day, a share
// (`rebateRate`) of the taker fees collected is paid to the market's makers pro rata to the maker
// volume they had filled that day. Days are `day_length` long from the unix epoch (a real day:
// UTC midnights; tests shorten it). Pure and integer: shares are floored, the remainder stays with
// the exchange.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/core/clock.h"
#include "common/polymarket/events.h"

namespace clobmaker::simexchange {

struct RebatePayout {
  std::string maker_address;  // lowercase
  std::string condition_id;
  int64_t day = 0;
  int64_t micros = 0;
};

class RebateBook {
 public:
  explicit RebateBook(Nanos day_length = 24 * 3600 * kNanosPerSecond) : day_length_(day_length) {}

  Nanos day_length() const { return day_length_; }
  int64_t DayOf(Nanos t) const { return t / day_length_; }
  // The day's label as the live API writes it: RFC 3339 at the day's start ("2026-02-27T00:00:00Z").
  std::string DayLabel(int64_t day) const;

  // A taker fee collected on `condition_id` (its rebate share, x 10^6).
  void OnTakerFee(const std::string& condition_id, int64_t fee_micros, int64_t rebate_ppm, Nanos now);
  // Maker volume filled (pUSD notional, 10^-6) for `maker_address` on `condition_id`.
  void OnMakerFill(const std::string& condition_id, const std::string& maker_address, int64_t notional_micros,
                   Nanos now);
  // Closes every day before the current one that is still open: the payouts to make.
  std::vector<RebatePayout> CloseDays(Nanos now);

  // Paid entries of a maker whose label starts with `date_prefix` ("" = all), oldest first.
  std::vector<polymarket::RebateEntry> Entries(const std::string& maker_address, const std::string& date_prefix,
                                               const std::string& asset_address) const;
  int64_t PaidTo(const std::string& maker_address) const;

 private:
  struct MarketDay {
    int64_t pool_micros = 0;  // fees x rebate share
    std::map<std::string, int64_t> maker_volume;
  };
  Nanos day_length_;
  std::map<int64_t, std::map<std::string, MarketDay>> open_;  // day -> condition -> accumulation
  std::vector<RebatePayout> paid_;
};

}  // namespace clobmaker::simexchange
