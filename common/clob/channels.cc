#include "common/clob/channels.h"

#include <algorithm>

#include "common/core/status.h"
#include "common/polymarket/encode.h"

namespace clobmaker::clob {

struct MarketChannel::Shard {
  size_t index = 0;
  std::vector<std::string> assets;
  std::unique_ptr<net::WsClient> client;
  bool connected = false;
  uint64_t reconnects = 0;
};

absl::StatusOr<std::unique_ptr<MarketChannel>> MarketChannel::Create(net::IoThread& io, MarketChannelOptions options) {
  if (options.executor == nullptr) return absl::InvalidArgumentError("market channel needs an executor");
  if (options.max_assets_per_connection == 0)
    return absl::InvalidArgumentError("max_assets_per_connection must be > 0");
  return std::unique_ptr<MarketChannel>(new MarketChannel(io, std::move(options)));
}

MarketChannel::MarketChannel(net::IoThread& io, MarketChannelOptions options) : io_(io), options_(std::move(options)) {}
MarketChannel::~MarketChannel() { Stop(); }

MarketChannel::Shard& MarketChannel::NewShard() {
  auto shard = std::make_unique<Shard>();
  shard->index = shards_.size();
  Shard* raw = shard.get();
  net::WsClientOptions o = options_.connection;
  o.url = options_.url;
  o.executor = options_.executor;
  o.ping_before_first_message = false;
  std::weak_ptr<int> alive = alive_;
  o.on_connected = [this, raw, alive](bool reconnect) {
    if (alive.expired()) return;
    raw->connected = true;
    if (reconnect) ++raw->reconnects;
    if (!raw->assets.empty()) raw->client->Send(polymarket::MarketSubscribeMessage(raw->assets));
    if (options_.on_connected) options_.on_connected(raw->index, reconnect, raw->assets);
  };
  o.on_message = [this, raw, alive](std::string m) {
    if (alive.expired()) return;
    if (options_.on_message) options_.on_message(raw->index, std::move(m));
  };
  o.on_disconnected = [this, raw, alive](std::string reason) {
    if (alive.expired()) return;
    raw->connected = false;
    if (options_.on_disconnected) options_.on_disconnected(raw->index, std::move(reason));
  };
  auto client = net::WsClient::Create(io_, o);
  // The URL was validated by the first shard; a failure here is a programming error.
  CM_CHECK(client.ok());
  shard->client = std::move(*client);
  shards_.push_back(std::move(shard));
  raw->client->Start();
  return *raw;
}

std::vector<std::string> MarketChannel::Subscribe(const std::vector<std::string>& asset_ids) {
  std::vector<std::vector<std::string>> added(shards_.size());
  for (const std::string& asset : asset_ids) {
    const bool known = std::any_of(shards_.begin(), shards_.end(), [&](const auto& s) {
      return std::find(s->assets.begin(), s->assets.end(), asset) != s->assets.end();
    });
    if (known) continue;
    Shard* target = nullptr;
    for (auto& s : shards_) {
      if (s->assets.size() < options_.max_assets_per_connection) {
        target = s.get();
        break;
      }
    }
    if (target == nullptr) {
      target = &NewShard();  // subscribes its assets when it connects
      added.emplace_back();
    }
    target->assets.push_back(asset);
    added[target->index].push_back(asset);
  }
  std::vector<std::string> live;
  for (auto& s : shards_) {
    // Connected shards learn new assets by an update; unconnected ones will send them all.
    if (s->connected && !added[s->index].empty()) {
      s->client->Send(polymarket::MarketSubscriptionUpdate(added[s->index], true));
      live.insert(live.end(), added[s->index].begin(), added[s->index].end());
    }
  }
  return live;
}

void MarketChannel::Unsubscribe(const std::vector<std::string>& asset_ids) {
  for (auto& s : shards_) {
    std::vector<std::string> removed;
    for (const std::string& asset : asset_ids) {
      auto it = std::find(s->assets.begin(), s->assets.end(), asset);
      if (it == s->assets.end()) continue;
      s->assets.erase(it);
      removed.push_back(asset);
    }
    if (s->connected && !removed.empty()) s->client->Send(polymarket::MarketSubscriptionUpdate(removed, false));
  }
}

void MarketChannel::Stop() {
  for (auto& s : shards_) s->client->Stop();
}

size_t MarketChannel::shard_count() const { return shards_.size(); }

std::vector<std::vector<std::string>> MarketChannel::assignment() const {
  std::vector<std::vector<std::string>> out;
  for (const auto& s : shards_) out.push_back(s->assets);
  return out;
}

bool MarketChannel::all_connected() const {
  return std::all_of(shards_.begin(), shards_.end(), [](const auto& s) { return s->connected; });
}

uint64_t MarketChannel::reconnects() const {
  uint64_t n = 0;
  for (const auto& s : shards_) n += s->reconnects;
  return n;
}

absl::StatusOr<std::unique_ptr<UserChannel>> UserChannel::Create(net::IoThread& io, UserChannelOptions options) {
  if (options.executor == nullptr) return absl::InvalidArgumentError("user channel needs an executor");
  std::unique_ptr<UserChannel> channel(new UserChannel());
  channel->options_ = std::move(options);
  UserChannel* raw = channel.get();
  net::WsClientOptions o = raw->options_.connection;
  o.url = raw->options_.url;
  o.executor = raw->options_.executor;
  o.ping_before_first_message = false;
  std::weak_ptr<int> alive = raw->alive_;
  o.on_connected = [raw, alive](bool reconnect) {
    if (alive.expired()) return;
    raw->client_->Send(polymarket::UserSubscribeMessage(raw->options_.credentials, raw->options_.markets));
    if (raw->options_.on_connected) raw->options_.on_connected(reconnect);
  };
  o.on_message = [raw, alive](std::string m) {
    if (alive.expired()) return;
    if (raw->options_.on_message) raw->options_.on_message(std::move(m));
  };
  o.on_disconnected = [raw, alive](std::string reason) {
    if (alive.expired()) return;
    if (raw->options_.on_disconnected) raw->options_.on_disconnected(std::move(reason));
  };
  auto client = net::WsClient::Create(io, o);
  if (!client.ok()) return client.status();
  raw->client_ = std::move(*client);
  raw->client_->Start();
  return channel;
}

UserChannel::~UserChannel() { Stop(); }

void UserChannel::Subscribe(const std::vector<std::string>& markets) {
  std::vector<std::string> added;
  for (const std::string& m : markets) {
    if (std::find(options_.markets.begin(), options_.markets.end(), m) != options_.markets.end()) continue;
    options_.markets.push_back(m);
    added.push_back(m);
  }
  if (!added.empty() && client_ && client_->connected()) {
    client_->Send(polymarket::UserSubscriptionUpdate(added, true));
  }
}

void UserChannel::Unsubscribe(const std::vector<std::string>& markets) {
  std::vector<std::string> removed;
  for (const std::string& m : markets) {
    auto it = std::find(options_.markets.begin(), options_.markets.end(), m);
    if (it == options_.markets.end()) continue;
    options_.markets.erase(it);
    removed.push_back(m);
  }
  if (!removed.empty() && client_ && client_->connected()) {
    client_->Send(polymarket::UserSubscriptionUpdate(removed, false));
  }
}
void UserChannel::Stop() {
  if (client_) client_->Stop();
}
bool UserChannel::connected() const { return client_ && client_->connected(); }
net::WsStats UserChannel::stats() const { return client_ ? client_->stats() : net::WsStats{}; }

}  // namespace clobmaker::clob
