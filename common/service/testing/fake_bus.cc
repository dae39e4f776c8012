#include "common/service/testing/fake_bus.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <set>

namespace clobmaker::service::testing {

bool SubjectMatches(std::string_view pattern, std::string_view subject) {
  while (true) {
    const size_t pd = pattern.find('.');
    const size_t sd = subject.find('.');
    const std::string_view p = pattern.substr(0, pd);
    const std::string_view s = subject.substr(0, sd);
    if (p == ">") return !subject.empty();
    if (p != "*" && p != s) return false;
    if (pd == std::string_view::npos || sd == std::string_view::npos) {
      return pd == std::string_view::npos && sd == std::string_view::npos;
    }
    pattern.remove_prefix(pd + 1);
    subject.remove_prefix(sd + 1);
  }
}

namespace {

using Handler = std::shared_ptr<std::function<void(BusMessage)>>;
using Live = std::shared_ptr<std::atomic<bool>>;

class Handle final : public BusSubscription {
 public:
  explicit Handle(Live live) : live_(std::move(live)) {}
  ~Handle() override { live_->store(false); }

 private:
  Live live_;
};

class FakeBucket final : public KvBucket {
 public:
  absl::StatusOr<nats::KvEntry> Get(std::string_view key) override {
    std::lock_guard lock(mu_);
    auto it = entries_.find(std::string(key));
    if (it == entries_.end() || it->second.deleted) return absl::NotFoundError(fmt::format("key {} not found", key));
    return nats::KvEntry{.value = it->second.value, .revision = it->second.revision};
  }
  absl::StatusOr<std::vector<std::string>> Keys() override {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (const auto& [key, e] : entries_) {
      if (!e.deleted) out.push_back(key);
    }
    return out;
  }
  absl::StatusOr<uint64_t> Put(std::string_view key, std::string_view value) override {
    std::lock_guard lock(mu_);
    return Store(key, value, false);
  }
  absl::StatusOr<uint64_t> Create(std::string_view key, std::string_view value) override {
    std::lock_guard lock(mu_);
    auto it = entries_.find(std::string(key));
    if (it != entries_.end() && !it->second.deleted) return absl::AlreadyExistsError(fmt::format("key {} exists", key));
    return Store(key, value, false);
  }
  absl::StatusOr<uint64_t> Update(std::string_view key, std::string_view value, uint64_t last_revision) override {
    std::lock_guard lock(mu_);
    auto it = entries_.find(std::string(key));
    const uint64_t current = it == entries_.end() ? 0 : it->second.revision;
    if (current != last_revision) {
      return absl::FailedPreconditionError(
          fmt::format("key {}: wrong last revision {} (is {})", key, last_revision, current));
    }
    return Store(key, value, false);
  }
  absl::Status Delete(std::string_view key) override {
    std::lock_guard lock(mu_);
    (void)Store(key, "", true);
    return absl::OkStatus();
  }

 private:
  struct Entry {
    std::string value;
    uint64_t revision = 0;
    bool deleted = false;
  };
  uint64_t Store(std::string_view key, std::string_view value, bool deleted) {
    Entry& e = entries_[std::string(key)];
    e = {.value = std::string(value), .revision = ++revision_, .deleted = deleted};
    return e.revision;
  }
  std::mutex mu_;
  std::map<std::string, Entry> entries_;
  uint64_t revision_ = 0;
};

// A bucket shared by every EnsureKeyValue of its name.
class BucketRef final : public KvBucket {
 public:
  explicit BucketRef(std::shared_ptr<FakeBucket> b) : b_(std::move(b)) {}
  absl::StatusOr<nats::KvEntry> Get(std::string_view key) override { return b_->Get(key); }
  absl::StatusOr<std::vector<std::string>> Keys() override { return b_->Keys(); }
  absl::StatusOr<uint64_t> Put(std::string_view key, std::string_view value) override { return b_->Put(key, value); }
  absl::StatusOr<uint64_t> Create(std::string_view key, std::string_view value) override {
    return b_->Create(key, value);
  }
  absl::StatusOr<uint64_t> Update(std::string_view key, std::string_view value, uint64_t last) override {
    return b_->Update(key, value, last);
  }
  absl::Status Delete(std::string_view key) override { return b_->Delete(key); }

 private:
  std::shared_ptr<FakeBucket> b_;
};

}  // namespace

struct FakeBus::State {
  struct Sub {
    std::string pattern;
    Handler handler;
    Live live;
  };
  struct Stream {
    nats::StreamConfig config;
    std::vector<BusMessage> messages;  // sequence = index + 1
    std::set<std::string> ids;
  };
  struct Consumer {
    std::string stream;
    std::string filter;
    std::string durable;  // "stream/durable"
    Handler handler;
    Live live;
  };
  std::mutex mu;
  std::vector<BusMessage> log;
  std::vector<Sub> subs;
  std::map<std::string, Stream> streams;
  std::map<std::string, uint64_t> acked;  // "stream/durable" -> last sequence handled
  std::vector<Consumer> consumers;
  std::map<std::string, std::shared_ptr<FakeBucket>> buckets;

  // Under mu: the stream capturing `subject`, if any.
  Stream* StreamOf(std::string_view subject, std::string* name) {
    for (auto& [n, s] : streams) {
      for (const std::string& pattern : s.config.subjects) {
        if (SubjectMatches(pattern, subject)) {
          *name = n;
          return &s;
        }
      }
    }
    return nullptr;
  }
};

namespace {

// Hands sequence `seq` to consumer `c` on the loop; acknowledged once handled.
void PostDelivery(const std::shared_ptr<FakeBus::State>& state, Executor& loop, const FakeBus::State::Consumer& c,
                  uint64_t seq, const BusMessage& m) {
  if (!c.filter.empty() && !SubjectMatches(c.filter, m.subject)) return;
  loop.Post([state, c, seq, m] {
    if (!c.live->load()) return;
    (*c.handler)(m);
    std::lock_guard lock(state->mu);
    uint64_t& acked = state->acked[c.durable];
    acked = std::max(acked, seq);
  });
}

// Under mu: posts `m` (sequence `seq` of `stream`) to every consumer of the stream.
void DeliverToConsumers(const std::shared_ptr<FakeBus::State>& state, Executor& loop, const std::string& stream,
                        uint64_t seq, const BusMessage& m) {
  for (const auto& c : state->consumers) {
    if (c.stream == stream && c.live->load()) PostDelivery(state, loop, c, seq, m);
  }
}

// Under mu: core subscribers see every message, JetStream-published or not.
void DeliverToSubscribers(const std::shared_ptr<FakeBus::State>& state, Executor& loop, const BusMessage& m) {
  for (const auto& s : state->subs) {
    if (!s.live->load() || !SubjectMatches(s.pattern, m.subject)) continue;
    loop.Post([handler = s.handler, live = s.live, m] {
      if (live->load()) (*handler)(m);
    });
  }
}

}  // namespace

FakeBus::FakeBus(Executor& loop) : loop_(loop), state_(std::make_shared<State>()) {}

FakeBus::~FakeBus() {
  std::lock_guard lock(state_->mu);
  for (auto& s : state_->subs) s.live->store(false);
  for (auto& c : state_->consumers) c.live->store(false);
}

absl::Status FakeBus::Publish(std::string_view subject, std::string_view data) {
  std::lock_guard lock(state_->mu);
  const BusMessage m{.subject = std::string(subject), .data = std::string(data)};
  state_->log.push_back(m);
  DeliverToSubscribers(state_, loop_, m);
  std::string name;
  if (State::Stream* s = state_->StreamOf(subject, &name)) {  // a stream captures core publishes too
    s->messages.push_back(m);
    DeliverToConsumers(state_, loop_, name, s->messages.size(), m);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<BusSubscription>> FakeBus::Subscribe(std::string subject,
                                                                    std::function<void(BusMessage)> handler) {
  std::lock_guard lock(state_->mu);
  auto live = std::make_shared<std::atomic<bool>>(true);
  state_->subs.push_back({.pattern = std::move(subject),
                          .handler = std::make_shared<decltype(handler)>(std::move(handler)),
                          .live = live});
  return std::make_unique<Handle>(live);
}

absl::Status FakeBus::EnsureStream(const nats::StreamConfig& config) {
  std::lock_guard lock(state_->mu);
  state_->streams[config.name].config = config;
  return absl::OkStatus();
}

absl::StatusOr<nats::PublishAck> FakeBus::PublishDurable(std::string_view subject, std::string_view data,
                                                         std::string_view msg_id) {
  std::lock_guard lock(state_->mu);
  std::string name;
  State::Stream* s = state_->StreamOf(subject, &name);
  if (s == nullptr) return absl::NotFoundError(fmt::format("no stream captures {}", subject));
  if (!msg_id.empty() && !s->ids.insert(std::string(msg_id)).second) {
    return nats::PublishAck{.stream = name, .sequence = s->messages.size(), .duplicate = true};
  }
  const BusMessage m{.subject = std::string(subject), .data = std::string(data)};
  state_->log.push_back(m);
  s->messages.push_back(m);
  DeliverToSubscribers(state_, loop_, m);
  DeliverToConsumers(state_, loop_, name, s->messages.size(), m);
  return nats::PublishAck{.stream = name, .sequence = s->messages.size()};
}

// Under mu: the durable's place ("deliver sequences after this"), created if new.
static absl::StatusOr<uint64_t> DurablePlace(FakeBus::State& state, const ConsumerSpec& spec) {
  auto it = state.streams.find(spec.stream);
  if (it == state.streams.end()) return absl::NotFoundError(fmt::format("stream {} not found", spec.stream));
  const std::string durable = spec.stream + "/" + spec.durable;
  auto acked = state.acked.find(durable);
  if (acked != state.acked.end()) return acked->second;
  const uint64_t from = spec.options.deliver_new_only ? it->second.messages.size() : 0;
  state.acked[durable] = from;
  return from;
}

absl::Status FakeBus::EnsureConsumer(const ConsumerSpec& spec) {
  std::lock_guard lock(state_->mu);
  return DurablePlace(*state_, spec).status();
}

absl::StatusOr<std::unique_ptr<BusSubscription>> FakeBus::Consume(const ConsumerSpec& spec,
                                                                  std::function<void(BusMessage)> handler) {
  std::lock_guard lock(state_->mu);
  auto place = DurablePlace(*state_, spec);
  if (!place.ok()) return place.status();
  const uint64_t from = *place;
  auto it = state_->streams.find(spec.stream);
  const std::string durable = spec.stream + "/" + spec.durable;
  auto live = std::make_shared<std::atomic<bool>>(true);
  State::Consumer c{.stream = spec.stream,
                    .filter = spec.options.filter_subject,
                    .durable = durable,
                    .handler = std::make_shared<decltype(handler)>(std::move(handler)),
                    .live = live};
  state_->consumers.push_back(c);
  const auto& messages = it->second.messages;
  for (uint64_t seq = from + 1; seq <= messages.size(); ++seq) PostDelivery(state_, loop_, c, seq, messages[seq - 1]);
  return std::make_unique<Handle>(live);
}

absl::StatusOr<std::unique_ptr<KvBucket>> FakeBus::EnsureKeyValue(const nats::KeyValueConfig& config) {
  std::lock_guard lock(state_->mu);
  auto& bucket = state_->buckets[config.bucket];
  if (bucket == nullptr) bucket = std::make_shared<FakeBucket>();
  return std::make_unique<BucketRef>(bucket);
}

std::vector<BusMessage> FakeBus::Published(std::string_view pattern) const {
  std::lock_guard lock(state_->mu);
  std::vector<BusMessage> out;
  for (const BusMessage& m : state_->log) {
    if (SubjectMatches(pattern, m.subject)) out.push_back(m);
  }
  return out;
}

KvBucket* FakeBus::Bucket(const std::string& name) {
  std::lock_guard lock(state_->mu);
  auto it = state_->buckets.find(name);
  if (it == state_->buckets.end()) return nullptr;
  keep_.push_back(std::make_unique<BucketRef>(it->second));
  return keep_.back().get();
}

}  // namespace clobmaker::service::testing
