#include "common/grpcserver/grpc_server.h"

#include <grpcpp/completion_queue.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/support/byte_buffer.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdio>
#include <fstream>

#include "clobmaker/user/v1/user.grpc.pb.h"

namespace clobmaker::grpcserver {
namespace {

// A minimal admin service whose handler starts with the authorizer, as every service's does.
class StatusService final : public clobmaker::user::v1::UserStreamAdmin::Service {
 public:
  explicit StatusService(std::shared_ptr<const Authorizer> auth = Authorizer::Token(""))
      : authorizer(std::move(auth)) {}
  const std::shared_ptr<const Authorizer> authorizer;
  grpc::Status Status(grpc::ServerContext* context, const clobmaker::user::v1::StatusRequest*,
                      clobmaker::common::v1::ServiceStatus* response) override {
    if (grpc::Status auth = Authorize(authorizer.get(), *context); !auth.ok()) return auth;
    response->set_service("test");
    response->set_ready(true);
    return grpc::Status::OK;
  }
};

grpc::Status CallStatus(const std::string& address, const std::string& token,
                        clobmaker::common::v1::ServiceStatus* out) {
  auto stub =
      clobmaker::user::v1::UserStreamAdmin::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  return stub->Status(&context, clobmaker::user::v1::StatusRequest(), out);
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
  // On a completion queue this thread drains: the answer is read on the thread that asked (a
  // callback would run on a gRPC thread, ordered by gRPC's uninstrumented queue, which
  // ThreadSanitizer cannot see).
  grpc::CompletionQueue cq;
  auto call = stub.PrepareUnaryCall(&context, "/grpc.health.v1.Health/Check", request, &cq);
  call->StartCall();
  grpc::Status status;
  call->Finish(&response, &status, reinterpret_cast<void*>(1));
  void* tag = nullptr;
  bool ok = false;
  if (!cq.Next(&tag, &ok) || !ok) return -1;
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  if (!status.ok()) return -1;
  std::vector<grpc::Slice> slices;
  (void)response.Dump(&slices);
  std::string bytes;
  for (const auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  // HealthCheckResponse{status = 1 (SERVING)} is 0x08 0x01; NOT_SERVING is 0x08 0x02.
  return bytes.size() == 2 && bytes[0] == 0x08 ? bytes[1] : 0;
}

TEST(GrpcServer, ServesOnAFreeLoopbackPortWithHealth) {
  StatusService service;
  auto server = GrpcServer::Start({.listen = "127.0.0.1:0", .authorizer = service.authorizer}, {&service});
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_GT((*server)->port(), 0);
  clobmaker::common::v1::ServiceStatus status;
  ASSERT_TRUE(CallStatus((*server)->address(), "", &status).ok());
  EXPECT_EQ(status.service(), "test");
  EXPECT_EQ(HealthStatus((*server)->address()), 1);
  (*server)->SetServing(false);
  EXPECT_EQ(HealthStatus((*server)->address()), 2);
}

// Server reflection (what grpcurl uses): list_services over the bidi stream, via the generic
// stub and a completion queue (no generated reflection code is shipped).
TEST(GrpcServer, ReflectionListsTheServices) {
  StatusService service;
  auto server = GrpcServer::Start({.listen = "127.0.0.1:0", .authorizer = service.authorizer}, {&service});
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

TEST(GrpcServer, RefusesNonLoopbackWithoutTokenOrMtls) {
  StatusService service;
  auto server = GrpcServer::Start({.listen = "0.0.0.0:0", .authorizer = service.authorizer}, {&service});
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
  StatusService tokened(Authorizer::Token("s3cret"));
  auto with_token = GrpcServer::Start({.listen = "0.0.0.0:0", .authorizer = tokened.authorizer}, {&tokened});
  EXPECT_TRUE(with_token.ok()) << with_token.status();
}

TEST(GrpcServer, TokenIsRequiredWhenConfigured) {
  StatusService service(Authorizer::Token("s3cret"));
  auto server = GrpcServer::Start({.listen = "127.0.0.1:0", .authorizer = service.authorizer}, {&service});
  ASSERT_TRUE(server.ok());
  clobmaker::common::v1::ServiceStatus status;
  EXPECT_EQ(CallStatus((*server)->address(), "", &status).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(CallStatus((*server)->address(), "wrong!", &status).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(CallStatus((*server)->address(), "s3cret", &status).ok());
}

TEST(GrpcServer, LoopbackDetection) {
  EXPECT_TRUE(IsLoopbackListen("127.0.0.1:50051"));
  EXPECT_TRUE(IsLoopbackListen("localhost:1"));
  EXPECT_TRUE(IsLoopbackListen("[::1]:1"));
  EXPECT_FALSE(IsLoopbackListen("0.0.0.0:1"));
  EXPECT_FALSE(IsLoopbackListen("[::]:1"));
  EXPECT_FALSE(IsLoopbackListen("10.0.0.1:1"));
}

TEST(LoadAdminToken, RefusesFilesReadableByOthers) {
  const std::string path = ::testing::TempDir() + "/admin-token";
  { std::ofstream(path) << "tok\n"; }
  chmod(path.c_str(), 0644);
  auto loose = LoadAdminToken(path, "");
  ASSERT_FALSE(loose.ok());
  EXPECT_EQ(loose.status().code(), absl::StatusCode::kPermissionDenied);
  chmod(path.c_str(), 0600);
  auto ok = LoadAdminToken(path, "");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, "tok");
  std::remove(path.c_str());
  setenv("CLOBMAKER_TEST_TOKEN", "from-env", 1);
  EXPECT_EQ(*LoadAdminToken("", "CLOBMAKER_TEST_TOKEN"), "from-env");
  EXPECT_EQ(*LoadAdminToken("", "CLOBMAKER_TEST_TOKEN_UNSET"), "");
}

}  // namespace
}  // namespace clobmaker::grpcserver
