// strategy's functional core: bus messages in (market metadata, books, reference prices,
// positions, execution status), desired ladders out on cm.strategy.desired.<market>
// (design.md s2: full state with its tick, sequences and a validity deadline).
//
// A ladder is published when it changes (orders or gates) and re-published before a third of its
// validity has passed, so that execution never acts on an expired one and a lost message costs at
// most that long. Sequences start at the construction time in ns, so a restarted strategy's
// ladders are never older than its predecessor's. No I/O, no clock of its own.
#pragma once

#include <absl/status/statusor.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "clobmaker/strategy/v1/strategy.pb.h"
#include "common/bus/header.h"
#include "services/strategy/core/quote_engine.h"
#include "services/strategy/core/quote_params.h"

namespace clobmaker::marketdata::v1 {
class Book;
class MarketInfo;
class ReferencePrice;
}  // namespace clobmaker::marketdata::v1
namespace clobmaker::positions::v1 {
class Position;
}  // namespace clobmaker::positions::v1
namespace clobmaker::orders::v1 {
class ExecutionStatus;
}  // namespace clobmaker::orders::v1

namespace clobmaker::strategy {

namespace v1 {
class DesiredLadder;
}  // namespace v1

struct Publication {
  std::string subject;
  std::string data;
  Nanos input_receive_ns = 0;  // when the input that caused it was taken off the bus
};

struct MarketState {
  std::string spec;  // as configured (slug, token or condition id)
  QuoteParams params;
  bool resolved = false;
  std::string slug;
  MarketFacts facts;
  std::optional<BookFacts> yes_book;
  uint64_t book_epoch = 0;
  uint64_t book_sequence = 0;
  std::optional<ReferenceFacts> reference;
  uint64_t reference_sequence = 0;
  std::optional<PositionFacts> yes_position, no_position;
  Quote last_quote;
  uint64_t ladder_sequence = 0;
  Nanos last_publish = 0;
  bool published_once = false;
  uint64_t ladders_published = 0;
};

struct StrategyCounters {
  uint64_t books = 0, references = 0, positions = 0, execution_statuses = 0, market_infos = 0, ladders = 0,
           keepalives = 0, gated_ladders = 0, unknown_markets = 0, bad_messages = 0;
};

class StrategyCore {
 public:
  StrategyCore(StrategyConfig config, bus::HeaderStamper& stamper, Nanos sequence_base);

  void OnMarketInfo(const marketdata::v1::MarketInfo& info, Nanos now);
  void OnBook(const marketdata::v1::Book& book, Nanos now);
  void OnReference(const marketdata::v1::ReferencePrice& ref, Nanos now);
  void OnPosition(const positions::v1::Position& position, Nanos now);
  void OnExecutionStatus(const orders::v1::ExecutionStatus& status, Nanos now);
  void OnTimer(Nanos now);
  // Validated as a whole; a refused change leaves the parameters as they were.
  absl::StatusOr<QuoteParams> SetParams(const std::string& condition_id,
                                        const std::map<std::string, std::string>& changes, Nanos now);

  // Stamps each ladder's publication time and serializes it.
  void TakePublications(Nanos publish_ns, std::vector<Publication>& out);
  const std::vector<std::unique_ptr<MarketState>>& markets() const { return markets_; }
  const MarketState* Find(const std::string& condition_id) const;
  const StrategyCounters& counters() const { return counters_; }
  const std::optional<ExecutionFacts>& execution() const { return execution_; }

 private:
  MarketState* ByToken(const std::string& token, bool* is_yes);
  void Requote(MarketState& m, Nanos now, Nanos source_ns, Nanos exchange_ns);

  StrategyConfig config_;
  bus::HeaderStamper& stamper_;
  Nanos sequence_base_;
  std::vector<std::unique_ptr<MarketState>> markets_;
  std::map<std::string, MarketState*> by_condition_;
  std::map<std::string, std::pair<MarketState*, bool>> by_token_;  // token -> (market, is YES)
  std::optional<ExecutionFacts> execution_;
  std::vector<std::string> paused_;
  std::vector<std::pair<std::string, v1::DesiredLadder>> out_;  // subject, ladder (publish time unset)
  StrategyCounters counters_;
};

}  // namespace clobmaker::strategy
