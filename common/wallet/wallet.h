// Polymarket wallets (docs/deposit-wallets-spec.md s1-s2): an owner key (an EOA) trades either as
// itself or through a contract wallet whose address is a CREATE2 derivation of the owner:
//   POLY_PROXY       : ProxyFactory,         salt keccak(owner 20 bytes),    fixed init code hash
//   POLY_GNOSIS_SAFE : SafeFactory,          salt keccak(abi.encode(owner)), fixed init code hash
//   POLY_1271        : DepositWalletFactory, salt keccak(factory, walletId), ERC-1967 clone of the
//                      beacon (what accounts get now) or of the UUPS implementation (the first
//                      deposit wallets, "legacy").
// The exchange accepts an order's maker only if it is the signer itself (EOA) or the signer's
// wallet of the order's signature type; the simulator checks it with IsWalletOf. No I/O.
#pragma once

#include <absl/status/statusor.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/crypto/crypto.h"
#include "common/signing/order.h"

namespace clobmaker::wallet {

using signing::SignatureType;

// The wallet kinds' names as the official clients and the exchange spell them ("EOA",
// "POLY_PROXY", "POLY_GNOSIS_SAFE", "POLY_1271"), and back.
std::string_view WalletName(SignatureType type);
absl::StatusOr<SignatureType> ParseWalletName(std::string_view name);

// The factories of one chain. A zero address: that kind does not exist on the chain.
struct Factories {
  crypto::Address proxy_factory;
  crypto::Address safe_factory;
  crypto::Address deposit_wallet_factory;
  crypto::Address deposit_wallet_implementation;  // UUPS (the first deposit wallets)
  crypto::Address deposit_wallet_beacon;          // zero: new wallets are UUPS too
};
// Polygon (137) and Amoy (80002, deposit wallets only).
absl::StatusOr<Factories> FactoriesForChain(uint64_t chain_id);

// keccak256(0xff ‖ deployer ‖ salt ‖ init_code_hash)[12:].
crypto::Address Create2Address(const crypto::Address& deployer, const crypto::Hash32& salt,
                               const crypto::Hash32& init_code_hash);

crypto::Address ProxyWalletOf(const crypto::Address& owner, const Factories& factories);
crypto::Address SafeOf(const crypto::Address& owner, const Factories& factories);
// The deposit wallet a new account gets (the beacon clone; the UUPS one without a beacon).
crypto::Address DepositWalletOf(const crypto::Address& owner, const Factories& factories);
crypto::Address LegacyDepositWalletOf(const crypto::Address& owner, const Factories& factories);

// The wallet `owner` trades through as `type`, when it is determined by the owner alone: the
// owner itself for EOA, the proxy, the Safe, the (beacon) deposit wallet. Nullopt when that kind
// does not exist on the chain.
std::optional<crypto::Address> DefaultWalletOf(SignatureType type, const crypto::Address& owner,
                                               const Factories& factories);

// Whether `maker` may be an order's maker signed by `owner` under `type`: the exchange's rule.
// A deposit wallet is either of the owner's two derivations.
bool IsWalletOf(SignatureType type, const crypto::Address& owner, const crypto::Address& maker,
                const Factories& factories);

// One wallet setting for every service that trades or reads the account (execution, userstream,
// positions, clobmakerctl wallet-address): the kind as typed, then the account it resolves to.
inline constexpr std::string_view kWalletEnv = "CLOBMAKER_WALLET";

struct WalletSetting {
  std::string wallet;                     // --wallet NAME ("": not given)
  std::optional<int64_t> signature_type;  // --signature-type 0..3, the older spelling of --wallet
  std::optional<std::string> env_wallet;  // CLOBMAKER_WALLET (unset or "": not given)
  std::string funder;                     // --funder ADDR ("": the owner's wallet of that kind)
  // --session-key: the key is a session key the deposit wallet's owner authorized
  // (docs/session-keys.md), not the owner: POLY_1271 only, and --funder names the wallet (it
  // cannot be derived from a session key).
  bool session_key = false;
};

// The kind: --wallet, else --signature-type, else CLOBMAKER_WALLET (a flag wins over the
// variable), else `fallback`. An unknown name or number, or both flags meaning different kinds:
// InvalidArgument naming the flag or variable (unknown names list the valid ones).
absl::StatusOr<SignatureType> WalletTypeOf(const WalletSetting& setting, SignatureType fallback = SignatureType::kEoa);

// The account the owner trades through: the kind, and the maker that holds the funds.
struct Account {
  SignatureType type = SignatureType::kEoa;
  crypto::Address funder;
  bool session_key = false;  // the key signs as a session key of `funder`
};

// `funder` when given (it must be one of the owner's wallets of that kind, IsWalletOf: else an
// InvalidArgument naming --funder), else the owner's wallet of that kind (DefaultWalletOf; an
// error naming --wallet when the kind does not exist on the chain). EOA needs no factories, so it
// resolves on any chain.
absl::StatusOr<Account> ResolveAccount(SignatureType type, const crypto::Address& owner, std::string_view funder,
                                       uint64_t chain_id);
// WalletTypeOf, then the above.
absl::StatusOr<Account> ResolveAccount(const WalletSetting& setting, const crypto::Address& owner, uint64_t chain_id,
                                       SignatureType fallback = SignatureType::kEoa);

}  // namespace clobmaker::wallet
