// Polymarket API authentication (docs/protocol.md, "Authentication"):
//   L1: an EIP-712 ClobAuth signature by the wallet key (create/derive API keys);
//   L2: HMAC-SHA256 over timestamp + method + path + body with the API secret, URL-safe base64.
// Both directions: building headers (clients) and verifying them (the simulator). No I/O.
#pragma once

#include <absl/status/statusor.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "common/crypto/crypto.h"

namespace clobmaker::signing {

inline constexpr std::string_view kClobAuthMessage = "This message attests that I control the given wallet";

// API credentials. The secret and passphrase are wiped on destruction; nothing prints them.
class ApiCredentials {
 public:
  ApiCredentials() = default;
  ApiCredentials(std::string key, std::string secret, std::string passphrase)
      : key_(std::move(key)), secret_(std::move(secret)), passphrase_(std::move(passphrase)) {}
  ~ApiCredentials();
  ApiCredentials(const ApiCredentials&) = default;
  ApiCredentials& operator=(const ApiCredentials&) = default;
  ApiCredentials(ApiCredentials&&) noexcept = default;
  ApiCredentials& operator=(ApiCredentials&&) noexcept = default;

  const std::string& key() const { return key_; }
  const std::string& secret() const { return secret_; }
  const std::string& passphrase() const { return passphrase_; }

 private:
  std::string key_;
  std::string secret_;
  std::string passphrase_;
};

struct L1Headers {
  std::string address;    // POLY_ADDRESS (checksummed)
  std::string signature;  // POLY_SIGNATURE
  std::string timestamp;  // POLY_TIMESTAMP (unix seconds)
  std::string nonce;      // POLY_NONCE
};

crypto::Hash32 ClobAuthDigest(const crypto::Address& address, uint64_t chain_id, std::string_view timestamp,
                              uint64_t nonce);
L1Headers MakeL1Headers(const crypto::PrivateKey& key, uint64_t chain_id, int64_t timestamp_s, uint64_t nonce = 0);
// Checks an L1 request: the signature recovers POLY_ADDRESS and the timestamp is within
// `max_skew_s` of `now_s`. Unauthenticated with the reason otherwise. Returns the address.
absl::StatusOr<crypto::Address> VerifyL1(const L1Headers& headers, uint64_t chain_id, int64_t now_s,
                                         int64_t max_skew_s);

// The L2 HMAC signature: base64url(HMAC-SHA256(base64decode(secret), ts + method + path + body)).
// `path` is the request path without query string.
absl::StatusOr<std::string> L2Signature(std::string_view secret, std::string_view timestamp, std::string_view method,
                                        std::string_view path, std::string_view body);

struct L2Headers {
  std::string address;     // POLY_ADDRESS
  std::string signature;   // POLY_SIGNATURE
  std::string timestamp;   // POLY_TIMESTAMP
  std::string api_key;     // POLY_API_KEY
  std::string passphrase;  // POLY_PASSPHRASE
};

absl::StatusOr<L2Headers> MakeL2Headers(const ApiCredentials& credentials, const crypto::Address& address,
                                        int64_t timestamp_s, std::string_view method, std::string_view path,
                                        std::string_view body);
// Checks an L2 request against the key's secret and passphrase, in constant time, with a
// clock-skew tolerance. Unauthenticated with the reason otherwise.
absl::Status VerifyL2(const L2Headers& headers, const ApiCredentials& credentials, std::string_view method,
                      std::string_view path, std::string_view body, int64_t now_s, int64_t max_skew_s);

}  // namespace clobmaker::signing
