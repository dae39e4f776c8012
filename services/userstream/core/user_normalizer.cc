#include "services/userstream/core/user_normalizer.h"

#include <algorithm>
#include <charconv>

#include "clobmaker/user/v1/user.pb.h"
#include "common/bus/convert.h"
#include "common/bus/subjects.h"

namespace clobmaker::userstream {

UserNormalizer::UserNormalizer(NormalizerConfig config) : config_(std::move(config)) {}

bool UserNormalizer::Fresh(const std::string& key) {
  if (!seen_.insert(key).second) {
    counters_.duplicates++;
    return false;
  }
  seen_order_.push_back(key);
  if (seen_order_.size() > config_.dedupe_window) {
    seen_.erase(seen_order_.front());
    seen_order_.pop_front();
  }
  return true;
}

void UserNormalizer::OnFrame(std::string_view frame, Nanos now) {
  counters_.frames++;
  decoder_.Decode(frame, frame_);
  polymarket::CountCodecErrors(frame_.errors, {.malformed = &counters_.malformed,
                                               .unknown_types = &counters_.unknown_types,
                                               .missing_fields = &counters_.missing_fields,
                                               .bad_values = &counters_.bad_values});
  for (const polymarket::UserEvent& event : frame_.events) {
    if (const auto* order = std::get_if<polymarket::UserOrderEvent>(&event)) {
      Order(*order, now);
    } else if (const auto* trade = std::get_if<polymarket::UserTradeEvent>(&event)) {
      Trade(*trade, now, false);
    }
  }
}

void UserNormalizer::Order(const polymarket::UserOrderEvent& event, Nanos now) {
  counters_.order_events++;
  const std::string key = bus::DedupeKey(event);
  if (!Fresh(key)) return;
  user::v1::UserOrderEvent out = bus::ToProto(event);
  auto* h = out.mutable_header();
  h->set_source(config_.source);
  h->set_sequence(NextSequence());
  h->set_receive_ts_ns(now);
  out_.push_back({bus::UserOrderSubject(event.asset_id), out.SerializeAsString(), key});
  counters_.published++;
}

void UserNormalizer::Trade(const polymarket::UserTradeEvent& event, Nanos now, bool backfill) {
  counters_.trade_events++;
  const std::vector<polymarket::OurFill> ours = polymarket::AttributeFills(event, config_.identity);
  if (ours.empty()) {
    counters_.not_ours++;
    return;
  }
  last_trade_ms_ = std::max({last_trade_ms_, event.match_time_ms, event.last_update_ms});
  const std::string key = bus::DedupeKey(event);
  if (!Fresh(key)) return;
  user::v1::UserTradeEvent out = bus::ToProto(event, ours);
  out.set_from_backfill(backfill);
  auto* h = out.mutable_header();
  h->set_source(config_.source);
  h->set_sequence(NextSequence());
  h->set_receive_ts_ns(now);
  out_.push_back({bus::UserTradeSubject(ours.front().asset_id), out.SerializeAsString(), key});
  counters_.published++;
  if (backfill) counters_.backfilled++;
}

int64_t UserNormalizer::OnConnected(bool reconnect, Nanos now) {
  ++epoch_;
  counters_.connects++;
  if (reconnect) counters_.reconnects++;
  user::v1::UserStreamConnected notice;
  auto* h = notice.mutable_header();
  h->set_source(config_.source);
  h->set_sequence(NextSequence());
  h->set_receive_ts_ns(now);
  notice.set_connection_epoch(epoch_);
  notice.set_is_reconnect(reconnect);
  out_.push_back({std::string(bus::kUserConnectedSubject), notice.SerializeAsString(),
                  config_.source + ":connected:" + std::to_string(now)});
  // Since the last trade seen, minus a margin; after a (re)start, a lookback window. The stream's
  // duplicate window covers the overlap.
  const Nanos since =
      last_trade_ms_ > 0 ? last_trade_ms_ * kNanosPerMilli - config_.backfill_margin : now - config_.startup_lookback;
  return std::max<int64_t>(0, since / kNanosPerSecond);
}

void UserNormalizer::OnBackfill(const std::vector<polymarket::UserTradeEvent>& trades, Nanos now) {
  for (const polymarket::UserTradeEvent& t : trades) Trade(t, now, true);
}

std::vector<Publication> UserNormalizer::TakePublications() { return std::exchange(out_, {}); }

std::optional<std::string> UserNormalizer::TakeCursor() {
  if (last_trade_ms_ <= saved_trade_ms_) return std::nullopt;
  saved_trade_ms_ = last_trade_ms_;
  return std::to_string(last_trade_ms_);
}

absl::Status UserNormalizer::RestoreCursor(std::string_view value) {
  int64_t ms = 0;
  const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), ms);
  if (error != std::errc() || end != value.data() + value.size() || ms <= 0) {
    return absl::InvalidArgumentError("not a trade cursor (unix ms): \"" + std::string(value.substr(0, 40)) + "\"");
  }
  last_trade_ms_ = std::max(last_trade_ms_, ms);
  saved_trade_ms_ = std::max(saved_trade_ms_, ms);
  return absl::OkStatus();
}

}  // namespace clobmaker::userstream
