#include "common/nats/nats.h"

#include <fmt/core.h>
#include <google/protobuf/message_lite.h>
#include <nats/nats.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <string>

#include "common/core/status.h"

namespace clobmaker::nats {
namespace {

int64_t ToMillis(Nanos n) { return n <= 0 ? 0 : std::max<int64_t>(1, n / kNanosPerMilli); }

absl::Status FromNats(natsStatus s, std::string_view what) {
  if (s == NATS_OK) return absl::OkStatus();
  const char* last = nats_GetLastError(nullptr);
  std::string message =
      fmt::format("{}: {}{}{}", what, natsStatus_GetText(s), last && *last ? ": " : "", last ? last : "");
  switch (s) {
    case NATS_TIMEOUT:
      return absl::DeadlineExceededError(message);
    case NATS_NO_SERVER:
    case NATS_CONNECTION_CLOSED:
    case NATS_CONNECTION_DISCONNECTED:
    case NATS_NO_RESPONDERS:
    case NATS_STALE_CONNECTION:
    case NATS_IO_ERROR:
      return absl::UnavailableError(message);
    case NATS_NOT_FOUND:
      return absl::NotFoundError(message);
    case NATS_INVALID_ARG:
    case NATS_INVALID_SUBJECT:
      return absl::InvalidArgumentError(message);
    default:
      return absl::InternalError(message);
  }
}

absl::Status FromJs(natsStatus s, jsErrCode code, std::string_view what) {
  if (s == NATS_OK) return absl::OkStatus();
  absl::Status base = FromNats(s, what);
  if (code == 0) return base;
  return absl::Status(base.code(), fmt::format("{} (JetStream error {})", StatusText(base), static_cast<int>(code)));
}

std::string Str(std::string_view v) { return std::string(v); }

// Called once per process: the library's global state (threads, timers).
void EnsureLibraryOpen() {
  static const natsStatus opened = nats_Open(-1);
  (void)opened;
}

}  // namespace

// State shared with the library's connection callbacks. The library runs them on its own thread,
// and natsConnection_Close queues a last "disconnected" there that may run after Close returns: the
// destructor detaches the executor first and keeps this alive until the closed callback (always the
// last one) has run.
struct Connection::CallbackState {
  std::mutex mu;
  std::condition_variable cv;
  bool closed = false;
  Executor* executor = nullptr;  // null once the owner is going away
  std::function<void()> on_disconnected;
  std::function<void()> on_reconnected;
};

struct Subscription::State {
  Executor* executor = nullptr;
  std::function<void(Message)> handler;
  std::atomic<bool> active{true};
};

namespace {
void OnDisconnected(natsConnection*, void* closure) {
  auto* state = static_cast<Connection::CallbackState*>(closure);
  std::lock_guard lock(state->mu);
  if (state->on_disconnected && state->executor) state->executor->Post(state->on_disconnected);
}
void OnReconnected(natsConnection*, void* closure) {
  auto* state = static_cast<Connection::CallbackState*>(closure);
  std::lock_guard lock(state->mu);
  if (state->on_reconnected && state->executor) state->executor->Post(state->on_reconnected);
}
void OnClosed(natsConnection*, void* closure) {
  auto* state = static_cast<Connection::CallbackState*>(closure);
  std::lock_guard lock(state->mu);
  state->closed = true;
  state->cv.notify_all();
}
}  // namespace

Connection::Connection(ConnectOptions options, std::shared_ptr<CallbackState> state)
    : options_(std::move(options)), state_(std::move(state)) {}

absl::StatusOr<std::unique_ptr<Connection>> Connection::Connect(ConnectOptions options) {
  EnsureLibraryOpen();
  auto state = std::make_shared<CallbackState>();
  state->executor = options.executor;
  state->on_disconnected = options.on_disconnected;
  state->on_reconnected = options.on_reconnected;

  natsOptions* opts = nullptr;
  natsStatus s = natsOptions_Create(&opts);
  if (s != NATS_OK) return FromNats(s, "nats options");
  const std::string url = options.url;
  const std::string name = options.name;
  s = natsOptions_SetURL(opts, url.c_str());
  if (s == NATS_OK && !name.empty()) s = natsOptions_SetName(opts, name.c_str());
  if (s == NATS_OK) s = natsOptions_SetSendAsap(opts, options.send_asap);
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(opts, options.max_reconnect);
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(opts, ToMillis(options.reconnect_wait));
  if (s == NATS_OK) s = natsOptions_SetTimeout(opts, ToMillis(options.connect_timeout));
  if (s == NATS_OK) s = natsOptions_SetDisconnectedCB(opts, OnDisconnected, state.get());
  if (s == NATS_OK) s = natsOptions_SetReconnectedCB(opts, OnReconnected, state.get());
  if (s == NATS_OK) s = natsOptions_SetClosedCB(opts, OnClosed, state.get());
  if (s == NATS_OK && options.retry_on_failed_connect)
    s = natsOptions_SetRetryOnFailedConnect(opts, true, nullptr, nullptr);
  if (s != NATS_OK) {
    natsOptions_Destroy(opts);
    return FromNats(s, "nats options");
  }
  natsConnection* conn = nullptr;
  s = natsConnection_Connect(&conn, opts);
  natsOptions_Destroy(opts);
  if (s != NATS_OK && !(options.retry_on_failed_connect && s == NATS_NOT_YET_CONNECTED)) {
    return FromNats(s, fmt::format("connecting to {}", url));
  }
  std::unique_ptr<Connection> connection(new Connection(std::move(options), std::move(state)));
  connection->conn_ = conn;
  return connection;
}

Connection::~Connection() {
  if (conn_ == nullptr) return;
  {
    std::lock_guard lock(state_->mu);
    state_->executor = nullptr;  // nothing is posted to the owner's executor from here on
  }
  natsConnection_Close(conn_);
  natsConnection_Destroy(conn_);
  std::unique_lock lock(state_->mu);
  if (!state_->cv.wait_for(lock, std::chrono::seconds(5), [&] { return state_->closed; })) {
    // The library never reported the close: leave the state to it rather than free it under it.
    new std::shared_ptr<CallbackState>(state_);  // NOLINT: deliberate, abnormal path only
  }
}

absl::Status Connection::Publish(std::string_view subject, std::string_view data) {
  const std::string subj(subject);
  return FromNats(natsConnection_Publish(conn_, subj.c_str(), data.data(), static_cast<int>(data.size())),
                  fmt::format("publish {}", subject));
}

absl::Status Connection::PublishProto(std::string_view subject, const google::protobuf::MessageLite& message) {
  std::string bytes;
  if (!message.SerializeToString(&bytes)) return absl::InternalError("protobuf serialization failed");
  return Publish(subject, bytes);
}

namespace {
void OnMessage(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  auto* raw_state = static_cast<Subscription::State*>(closure);
  Message copy;
  copy.subject = natsMsg_GetSubject(msg);
  if (const char* reply = natsMsg_GetReply(msg)) copy.reply = reply;
  copy.data.assign(natsMsg_GetData(msg), static_cast<size_t>(natsMsg_GetDataLength(msg)));
  natsMsg_Destroy(msg);
  if (!raw_state->active.load(std::memory_order_acquire)) return;
  // The state outlives this task: the connection keeps a reference until it is destroyed.
  raw_state->executor->Post([raw_state, m = std::move(copy)]() mutable {
    if (raw_state->active.load(std::memory_order_acquire)) raw_state->handler(std::move(m));
  });
}
}  // namespace

absl::StatusOr<std::unique_ptr<Subscription>> Connection::Subscribe(std::string subject,
                                                                    std::function<void(Message)> handler,
                                                                    std::string queue_group) {
  if (options_.executor == nullptr) return absl::FailedPreconditionError("subscribe needs ConnectOptions.executor");
  auto state = std::make_shared<Subscription::State>();
  state->executor = options_.executor;
  state->handler = std::move(handler);
  natsSubscription* sub = nullptr;
  natsStatus s = queue_group.empty() ? natsConnection_Subscribe(&sub, conn_, subject.c_str(), OnMessage, state.get())
                                     : natsConnection_QueueSubscribe(&sub, conn_, subject.c_str(), queue_group.c_str(),
                                                                     OnMessage, state.get());
  if (s != NATS_OK) return FromNats(s, fmt::format("subscribe {}", subject));
  {
    std::lock_guard lock(keep_alive_mu_);
    keep_alive_.push_back(state);
  }
  return std::unique_ptr<Subscription>(new Subscription(sub, std::move(state)));
}

Subscription::~Subscription() {
  state_->active.store(false, std::memory_order_release);
  natsSubscription_Unsubscribe(sub_);
  natsSubscription_Destroy(sub_);
}

absl::StatusOr<Message> Connection::Request(std::string_view subject, std::string_view data, Nanos timeout) {
  const std::string subj(subject);
  natsMsg* reply = nullptr;
  natsStatus s = natsConnection_Request(&reply, conn_, subj.c_str(), data.data(), static_cast<int>(data.size()),
                                        ToMillis(timeout));
  if (s != NATS_OK) return FromNats(s, fmt::format("request {}", subject));
  Message out;
  out.subject = natsMsg_GetSubject(reply);
  out.data.assign(natsMsg_GetData(reply), static_cast<size_t>(natsMsg_GetDataLength(reply)));
  natsMsg_Destroy(reply);
  return out;
}

absl::Status Connection::Flush(Nanos timeout) {
  return FromNats(natsConnection_FlushTimeout(conn_, ToMillis(timeout)), "flush");
}

bool Connection::IsConnected() const { return natsConnection_Status(conn_) == NATS_CONN_STATUS_CONNECTED; }

absl::Status NatsPublisher::Publish(std::string_view subject, std::string_view data, std::string_view /*msg_id*/) {
  return connection_.Publish(subject, data);
}

// ---------------------------------------------------------------------------------------------
// JetStream

absl::StatusOr<std::unique_ptr<JetStream>> JetStream::Create(Connection& connection, Nanos default_wait) {
  jsOptions opts;
  jsOptions_Init(&opts);
  opts.Wait = ToMillis(default_wait);
  jsCtx* js = nullptr;
  natsStatus s = natsConnection_JetStream(&js, connection.raw(), &opts);
  if (s != NATS_OK) return FromNats(s, "jetstream context");
  return std::unique_ptr<JetStream>(new JetStream(js));
}

JetStream::~JetStream() { jsCtx_Destroy(js_); }

absl::Status JetStream::EnsureStream(const StreamConfig& config) {
  jsStreamConfig cfg;
  jsStreamConfig_Init(&cfg);
  const std::string name = config.name;
  std::vector<const char*> subjects;
  for (const std::string& subject : config.subjects) subjects.push_back(subject.c_str());
  cfg.Name = name.c_str();
  cfg.Subjects = subjects.data();
  cfg.SubjectsLen = static_cast<int>(subjects.size());
  cfg.Storage = config.memory_storage ? js_MemoryStorage : js_FileStorage;
  cfg.Duplicates = config.duplicate_window;
  cfg.MaxBytes = config.max_bytes;
  cfg.MaxAge = config.max_age;
  cfg.Replicas = config.replicas;
  jsStreamInfo* info = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_AddStream(&info, js_, &cfg, nullptr, &code);
  if (s == NATS_OK) {
    jsStreamInfo_Destroy(info);
    return absl::OkStatus();
  }
  if (code == JSStreamNameExistErr) {
    s = js_UpdateStream(&info, js_, &cfg, nullptr, &code);
    if (s == NATS_OK) jsStreamInfo_Destroy(info);
  }
  return FromJs(s, code, fmt::format("ensure stream {}", config.name));
}

absl::Status JetStream::DeleteStream(std::string_view name) {
  jsErrCode code = static_cast<jsErrCode>(0);
  return FromJs(js_DeleteStream(js_, Str(name).c_str(), nullptr, &code), code, fmt::format("delete stream {}", name));
}

absl::StatusOr<PublishAck> JetStream::Publish(std::string_view subject, std::string_view data, std::string_view msg_id,
                                              Nanos timeout) {
  jsPubOptions opts;
  jsPubOptions_Init(&opts);
  const std::string id(msg_id);
  if (!id.empty()) opts.MsgId = id.c_str();
  if (timeout > 0) opts.MaxWait = ToMillis(timeout);
  jsPubAck* ack = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_Publish(&ack, js_, Str(subject).c_str(), data.data(), static_cast<int>(data.size()), &opts, &code);
  if (s != NATS_OK) return FromJs(s, code, fmt::format("jetstream publish {}", subject));
  PublishAck out{.stream = ack->Stream ? ack->Stream : "", .sequence = ack->Sequence, .duplicate = ack->Duplicate};
  jsPubAck_Destroy(ack);
  return out;
}

absl::StatusOr<std::unique_ptr<PullConsumer>> JetStream::Consumer(std::string_view stream, std::string_view durable,
                                                                  const ConsumerOptions& options) {
  const std::string stream_name(stream);
  const std::string durable_name(durable);
  const std::string filter = options.filter_subject;
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = stream_name.c_str();
  so.Config.Durable = durable_name.c_str();
  so.Config.AckPolicy = options.ack_none ? js_AckNone : js_AckExplicit;
  so.Config.AckWait = options.ack_wait;
  so.Config.MaxDeliver = options.max_deliver;
  so.Config.DeliverPolicy = options.deliver_new_only ? js_DeliverNew : js_DeliverAll;
  if (options.start_time_ns > 0) {
    so.Config.DeliverPolicy = js_DeliverByStartTime;
    // Whole seconds: libnats 3.4 writes the fraction without its leading zeros, so the server's
    // echo of a start time like .092 s differs from the request and the subscribe is refused.
    so.Config.OptStartTime = options.start_time_ns / kNanosPerSecond * kNanosPerSecond;
  }
  so.Config.InactiveThreshold = options.inactive_threshold;
  if (!filter.empty()) so.Config.FilterSubject = filter.c_str();
  natsSubscription* sub = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  // The library wants a subject even for a consumer of the whole stream: create (or update) the
  // durable first, then bind to it by name.
  jsConsumerInfo* info = nullptr;
  natsStatus s = js_AddConsumer(&info, js_, stream_name.c_str(), &so.Config, nullptr, &code);
  if (s == NATS_OK) jsConsumerInfo_Destroy(info);
  if (s != NATS_OK && code == JSConsumerNameExistErr) s = NATS_OK;
  if (s != NATS_OK) return FromJs(s, code, fmt::format("add consumer {}/{}", stream, durable));
  so.Consumer = durable_name.c_str();
  s = js_PullSubscribe(&sub, js_, filter.empty() ? "" : filter.c_str(), durable_name.c_str(), nullptr, &so, &code);
  if (s != NATS_OK) return FromJs(s, code, fmt::format("pull consumer {}/{}", stream, durable));
  return std::unique_ptr<PullConsumer>(new PullConsumer(sub));
}

PullConsumer::~PullConsumer() {
  // Keep the durable on the server: only release the local subscription.
  natsSubscription_Destroy(sub_);
}

absl::StatusOr<std::vector<JsMessage>> PullConsumer::Fetch(int batch, Nanos timeout) {
  natsMsgList list{};
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = natsSubscription_Fetch(&list, sub_, batch, ToMillis(timeout), &code);
  std::vector<JsMessage> out;
  if (s == NATS_TIMEOUT) {
    return out;
  }
  if (s != NATS_OK) return FromJs(s, code, "fetch");
  out.reserve(static_cast<size_t>(list.Count));
  for (int i = 0; i < list.Count; ++i) {
    out.emplace_back(list.Msgs[i]);
    list.Msgs[i] = nullptr;  // ownership moved
  }
  natsMsgList_Destroy(&list);
  return out;
}

JsMessage::JsMessage(natsMsg* msg) : msg_(msg) {}
JsMessage::~JsMessage() {
  if (msg_ != nullptr) natsMsg_Destroy(msg_);
}
JsMessage::JsMessage(JsMessage&& other) noexcept : msg_(other.msg_) { other.msg_ = nullptr; }
JsMessage& JsMessage::operator=(JsMessage&& other) noexcept {
  if (this != &other) {
    if (msg_ != nullptr) natsMsg_Destroy(msg_);
    msg_ = other.msg_;
    other.msg_ = nullptr;
  }
  return *this;
}

std::string_view JsMessage::subject() const { return natsMsg_GetSubject(msg_); }
std::string_view JsMessage::data() const {
  return {natsMsg_GetData(msg_), static_cast<size_t>(natsMsg_GetDataLength(msg_))};
}
std::optional<std::string> JsMessage::header(const char* name) const {
  const char* value = nullptr;
  if (natsMsgHeader_Get(msg_, name, &value) != NATS_OK || value == nullptr) {
    return std::nullopt;
  }
  return std::string(value);
}
uint64_t JsMessage::stream_sequence() const {
  jsMsgMetaData* meta = nullptr;
  if (natsMsg_GetMetaData(&meta, msg_) != NATS_OK) return 0;
  const uint64_t seq = meta->Sequence.Stream;
  jsMsgMetaData_Destroy(meta);
  return seq;
}
Nanos JsMessage::timestamp() const {
  jsMsgMetaData* meta = nullptr;
  if (natsMsg_GetMetaData(&meta, msg_) != NATS_OK) return 0;
  const Nanos t = meta->Timestamp;
  jsMsgMetaData_Destroy(meta);
  return t;
}
uint64_t JsMessage::deliveries() const {
  jsMsgMetaData* meta = nullptr;
  if (natsMsg_GetMetaData(&meta, msg_) != NATS_OK) return 0;
  const uint64_t n = meta->NumDelivered;
  jsMsgMetaData_Destroy(meta);
  return n;
}
absl::Status JsMessage::Ack() {
  jsErrCode code = static_cast<jsErrCode>(0);
  return FromJs(natsMsg_AckSync(msg_, nullptr, &code), code, "ack");
}
absl::Status JsMessage::Nak() { return FromNats(natsMsg_Nak(msg_, nullptr), "nak"); }
absl::Status JsMessage::Term() { return FromNats(natsMsg_Term(msg_, nullptr), "term"); }

// ---------------------------------------------------------------------------------------------
// KeyValue

absl::StatusOr<std::unique_ptr<KeyValue>> JetStream::EnsureKeyValue(const KeyValueConfig& config) {
  kvStore* kv = nullptr;
  const std::string bucket = config.bucket;
  natsStatus s = js_KeyValue(&kv, js_, bucket.c_str());
  if (s == NATS_OK) return std::unique_ptr<KeyValue>(new KeyValue(kv));
  kvConfig cfg;
  kvConfig_Init(&cfg);
  cfg.Bucket = bucket.c_str();
  cfg.History = static_cast<uint8_t>(config.history);
  cfg.TTL = config.ttl;
  cfg.StorageType = config.memory_storage ? js_MemoryStorage : js_FileStorage;
  cfg.Replicas = config.replicas;
  s = js_CreateKeyValue(&kv, js_, &cfg);
  if (s != NATS_OK) return FromNats(s, fmt::format("key-value bucket {}", config.bucket));
  return std::unique_ptr<KeyValue>(new KeyValue(kv));
}

KeyValue::~KeyValue() { kvStore_Destroy(kv_); }

absl::StatusOr<KvEntry> KeyValue::Get(std::string_view key) {
  kvEntry* entry = nullptr;
  natsStatus s = kvStore_Get(&entry, kv_, Str(key).c_str());
  if (s == NATS_NOT_FOUND) {
    return absl::NotFoundError(fmt::format("key {} not found", key));
  }
  if (s != NATS_OK) return FromNats(s, fmt::format("kv get {}", key));
  KvEntry out;
  out.value.assign(static_cast<const char*>(kvEntry_Value(entry)), static_cast<size_t>(kvEntry_ValueLen(entry)));
  out.revision = kvEntry_Revision(entry);
  kvEntry_Destroy(entry);
  return out;
}

absl::StatusOr<std::vector<std::string>> KeyValue::Keys() {
  kvKeysList list{};
  natsStatus s = kvStore_Keys(&list, kv_, nullptr);
  std::vector<std::string> out;
  if (s == NATS_NOT_FOUND) return out;  // no keys
  if (s != NATS_OK) return FromNats(s, "kv keys");
  for (int i = 0; i < list.Count; ++i) out.emplace_back(list.Keys[i]);
  kvKeysList_Destroy(&list);
  return out;
}

absl::StatusOr<uint64_t> KeyValue::Put(std::string_view key, std::string_view value) {
  uint64_t rev = 0;
  natsStatus s = kvStore_Put(&rev, kv_, Str(key).c_str(), value.data(), static_cast<int>(value.size()));
  if (s != NATS_OK) return FromNats(s, fmt::format("kv put {}", key));
  return rev;
}

namespace {
bool IsWrongLastSequence() {
  const char* last = nats_GetLastError(nullptr);
  return last != nullptr && std::string_view(last).find("wrong last sequence") != std::string_view::npos;
}
}  // namespace

absl::StatusOr<uint64_t> KeyValue::Create(std::string_view key, std::string_view value) {
  uint64_t rev = 0;
  natsStatus s = kvStore_Create(&rev, kv_, Str(key).c_str(), value.data(), static_cast<int>(value.size()));
  if (s != NATS_OK) {
    if (IsWrongLastSequence()) {
      return absl::AlreadyExistsError(fmt::format("key {} already exists", key));
    }
    return FromNats(s, fmt::format("kv create {}", key));
  }
  return rev;
}

absl::StatusOr<uint64_t> KeyValue::Update(std::string_view key, std::string_view value, uint64_t last_revision) {
  uint64_t rev = 0;
  natsStatus s =
      kvStore_Update(&rev, kv_, Str(key).c_str(), value.data(), static_cast<int>(value.size()), last_revision);
  if (s != NATS_OK) {
    if (IsWrongLastSequence()) {
      return absl::FailedPreconditionError(
          fmt::format("key {} changed since revision {} (stale revision)", key, last_revision));
    }
    return FromNats(s, fmt::format("kv update {}", key));
  }
  return rev;
}

absl::Status KeyValue::Delete(std::string_view key) {
  return FromNats(kvStore_Delete(kv_, Str(key).c_str()), fmt::format("kv delete {}", key));
}

absl::Status JetStreamPublisher::Publish(std::string_view subject, std::string_view data, std::string_view msg_id) {
  auto ack = js_.Publish(subject, data, msg_id);
  return ack.ok() ? absl::OkStatus() : ack.status();
}

}  // namespace clobmaker::nats
