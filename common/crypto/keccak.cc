// Keccak-256 through Crypto++, kept in its own translation unit: Crypto++ headers are heavy.
#include <cryptopp/keccak.h>

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

}  // namespace clobmaker::crypto
