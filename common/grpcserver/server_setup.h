// Internal to common/grpcserver: what every admin server shares (credentials and the loopback
// policy, the bound address, the bearer-token comparison).
#pragma once

#include <absl/status/statusor.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/support/status.h>
#include <grpcpp/support/string_ref.h>

#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace clobmaker::grpcserver::internal {

// TLS when a certificate and key are given, mutual TLS when a client CA is given too, plaintext
// otherwise. `open` (every caller admitted): refused on anything but loopback.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentialsFor(std::string_view listen, bool open,
                                                                              const std::string& cert_file,
                                                                              const std::string& key_file,
                                                                              const std::string& client_ca_file);
absl::StatusOr<std::string> ReadFile(const std::string& path);
// "host:port" of `listen` with the port bound ("[::1]:123" for IPv6).
std::string BoundAddress(std::string_view listen, int port);
// "authorization: Bearer <token>", compared in constant time.
grpc::Status CheckBearerToken(const std::multimap<grpc::string_ref, grpc::string_ref>& metadata,
                              const std::string& token);

}  // namespace clobmaker::grpcserver::internal
