#include "services/simexchange/core/rebates.h"

#include <fmt/core.h>

#include <ctime>

#include "common/core/int128.h"

namespace clobmaker::simexchange {

std::string RebateBook::DayLabel(int64_t day) const {
  const Nanos start = day * day_length_;
  const time_t t = static_cast<time_t>(start / kNanosPerSecond);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                     tm.tm_min, tm.tm_sec);
}

void RebateBook::OnTakerFee(const std::string& condition_id, int64_t fee_micros, int64_t rebate_ppm, Nanos now) {
  if (fee_micros <= 0 || rebate_ppm <= 0) return;
  open_[DayOf(now)][condition_id].pool_micros +=
      static_cast<int64_t>(static_cast<Int128>(fee_micros) * rebate_ppm / 1'000'000);
}

void RebateBook::OnMakerFill(const std::string& condition_id, const std::string& maker_address, int64_t notional_micros,
                             Nanos now) {
  if (notional_micros <= 0) return;
  open_[DayOf(now)][condition_id].maker_volume[maker_address] += notional_micros;
}

std::vector<RebatePayout> RebateBook::CloseDays(Nanos now) {
  std::vector<RebatePayout> out;
  const int64_t today = DayOf(now);
  while (!open_.empty() && open_.begin()->first < today) {
    const int64_t day = open_.begin()->first;
    for (const auto& [condition, md] : open_.begin()->second) {
      int64_t volume = 0;
      for (const auto& [maker, v] : md.maker_volume) volume += v;
      if (volume <= 0 || md.pool_micros <= 0) continue;
      for (const auto& [maker, v] : md.maker_volume) {
        const auto share = static_cast<int64_t>(static_cast<Int128>(md.pool_micros) * v / volume);
        if (share <= 0) continue;
        RebatePayout p{maker, condition, day, share};
        out.push_back(p);
        paid_.push_back(std::move(p));
      }
    }
    open_.erase(open_.begin());
  }
  return out;
}

std::vector<polymarket::RebateEntry> RebateBook::Entries(const std::string& maker_address,
                                                         const std::string& date_prefix,
                                                         const std::string& asset_address) const {
  std::vector<polymarket::RebateEntry> out;
  for (const RebatePayout& p : paid_) {
    if (!maker_address.empty() && p.maker_address != maker_address) continue;
    const std::string label = DayLabel(p.day);
    if (label.rfind(date_prefix, 0) != 0) continue;
    out.push_back({label, p.condition_id, asset_address, p.maker_address, p.micros});
  }
  return out;
}

int64_t RebateBook::PaidTo(const std::string& maker_address) const {
  int64_t total = 0;
  for (const RebatePayout& p : paid_) {
    if (p.maker_address == maker_address) total += p.micros;
  }
  return total;
}

}  // namespace clobmaker::simexchange
