// Internal to common/net: TLS context construction shared by the client and server.
#pragma once

// clang-format off
#include <utility>  // before any Asio header with GCC 12 (toolchain.md)
// clang-format on

#include <absl/status/statusor.h>

#include <boost/asio/ssl/context.hpp>
#include <memory>

#include "common/net/http_client.h"

namespace clobmaker::net {

absl::StatusOr<std::shared_ptr<boost::asio::ssl::context>> MakeClientTlsContext(const TlsOptions& options);
absl::StatusOr<std::shared_ptr<boost::asio::ssl::context>> MakeServerTlsContext(const std::string& cert_pem,
                                                                                const std::string& key_pem);
// SNI and certificate host-name (or IP) verification for one connection.
bool ConfigureClientSsl(SSL* ssl, const std::string& host, bool verify_peer);

}  // namespace clobmaker::net
