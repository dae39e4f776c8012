// The exchange's websocket channels:
//  - MarketChannel: the market channel sharded over several connections (at most N assets per
//    connection, since the exchange stops sending snapshots above ~500); every (re)connect
//    resubscribes that shard's assets (initial_dump = a fresh book per asset) and tells the
//    owner, so it can resync;
//  - UserChannel: the authenticated user channel, resubscribed on every reconnect.
// Both subscribe before anything else on a connection and ping only after that (the exchange
// closes a socket that pings first with 1008).
// Both are confined to the owner's executor: call them there; callbacks run there.
#pragma once

#include <absl/status/statusor.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/net/ws_client.h"
#include "common/polymarket/events.h"

namespace clobmaker::clob {

struct MarketChannelOptions {
  std::string url;  // .../ws/market
  size_t max_assets_per_connection = 200;
  net::WsClientOptions connection;  // timeouts, TLS, backoff (url/callbacks are set here)
  Executor* executor = nullptr;     // owner's executor (required)
  std::function<void(size_t shard, std::string message)> on_message;
  std::function<void(size_t shard, bool reconnect, const std::vector<std::string>& assets)> on_connected;
  std::function<void(size_t shard, std::string reason)> on_disconnected;
};

class MarketChannel {
 public:
  static absl::StatusOr<std::unique_ptr<MarketChannel>> Create(net::IoThread& io, MarketChannelOptions options);
  ~MarketChannel();

  // Adds assets (duplicates ignored), filling existing shards first, opening new ones as needed.
  // Returns the assets subscribed on connections that are already up (their initial dump is on its
  // way now; on_connected will not be called for them); the others follow on_connected.
  std::vector<std::string> Subscribe(const std::vector<std::string>& asset_ids);
  void Unsubscribe(const std::vector<std::string>& asset_ids);
  void Stop();

  size_t shard_count() const;
  std::vector<std::vector<std::string>> assignment() const;
  bool all_connected() const;
  uint64_t reconnects() const;

 private:
  struct Shard;
  MarketChannel(net::IoThread& io, MarketChannelOptions options);
  Shard& NewShard();
  net::IoThread& io_;
  MarketChannelOptions options_;
  std::vector<std::unique_ptr<Shard>> shards_;
  // Callbacks already queued on the executor check this before touching the channel.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

struct UserChannelOptions {
  std::string url;  // .../ws/user
  polymarket::ApiKeyCreds credentials;
  std::vector<std::string> markets;  // condition ids; empty = all of the key's markets
  net::WsClientOptions connection;
  Executor* executor = nullptr;
  std::function<void(std::string message)> on_message;
  std::function<void(bool reconnect)> on_connected;
  std::function<void(std::string reason)> on_disconnected;
};

class UserChannel {
 public:
  static absl::StatusOr<std::unique_ptr<UserChannel>> Create(net::IoThread& io, UserChannelOptions options);
  ~UserChannel();
  // Adds or drops condition ids on the open connection ({"markets":[...],"operation":...}), a
  // market roll-over without reconnecting; reconnects subscribe the current set. Dropping the
  // last market leaves the filter empty, which the exchange reads as every market of the key.
  void Subscribe(const std::vector<std::string>& markets);
  void Unsubscribe(const std::vector<std::string>& markets);
  const std::vector<std::string>& markets() const { return options_.markets; }
  void Stop();
  bool connected() const;
  net::WsStats stats() const;

 private:
  UserChannel() = default;
  UserChannelOptions options_;
  std::unique_ptr<net::WsClient> client_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace clobmaker::clob
