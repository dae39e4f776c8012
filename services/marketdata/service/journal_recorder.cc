#include "services/marketdata/service/journal_recorder.h"

#include <spdlog/spdlog.h>

#include "common/bus/subjects.h"
#include "common/core/status.h"
#include "common/polymarket/encode.h"

namespace clobmaker::marketdata {

absl::StatusOr<std::unique_ptr<JournalRecorder>> JournalRecorder::Create(service::Bus& journal_bus,
                                                                         const JournalOptions& options) {
  CM_RETURN_IF_ERROR(journal_bus.EnsureStream({.name = std::string(bus::kJournalStream),
                                               .subjects = {std::string(bus::kJournalWildcard)},
                                               .max_bytes = options.max_bytes,
                                               .max_age = options.max_age,
                                               .replicas = options.replicas}));
  return std::unique_ptr<JournalRecorder>(new JournalRecorder(journal_bus));
}

void JournalRecorder::Publish(journal::Record record) {
  const std::string line = journal::EncodeRecord(record);
  const std::string subject = bus::JournalSubject(journal::RecordKindName(record.kind));
  if (auto st = bus_.Publish(subject, line); !st.ok()) {
    if (counters_.publish_failures++ % 1000 == 0)
      spdlog::warn("marketdata: journal publish failed: {}", StatusText(st));
    return;
  }
  ++counters_.records;
  counters_.bytes += line.size();
}

void JournalRecorder::MarketFrame(size_t shard, std::string_view frame, Nanos receive) {
  Publish({.receive_ns = receive,
           .kind = journal::RecordKind::kMarket,
           .source = std::to_string(shard),
           .payload = std::string(frame)});
}

void JournalRecorder::ReferenceFrame(std::string_view feed, std::string_view frame, Nanos receive) {
  Publish({.receive_ns = receive,
           .kind = journal::RecordKind::kReference,
           .source = std::string(feed),
           .payload = std::string(frame)});
}

void JournalRecorder::MarketInfo(const polymarket::MarketMetadata& market, Nanos now) {
  Publish({.receive_ns = now,
           .kind = journal::RecordKind::kMarketInfo,
           .source = market.condition_id,
           .payload = journal::EncodeMarketInfo(market)});
}

void JournalRecorder::Checkpoint(const BookKeeper& keeper, Nanos now) {
  for (const MarketEntry& m : keeper.markets()) MarketInfo(m.meta, now);
  for (const auto& t : keeper.tokens()) {
    if (!t->trusted()) continue;
    polymarket::BookEvent book;
    book.asset_id = t->token_id;
    book.market = t->condition_id;
    book.timestamp_ms = t->last_exchange_ms;
    book.bids = t->tracker.book().Bids();
    book.asks = t->tracker.book().Asks();
    Publish({.receive_ns = now,
             .kind = journal::RecordKind::kSnapshot,
             .source = t->token_id,
             .payload = polymarket::EncodeMarketEvent(book)});
  }
}

}  // namespace clobmaker::marketdata
