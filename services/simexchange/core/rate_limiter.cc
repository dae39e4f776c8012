#include "services/simexchange/core/rate_limiter.h"

#include <algorithm>

#include "common/core/int128.h"

namespace clobmaker::simexchange {

using polymarket::RateBucket;
using polymarket::RateTier;

void SignerRateLimiter::SetTier(const std::string& signer, RateTier tier, Nanos now) {
  tiers_[signer] = tier;
  auto it = signers_.find(signer);
  if (it == signers_.end() || it->second.tier == tier) return;
  // A new tier: both buckets start full at the new size.
  signers_.erase(it);
  Get(signer, now);
}

RateTier SignerRateLimiter::TierOf(const std::string& signer) const {
  auto it = tiers_.find(signer);
  return it == tiers_.end() ? config_.default_tier : it->second;
}

SignerRateLimiter::Signer& SignerRateLimiter::Get(const std::string& signer, Nanos now) {
  Signer& s = signers_[signer];
  if (!s.initialised) {
    s.initialised = true;
    s.tier = TierOf(signer);
    const auto& limits = polymarket::LimitsOf(s.tier);
    s.orders = {limits.order_burst * kScale, now};
    s.cancels = {limits.cancel_burst * kScale, now};
  }
  return s;
}

void SignerRateLimiter::Refill(Bucket& b, int rate, int burst, Nanos now) {
  if (now > b.last) {
    const Int128 added = static_cast<Int128>(now - b.last) * rate * kScale / kNanosPerSecond;
    const Int128 cap = static_cast<Int128>(burst) * kScale;
    b.micro_tokens = static_cast<int64_t>(std::min<Int128>(cap, b.micro_tokens + added));
    b.last = now;
  }
}

RateDecision SignerRateLimiter::Describe(const Signer& s, RateBucket bucket, const Bucket& b, Nanos now) const {
  RateDecision d;
  d.tier = s.tier;
  d.bucket = bucket;
  d.remaining = static_cast<double>(b.micro_tokens) / kScale;
  d.reset_ms = now / kNanosPerMilli;
  return d;
}

RateDecision SignerRateLimiter::Admit(const std::string& signer, RateBucket bucket, int64_t cost, Nanos now) {
  Signer& s = Get(signer, now);
  const auto& limits = polymarket::LimitsOf(s.tier);
  const bool orders = bucket == RateBucket::kOrders;
  const int rate = orders ? limits.order_rate : limits.cancel_rate;
  const int burst = orders ? limits.order_burst : limits.cancel_burst;
  Bucket& b = orders ? s.orders : s.cancels;
  Refill(b, rate, burst, now);
  RateDecision d = Describe(s, bucket, b, now);
  if (!config_.enabled) return d;
  const int64_t need = cost * kScale;
  if (b.micro_tokens >= need && cost <= burst) {
    b.micro_tokens -= need;
    d.remaining = static_cast<double>(b.micro_tokens) / kScale;
    return d;
  }
  d.over_burst = cost > burst;
  if (!d.over_burst) {
    const Int128 missing = need - b.micro_tokens;
    d.retry_after = static_cast<Nanos>((missing * kNanosPerSecond + static_cast<Int128>(rate) * kScale - 1) /
                                       (static_cast<Int128>(rate) * kScale));
    d.reset_ms = (now + d.retry_after) / kNanosPerMilli;
  }
  if (config_.warning_mode) {
    // Processed as if there were no limiter; the answer says it would have been refused.
    d.warning = true;
    b.micro_tokens = std::max<int64_t>(b.micro_tokens - need, orders || !limits.cancel_debt ? 0 : INT64_MIN / 4);
    d.remaining = static_cast<double>(b.micro_tokens) / kScale;
    return d;
  }
  d.admitted = false;
  s.refused++;
  return d;
}

RateDecision SignerRateLimiter::Charge(const std::string& signer, RateBucket bucket, int64_t cost, Nanos now) {
  Signer& s = Get(signer, now);
  const auto& limits = polymarket::LimitsOf(s.tier);
  const bool orders = bucket == RateBucket::kOrders;
  Bucket& b = orders ? s.orders : s.cancels;
  Refill(b, orders ? limits.order_rate : limits.cancel_rate, orders ? limits.order_burst : limits.cancel_burst, now);
  if (config_.enabled && cost > 0) {
    b.micro_tokens -= cost * kScale;
    // Tiers without debt floor the balance at zero, however large the charge.
    if (!(limits.cancel_debt && !orders)) b.micro_tokens = std::max<int64_t>(b.micro_tokens, 0);
  }
  return Describe(s, bucket, b, now);
}

double SignerRateLimiter::Level(const std::string& signer, RateBucket bucket, Nanos now) {
  Signer& s = Get(signer, now);
  const auto& limits = polymarket::LimitsOf(s.tier);
  const bool orders = bucket == RateBucket::kOrders;
  Bucket& b = orders ? s.orders : s.cancels;
  Refill(b, orders ? limits.order_rate : limits.cancel_rate, orders ? limits.order_burst : limits.cancel_burst, now);
  return static_cast<double>(b.micro_tokens) / kScale;
}

uint64_t SignerRateLimiter::refused(const std::string& signer) const {
  auto it = signers_.find(signer);
  return it == signers_.end() ? 0 : it->second.refused;
}

std::vector<IpRule> IpRateLimitConfig::DefaultRules() {
  constexpr Nanos k10s = 10 * kNanosPerSecond;
  constexpr Nanos k10m = 600 * kNanosPerSecond;
  return {
      {"POST /order", 5'000, k10s, 120'000, k10m},
      {"DELETE /order", 5'000, k10s, 120'000, k10m},
      {"POST /orders", 2'000, k10s, 15'000, k10m},
      {"DELETE /orders", 2'000, k10s, 15'000, k10m},
      {"DELETE /cancel-all", 250, k10s, 6'000, k10m},
      {"DELETE /cancel-market-orders", 1'500, k10s, 21'000, k10m},
      {"GET /book", 1'500, k10s, 0, k10m},
      {"POST /books", 500, k10s, 0, k10m},
      {"GET /data/orders", 500, k10s, 0, k10m},
      {"GET /data/trades", 500, k10s, 0, k10m},
      {"*", 9'000, k10s, 0, k10m},  // the general limit
  };
}

std::optional<Nanos> IpRateLimiter::Admit(const std::string& ip, const std::string& route, Nanos now) {
  if (!config_.enabled) return std::nullopt;
  std::optional<Nanos> wait;
  std::vector<std::deque<Nanos>*> admitted;
  for (const IpRule& rule : config_.rules) {
    if (rule.route != route && rule.route != "*") continue;
    std::deque<Nanos>& seen = seen_[{ip, rule.route}];
    const Nanos longest =
        std::max(rule.burst > 0 ? rule.burst_window : 0, rule.sustained > 0 ? rule.sustained_window : 0);
    while (!seen.empty() && seen.front() <= now - longest) seen.pop_front();
    const auto within = [&](Nanos window) {
      return static_cast<int64_t>(seen.end() - std::lower_bound(seen.begin(), seen.end(), now - window + 1));
    };
    // The n-th most recent request leaves the window at its time + window.
    const auto check = [&](int64_t limit, Nanos window) {
      if (limit <= 0) return;
      const int64_t n = within(window);
      if (n < limit) return;
      const Nanos leaves = seen[seen.size() - static_cast<size_t>(limit)] + window - now;
      wait = std::max(wait.value_or(0), std::max<Nanos>(leaves, kNanosPerMilli));
    };
    check(rule.burst, rule.burst_window);
    check(rule.sustained, rule.sustained_window);
    admitted.push_back(&seen);
  }
  if (wait) return wait;
  for (std::deque<Nanos>* seen : admitted) seen->push_back(now);
  return std::nullopt;
}

}  // namespace clobmaker::simexchange
