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

}  // namespace clobmaker::model
