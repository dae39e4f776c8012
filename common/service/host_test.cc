// The host under a manual clock (timers, bus, admin routes, ordered stop, teardown) and the real
// ProcessHost once end to end (an admin call over gRPC, a stop request, the service destroyed on
// its loop).
#include "common/service/host.h"

#include <grpcpp/create_channel.h>
#include <gtest/gtest.h>

#include <thread>

#include "clobmaker/user/v1/user.grpc.pb.h"
#include "common/service/testing/manual_host.h"
#include "common/testing/eventually.h"

namespace clobmaker::service {
namespace {

constexpr std::string_view kAdmin = "clobmaker.user.v1.UserStreamAdmin";

// A service made of what every real one uses: a subscription, a periodic timer, a status, a
// late ServeAdmin and a Stop that takes time.
class ToyService final : public HostedService {
 public:
  explicit ToyService(Host& host) : host_(host) {}
  ~ToyService() override { destroyed_on = std::this_thread::get_id(); }

  absl::Status Start() override {
    auto sub = host_.bus().Subscribe("in.>", [this](BusMessage m) { inputs.push_back(m.subject); });
    if (!sub.ok()) return sub.status();
    sub_ = std::move(*sub);
    host_.SetStatus([this](common::v1::ServiceStatus* out) {
      out->set_ready(ticks >= 10);
      (*out->mutable_counters())["ticks"] = ticks;
    });
    host_.RouteStatus<user::v1::StatusRequest>(kAdmin);
    host_.Every(100 * kNanosPerMilli, [this] {
      ++ticks;
      (void)host_.bus().Publish("out.tick", std::to_string(ticks));
      if (ticks == 10 && serve_after_ten) (void)host_.ServeAdmin("; toy");
    });
    return absl::OkStatus();
  }
  void Stop(std::function<void()> done) override {
    (void)host_.bus().Publish("out.bye", "");
    host_.After(200 * kNanosPerMilli, [this, done] {
      stopped = true;
      done();
    });
  }

  int ticks = 0;
  bool serve_after_ten = true;
  bool stopped = false;
  std::vector<std::string> inputs;
  static inline std::thread::id destroyed_on;

 private:
  Host& host_;
  std::unique_ptr<BusSubscription> sub_;
};

TEST(ManualHost, RunsAServiceOnTheManualClock) {
  testing::ManualHost host("toy");
  ToyService service(host);
  ASSERT_TRUE(host.Start(service).ok());
  host.RunFor(999 * kNanosPerMilli);
  EXPECT_EQ(service.ticks, 9) << "timers fire on the injected clock, not on wall time";
  EXPECT_FALSE(host.served());
  host.RunFor(kNanosPerMilli);
  EXPECT_EQ(service.ticks, 10);
  EXPECT_TRUE(host.served());
  EXPECT_EQ(host.log_suffix(), "; toy");
  EXPECT_EQ(host.fake_bus().Published("out.tick").size(), 10u);

  (void)host.fake_bus().Publish("in.a", "x");
  (void)host.fake_bus().Publish("other", "x");
  host.RunFor(0);
  EXPECT_EQ(service.inputs, std::vector<std::string>{"in.a"});

  auto status = host.Call<user::v1::StatusRequest, common::v1::ServiceStatus>(kAdmin, "Status", {});
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_TRUE(status->ready());
  EXPECT_EQ(status->service(), "toy");
  EXPECT_EQ(status->counters().at("ticks"), 10);

  ASSERT_TRUE(host.Stop(service, kNanosPerSecond));
  EXPECT_TRUE(service.stopped);
  EXPECT_EQ(host.fake_bus().Published("out.bye").size(), 1u);
}

TEST(ManualHost, StopWaitsForTheServiceAndGivesUpAtTheLimit) {
  testing::ManualHost host("toy");
  ToyService service(host);
  ASSERT_TRUE(host.Start(service).ok());
  EXPECT_FALSE(host.Stop(service, 100 * kNanosPerMilli)) << "done comes 200 ms after Stop";
  host.RunFor(100 * kNanosPerMilli);
  EXPECT_TRUE(service.stopped);
}

TEST(ManualHost, ServeAdminRefusesRoutesThatDoNotMatchTheProto) {
  testing::ManualHost host("toy");
  host.admin().Add<user::v1::StatusRequest, user::v1::StatusRequest>(
      kAdmin, "Status", [](const user::v1::StatusRequest&, user::v1::StatusRequest*) { return grpc::Status::OK; });
  auto served = host.ServeAdmin();
  ASSERT_FALSE(served.ok());
  EXPECT_NE(served.message().find("types differ"), std::string::npos) << served;

  testing::ManualHost other("toy");
  other.admin().Add<user::v1::StatusRequest, common::v1::ServiceStatus>(
      "clobmaker.orders.v1.ExecutionAdmin", "Status",
      [](const user::v1::StatusRequest&, common::v1::ServiceStatus*) { return grpc::Status::OK; });
  EXPECT_FALSE(other.ServeAdmin().ok());
}

TEST(ClosableExecutor, DropsEverythingOnceClosed) {
  ManualExecutor inner;
  ClosableExecutor loop(inner);
  int runs = 0;
  loop.Post([&] { ++runs; });
  loop.Post([&] { ++runs; });
  inner.RunOne();
  loop.Close();  // one was queued before the close: it does not run either
  loop.Post([&] { ++runs; });
  inner.RunAll();
  EXPECT_EQ(runs, 1);
}

class RealToy final : public HostedService {
 public:
  explicit RealToy(Host& host) : host_(host) {}
  ~RealToy() override { destroyed_on = std::this_thread::get_id(); }
  absl::Status Start() override {
    started_on = std::this_thread::get_id();
    host_.SetStatus([](common::v1::ServiceStatus* out) { out->set_ready(true); });
    host_.RouteStatus<user::v1::StatusRequest>(kAdmin);
    return host_.ServeAdmin();
  }
  void Stop(std::function<void()> done) override {
    stopped = true;
    done();
  }
  std::atomic<bool> stopped{false};
  static inline std::thread::id started_on, destroyed_on;

 private:
  Host& host_;
};

TEST(ProcessHost, ServesStopsInOrderAndDestroysTheServiceOnItsLoop) {
  auto host = ProcessHost::Create({.service = "toy", .admin = {.listen = "127.0.0.1:0", .token = "s3cret"}});
  auto service = std::make_unique<RealToy>(*host);
  RealToy* toy = service.get();
  ProcessHost::Result result;
  std::thread runner([&] { result = host->Run(std::move(service)); });
  ASSERT_TRUE(clobmaker::testing::Eventually([&] { return !host->admin_address().empty(); }));

  auto stub = user::v1::UserStreamAdmin::NewStub(
      grpc::CreateChannel(host->admin_address(), grpc::InsecureChannelCredentials()));
  {
    grpc::ClientContext ctx;
    common::v1::ServiceStatus status;
    EXPECT_EQ(stub->Status(&ctx, {}, &status).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer s3cret");
    common::v1::ServiceStatus status;
    ASSERT_TRUE(stub->Status(&ctx, {}, &status).ok());
    EXPECT_TRUE(status.ready());
    EXPECT_EQ(status.service(), "toy");
  }
  EXPECT_FALSE(toy->stopped);
  host->RequestStop();
  runner.join();
  EXPECT_EQ(result.outcome, ProcessHost::Outcome::kStopped);
  EXPECT_NE(RealToy::started_on, std::this_thread::get_id());
  EXPECT_EQ(RealToy::destroyed_on, RealToy::started_on) << "started and destroyed on the loop";
}

}  // namespace
}  // namespace clobmaker::service
