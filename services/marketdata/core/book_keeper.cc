#include "services/marketdata/core/book_keeper.h"

#include <fmt/format.h>

#include <algorithm>

#include "clobmaker/marketdata/v1/marketdata.pb.h"
#include "common/bus/convert.h"
#include "common/bus/subjects.h"

namespace clobmaker::marketdata {

namespace {

Nanos MsToNanos(int64_t ms) { return ms * kNanosPerMilli; }

// Debian's Abseil has its own string_view: heterogeneous lookups need it.
absl::string_view Key(std::string_view s) { return {s.data(), s.size()}; }

void CopyLevels(const std::vector<polymarket::Level>& levels,
                google::protobuf::RepeatedPtrField<common::v1::Level>* out) {
  out->Reserve(static_cast<int>(levels.size()));
  for (const polymarket::Level& l : levels) {
    common::v1::Level* p = out->Add();
    p->set_price_units(l.price.units());
    p->set_size_micros(l.size.micros());
  }
}

}  // namespace

BookKeeper::BookKeeper(BookKeeperConfig config, bus::HeaderStamper& stamper)
    : config_(config), stamper_(stamper), budget_(config.snapshot_burst) {}

TokenBook* BookKeeper::Find(std::string_view token_id) {
  auto it = by_id_.find(Key(token_id));
  return it == by_id_.end() ? nullptr : it->second;
}

const TokenBook* BookKeeper::FindToken(std::string_view token_id) const {
  auto it = by_id_.find(Key(token_id));
  return it == by_id_.end() ? nullptr : it->second;
}

const MarketEntry* BookKeeper::FindMarket(std::string_view condition_or_token) const {
  for (const MarketEntry& m : markets_) {
    if (m.meta.condition_id == condition_or_token) return &m;
    for (const std::string& t : m.meta.token_ids) {
      if (t == condition_or_token) return &m;
    }
  }
  return nullptr;
}

std::vector<std::string> BookKeeper::AddMarket(const polymarket::MarketMetadata& market, Nanos now) {
  now_ = std::max(now_, now);
  auto existing = std::find_if(markets_.begin(), markets_.end(),
                               [&](const MarketEntry& m) { return m.meta.condition_id == market.condition_id; });
  if (existing != markets_.end()) {
    existing->meta = market;
    existing->dirty = true;
    return {};
  }
  markets_.push_back({.meta = market, .dirty = true});
  std::vector<std::string> added;
  for (const std::string& id : market.token_ids) {
    if (by_id_.contains(id)) continue;
    auto token = std::make_unique<TokenBook>();
    token->token_id = id;
    token->condition_id = market.condition_id;
    token->tracker = book::BookTracker(market.tick);
    token->awaiting_since = now;
    token->last_verify = now;
    token->dirty = false;
    by_id_.emplace(id, token.get());
    MarkDirty(*token);
    tokens_.push_back(std::move(token));
    added.push_back(id);
  }
  return added;
}

std::vector<std::string> BookKeeper::RemoveMarket(std::string_view condition_id) {
  auto it = std::find_if(markets_.begin(), markets_.end(),
                         [&](const MarketEntry& m) { return m.meta.condition_id == condition_id; });
  if (it == markets_.end()) return {};
  std::vector<std::string> removed = it->meta.token_ids;
  markets_.erase(it);
  for (const std::string& id : removed) {
    by_id_.erase(id);
    std::erase_if(dirty_, [&](const TokenBook* t) { return t->token_id == id; });
    std::erase_if(tokens_, [&](const std::unique_ptr<TokenBook>& t) { return t->token_id == id; });
    std::erase(resync_queue_, id);
    std::erase(verify_queue_, id);
    absl::erase_if(inflight_, [&](const auto& kv) { return kv.second == id; });
  }
  return removed;
}

void BookKeeper::OnFrame(const polymarket::MarketFrame& frame, Nanos receive_ns) {
  now_ = std::max(now_, receive_ns);
  counters_.frames++;
  polymarket::CountCodecErrors(frame.errors, {.malformed = &counters_.malformed,
                                              .unknown_types = &counters_.unknown_types,
                                              .missing_fields = &counters_.missing_fields,
                                              .bad_values = &counters_.bad_values});
  for (const polymarket::MarketEvent& event : frame.events) OnEvent(event, receive_ns);
  Pump(receive_ns);
}

void BookKeeper::OnEvent(const polymarket::MarketEvent& event, Nanos receive_ns) {
  counters_.events++;
  if (const auto* pc = std::get_if<polymarket::PriceChangeEvent>(&event)) {
    for (const polymarket::PriceChange& c : pc->changes) OnChange(c, pc->timestamp_ms, receive_ns);
  } else if (const auto* book = std::get_if<polymarket::BookEvent>(&event)) {
    OnWsBook(*book, receive_ns);
  } else if (const auto* tick = std::get_if<polymarket::TickSizeChangeEvent>(&event)) {
    OnTickChange(*tick, receive_ns);
  } else if (const auto* trade = std::get_if<polymarket::LastTradePriceEvent>(&event)) {
    OnTrade(*trade, receive_ns);
  } else if (const auto* bba = std::get_if<polymarket::BestBidAskEvent>(&event)) {
    OnBestBidAsk(*bba);
  } else if (std::holds_alternative<polymarket::MarketResolvedEvent>(event)) {
    counters_.resolved_markets++;
  } else {
    counters_.ignored_events++;
  }
}

void BookKeeper::MarkDirty(TokenBook& token) {
  if (token.dirty) return;
  token.dirty = true;
  dirty_.push_back(&token);
}

void BookKeeper::MarkChanged(TokenBook& token, Nanos now) {
  MarkDirty(token);
  token.last_change = now;
}

void BookKeeper::OnWsBook(const polymarket::BookEvent& book, Nanos receive_ns) {
  TokenBook* token = Find(book.asset_id);
  if (token == nullptr) {
    counters_.unknown_tokens++;
    return;
  }
  counters_.ws_snapshots++;
  token->last_receive = receive_ns;
  token->last_exchange_ms = std::max(token->last_exchange_ms, book.timestamp_ms);
  // An in-stream snapshot supersedes everything before it, including what a REST snapshot in
  // flight would be replayed with.
  token->tracker.RequireSnapshot();
  const book::IntegrityResult r = token->tracker.OnSnapshot(book);
  token->awaiting_dump = false;
  token->buffer.clear();
  token->buffer_overflowed = false;
  token->exchange_hash = book.hash;
  // A snapshot is the exchange's word: nothing to verify until the book changes again.
  token->verified_sequence = token->tracker.sequence();
  token->last_verify = receive_ns;
  if (token->resync_queued && r.ok()) {
    token->resync_queued = false;
    std::erase(resync_queue_, token->token_id);
  }
  MarkChanged(*token, receive_ns);
  if (!r.ok()) RequestResync(*token, r.reason);
}

void BookKeeper::OnChange(const polymarket::PriceChange& change, int64_t timestamp_ms, Nanos receive_ns) {
  counters_.price_changes++;
  TokenBook* token = Find(change.asset_id);
  if (token == nullptr) {
    counters_.unknown_tokens++;
    return;
  }
  token->last_receive = receive_ns;
  token->last_exchange_ms = std::max(token->last_exchange_ms, timestamp_ms);
  if (!change.hash.empty()) token->exchange_hash = change.hash;
  if (token->inflight) {
    if (token->buffer.size() < config_.max_buffered_changes) {
      token->buffer.push_back({change, timestamp_ms});
    } else if (!token->buffer_overflowed) {
      token->buffer_overflowed = true;
      counters_.buffer_overflows++;
    }
  }
  if (!token->tracker.trusted()) {
    // Waiting for a snapshot: the change is in the buffer if one is in flight, else the coming
    // snapshot (in-stream dump or REST) will include it.
    if (!token->inflight) counters_.dropped_untrusted++;
    if (!token->awaiting_dump && !token->inflight && !token->resync_queued) {
      RequestResync(*token, "change while the book is untrusted");
    }
    return;
  }
  const book::IntegrityResult r = token->tracker.OnPriceChange(change, timestamp_ms);
  if (r.verdict == book::Verdict::kSuperseded) {
    counters_.superseded++;
    return;
  }
  MarkChanged(*token, receive_ns);
  if (!r.ok()) RequestResync(*token, r.reason);
}

void BookKeeper::OnTickChange(const polymarket::TickSizeChangeEvent& event, Nanos receive_ns) {
  TokenBook* token = Find(event.asset_id);
  if (token == nullptr) {
    counters_.unknown_tokens++;
    return;
  }
  const model::TickSize old_tick = token->tracker.book().tick();
  if (event.new_tick == old_tick) {
    counters_.duplicate_tick_changes++;  // a replayed notice: the grid is already the new one
    return;
  }
  counters_.tick_changes++;
  token->tracker.OnTickSizeChange(event.new_tick);
  for (MarketEntry& m : markets_) {
    if (m.meta.condition_id == token->condition_id && !(m.meta.tick == event.new_tick)) {
      m.meta.tick = event.new_tick;
      m.dirty = true;
    }
  }
  v1::TickSizeChange msg;
  stamper_.Stamp(msg.mutable_header(), MsToNanos(event.timestamp_ms), receive_ns, receive_ns);
  msg.set_token_id(token->token_id);
  msg.set_condition_id(token->condition_id);
  msg.set_old_tick_units(old_tick.units());
  msg.set_new_tick_units(event.new_tick.units());
  msg.set_new_epoch(token->tracker.epoch());
  events_.push_back({bus::TickSubject(token->token_id), msg.SerializeAsString(), {}});
  notices_.push_back(fmt::format("tick size of {} changed {} -> {} (epoch {})", token->token_id, old_tick.ToString(),
                                 event.new_tick.ToString(), token->tracker.epoch()));
  MarkChanged(*token, receive_ns);
  RequestResync(*token, "tick size changed");
}

void BookKeeper::OnTrade(const polymarket::LastTradePriceEvent& event, Nanos receive_ns) {
  TokenBook* token = Find(event.asset_id);
  if (token == nullptr) {
    counters_.unknown_tokens++;
    return;
  }
  counters_.trades++;
  token->last_trade_price = event.price;
  MarkDirty(*token);
  v1::MarketTrade msg;
  stamper_.Stamp(msg.mutable_header(), MsToNanos(event.timestamp_ms), receive_ns, receive_ns);
  msg.set_token_id(token->token_id);
  msg.set_condition_id(token->condition_id);
  msg.set_price_units(event.price.units());
  msg.set_size_micros(event.size.micros());
  msg.set_side(bus::ToProto(event.side));
  events_.push_back({bus::TradeSubject(token->token_id), msg.SerializeAsString(), {}});
}

void BookKeeper::OnBestBidAsk(const polymarket::BestBidAskEvent& event) {
  TokenBook* token = Find(event.asset_id);
  if (token == nullptr) {
    counters_.unknown_tokens++;
    return;
  }
  if (!token->tracker.trusted()) return;
  const auto& b = token->tracker.book();
  const int64_t bid = b.BestBid() ? b.BestBid()->price.units() : 0;
  const int64_t ask = b.BestAsk() ? b.BestAsk()->price.units() : model::kPriceOne;
  const bool bid_differs = event.best_bid && event.best_bid->units() != bid;
  const bool ask_differs = event.best_ask && event.best_ask->units() != ask;
  if (bid_differs || ask_differs) {
    // It may have been sent before changes we already applied: check, do not distrust at once.
    counters_.best_bid_ask_mismatches++;
    RequestVerify(*token);
  }
}

void BookKeeper::OnConnected(const std::vector<std::string>& assets, Nanos now) {
  now_ = std::max(now_, now);
  for (const std::string& id : assets) {
    TokenBook* token = Find(id);
    if (token == nullptr) continue;
    token->connected = true;
    token->awaiting_dump = !token->tracker.trusted();
    token->awaiting_since = now;
    MarkDirty(*token);
  }
  Pump(now);
}

void BookKeeper::OnDisconnected(const std::vector<std::string>& assets, Nanos now) {
  now_ = std::max(now_, now);
  for (const std::string& id : assets) {
    TokenBook* token = Find(id);
    if (token == nullptr) continue;
    // Changes are being missed from now on: the book needs the reconnect's snapshot.
    token->connected = false;
    token->tracker.RequireSnapshot();
    MarkDirty(*token);
  }
}

void BookKeeper::RequestResync(TokenBook& token, std::string reason) {
  token.tracker.RequireSnapshot();
  MarkDirty(token);
  if (token.resync_queued || (token.inflight && token.inflight_purpose == SnapshotPurpose::kResync)) return;
  counters_.resyncs++;
  token.resyncs++;
  notices_.push_back(fmt::format("resync {}: {}", token.token_id, reason));
  token.last_resync_reason = std::move(reason);
  token.resync_queued = true;
  resync_queue_.push_back(token.token_id);
}

void BookKeeper::RequestVerify(TokenBook& token) {
  if (token.verify_queued || token.inflight || token.resync_queued) return;
  token.verify_queued = true;
  verify_queue_.push_back(token.token_id);
}

void BookKeeper::Pump(Nanos now) {
  if (budget_at_ == 0) budget_at_ = now;
  if (now > budget_at_) {
    budget_ = std::min(config_.snapshot_burst,
                       budget_ + config_.snapshot_rate_per_s * static_cast<double>(now - budget_at_) / 1e9);
    budget_at_ = now;
  }
  auto issue = [&](std::deque<std::string>& queue, SnapshotPurpose purpose) {
    while (!queue.empty() && budget_ >= 1.0) {
      TokenBook* token = Find(queue.front());
      queue.pop_front();
      if (token == nullptr) continue;
      (purpose == SnapshotPurpose::kResync ? token->resync_queued : token->verify_queued) = false;
      if (token->inflight) {
        // A verification in flight becomes the resync: its answer will be adopted.
        if (purpose == SnapshotPurpose::kResync) token->inflight_purpose = SnapshotPurpose::kResync;
        continue;
      }
      if (purpose == SnapshotPurpose::kVerify && !token->tracker.trusted()) continue;
      budget_ -= 1.0;
      const uint64_t id = next_request_id_++;
      token->inflight = id;
      token->inflight_purpose = purpose;
      token->inflight_since = now;
      token->buffer.clear();
      token->buffer_overflowed = false;
      inflight_.emplace(id, token->token_id);
      requests_.push_back({id, token->token_id, purpose});
      if (purpose == SnapshotPurpose::kVerify) counters_.verifications++;
    }
  };
  issue(resync_queue_, SnapshotPurpose::kResync);
  issue(verify_queue_, SnapshotPurpose::kVerify);
}

void BookKeeper::Adopt(TokenBook& token, const book::L2Book& candidate, int64_t timestamp_ms, std::string_view hash) {
  polymarket::BookEvent replacement;
  replacement.asset_id = token.token_id;
  replacement.timestamp_ms = timestamp_ms;
  replacement.bids = candidate.Bids();
  replacement.asks = candidate.Asks();
  replacement.tick_size = candidate.tick();
  token.tracker.RequireSnapshot();
  const book::IntegrityResult r = token.tracker.OnSnapshot(replacement, /*in_stream=*/false);
  if (!hash.empty()) token.exchange_hash = std::string(hash);
  if (!r.ok()) RequestResync(token, r.reason);
}

void BookKeeper::OnSnapshot(uint64_t id, const absl::StatusOr<polymarket::BookEvent>& result, Nanos now) {
  auto it = inflight_.find(id);
  const std::string token_id = it == inflight_.end() ? std::string() : it->second;
  ApplySnapshot(id, result, now);
  TokenBook* token = token_id.empty() || !result.ok() ? nullptr : Find(token_id);
  if (token == nullptr) return;
  if (!result->hash_mismatch) {
    token->hash_refetched = false;
    return;
  }
  counters_.book_hash_mismatches++;
  notices_.push_back(fmt::format("GET /book {}: hash mismatch (advisory)", token_id));
  if (token->hash_refetched) return;
  token->hash_refetched = true;
  RequestVerify(*token);
  Pump(now);
}

void BookKeeper::ApplySnapshot(uint64_t id, const absl::StatusOr<polymarket::BookEvent>& result, Nanos now) {
  now_ = std::max(now_, now);
  auto it = inflight_.find(id);
  if (it == inflight_.end()) return;  // timed out earlier, or the market was removed
  TokenBook* token = Find(it->second);
  inflight_.erase(it);
  if (token == nullptr || token->inflight != id) return;
  const SnapshotPurpose purpose = token->inflight_purpose;
  token->inflight.reset();
  std::vector<TokenBook::Buffered> buffer = std::move(token->buffer);
  token->buffer.clear();
  const bool overflowed = token->buffer_overflowed;
  token->buffer_overflowed = false;
  if (!result.ok()) {
    counters_.snapshot_failures++;
    notices_.push_back(fmt::format("GET /book {} failed: {}", token->token_id, std::string(result.status().message())));
    if (purpose == SnapshotPurpose::kResync) {
      token->resync_queued = true;
      resync_queue_.push_back(token->token_id);
    }
    Pump(now);
    return;
  }
  counters_.rest_snapshots++;
  const polymarket::BookEvent& snap = *result;
  // The snapshot plus every change seen since it was asked for that is not older than it.
  book::L2Book candidate(snap.tick_size.value_or(token->tracker.book().tick()));
  candidate.ApplySnapshot(snap.bids, snap.asks);
  int64_t latest_ms = snap.timestamp_ms;
  for (const TokenBook::Buffered& b : buffer) {
    if (b.timestamp_ms != 0 && snap.timestamp_ms != 0 && b.timestamp_ms < snap.timestamp_ms) continue;
    candidate.SetLevel(b.change.side, b.change.price, b.change.size);
    latest_ms = std::max(latest_ms, b.timestamp_ms);
  }
  if (snap.tick_size && !(*snap.tick_size == token->tracker.book().tick()) && token->tracker.trusted()) {
    // The exchange's grid differs from ours and no tick_size_change told us: adopt its grid.
    notices_.push_back(fmt::format("GET /book {} reports tick {} (ours {})", token->token_id,
                                   snap.tick_size->ToString(), token->tracker.book().tick().ToString()));
  }
  if (overflowed) {
    // Too many changes to replay: the candidate is incomplete; ask again.
    RequestResync(*token, "change buffer overflowed during a snapshot");
    Pump(now);
    return;
  }
  if (purpose == SnapshotPurpose::kVerify && token->tracker.trusted()) {
    if (candidate == token->tracker.book() && candidate.tick() == token->tracker.book().tick()) {
      token->verified_sequence = token->tracker.sequence();
      token->last_verify = now;
      return;
    }
    if (token->tracker.last_timestamp_ms() < snap.timestamp_ms) {
      // Our stream had not reached the snapshot's time: frames may still be on their way, so
      // this is not proof of a wrong book. The snapshot is newer either way: adopt it.
      counters_.verify_overtaken++;
      Adopt(*token, candidate, latest_ms, snap.hash);
      token->verified_sequence = token->tracker.sequence();
      token->last_verify = now;
      MarkChanged(*token, now);
      Pump(now);
      return;
    }
    counters_.verify_mismatches++;
    notices_.push_back(
        fmt::format("verification of {} found a different book (ours {}x{} levels, exchange {}x{}); "
                    "replaced",
                    token->token_id, token->tracker.book().bid_levels(), token->tracker.book().ask_levels(),
                    candidate.bid_levels(), candidate.ask_levels()));
  }
  Adopt(*token, candidate, latest_ms, snap.hash);
  if (token->resync_queued && token->tracker.trusted()) {
    token->resync_queued = false;
    std::erase(resync_queue_, token->token_id);
  }
  token->awaiting_dump = false;
  token->verified_sequence = token->tracker.sequence();
  token->last_verify = now;
  MarkChanged(*token, now);
  Pump(now);
}

void BookKeeper::OnTimer(Nanos now) {
  now_ = std::max(now_, now);
  for (auto& [id, token_id] : std::vector<std::pair<uint64_t, std::string>>(inflight_.begin(), inflight_.end())) {
    TokenBook* token = Find(token_id);
    if (token == nullptr || now - token->inflight_since < config_.snapshot_timeout) continue;
    counters_.snapshot_timeouts++;
    OnSnapshot(id, absl::DeadlineExceededError("no answer"), now);
  }
  for (const std::unique_ptr<TokenBook>& t : tokens_) {
    TokenBook& token = *t;
    if (token.connected && token.awaiting_dump && now - token.awaiting_since >= config_.dump_timeout) {
      token.awaiting_dump = false;
      if (!token.tracker.trusted()) RequestResync(token, "no snapshot after (re)connecting");
    }
    if (token.trusted() && !token.inflight) {
      const bool quiet_after_change =
          token.tracker.sequence() != token.verified_sequence && now - token.last_change >= config_.verify_when_quiet;
      if (quiet_after_change || now - token.last_verify >= config_.verify_every) RequestVerify(token);
    }
    if (now - token.last_publish >= config_.republish_every) MarkDirty(token);
  }
  Pump(now);
}

std::vector<SnapshotRequest> BookKeeper::TakeSnapshotRequests() {
  std::vector<SnapshotRequest> out;
  out.swap(requests_);
  return out;
}

std::vector<std::string> BookKeeper::TakeNotices() {
  std::vector<std::string> out;
  out.swap(notices_);
  return out;
}

void BookKeeper::FillBook(const TokenBook& token, size_t depth, Nanos publish_ns, v1::Book& out) {
  stamper_.Stamp(out.mutable_header(), MsToNanos(token.last_exchange_ms), token.last_receive, publish_ns);
  out.set_token_id(token.token_id);
  out.set_condition_id(token.condition_id);
  const book::L2Book& b = token.tracker.book();
  out.set_tick_units(b.tick().units());
  out.set_epoch(token.tracker.epoch());
  out.set_book_sequence(token.tracker.sequence());
  CopyLevels(b.Bids(depth), out.mutable_bids());
  CopyLevels(b.Asks(depth), out.mutable_asks());
  if (token.last_trade_price) out.set_last_trade_price_units(token.last_trade_price->units());
  out.set_exchange_hash(token.exchange_hash);
  out.set_resyncing(!token.trusted());
  out.set_last_change_ns(token.last_change);
}

void BookKeeper::FillMarketInfo(const MarketEntry& market, Nanos publish_ns, v1::MarketInfo& out) {
  const polymarket::MarketMetadata& m = market.meta;
  stamper_.Stamp(out.mutable_header(), 0, publish_ns, publish_ns);
  common::v1::MarketRef* ref = out.mutable_market();
  ref->set_condition_id(m.condition_id);
  ref->set_slug(m.slug);
  if (!m.token_ids.empty()) ref->set_yes_token_id(m.token_ids[0]);
  if (m.token_ids.size() > 1) ref->set_no_token_id(m.token_ids[1]);
  out.set_tick_units(m.tick.units());
  out.set_neg_risk(m.neg_risk);
  out.set_end_time_ms(m.end_time_ms);
  out.set_min_order_size_micros(m.min_order_size.micros());
  out.set_rewards_min_size_micros(m.rewards_min_size.micros());
  out.set_rewards_max_spread_units(m.rewards_max_spread.units());
  out.set_accepting_orders(m.accepting_orders);
  out.set_question(m.question);
  out.set_fees_enabled(m.fees.enabled);
  out.set_fee_rate_ppm(m.fees.rate_ppm);
  out.set_fee_exponent(m.fees.exponent);
  out.set_fee_rebate_ppm(m.fees.rebate_ppm);
}

void BookKeeper::TakePublications(Nanos publish_ns, std::vector<Publication>& out) {
  for (Publication& p : events_) out.push_back(std::move(p));
  events_.clear();
  for (MarketEntry& m : markets_) {
    if (!m.dirty) continue;
    m.dirty = false;
    v1::MarketInfo info;
    FillMarketInfo(m, publish_ns, info);
    out.push_back({bus::MarketInfoSubject(m.meta.condition_id), info.SerializeAsString(), m.meta.condition_id});
  }
  v1::Book book;
  for (TokenBook* t : dirty_) {
    t->dirty = false;
    t->last_publish = publish_ns;
    book.Clear();
    FillBook(*t, 0, publish_ns, book);
    out.push_back({bus::BookSubject(t->token_id), book.SerializeAsString(), {}});
    counters_.books_published++;
  }
  dirty_.clear();
}

}  // namespace clobmaker::marketdata
