// The admin server: authorization decided before any route runs and fail-closed (also for a call
// that races start-up), routes on their executor with late answers, health and reflection.
#include "common/grpcserver/admin_server.h"

#include <arpa/inet.h>
#include <grpcpp/completion_queue.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/support/byte_buffer.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <thread>

#include "clobmaker/user/v1/user.grpc.pb.h"
#include "common/grpcserver/grpc_server.h"

namespace clobmaker::grpcserver {
namespace {

constexpr std::string_view kService = "clobmaker.user.v1.UserStreamAdmin";
using clobmaker::common::v1::ServiceStatus;
using clobmaker::user::v1::StatusRequest;

grpc::Status CallStatus(const std::string& address, const std::string& token, ServiceStatus* out,
                        std::chrono::milliseconds deadline = std::chrono::seconds(5)) {
  auto stub =
      clobmaker::user::v1::UserStreamAdmin::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
  context.set_deadline(std::chrono::system_clock::now() + deadline);
  return stub->Status(&context, StatusRequest(), out);
}

// Routes whose handler counts its runs and the thread it ran on.
struct CountingRoutes {
  ThreadExecutor loop;
  AdminRoutes routes{loop};
  std::atomic<int> runs{0};
  std::atomic<bool> on_loop{true};
  CountingRoutes() {
    routes.Add<StatusRequest, ServiceStatus>(kService, "Status", [this](const StatusRequest&, ServiceStatus* out) {
      runs++;
      if (!loop.InWorkerThread()) on_loop = false;
      out->set_service("test");
      out->set_ready(true);
      return grpc::Status::OK;
    });
  }
};

int FreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

TEST(AdminServer, WithoutAnAuthorizerEveryCallIsRefused) {
  CountingRoutes r;
  auto server = AdminServer::Start({.listen = "127.0.0.1:0", .authorizer = nullptr}, r.routes);
  ASSERT_TRUE(server.ok()) << server.status();
  ServiceStatus status;
  EXPECT_EQ(CallStatus((*server)->address(), "", &status).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(CallStatus((*server)->address(), "anything", &status).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(r.runs, 0) << "no route runs for a refused call";
}

// Calls that race start-up: clients whose calls wait for the server (wait_for_ready, reconnecting
// every millisecond) before it listens, and keep calling while it starts. They reach the server the
// moment it accepts connections; not one is answered without the token, and no route runs for them.
// Unauthenticated calls wait for the server (wait_for_ready) from 16 threads before `start`
// binds the address; every answer must be UNAUTHENTICATED and no handler may run (`runs`). Then
// one call with the token gets through. 10 rounds.
template <class Start>
void RaceStartUp(Start start, const std::atomic<int>& runs) {
  for (int round = 0; round < 10; ++round) {
    const int runs_before = runs;
    const std::string address = "127.0.0.1:" + std::to_string(FreeLoopbackPort());
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 1);
    args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 1);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 5);
    std::atomic<bool> stop{false};
    std::atomic<int> waiting{0};
    std::map<grpc::StatusCode, int> answers;
    std::mutex mu;
    std::vector<std::thread> clients;
    for (int c = 0; c < 16; ++c) {
      clients.emplace_back([&, c] {
        auto channel = grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
        auto stub = clobmaker::user::v1::UserStreamAdmin::NewStub(channel);
        while (!stop) {
          grpc::ClientContext context;
          context.set_wait_for_ready(true);
          context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
          ServiceStatus status;
          if (c == 0) waiting++;
          const grpc::Status s = stub->Status(&context, StatusRequest(), &status);
          std::lock_guard lock(mu);
          answers[s.error_code()]++;
        }
      });
    }
    while (waiting == 0) std::this_thread::yield();  // calls are pending before the server listens
    auto server = start(address);
    ASSERT_TRUE(server.ok()) << server.status();
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < until) {
      {
        std::lock_guard lock(mu);
        if (answers[grpc::StatusCode::UNAUTHENTICATED] >= 64) break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    stop = true;
    for (auto& t : clients) t.join();
    EXPECT_GE(answers[grpc::StatusCode::UNAUTHENTICATED], 64);
    EXPECT_EQ(answers[grpc::StatusCode::OK], 0) << "round " << round;
    EXPECT_EQ(runs - runs_before, 0) << "round " << round;
    ServiceStatus status;
    EXPECT_TRUE(CallStatus((*server)->address(), "s3cret", &status).ok());
    EXPECT_EQ(runs - runs_before, 1);
  }
}

TEST(AdminServer, CallsRacingStartUpAreAuthorizedBeforeTheyRun) {
  CountingRoutes r;
  RaceStartUp(
      [&](const std::string& address) {
        return AdminServer::Start({.listen = address, .authorizer = Authorizer::Token("s3cret")}, r.routes);
      },
      r.runs);
}

// The services not yet on AdminServer: the authorizer is given to the service when it is built,
// before the server exists (it used to be installed after BuildAndStart, and a null one admitted).
class LegacyStatusService final : public clobmaker::user::v1::UserStreamAdmin::Service {
 public:
  LegacyStatusService(std::shared_ptr<const Authorizer> authorizer, std::atomic<int>& runs)
      : authorizer_(std::move(authorizer)), runs_(runs) {}
  grpc::Status Status(grpc::ServerContext* context, const StatusRequest*, ServiceStatus* out) override {
    if (grpc::Status auth = Authorize(authorizer_.get(), *context); !auth.ok()) return auth;
    runs_++;
    out->set_service("test");
    return grpc::Status::OK;
  }

 private:
  const std::shared_ptr<const Authorizer> authorizer_;
  std::atomic<int>& runs_;
};

TEST(GrpcServer, CallsRacingStartUpAreAuthorizedBeforeTheyRun) {
  const auto authorizer = Authorizer::Token("s3cret");
  std::vector<std::unique_ptr<LegacyStatusService>> services;  // one per round: a server borrows it
  std::atomic<int> runs{0};
  RaceStartUp(
      [&](const std::string& address) {
        services.push_back(std::make_unique<LegacyStatusService>(authorizer, runs));
        return GrpcServer::Start({.listen = address, .authorizer = authorizer}, {services.back().get()});
      },
      runs);
}

TEST(GrpcServer, WithoutAnAuthorizerNothingIsServedAndEveryCallIsRefused) {
  std::atomic<int> runs{0};
  LegacyStatusService service(nullptr, runs);
  auto server = GrpcServer::Start({.listen = "127.0.0.1:0"}, {&service});
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
  auto served = GrpcServer::Start({.listen = "127.0.0.1:0", .authorizer = Authorizer::Token("")}, {&service});
  ASSERT_TRUE(served.ok()) << served.status();
  ServiceStatus status;
  EXPECT_EQ(CallStatus((*served)->address(), "", &status).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(runs, 0);
}

TEST(AdminServer, TokenIsCheckedAndRoutesRunOnTheirExecutor) {
  CountingRoutes r;
  auto server = AdminServer::Start({.listen = "127.0.0.1:0", .authorizer = Authorizer::Token("s3cret")}, r.routes);
  ASSERT_TRUE(server.ok());
  ServiceStatus status;
  EXPECT_EQ(CallStatus((*server)->address(), "", &status).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(CallStatus((*server)->address(), "wrong!", &status).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(CallStatus((*server)->address(), "s3cre", &status).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  ASSERT_TRUE(CallStatus((*server)->address(), "s3cret", &status).ok());
  EXPECT_EQ(status.service(), "test");
  EXPECT_EQ(r.runs, 1);
  EXPECT_TRUE(r.on_loop) << "admin handlers run on the service's loop, not on gRPC threads";
}

TEST(AdminServer, AnAsyncRouteAnswersLater) {
  ThreadExecutor loop;
  AdminRoutes routes(loop);
  std::thread later;
  routes.AddAsync<StatusRequest, ServiceStatus>(kService, "Status",
                                                [&](const StatusRequest&, ServiceStatus* out, Reply done) {
                                                  later = std::thread([out, done] {
                                                    std::this_thread::sleep_for(std::chrono::milliseconds(50));
                                                    out->set_service("late");
                                                    done(grpc::Status::OK);
                                                  });
                                                });
  auto server = AdminServer::Start({.listen = "127.0.0.1:0", .authorizer = Authorizer::Token("")}, routes);
  ASSERT_TRUE(server.ok());
  ServiceStatus status;
  ASSERT_TRUE(CallStatus((*server)->address(), "", &status).ok());
  EXPECT_EQ(status.service(), "late");
  later.join();
}

TEST(AdminServer, RefusesRoutesThatDoNotMatchTheProtoAndUnsafeAddresses) {
  ThreadExecutor loop;
  AdminRoutes wrong(loop);
  wrong.Add<StatusRequest, StatusRequest>(kService, "Status",
                                          [](const StatusRequest&, StatusRequest*) { return grpc::Status::OK; });
  EXPECT_EQ(AdminServer::Start({.authorizer = Authorizer::Token("")}, wrong).status().code(),
            absl::StatusCode::kFailedPrecondition);
  AdminRoutes missing(loop);
  missing.Add<StatusRequest, ServiceStatus>("clobmaker.user.v1.UserStreamAdmin", "Nope",
                                            [](const StatusRequest&, ServiceStatus*) { return grpc::Status::OK; });
  EXPECT_FALSE(missing.Validate().ok());

  CountingRoutes r;
  EXPECT_EQ(AdminServer::Start({.listen = "0.0.0.0:0", .authorizer = Authorizer::Token("")}, r.routes).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(AdminServer::Start({.listen = "0.0.0.0:0", .authorizer = Authorizer::Token("t")}, r.routes).ok());
}

// grpc.health.v1.Health/Check through the generic stub (no generated health code is shipped).
int HealthStatus(const std::string& address) {
  auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  grpc::Slice empty_request;  // HealthCheckRequest{service: ""} encodes to zero bytes
  grpc::ByteBuffer request(&empty_request, 1);
  grpc::ByteBuffer response;
  grpc::Status status;
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  stub.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request, &response,
                 [&](grpc::Status s) {
                   std::lock_guard lock(mu);
                   status = s;
                   done = true;
                   cv.notify_one();
                 });
  std::unique_lock lock(mu);
  cv.wait(lock, [&] { return done; });
  if (!status.ok()) return -1;
  std::vector<grpc::Slice> slices;
  (void)response.Dump(&slices);
  std::string bytes;
  for (const auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  // HealthCheckResponse{status = 1 (SERVING)} is 0x08 0x01; NOT_SERVING is 0x08 0x02.
  return bytes.size() == 2 && bytes[0] == 0x08 ? bytes[1] : 0;
}

TEST(AdminServer, HealthStaysOpenForProbes) {
  CountingRoutes r;
  auto server = AdminServer::Start({.listen = "127.0.0.1:0", .authorizer = Authorizer::Token("s3cret")}, r.routes);
  ASSERT_TRUE(server.ok());
  EXPECT_EQ(HealthStatus((*server)->address()), 1);
  (*server)->SetServing(false);
  EXPECT_EQ(HealthStatus((*server)->address()), 2);
}

// Server reflection (what grpcurl uses): list_services over the bidi stream, via the generic
// stub and a completion queue (no generated reflection code is shipped).
TEST(AdminServer, ReflectionListsTheRoutedServices) {
  CountingRoutes r;
  auto server = AdminServer::Start({.listen = "127.0.0.1:0", .authorizer = Authorizer::Token("")}, r.routes);
  ASSERT_TRUE(server.ok());
  auto channel = grpc::CreateChannel((*server)->address(), grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue cq;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  auto call = stub.PrepareCall(&context, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &cq);
  void* tag = nullptr;
  bool ok = false;
  const auto step = [&](void* expected) {
    EXPECT_TRUE(cq.Next(&tag, &ok));
    EXPECT_EQ(tag, expected);
    return ok;
  };
  call->StartCall(reinterpret_cast<void*>(1));
  ASSERT_TRUE(step(reinterpret_cast<void*>(1)));
  // ServerReflectionRequest{list_services: "*"} = field 7, length-delimited: 0x3a 0x01 '*'.
  const char request_bytes[] = {0x3a, 0x01, '*'};
  grpc::Slice slice(request_bytes, sizeof(request_bytes));
  grpc::ByteBuffer request(&slice, 1);
  call->Write(request, reinterpret_cast<void*>(2));
  ASSERT_TRUE(step(reinterpret_cast<void*>(2)));
  grpc::ByteBuffer response;
  call->Read(&response, reinterpret_cast<void*>(3));
  ASSERT_TRUE(step(reinterpret_cast<void*>(3)));
  std::vector<grpc::Slice> slices;
  ASSERT_TRUE(response.Dump(&slices).ok());
  std::string bytes;
  for (const auto& sl : slices) bytes.append(reinterpret_cast<const char*>(sl.begin()), sl.size());
  EXPECT_NE(bytes.find("clobmaker.user.v1.UserStreamAdmin"), std::string::npos);
  EXPECT_NE(bytes.find("grpc.health.v1.Health"), std::string::npos);
  call->WritesDone(reinterpret_cast<void*>(4));
  step(reinterpret_cast<void*>(4));
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(5));
  step(reinterpret_cast<void*>(5));
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
}

}  // namespace
}  // namespace clobmaker::grpcserver
