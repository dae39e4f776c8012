#include "common/crypto/crypto.h"

#include <fmt/core.h>
#include <secp256k1.h>
#include <secp256k1_recovery.h>
#include <string.h>
#include <sys/random.h>

#include <cstring>

#include "common/core/hex.h"
#include "common/core/status.h"

namespace clobmaker::crypto {
namespace {

// One context for the process, created with randomisation (side-channel blinding). Signing and
// recovery only read it, so it is safe to share between threads.
const secp256k1_context* Context() {
  static const secp256k1_context* ctx = [] {
    secp256k1_context* c = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    std::array<uint8_t, 32> seed{};
    if (getrandom(seed.data(), seed.size(), 0) == static_cast<ssize_t>(seed.size())) {
      // Randomisation only adds blinding; failure leaves a correct, unblinded context.
      if (secp256k1_context_randomize(c, seed.data()) != 1) seed[0] = 0;
    }
    Wipe(seed.data(), seed.size());
    return c;
  }();
  return ctx;
}

Address AddressFromPubkey(const secp256k1_pubkey& pubkey) {
  std::array<uint8_t, 65> serialized{};
  size_t len = serialized.size();
  secp256k1_ec_pubkey_serialize(Context(), serialized.data(), &len, &pubkey, SECP256K1_EC_UNCOMPRESSED);
  const Hash32 hash = Keccak256(std::span<const uint8_t>(serialized.data() + 1, 64));
  std::array<uint8_t, 20> addr{};
  std::memcpy(addr.data(), hash.data() + 12, 20);
  return Address(addr);
}

// secp256k1 group order n / 2, big-endian: signatures with s above it are malleable.
constexpr std::array<uint8_t, 32> kHalfOrder = {0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                                0xff, 0xff, 0xff, 0xff, 0xff, 0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4,
                                                0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0};

}  // namespace

void Wipe(void* data, size_t size) { explicit_bzero(data, size); }

// --- Address ------------------------------------------------------------------------------------

absl::StatusOr<Address> Address::Parse(std::string_view text) {
  if (text.size() != 42 || text[0] != '0' || (text[1] != 'x' && text[1] != 'X')) {
    return absl::InvalidArgumentError(fmt::format("malformed address '{}': expected 0x + 40 hex digits", text));
  }
  std::array<uint8_t, 20> bytes{};
  if (!HexDecodeInto(text, bytes).ok()) {
    return absl::InvalidArgumentError(fmt::format("malformed address '{}': not hex", text));
  }
  Address address(bytes);
  const std::string_view digits = text.substr(2);
  bool has_lower = false, has_upper = false;
  for (char c : digits) {
    has_lower |= (c >= 'a' && c <= 'f');
    has_upper |= (c >= 'A' && c <= 'F');
  }
  if (has_lower && has_upper && address.ToChecksum().substr(2) != digits) {
    return absl::InvalidArgumentError(fmt::format("address '{}' has a bad EIP-55 checksum", text));
  }
  return address;
}

std::string Address::ToLower() const { return HexEncode(bytes_); }

std::string Address::ToChecksum() const {
  std::string lower = HexEncode(bytes_, false);
  const Hash32 hash = Keccak256(lower);
  std::string out = "0x";
  for (size_t i = 0; i < lower.size(); ++i) {
    const uint8_t nibble = (hash[i / 2] >> (i % 2 == 0 ? 4 : 0)) & 0xf;
    char c = lower[i];
    if (c >= 'a' && c <= 'f' && nibble >= 8) c = static_cast<char>(c - 'a' + 'A');
    out += c;
  }
  return out;
}

bool Address::IsZero() const {
  for (uint8_t b : bytes_) {
    if (b != 0) return false;
  }
  return true;
}

// --- Signatures and keys --------------------------------------------------------------------------

std::string Signature::ToHex() const { return HexEncode(bytes); }

absl::StatusOr<Signature> Signature::Parse(std::string_view hex) {
  Signature sig;
  if (!HexDecodeInto(hex, sig.bytes).ok()) return absl::InvalidArgumentError("signature must be 65 bytes of hex");
  return sig;
}

absl::StatusOr<PrivateKey> PrivateKey::FromBytes(std::span<const uint8_t> bytes) {
  if (bytes.size() != 32) return absl::InvalidArgumentError("malformed private key: expected 32 bytes");
  PrivateKey key;
  std::memcpy(key.secret_.data(), bytes.data(), 32);
  if (secp256k1_ec_seckey_verify(Context(), key.secret_.data()) != 1) {
    return absl::InvalidArgumentError("invalid private key: out of range for secp256k1");
  }
  secp256k1_pubkey pubkey;
  if (secp256k1_ec_pubkey_create(Context(), &pubkey, key.secret_.data()) != 1) {
    return absl::InvalidArgumentError("invalid private key");
  }
  key.address_ = AddressFromPubkey(pubkey);
  return key;
}

absl::StatusOr<PrivateKey> PrivateKey::FromHex(std::string_view hex) {
  std::array<uint8_t, 32> bytes{};
  std::string_view digits = hex;
  if (digits.size() >= 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) digits.remove_prefix(2);
  if (digits.size() != 64 || !HexDecodeInto(digits, bytes).ok()) {
    Wipe(bytes.data(), bytes.size());
    return absl::InvalidArgumentError("malformed private key: expected 64 hex digits");
  }
  auto key = FromBytes(bytes);
  Wipe(bytes.data(), bytes.size());
  return key;
}

PrivateKey::~PrivateKey() { Wipe(secret_.data(), secret_.size()); }

PrivateKey::PrivateKey(PrivateKey&& other) noexcept : secret_(other.secret_), address_(other.address_) {
  Wipe(other.secret_.data(), other.secret_.size());
}

PrivateKey& PrivateKey::operator=(PrivateKey&& other) noexcept {
  if (this != &other) {
    secret_ = other.secret_;
    address_ = other.address_;
    Wipe(other.secret_.data(), other.secret_.size());
  }
  return *this;
}

Signature PrivateKey::Sign(const Hash32& digest) const {
  secp256k1_ecdsa_recoverable_signature sig;
  // nullptr nonce function = RFC 6979; libsecp256k1 always produces low-s.
  // Cannot fail for a key that passed secp256k1_ec_seckey_verify.
  CM_CHECK(secp256k1_ecdsa_sign_recoverable(Context(), &sig, digest.data(), secret_.data(), nullptr, nullptr) == 1);
  Signature out;
  int recid = 0;
  secp256k1_ecdsa_recoverable_signature_serialize_compact(Context(), out.bytes.data(), &recid, &sig);
  out.bytes[64] = static_cast<uint8_t>(27 + recid);
  return out;
}

absl::StatusOr<Address> RecoverAddress(const Hash32& digest, const Signature& signature) {
  int v = signature.bytes[64];
  if (v >= 27) v -= 27;
  if (v != 0 && v != 1) return absl::InvalidArgumentError("signature has an invalid recovery byte v");
  if (std::memcmp(signature.bytes.data() + 32, kHalfOrder.data(), 32) > 0) {
    return absl::InvalidArgumentError("signature has a high s value (malleable)");
  }
  secp256k1_ecdsa_recoverable_signature sig;
  if (secp256k1_ecdsa_recoverable_signature_parse_compact(Context(), &sig, signature.bytes.data(), v) != 1) {
    return absl::InvalidArgumentError("signature is not a valid secp256k1 signature");
  }
  secp256k1_pubkey pubkey;
  if (secp256k1_ecdsa_recover(Context(), &pubkey, &sig, digest.data()) != 1) {
    return absl::InvalidArgumentError("no public key recovers from this signature");
  }
  return AddressFromPubkey(pubkey);
}

// --- EIP-712 ------------------------------------------------------------------------------------

AbiEncoder& AbiEncoder::Word(const Hash32& word) {
  bytes_.insert(bytes_.end(), word.begin(), word.end());
  return *this;
}

AbiEncoder& AbiEncoder::Uint(const Uint256& value) {
  const size_t at = bytes_.size();
  bytes_.resize(at + 32);
  value.WriteBigEndian(bytes_.data() + at);
  return *this;
}

AbiEncoder& AbiEncoder::Addr(const Address& address) {
  bytes_.insert(bytes_.end(), 12, 0);
  bytes_.insert(bytes_.end(), address.bytes().begin(), address.bytes().end());
  return *this;
}

AbiEncoder& AbiEncoder::StringHash(std::string_view text) { return Word(Keccak256(text)); }

Hash32 AbiEncoder::Keccak() const { return Keccak256(bytes_); }

Hash32 DomainSeparator(const Eip712Domain& domain) {
  AbiEncoder enc;
  if (domain.verifying_contract) {
    enc.Word(Keccak256(
        std::string_view("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")));
  } else {
    enc.Word(Keccak256(std::string_view("EIP712Domain(string name,string version,uint256 chainId)")));
  }
  enc.StringHash(domain.name).StringHash(domain.version).Uint(domain.chain_id);
  if (domain.verifying_contract) enc.Addr(*domain.verifying_contract);
  return enc.Keccak();
}

Hash32 Eip712Digest(const Hash32& domain_separator, const Hash32& struct_hash) {
  std::array<uint8_t, 66> buf{};
  buf[0] = 0x19;
  buf[1] = 0x01;
  std::memcpy(buf.data() + 2, domain_separator.data(), 32);
  std::memcpy(buf.data() + 34, struct_hash.data(), 32);
  return Keccak256(buf);
}

}  // namespace clobmaker::crypto
