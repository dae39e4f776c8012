// Every bus message starts with a Header (design.md s2): source, a sequence that is monotonic per
// source, and the exchange / receive / publish timestamps. One stamper per publishing process,
// shared by all its cores, so that the sequence is per source and not per core.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "clobmaker/common/v1/common.pb.h"
#include "common/core/clock.h"

namespace clobmaker::bus {

class HeaderStamper {
 public:
  explicit HeaderStamper(std::string source) : source_(std::move(source)) {}
  void Stamp(common::v1::Header* header, Nanos exchange_ns, Nanos receive_ns, Nanos publish_ns) {
    header->set_source(source_);
    header->set_sequence(++sequence_);
    header->set_exchange_ts_ns(exchange_ns);
    header->set_receive_ts_ns(receive_ns);
    header->set_publish_ts_ns(publish_ns);
  }
  const std::string& source() const { return source_; }
  uint64_t sequence() const { return sequence_; }

 private:
  std::string source_;
  uint64_t sequence_ = 0;
};

}  // namespace clobmaker::bus
