// Keccak-256, HMAC-SHA256 and base64 through Crypto++, kept in their own translation unit: Crypto++
// headers are heavy. (OpenSSL stays out of this library: cores that sign or hash link it.)
#include <cryptopp/base64.h>
#include <cryptopp/filters.h>
#include <cryptopp/hmac.h>
#include <cryptopp/keccak.h>
#include <cryptopp/sha.h>

#include "common/crypto/crypto.h"

namespace clobmaker::crypto {

Hash32 Keccak256(std::span<const uint8_t> data) {
  CryptoPP::Keccak_256 hash;
  hash.Update(data.data(), data.size());
  Hash32 out{};
  hash.Final(out.data());
  return out;
}

Hash32 Keccak256(std::string_view data) {
  return Keccak256(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(data.data()), data.size()));
}

Hash32 HmacSha256(std::span<const uint8_t> key, std::string_view message) {
  CryptoPP::HMAC<CryptoPP::SHA256> hmac(key.data(), key.size());
  hmac.Update(reinterpret_cast<const uint8_t*>(message.data()), message.size());
  Hash32 out{};
  hmac.Final(out.data());
  return out;
}

std::string Base64Encode(std::span<const uint8_t> data) {
  std::string out;
  CryptoPP::StringSource source(data.data(), data.size(), true,
                                new CryptoPP::Base64Encoder(new CryptoPP::StringSink(out), /*insertLineBreaks=*/false));
  return out;
}

std::string Base64UrlEncode(std::span<const uint8_t> data) {
  std::string out = Base64Encode(data);
  for (char& c : out) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return out;
}

absl::StatusOr<std::vector<uint8_t>> Base64Decode(std::string_view text) {
  std::string normalized;
  normalized.reserve(text.size() + 3);
  for (char c : text) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
    const bool valid =
        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=';
    if (!valid) return absl::InvalidArgumentError("invalid base64 character");
    normalized += c;
  }
  while (!normalized.empty() && normalized.back() == '=') normalized.pop_back();
  if (normalized.size() % 4 == 1) return absl::InvalidArgumentError("invalid base64 length");
  if (normalized.find('=') != std::string::npos) return absl::InvalidArgumentError("invalid base64 padding");
  while (normalized.size() % 4 != 0) normalized += '=';
  std::string decoded;
  CryptoPP::StringSource source(normalized, true, new CryptoPP::Base64Decoder(new CryptoPP::StringSink(decoded)));
  return std::vector<uint8_t>(decoded.begin(), decoded.end());
}

}  // namespace clobmaker::crypto
