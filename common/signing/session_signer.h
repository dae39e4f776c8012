// Deposit-wallet session keys (docs/session-keys.md): an EOA the wallet's owner authorizes, for a
// fixed lifetime and scopes, to sign for the wallet; it can trade but not withdraw. Its signatures
// carry an envelope naming it, so the wallet checks the session key's authorization instead of
// the owner:
//   abi.encode(bytes32 signerId = leftpad(session EOA), bytes32 kind = 0, bytes inner) || magic
// where magic is 32 bytes 0x6492..6492 and `inner` is what the owner would have sent (the 317-byte
// ERC-7739 wrap of an order, or a 65-byte batch signature). A signature ending in the magic that
// is not a well-formed envelope is invalid: it never falls back to the owner (DepositWallet's
// SessionSignerLib). No I/O.
#pragma once

#include <absl/status/statusor.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/crypto/crypto.h"

namespace clobmaker::signing {

// The lifetime the official SDKs give every session key (4,315 hours: the docs' "180 days"); the
// relayer refuses other values.
inline constexpr int64_t kSessionKeyLifetimeSeconds = int64_t{4315} * 3600;

std::vector<uint8_t> WrapSessionSignerSignature(const crypto::Address& session_signer, std::span<const uint8_t> inner);

struct SessionEnvelope {
  crypto::Address signer;
  std::vector<uint8_t> inner;
};
// nullopt: no envelope (the owner signed). InvalidArgument naming the fault: an envelope that is
// malformed, or of a kind other than secp256k1 (kind 1 is a passkey, not supported here).
absl::StatusOr<std::optional<SessionEnvelope>> UnwrapSessionSignerSignature(std::span<const uint8_t> signature);

// Session-key scopes (off chain only: the relayer's request and the CLOB's registry): "CLOB",
// "COMBOSRFQ", ... or "ALL" alone. InvalidArgument with the official clients' texts otherwise.
absl::Status CheckSessionScopes(const std::vector<std::string>& scopes);
// Whether a key with these scopes may place CLOB orders (CLOB or ALL, any case).
bool ScopesAllowClob(const std::vector<std::string>& scopes);

}  // namespace clobmaker::signing
