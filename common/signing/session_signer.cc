#include "common/signing/session_signer.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace clobmaker::signing {
namespace {

constexpr size_t kWord = 32;
constexpr size_t kHead = 4 * kWord;  // signerId, kind, offset, length
constexpr uint8_t kMagicPair[2] = {0x64, 0x92};

void PutWordU64(std::vector<uint8_t>& out, uint64_t v) {
  for (int i = 0; i < 24; ++i) out.push_back(0);
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

bool IsMagic(std::span<const uint8_t> tail) {
  for (size_t i = 0; i < kWord; ++i) {
    if (tail[i] != kMagicPair[i % 2]) return false;
  }
  return true;
}

// A word that must hold a small integer: its value, or nullopt when its high bytes are set.
std::optional<uint64_t> SmallWord(std::span<const uint8_t> word) {
  for (size_t i = 0; i < 24; ++i) {
    if (word[i] != 0) return std::nullopt;
  }
  uint64_t v = 0;
  for (size_t i = 24; i < kWord; ++i) v = (v << 8) | word[i];
  return v;
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::vector<uint8_t> WrapSessionSignerSignature(const crypto::Address& session_signer, std::span<const uint8_t> inner) {
  std::vector<uint8_t> out;
  const size_t padded = (inner.size() + kWord - 1) / kWord * kWord;
  out.reserve(kHead + padded + kWord);
  for (int i = 0; i < 12; ++i) out.push_back(0);
  out.insert(out.end(), session_signer.bytes().begin(), session_signer.bytes().end());
  PutWordU64(out, 0);          // kind: secp256k1
  PutWordU64(out, 3 * kWord);  // offset of `inner` within the encoding
  PutWordU64(out, inner.size());
  out.insert(out.end(), inner.begin(), inner.end());
  out.resize(kHead + padded, 0);
  for (size_t i = 0; i < kWord; ++i) out.push_back(kMagicPair[i % 2]);
  return out;
}

absl::StatusOr<std::optional<SessionEnvelope>> UnwrapSessionSignerSignature(std::span<const uint8_t> signature) {
  if (signature.size() < kWord || !IsMagic(signature.subspan(signature.size() - kWord))) return std::nullopt;
  if (signature.size() < kHead + kWord) return absl::InvalidArgumentError("session signer envelope too short");
  const auto word = [&](size_t i) { return signature.subspan(i * kWord, kWord); };
  const auto kind = SmallWord(word(1));
  const auto offset = SmallWord(word(2));
  const auto length = SmallWord(word(3));
  if (!offset || *offset != 3 * kWord) return absl::InvalidArgumentError("session signer envelope: bad offset");
  if (!length || *length > signature.size() ||
      signature.size() != kHead + (*length + kWord - 1) / kWord * kWord + kWord) {
    return absl::InvalidArgumentError("session signer envelope: length does not match");
  }
  if (!kind || *kind != 0) return absl::InvalidArgumentError("session signer envelope: not a secp256k1 signer");
  const auto id = word(0);
  if (std::any_of(id.begin(), id.begin() + 12, [](uint8_t b) { return b != 0; })) {
    return absl::InvalidArgumentError("session signer envelope: signer id is not an address");
  }
  std::array<uint8_t, 20> address{};
  std::copy(id.begin() + 12, id.end(), address.begin());
  SessionEnvelope out{.signer = crypto::Address(address)};
  if (out.signer.IsZero()) return absl::InvalidArgumentError("session signer envelope: zero signer");
  const auto inner = signature.subspan(kHead, *length);
  out.inner.assign(inner.begin(), inner.end());
  return std::optional<SessionEnvelope>(std::move(out));
}

absl::Status CheckSessionScopes(const std::vector<std::string>& scopes) {
  if (scopes.empty()) return absl::InvalidArgumentError("Session key scopes must be a non-empty sequence.");
  for (const std::string& s : scopes) {
    if (s.empty()) return absl::InvalidArgumentError("Session key scopes must contain non-empty strings.");
    if (Upper(s) == "ALL" && scopes.size() > 1) {
      return absl::InvalidArgumentError("Session key scope ALL cannot be combined with another scope.");
    }
  }
  return absl::OkStatus();
}

bool ScopesAllowClob(const std::vector<std::string>& scopes) {
  return std::any_of(scopes.begin(), scopes.end(), [](const std::string& s) {
    const std::string u = Upper(s);
    return u == "CLOB" || u == "ALL";
  });
}

}  // namespace clobmaker::signing
