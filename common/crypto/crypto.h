// Ethereum-style cryptography for Polymarket: Keccak-256, secp256k1 recoverable ECDSA, addresses
// with EIP-55 checksums, EIP-712 hashing, HMAC-SHA256 and base64. No I/O.
//
// Well-kept implementations do the work: Crypto++ (Keccak_256 - OpenSSL 3.0 has no legacy
// Keccak -, HMAC-SHA256, base64) and libsecp256k1 (RFC 6979 nonces, low-s signatures, public key
// recovery). This file only adapts them to the protocol's types. No OpenSSL: the cores that sign
// (execution) link this library, and the build keeps OpenSSL out of cores.
//
// Secrets: PrivateKey wipes its bytes on destruction, cannot be copied, and has no way to be
// printed or logged.
#pragma once

#include <absl/status/statusor.h>

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/core/uint256.h"

namespace clobmaker::crypto {

using Hash32 = std::array<uint8_t, 32>;

Hash32 Keccak256(std::span<const uint8_t> data);
Hash32 Keccak256(std::string_view data);

// A 20-byte Ethereum address.
class Address {
 public:
  Address() = default;
  explicit Address(const std::array<uint8_t, 20>& bytes) : bytes_(bytes) {}
  // "0x" + 40 hex digits. All-lowercase and all-uppercase are accepted as is; mixed case must be
  // a valid EIP-55 checksum (otherwise InvalidArgument, as ethers/viem refuse it).
  static absl::StatusOr<Address> Parse(std::string_view text);
  const std::array<uint8_t, 20>& bytes() const { return bytes_; }
  // EIP-55 mixed-case checksum form.
  std::string ToChecksum() const;
  std::string ToLower() const;
  bool IsZero() const;
  friend bool operator==(const Address&, const Address&) = default;
  friend auto operator<=>(const Address&, const Address&) = default;

 private:
  std::array<uint8_t, 20> bytes_{};
};

// A 65-byte r || s || v signature with v = 27 or 28 (as Polymarket expects).
struct Signature {
  std::array<uint8_t, 65> bytes{};
  std::string ToHex() const;  // "0x" + 130 lowercase hex
  static absl::StatusOr<Signature> Parse(std::string_view hex);
};

class PrivateKey {
 public:
  // Parses 64 hex digits (optional 0x) and checks the key is valid for secp256k1. The error
  // message never contains the key.
  static absl::StatusOr<PrivateKey> FromHex(std::string_view hex);
  static absl::StatusOr<PrivateKey> FromBytes(std::span<const uint8_t> bytes);
  ~PrivateKey();
  PrivateKey(PrivateKey&& other) noexcept;
  PrivateKey& operator=(PrivateKey&& other) noexcept;
  PrivateKey(const PrivateKey&) = delete;
  PrivateKey& operator=(const PrivateKey&) = delete;

  const Address& address() const { return address_; }
  // Recoverable ECDSA over a 32-byte digest: RFC 6979 nonce, low-s, v = 27 + recovery id.
  Signature Sign(const Hash32& digest) const;

 private:
  PrivateKey() = default;
  std::array<uint8_t, 32> secret_{};
  Address address_;
};

// Recovers the address that produced `signature` over `digest`. Refuses v other than 27/28
// (or 0/1) and high-s signatures (malleable), as the exchange's ECDSA library does.
absl::StatusOr<Address> RecoverAddress(const Hash32& digest, const Signature& signature);

// Securely zeroes memory (not optimised away).
void Wipe(void* data, size_t size);

// ---------------------------------------------------------------------------------------------
// EIP-712

// ABI encoding of static struct members, one 32-byte word each.
class AbiEncoder {
 public:
  AbiEncoder& Word(const Hash32& word);
  AbiEncoder& Uint(const Uint256& value);
  AbiEncoder& Uint(uint64_t value) { return Uint(Uint256(value)); }
  AbiEncoder& Addr(const Address& address);
  // Dynamic `string`/`bytes` members are encoded as the keccak of their contents.
  AbiEncoder& StringHash(std::string_view text);
  Hash32 Keccak() const;
  const std::vector<uint8_t>& bytes() const { return bytes_; }

 private:
  std::vector<uint8_t> bytes_;
};

struct Eip712Domain {
  std::string name;
  std::string version;
  uint64_t chain_id = 0;
  std::optional<Address> verifying_contract;  // ClobAuth has none
};

Hash32 DomainSeparator(const Eip712Domain& domain);
// keccak256(0x19 0x01 || domain_separator || struct_hash)
Hash32 Eip712Digest(const Hash32& domain_separator, const Hash32& struct_hash);

// ---------------------------------------------------------------------------------------------
// HMAC and base64

Hash32 HmacSha256(std::span<const uint8_t> key, std::string_view message);
std::string Base64Encode(std::span<const uint8_t> data);
// URL-safe alphabet ('-', '_'), padding kept (Polymarket's L2 signature format).
std::string Base64UrlEncode(std::span<const uint8_t> data);
// Accepts the standard and URL-safe alphabets, with or without padding.
absl::StatusOr<std::vector<uint8_t>> Base64Decode(std::string_view text);

}  // namespace clobmaker::crypto
