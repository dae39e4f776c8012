// The typed REST client against an in-process server that checks authentication the way the
// exchange does and answers with captured bodies and faults.
#include "common/clob/rest_client.h"

#include <gtest/gtest.h>

#include <future>
#include <mutex>

#include "common/net/http_server.h"
#include "common/polymarket/encode.h"

namespace clobmaker::clob {
namespace {

constexpr char kKey[] = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

class FakeExchange {
 public:
  FakeExchange()
      : creds_("00000000-0000-0000-0000-000000000000", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "pass") {
    auto server = net::HttpServer::Start(
        io_, {.on_request = [this](const net::HttpRequest& r, auto respond) { respond(Handle(r)); }});
    EXPECT_TRUE(server.ok());
    server_ = std::move(*server);
  }
  ~FakeExchange() { server_->Stop(); }  // before the state its handler touches goes away

  net::HttpResponse Handle(const net::HttpRequest& r) {
    std::lock_guard lock(mu_);
    last_ = r;
    const std::string path = r.target.substr(0, r.target.find('?'));
    if (path == "/version") return {.status = 200, .body = R"({"version":2})"};
    if (path == "/time") return {.status = 200, .body = "1780449126"};
    if (path == "/auth/derive-api-key") {
      signing::L1Headers h{Header(r, "POLY_ADDRESS"), Header(r, "POLY_SIGNATURE"), Header(r, "POLY_TIMESTAMP"),
                           Header(r, "POLY_NONCE")};
      auto who = signing::VerifyL1(h, 137, SystemClock::Instance().WallSeconds(), 60);
      if (!who.ok()) return {.status = 401, .body = R"({"error":"Invalid L1 Request headers"})"};
      return {.status = 200, .body = R"({"apiKey":"k","secret":"s","passphrase":"p"})"};
    }
    // Every other endpoint is L2.
    signing::L2Headers h{Header(r, "POLY_ADDRESS"), Header(r, "POLY_SIGNATURE"), Header(r, "POLY_TIMESTAMP"),
                         Header(r, "POLY_API_KEY"), Header(r, "POLY_PASSPHRASE")};
    if (!signing::VerifyL2(h, creds_, r.method, path, r.body, SystemClock::Instance().WallSeconds(), 60).ok()) {
      return {.status = 401, .body = R"({"error":"Unauthorized/Invalid api key"})"};
    }
    ++authenticated_;
    if (path == "/order") {
      if (mode_ == "mismatch") return {.status = 400, .body = R"({"error":"order_version_mismatch"})"};
      if (mode_ == "timeout") return {.status = 200, .body = "{}", .delay = 5 * kNanosPerSecond};
      if (mode_ == "garbage") return {.status = 200, .body = "<html>"};
      return {.status = 200, .body = R"({"success":true,"orderID":"0xabc","status":"live","errorMsg":""})"};
    }
    if (path == "/orders") {
      if (mode_ == "short") return {.status = 200, .body = R"([{"success":true,"orderID":"0x1","status":"live"}])"};
      return {
          .status = 200,
          .body =
              R"([{"success":true,"orderID":"0x1","status":"live"},{"success":true,"orderID":"","errorMsg":"not enough balance / allowance"}])"};
    }
    if (path == "/cancel-all")
      return {.status = 429, .headers = {{"Retry-After", "3"}}, .body = R"({"error":"Too Many Requests"})"};
    if (path == "/data/orders") return {.status = 200, .body = R"({"data":[],"next_cursor":"LTE="})"};
    if (path == "/v1/heartbeats") return {.status = 200, .body = R"({"heartbeat_id":"hb-1"})"};
    return {.status = 404, .body = R"({"error":"not found"})"};
  }

  static std::string Header(const net::HttpRequest& r, const std::string& name) {
    for (const auto& [k, v] : r.headers) {
      if (k == name) return v;
    }
    return {};
  }

  net::IoThread io_;
  signing::ApiCredentials creds_;
  std::unique_ptr<net::HttpServer> server_;
  std::mutex mu_;
  net::HttpRequest last_;
  std::string mode_;
  int authenticated_ = 0;
};

class RestClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    key_ = std::make_unique<crypto::PrivateKey>(std::move(*crypto::PrivateKey::FromHex(kKey)));
    auto client = ClobRestClient::Create(
        io_, {.http = {.base_url = exchange_.server_->base_url()}, .executor = &owner_}, key_.get(), &exchange_.creds_);
    ASSERT_TRUE(client.ok());
    client_ = std::move(*client);
  }

  template <typename T, typename F>
  Result<T> Wait(F call) {
    std::promise<Result<T>> p;
    call([&p](Result<T> r) { p.set_value(std::move(r)); });
    return p.get_future().get();
  }

  signing::SignedOrder Order() {
    const auto domain = signing::HashDomain({.version = signing::OrderVersion::kV2,
                                             .chain_id = 137,
                                             .exchange = signing::ContractsForChain(137)->exchange_v2});
    signing::UnsignedOrder o;
    o.salt = Uint256(1);
    o.maker = key_->address();
    o.signer = key_->address();
    o.token_id = Uint256(1234);
    o.maker_amount = 1'000'000;
    o.taker_amount = 2'000'000;
    o.timestamp_ms = 1;
    return *signing::SignOrder(o, domain, *key_);
  }

  FakeExchange exchange_;
  net::IoThread io_;
  ThreadExecutor owner_;
  std::unique_ptr<crypto::PrivateKey> key_;
  std::unique_ptr<ClobRestClient> client_;
};

TEST_F(RestClientTest, PublicEndpointsAndL1) {
  auto version = Wait<int>([&](auto cb) { client_->GetVersion(cb); });
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(*version.value, 2);
  auto time = Wait<int64_t>([&](auto cb) { client_->GetServerTime(cb); });
  EXPECT_EQ(*time.value, 1780449126);
  auto creds = Wait<polymarket::ApiKeyCreds>([&](auto cb) { client_->DeriveApiKey(0, cb); });
  ASSERT_TRUE(creds.ok()) << creds.error.error;
  EXPECT_EQ(creds.value->api_key, "k");
}

TEST_F(RestClientTest, PostOrderIsAuthenticatedAndTheBodyIsTheSignedJson) {
  const auto order = Order();
  auto r = Wait<polymarket::PostOrderResult>(
      [&](auto cb) { client_->PostOrder(order, signing::OrderType::kGtc, true, cb); });
  ASSERT_TRUE(r.ok()) << r.error.error;
  EXPECT_TRUE(r.value->accepted());
  EXPECT_EQ(exchange_.authenticated_, 1);
  EXPECT_EQ(exchange_.last_.body,
            signing::PostOrderJson(order, "00000000-0000-0000-0000-000000000000", signing::OrderType::kGtc, true));
}

TEST_F(RestClientTest, RejectionsThrottlingAmbiguity) {
  const auto order = Order();
  exchange_.mode_ = "mismatch";
  auto mismatch = Wait<polymarket::PostOrderResult>(
      [&](auto cb) { client_->PostOrder(order, signing::OrderType::kGtc, true, cb); });
  EXPECT_EQ(mismatch.outcome, net::Outcome::kRejected);
  EXPECT_EQ(mismatch.error.error, "order_version_mismatch");
  exchange_.mode_ = "garbage";
  auto garbage = Wait<polymarket::PostOrderResult>(
      [&](auto cb) { client_->PostOrder(order, signing::OrderType::kGtc, true, cb); });
  EXPECT_EQ(garbage.outcome, net::Outcome::kAmbiguous);  // processed, result unknown
  auto throttled = Wait<polymarket::CancelResult>([&](auto cb) { client_->CancelAll(cb); });
  EXPECT_EQ(throttled.outcome, net::Outcome::kThrottled);
  EXPECT_EQ(throttled.retry_after, 3 * kNanosPerSecond);
}

TEST_F(RestClientTest, TimeoutAfterSendIsAmbiguous) {
  auto client = ClobRestClient::Create(io_,
                                       {.http = {.base_url = exchange_.server_->base_url()},
                                        .order_deadline = 200 * kNanosPerMilli,
                                        .executor = &owner_},
                                       key_.get(), &exchange_.creds_);
  exchange_.mode_ = "timeout";
  const auto order = Order();
  auto r = Wait<polymarket::PostOrderResult>(
      [&](auto cb) { (*client)->PostOrder(order, signing::OrderType::kGtc, true, cb); });
  EXPECT_EQ(r.outcome, net::Outcome::kAmbiguous);
}

TEST_F(RestClientTest, BatchLegsAreStructuredAndAShortBatchIsAmbiguous) {
  const auto a = Order();
  const auto b = Order();
  auto r = Wait<std::vector<polymarket::PostOrderResult>>([&](auto cb) {
    client_->PostOrders({&a, &b}, signing::OrderType::kGtc, true, cb);
  });
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE((*r.value)[0].accepted());
  EXPECT_FALSE((*r.value)[1].accepted());  // success:true with an empty id is a rejection
  exchange_.mode_ = "short";
  auto short_batch = Wait<std::vector<polymarket::PostOrderResult>>([&](auto cb) {
    client_->PostOrders({&a, &b}, signing::OrderType::kGtc, true, cb);
  });
  EXPECT_EQ(short_batch.outcome, net::Outcome::kAmbiguous);
}

TEST_F(RestClientTest, QueriesAreNotPartOfTheSignedPath) {
  auto page = Wait<polymarket::Page<polymarket::OpenOrder>>(
      [&](auto cb) { client_->GetOpenOrders({.market = "0xm", .asset_id = "12"}, cb); });
  ASSERT_TRUE(page.ok()) << page.error.error;
  EXPECT_EQ(exchange_.last_.target, "/data/orders?market=0xm&asset_id=12&next_cursor=MA%3D%3D");
  auto hb = Wait<polymarket::HeartbeatResult>([&](auto cb) { client_->PostHeartbeat("", cb); });
  EXPECT_EQ(hb.value->heartbeat_id, "hb-1");
}

TEST_F(RestClientTest, BadCredentialsAreRejected) {
  signing::ApiCredentials wrong("00000000-0000-0000-0000-000000000000",
                                "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "nope");
  auto client = ClobRestClient::Create(io_, {.http = {.base_url = exchange_.server_->base_url()}, .executor = &owner_},
                                       key_.get(), &wrong);
  auto r = Wait<polymarket::CancelResult>([&](auto cb) { (*client)->CancelAll(cb); });
  EXPECT_EQ(r.outcome, net::Outcome::kRejected);
  EXPECT_EQ(r.http_status, 401);
}

TEST(UrlEncode, ReservedCharacters) { EXPECT_EQ(UrlEncode("MA== a/b"), "MA%3D%3D%20a%2Fb"); }

}  // namespace
}  // namespace clobmaker::clob
