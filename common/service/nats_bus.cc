#include "common/service/nats_bus.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "common/core/status.h"

namespace clobmaker::service {
namespace {

class NatsSubscription final : public BusSubscription {
 public:
  explicit NatsSubscription(std::unique_ptr<nats::Subscription> sub) : sub_(std::move(sub)) {}

 private:
  std::unique_ptr<nats::Subscription> sub_;
};

class NatsKvBucket final : public KvBucket {
 public:
  explicit NatsKvBucket(std::unique_ptr<nats::KeyValue> kv) : kv_(std::move(kv)) {}
  absl::StatusOr<nats::KvEntry> Get(std::string_view key) override { return kv_->Get(key); }
  absl::StatusOr<std::vector<std::string>> Keys() override { return kv_->Keys(); }
  absl::StatusOr<uint64_t> Put(std::string_view key, std::string_view value) override { return kv_->Put(key, value); }
  absl::StatusOr<uint64_t> Create(std::string_view key, std::string_view value) override {
    return kv_->Create(key, value);
  }
  absl::StatusOr<uint64_t> Update(std::string_view key, std::string_view value, uint64_t last_revision) override {
    return kv_->Update(key, value, last_revision);
  }
  absl::Status Delete(std::string_view key) override { return kv_->Delete(key); }

 private:
  std::unique_ptr<nats::KeyValue> kv_;
};

// A durable pull consumer on its own thread. Each batch is handled on the loop and acknowledged
// after; the thread never waits on the loop without watching for the end, so the consumer can be
// destroyed on the loop itself (where the service's state dies).
class PullConsumerThread final : public BusSubscription {
 public:
  PullConsumerThread(nats::JetStream& js, Executor& loop, ConsumerSpec spec, std::function<void(BusMessage)> handler,
                     std::unique_ptr<nats::PullConsumer> consumer)
      : js_(js), loop_(loop), spec_(std::move(spec)), state_(std::make_shared<State>()) {
    state_->handler = std::move(handler);
    thread_ = std::thread([this, consumer = std::move(consumer)]() mutable { Run(std::move(consumer)); });
  }
  ~PullConsumerThread() override {
    {
      std::lock_guard lock(state_->mu);
      state_->stop = true;
    }
    state_->cv.notify_all();
    thread_.join();
  }

 private:
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    bool stop = false;
    std::function<void(BusMessage)> handler;
  };

  // Waits up to `d` unless stopped; true when stopped.
  bool StoppedAfter(Nanos d) {
    std::unique_lock lock(state_->mu);
    return state_->cv.wait_for(lock, std::chrono::nanoseconds(d), [&] { return state_->stop; });
  }
  bool stopped() {
    std::lock_guard lock(state_->mu);
    return state_->stop;
  }

  void Run(std::unique_ptr<nats::PullConsumer> consumer) {
    while (consumer == nullptr) {
      auto created = js_.Consumer(spec_.stream, spec_.durable, spec_.options);
      if (created.ok()) {
        consumer = std::move(*created);
        break;
      }
      spdlog::warn("{} consumer {}: {} (retrying)", spec_.stream, spec_.durable, StatusText(created.status()));
      if (StoppedAfter(kNanosPerSecond)) return;
    }
    while (!stopped()) {
      auto batch = consumer->Fetch(spec_.batch, 250 * kNanosPerMilli);
      if (!batch.ok()) {
        if (StoppedAfter(200 * kNanosPerMilli)) return;
        continue;
      }
      if (batch->empty()) continue;
      std::vector<BusMessage> messages;
      for (nats::JsMessage& m : *batch)
        messages.push_back({.subject = std::string(m.subject()), .data = std::string(m.data())});
      // Handled on the loop; acknowledged only once handled. If the consumer ends first, the batch
      // is left unacknowledged and the server redelivers it to the durable's next reader.
      auto handled = std::make_shared<std::promise<void>>();
      auto done = handled->get_future();
      loop_.Post([state = state_, handled, messages = std::move(messages)]() mutable {
        {
          std::lock_guard lock(state->mu);
          if (state->stop) return;
        }
        for (BusMessage& m : messages) state->handler(std::move(m));
        handled->set_value();
      });
      while (done.wait_for(std::chrono::milliseconds(50)) != std::future_status::ready) {
        if (stopped()) return;
      }
      for (nats::JsMessage& m : *batch) (void)m.Ack();
    }
  }

  nats::JetStream& js_;
  Executor& loop_;
  ConsumerSpec spec_;
  std::shared_ptr<State> state_;
  std::thread thread_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<NatsBus>> NatsBus::Connect(const std::string& url, const std::string& name,
                                                          Executor& loop) {
  CM_ASSIGN_OR_RETURN(auto connection, nats::Connection::Connect({.url = url, .name = name, .executor = &loop}));
  CM_ASSIGN_OR_RETURN(auto js, nats::JetStream::Create(*connection));
  return std::unique_ptr<NatsBus>(new NatsBus(loop, std::move(connection), std::move(js)));
}

NatsBus::~NatsBus() = default;

absl::Status NatsBus::Publish(std::string_view subject, std::string_view data) {
  return connection_->Publish(subject, data);
}

absl::Status NatsBus::Flush(Nanos timeout) { return connection_->Flush(timeout); }

absl::StatusOr<std::unique_ptr<BusSubscription>> NatsBus::Subscribe(std::string subject,
                                                                    std::function<void(BusMessage)> handler) {
  CM_ASSIGN_OR_RETURN(auto sub, connection_->Subscribe(std::move(subject), std::move(handler)));
  return std::make_unique<NatsSubscription>(std::move(sub));
}

absl::Status NatsBus::EnsureStream(const nats::StreamConfig& config) { return js_->EnsureStream(config); }

absl::StatusOr<nats::PublishAck> NatsBus::PublishDurable(std::string_view subject, std::string_view data,
                                                         std::string_view msg_id) {
  return js_->Publish(subject, data, msg_id);
}

absl::Status NatsBus::EnsureConsumer(const ConsumerSpec& spec) {
  // The local subscription is released at once; the durable stays on the server.
  return js_->Consumer(spec.stream, spec.durable, spec.options).status();
}

absl::StatusOr<std::unique_ptr<BusSubscription>> NatsBus::Consume(const ConsumerSpec& spec,
                                                                  std::function<void(BusMessage)> handler) {
  std::unique_ptr<nats::PullConsumer> consumer;
  if (!spec.retry_create) {
    CM_ASSIGN_OR_RETURN(consumer, js_->Consumer(spec.stream, spec.durable, spec.options));
  }
  return std::make_unique<PullConsumerThread>(*js_, loop_, spec, std::move(handler), std::move(consumer));
}

absl::StatusOr<std::unique_ptr<KvBucket>> NatsBus::EnsureKeyValue(const nats::KeyValueConfig& config) {
  CM_ASSIGN_OR_RETURN(auto kv, js_->EnsureKeyValue(config));
  return std::make_unique<NatsKvBucket>(std::move(kv));
}

}  // namespace clobmaker::service
