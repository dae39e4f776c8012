#include "common/model/decimal.h"

#include <fmt/core.h>

#include <algorithm>

#include "common/core/int128.h"
#include "common/core/status.h"

namespace clobmaker::model {
namespace {
constexpr int64_t kPow10[] = {
    1,          10,          100,           1'000,          10'000,          100'000,          1'000'000,
    10'000'000, 100'000'000, 1'000'000'000, 10'000'000'000, 100'000'000'000, 1'000'000'000'000};
}  // namespace

absl::StatusOr<int64_t> ParseScaled(std::string_view text, int scale, DecimalLimits limits) {
  CM_CHECK(scale >= 0 && scale <= 12);
  const std::string_view original = text;
  if (text.empty()) return absl::InvalidArgumentError("empty number");
  bool negative = false;
  if (text.front() == '-') {
    negative = true;
    text.remove_prefix(1);
  }
  if (negative && !limits.allow_negative) {
    return absl::InvalidArgumentError(fmt::format("negative value not allowed: '{}'", original));
  }
  Int128 units = 0;
  bool seen_point = false;
  bool seen_digit = false;
  int fraction_digits = 0;
  for (char c : text) {
    if (c == '.') {
      if (seen_point) return absl::InvalidArgumentError(fmt::format("malformed number: '{}'", original));
      seen_point = true;
      continue;
    }
    if (c < '0' || c > '9') return absl::InvalidArgumentError(fmt::format("malformed number: '{}'", original));
    seen_digit = true;
    const int digit = c - '0';
    if (seen_point) {
      ++fraction_digits;
      if (fraction_digits > scale) {
        if (digit != 0) {
          return absl::InvalidArgumentError(fmt::format("too many decimals (max {}): '{}'", scale, original));
        }
        continue;
      }
    }
    units = units * 10 + digit;
    if (units > static_cast<Int128>(INT64_MAX)) {
      return absl::InvalidArgumentError(fmt::format("number out of range: '{}'", original));
    }
  }
  if (!seen_digit) return absl::InvalidArgumentError(fmt::format("malformed number: '{}'", original));
  for (int i = std::min(fraction_digits, scale); i < scale; ++i) {
    units *= 10;
    if (units > static_cast<Int128>(INT64_MAX)) {
      return absl::InvalidArgumentError(fmt::format("number out of range: '{}'", original));
    }
  }
  if (units > limits.max_units) {
    return absl::InvalidArgumentError(fmt::format("number out of range: '{}'", original));
  }
  const auto value = static_cast<int64_t>(units);
  return negative ? -value : value;
}

std::string FormatScaled(int64_t units, int scale) {
  CM_CHECK(scale >= 0 && scale <= 12);
  const bool negative = units < 0;
  const UInt128 magnitude = negative ? static_cast<UInt128>(-static_cast<Int128>(units)) : static_cast<UInt128>(units);
  const auto pow = static_cast<UInt128>(kPow10[scale]);
  const auto whole = static_cast<uint64_t>(magnitude / pow);
  auto fraction = static_cast<uint64_t>(magnitude % pow);
  std::string out = negative && magnitude != 0 ? "-" : "";
  out += std::to_string(whole);
  if (fraction != 0) {
    std::string digits(static_cast<size_t>(scale), '0');
    for (int i = scale - 1; i >= 0; --i) {
      digits[static_cast<size_t>(i)] = static_cast<char>('0' + fraction % 10);
      fraction /= 10;
    }
    while (!digits.empty() && digits.back() == '0') digits.pop_back();
    out += '.';
    out += digits;
  }
  return out;
}

std::string FormatScaledFixed(int64_t units, int scale, int decimals) {
  CM_CHECK(decimals >= 0 && decimals <= scale);
  CM_CHECK(units % kPow10[scale - decimals] == 0);
  const int64_t reduced = units / kPow10[scale - decimals];
  const bool negative = reduced < 0;
  const uint64_t magnitude = negative ? static_cast<uint64_t>(-reduced) : static_cast<uint64_t>(reduced);
  const uint64_t pow = static_cast<uint64_t>(kPow10[decimals]);
  std::string out = negative ? "-" : "";
  out += std::to_string(magnitude / pow);
  if (decimals > 0) {
    std::string digits(static_cast<size_t>(decimals), '0');
    uint64_t fraction = magnitude % pow;
    for (int i = decimals - 1; i >= 0; --i) {
      digits[static_cast<size_t>(i)] = static_cast<char>('0' + fraction % 10);
      fraction /= 10;
    }
    out += '.';
    out += digits;
  }
  return out;
}

int FractionDigits(int64_t units, int scale) {
  if (units < 0) units = -units;
  int digits = scale;
  while (digits > 0 && units % 10 == 0) {
    units /= 10;
    --digits;
  }
  return digits;
}

std::string FormatScaledRounded(int64_t units, int scale, int decimals) {
  CM_CHECK(decimals >= 0 && decimals <= scale);
  const int64_t step = kPow10[scale - decimals];
  const int64_t half = step / 2;
  // Half away from zero; step == 1 needs no rounding.
  int64_t rounded = units;
  if (step > 1) {
    const int64_t magnitude = units < 0 ? -units : units;
    const int64_t up = (magnitude + half) / step * step;
    rounded = units < 0 ? -up : up;
  }
  return FormatScaledFixed(rounded, scale, decimals);
}

int TickDecimals(int64_t tick_units) {
  if (tick_units <= 0) return 4;
  int decimals = 4;
  while (decimals > 0 && tick_units % 10 == 0) {
    tick_units /= 10;
    --decimals;
  }
  return decimals;
}

std::string FormatPrice(int64_t price_units, int64_t tick_units) {
  return FormatScaledRounded(price_units, 4, TickDecimals(tick_units));
}

std::string FormatAmount(int64_t micros, int decimals) { return FormatScaledRounded(micros, 6, decimals); }

}  // namespace clobmaker::model
