#include "common/signing/auth.h"

#include <fmt/core.h>

#include <charconv>

#include "common/core/status.h"

namespace clobmaker::signing {
namespace {

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  const size_t n = std::max(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    const auto x = static_cast<unsigned char>(i < a.size() ? a[i] : 0);
    const auto y = static_cast<unsigned char>(i < b.size() ? b[i] : 0);
    diff |= static_cast<unsigned char>(x ^ y);
  }
  return diff == 0;
}

absl::StatusOr<int64_t> ParseTimestamp(std::string_view text) {
  int64_t value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || text.empty()) {
    return absl::UnauthenticatedError("malformed POLY_TIMESTAMP");
  }
  return value;
}

absl::Status CheckSkew(int64_t ts, int64_t now_s, int64_t max_skew_s) {
  if (ts < now_s - max_skew_s || ts > now_s + max_skew_s) {
    return absl::UnauthenticatedError(
        fmt::format("POLY_TIMESTAMP {} is more than {} s from server time {}", ts, max_skew_s, now_s));
  }
  return absl::OkStatus();
}

}  // namespace

ApiCredentials::~ApiCredentials() {
  crypto::Wipe(secret_.data(), secret_.size());
  crypto::Wipe(passphrase_.data(), passphrase_.size());
}

crypto::Hash32 ClobAuthDigest(const crypto::Address& address, uint64_t chain_id, std::string_view timestamp,
                              uint64_t nonce) {
  static const crypto::Hash32 kTypeHash =
      crypto::Keccak256(std::string_view("ClobAuth(address address,string timestamp,uint256 nonce,string message)"));
  const crypto::Hash32 separator =
      crypto::DomainSeparator({.name = "ClobAuthDomain", .version = "1", .chain_id = chain_id});
  crypto::AbiEncoder enc;
  enc.Word(kTypeHash).Addr(address).StringHash(timestamp).Uint(nonce).StringHash(kClobAuthMessage);
  return crypto::Eip712Digest(separator, enc.Keccak());
}

L1Headers MakeL1Headers(const crypto::PrivateKey& key, uint64_t chain_id, int64_t timestamp_s, uint64_t nonce) {
  const std::string timestamp = std::to_string(timestamp_s);
  const crypto::Signature sig = key.Sign(ClobAuthDigest(key.address(), chain_id, timestamp, nonce));
  return L1Headers{.address = key.address().ToChecksum(),
                   .signature = sig.ToHex(),
                   .timestamp = timestamp,
                   .nonce = std::to_string(nonce)};
}

absl::StatusOr<crypto::Address> VerifyL1(const L1Headers& headers, uint64_t chain_id, int64_t now_s,
                                         int64_t max_skew_s) {
  auto address = crypto::Address::Parse(headers.address);
  if (!address.ok()) return absl::UnauthenticatedError("Invalid L1 Request headers: bad POLY_ADDRESS");
  CM_ASSIGN_OR_RETURN(const int64_t ts, ParseTimestamp(headers.timestamp));
  CM_RETURN_IF_ERROR(CheckSkew(ts, now_s, max_skew_s));
  uint64_t nonce = 0;
  if (!headers.nonce.empty()) {
    const auto [ptr, ec] = std::from_chars(headers.nonce.data(), headers.nonce.data() + headers.nonce.size(), nonce);
    if (ec != std::errc() || ptr != headers.nonce.data() + headers.nonce.size()) {
      return absl::UnauthenticatedError("Invalid L1 Request headers: bad POLY_NONCE");
    }
  }
  auto sig = crypto::Signature::Parse(headers.signature);
  if (!sig.ok()) return absl::UnauthenticatedError("Invalid L1 Request headers: bad POLY_SIGNATURE");
  auto recovered = crypto::RecoverAddress(ClobAuthDigest(*address, chain_id, headers.timestamp, nonce), *sig);
  if (!recovered.ok() || *recovered != *address) {
    return absl::UnauthenticatedError("Invalid L1 Request headers: signature does not match POLY_ADDRESS");
  }
  return *address;
}

absl::StatusOr<std::string> L2Signature(std::string_view secret, std::string_view timestamp, std::string_view method,
                                        std::string_view path, std::string_view body) {
  auto key = crypto::Base64Decode(secret);
  if (!key.ok()) return absl::InvalidArgumentError("API secret is not base64");
  std::string message;
  message.reserve(timestamp.size() + method.size() + path.size() + body.size());
  message.append(timestamp).append(method).append(path).append(body);
  const crypto::Hash32 mac = crypto::HmacSha256(*key, message);
  crypto::Wipe(key->data(), key->size());
  return crypto::Base64UrlEncode(mac);
}

absl::StatusOr<L2Headers> MakeL2Headers(const ApiCredentials& credentials, const crypto::Address& address,
                                        int64_t timestamp_s, std::string_view method, std::string_view path,
                                        std::string_view body) {
  const std::string timestamp = std::to_string(timestamp_s);
  CM_ASSIGN_OR_RETURN(std::string signature, L2Signature(credentials.secret(), timestamp, method, path, body));
  return L2Headers{.address = address.ToChecksum(),
                   .signature = std::move(signature),
                   .timestamp = timestamp,
                   .api_key = credentials.key(),
                   .passphrase = credentials.passphrase()};
}

absl::Status VerifyL2(const L2Headers& headers, const ApiCredentials& credentials, std::string_view method,
                      std::string_view path, std::string_view body, int64_t now_s, int64_t max_skew_s) {
  if (headers.api_key != credentials.key()) return absl::UnauthenticatedError("Unauthorized/Invalid api key");
  if (!ConstantTimeEquals(headers.passphrase, credentials.passphrase())) {
    return absl::UnauthenticatedError("Unauthorized/Invalid api key");
  }
  CM_ASSIGN_OR_RETURN(const int64_t ts, ParseTimestamp(headers.timestamp));
  CM_RETURN_IF_ERROR(CheckSkew(ts, now_s, max_skew_s));
  auto expected = L2Signature(credentials.secret(), headers.timestamp, method, path, body);
  if (!expected.ok()) return absl::UnauthenticatedError("Unauthorized/Invalid api key");
  // Clients differ in padding; compare the decoded MACs' canonical encoding.
  auto presented = crypto::Base64Decode(headers.signature);
  if (!presented.ok() || !ConstantTimeEquals(crypto::Base64UrlEncode(*presented), *expected)) {
    return absl::UnauthenticatedError("Unauthorized/Invalid api key: bad POLY_SIGNATURE");
  }
  return absl::OkStatus();
}

}  // namespace clobmaker::signing
