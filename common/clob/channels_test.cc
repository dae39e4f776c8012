#include "common/clob/channels.h"

#include <gtest/gtest.h>

#include <future>
#include <map>
#include <mutex>

#include "common/net/http_server.h"
#include "common/polymarket/decode.h"
#include "common/testing/eventually.h"

namespace clobmaker::clob {
namespace {

using testing::Eventually;

// Records each websocket session's subscription messages.
class FakeFeed {
 public:
  FakeFeed() {
    net::HttpServerOptions o;
    o.accept_websocket = [](const std::string&) { return true; };
    o.on_ws_open = [this](std::shared_ptr<net::WsSession> s) {
      std::lock_guard lock(mu);
      sessions[s->id()] = s;
    };
    o.on_ws_message = [this](std::shared_ptr<net::WsSession> s, std::string m) {
      auto req = polymarket::ParseSubscribeRequest(m);
      std::lock_guard lock(mu);
      if (!req.ok()) return;
      subscriptions[s->id()].push_back(*req);
      if (req->type == "market")
        s->Send(R"({"event_type":"best_bid_ask","asset_id":")" + req->asset_ids[0] +
                R"(","best_bid":"0.4","best_ask":"0.6"})");
    };
    o.on_ws_close = [this](std::shared_ptr<net::WsSession> s) {
      std::lock_guard lock(mu);
      sessions.erase(s->id());
    };
    server = std::move(*net::HttpServer::Start(io, o));
  }
  ~FakeFeed() { server->Stop(); }  // before the state its handlers touch goes away
  size_t Live() {
    std::lock_guard lock(mu);
    return sessions.size();
  }
  void DropAll() {
    std::lock_guard lock(mu);
    for (auto& [id, s] : sessions) s->Drop();
  }
  // The asset sets of every initial market subscription, in order.
  std::vector<std::vector<std::string>> InitialMarketSubscriptions() {
    std::lock_guard lock(mu);
    std::vector<std::vector<std::string>> out;
    for (auto& [id, reqs] : subscriptions) {
      for (auto& r : reqs) {
        if (r.type == "market") out.push_back(r.asset_ids);
      }
    }
    return out;
  }

  net::IoThread io;
  std::unique_ptr<net::HttpServer> server;
  std::mutex mu;
  std::map<uint64_t, std::shared_ptr<net::WsSession>> sessions;
  std::map<uint64_t, std::vector<polymarket::SubscribeRequest>> subscriptions;
};

TEST(MarketChannel, ShardsAssetsAndResubscribesEveryShardAfterReconnect) {
  FakeFeed feed;
  net::IoThread io;
  ThreadExecutor owner;
  std::atomic<int> connects{0}, messages{0};
  MarketChannelOptions o;
  o.url = feed.server->ws_url() + "/ws/market";
  o.max_assets_per_connection = 2;
  o.executor = &owner;
  o.connection.backoff_initial = 20 * kNanosPerMilli;
  o.on_connected = [&](size_t, bool, const std::vector<std::string>&) { ++connects; };
  o.on_message = [&](size_t, std::string) { ++messages; };
  std::unique_ptr<MarketChannel> channel;
  std::promise<void> created;
  owner.Post([&] {
    channel = std::move(*MarketChannel::Create(io, o));
    channel->Subscribe({"1", "2", "3", "4", "5", "3"});
    created.set_value();
  });
  created.get_future().wait();
  ASSERT_TRUE(Eventually([&] { return connects.load() == 3 && feed.InitialMarketSubscriptions().size() == 3; }));
  std::promise<std::vector<std::vector<std::string>>> assignment;
  owner.Post([&] { assignment.set_value(channel->assignment()); });
  EXPECT_EQ(assignment.get_future().get(), (std::vector<std::vector<std::string>>{{"1", "2"}, {"3", "4"}, {"5"}}));
  ASSERT_TRUE(Eventually([&] { return messages.load() == 3; }));
  feed.DropAll();
  ASSERT_TRUE(Eventually([&] { return connects.load() == 6 && feed.InitialMarketSubscriptions().size() == 6; }));
  std::promise<void> stopped;
  owner.Post([&] {
    channel.reset();
    stopped.set_value();
  });
  stopped.get_future().wait();
}

TEST(UserChannel, AuthenticatesOnEveryConnect) {
  FakeFeed feed;
  net::IoThread io;
  ThreadExecutor owner;
  std::atomic<int> connects{0};
  UserChannelOptions o;
  o.url = feed.server->ws_url() + "/ws/user";
  o.credentials = {"key", "secret", "pass"};
  o.markets = {"0xm"};
  o.executor = &owner;
  o.connection.backoff_initial = 20 * kNanosPerMilli;
  o.on_connected = [&](bool) { ++connects; };
  auto channel = UserChannel::Create(io, o);
  ASSERT_TRUE(channel.ok());
  ASSERT_TRUE(Eventually([&] {
    std::lock_guard lock(feed.mu);
    return connects.load() == 1 && !feed.subscriptions.empty();
  }));
  feed.DropAll();
  ASSERT_TRUE(Eventually([&] {
    std::lock_guard lock(feed.mu);
    size_t auths = 0;
    for (auto& [id, reqs] : feed.subscriptions) {
      for (auto& r : reqs)
        auths +=
            (r.type == "user" && r.auth && r.auth->passphrase == "pass" && r.markets == std::vector<std::string>{"0xm"})
                ? 1
                : 0;
    }
    return auths == 2;
  }));
  (*channel)->Stop();
}

}  // namespace
}  // namespace clobmaker::clob
