// Exact conversion between decimal strings and scaled integers, for the protocol boundary.
//
// Inside clobmaker every price and size is an integer; decimal strings exist only on the wire.
// Parsing is strict: a value that cannot be represented exactly at the requested scale is an
// error, never silently rounded.
#pragma once

#include <absl/status/statusor.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace clobmaker::model {

struct DecimalLimits {
  bool allow_negative = false;
  int64_t max_units = INT64_MAX;  // inclusive bound on the absolute scaled value
};

// Parses `text` (e.g. "0.48", ".48", "12", "1e-2" is NOT accepted) into units of 10^-scale.
// Accepted: optional '-' (when allowed), digits with at most one '.', at least one digit.
// Digits beyond `scale` decimals are accepted only if they are zeros ("0.5000000" at scale 4).
// Errors (InvalidArgument): empty, malformed, negative when not allowed, over-precise,
// out of range.
absl::StatusOr<int64_t> ParseScaled(std::string_view text, int scale, DecimalLimits limits = {});

// Formats units of 10^-scale as the shortest exact decimal: 5000 at scale 4 -> "0.5",
// 10000 -> "1", 0 -> "0", -25 -> "-0.0025".
std::string FormatScaled(int64_t units, int scale);

// Formats with exactly `decimals` fractional digits (decimals <= scale), truncating is not
// allowed: CHECK-fails if digits would be lost. For fixed-width wire formats.
std::string FormatScaledFixed(int64_t units, int scale, int decimals);

// Number of significant fractional digits of units at scale (0 for integers).
int FractionDigits(int64_t units, int scale);

// Rounds units of 10^-scale half away from zero to `decimals` fractional digits and formats them
// with exactly that many: (4887, 4, 2) -> "0.49". For figures people read, never for the wire.
std::string FormatScaledRounded(int64_t units, int scale, int decimals);

// What a person reads (the console, clobmakerctl, scripts/up's live view): a price in units of
// 10^-4 with the market's tick precision (tick 100 units = 0.01 -> 2 decimals; 10 -> 3; 1 -> 4),
// rounded to it when the value is off the grid (a fair value); an unknown tick (<= 0) -> 4.
std::string FormatPrice(int64_t price_units, int64_t tick_units);
// An amount in micros (shares or pUSD) with fixed decimals: 12.5 shares -> "12.50" at 2.
std::string FormatAmount(int64_t micros, int decimals = 2);
// The decimals a tick of `tick_units` (units of 10^-4) needs: 100 -> 2, 10 -> 3, 1 -> 4, 1000 -> 1.
int TickDecimals(int64_t tick_units);

}  // namespace clobmaker::model
