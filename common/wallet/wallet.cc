#include "common/wallet/wallet.h"

#include <fmt/format.h>

#include <vector>

#include "common/core/hex.h"

namespace clobmaker::wallet {
namespace {

using crypto::Address;
using crypto::Hash32;

// Constants of the official relayer client (docs/deposit-wallets-spec.md s1).
constexpr std::string_view kProxyInitCodeHash = "0xd21df8dc65880a8606f09fe0ce3df9b8869287ab0b058be05aa9e8af6330a00b";
constexpr std::string_view kSafeInitCodeHash = "0x2bce2127ff07fb632d16c8347c4ebf501f4841168bed00d9e6ef715ddb6fcecf";

// Solady 0.1.26 LibClone's ERC-1967 clones with immutable arguments: a 10-byte prefix whose
// PUSH2 operand (bytes 1-2) grows by the arguments' length, the implementation or beacon, fixed
// runtime code, then the arguments.
constexpr std::string_view kErc1967Prefix = "61003d3d8160233d3973";
constexpr std::string_view kErc1967Runtime =
    "6009"
    "5155f3363d3d373d3d363d7f360894a13ba1a3210667c828492db98dca3e2076"
    "cc3735a920a3ca505d382bbc545af43d6000803e6038573d6000fd5b3d6000f3";
constexpr std::string_view kBeaconPrefix = "6100523d8160233d3973";
constexpr std::string_view kBeaconRuntime =
    "60195155f3363d3d373d3d363d602036600436635c60da"
    "1b60e01b36527fa3f0ad74e5423aebfd80d3ef4346578335a9a72aeaee59ff6c"
    "b3582b35133d50545afa5036515af43d6000803e604d573d6000fd5b3d6000f3";

Hash32 HashConstant(std::string_view hex) {
  Hash32 out{};
  (void)HexDecodeInto(hex, out);  // compile-time constants above, 32 bytes each
  return out;
}

Address AddressConstant(std::string_view text) { return *Address::Parse(text); }

std::string Message(const absl::Status& status) { return std::string(status.message()); }

void Append(std::vector<uint8_t>& out, std::string_view hex) {
  auto bytes = *HexDecode(hex);
  out.insert(out.end(), bytes.begin(), bytes.end());
}

void Append(std::vector<uint8_t>& out, const Address& a) { out.insert(out.end(), a.bytes().begin(), a.bytes().end()); }

void AppendWord(std::vector<uint8_t>& out, const Address& a) {
  out.insert(out.end(), 12, 0);
  Append(out, a);
}

// abi.encode(address factory, bytes32 walletId) with walletId = the owner left-padded.
std::vector<uint8_t> DepositWalletArgs(const Address& owner, const Factories& f) {
  std::vector<uint8_t> args;
  AppendWord(args, f.deposit_wallet_factory);
  AppendWord(args, owner);
  return args;
}

Hash32 CloneInitCodeHash(std::string_view prefix, const Address& target, std::string_view runtime,
                         const std::vector<uint8_t>& args) {
  std::vector<uint8_t> code;
  Append(code, prefix);
  const auto operand = static_cast<uint16_t>(((code[1] << 8) | code[2]) + args.size());
  code[1] = static_cast<uint8_t>(operand >> 8);
  code[2] = static_cast<uint8_t>(operand & 0xff);
  Append(code, target);
  Append(code, runtime);
  code.insert(code.end(), args.begin(), args.end());
  return crypto::Keccak256(code);
}

Address DepositWallet(const Address& owner, const Factories& f, bool beacon) {
  const std::vector<uint8_t> args = DepositWalletArgs(owner, f);
  const Hash32 salt = crypto::Keccak256(args);
  const Hash32 init = beacon
                          ? CloneInitCodeHash(kBeaconPrefix, f.deposit_wallet_beacon, kBeaconRuntime, args)
                          : CloneInitCodeHash(kErc1967Prefix, f.deposit_wallet_implementation, kErc1967Runtime, args);
  return Create2Address(f.deposit_wallet_factory, salt, init);
}

}  // namespace

std::string_view WalletName(SignatureType type) {
  switch (type) {
    case SignatureType::kEoa:
      return "EOA";
    case SignatureType::kPolyProxy:
      return "POLY_PROXY";
    case SignatureType::kPolyGnosisSafe:
      return "POLY_GNOSIS_SAFE";
    case SignatureType::kPoly1271:
      return "POLY_1271";
  }
  return "UNKNOWN";
}

absl::StatusOr<SignatureType> ParseWalletName(std::string_view name) {
  for (auto t :
       {SignatureType::kEoa, SignatureType::kPolyProxy, SignatureType::kPolyGnosisSafe, SignatureType::kPoly1271}) {
    if (name == WalletName(t)) return t;
  }
  return absl::InvalidArgumentError(
      fmt::format("unknown wallet '{}': EOA, POLY_PROXY, POLY_GNOSIS_SAFE or POLY_1271", name));
}

absl::StatusOr<Factories> FactoriesForChain(uint64_t chain_id) {
  Factories f;
  f.deposit_wallet_factory = AddressConstant("0x00000000000Fb5C9ADea0298D729A0CB3823Cc07");
  if (chain_id == 137) {
    f.proxy_factory = AddressConstant("0xaB45c5A4B0c941a2F231C04C3f49182e1A254052");
    f.safe_factory = AddressConstant("0xaacFeEa03eb1561C4e67d661e40682Bd20E3541b");
    f.deposit_wallet_implementation = AddressConstant("0x58CA52ebe0DadfdF531Cde7062e76746de4Db1eB");
    f.deposit_wallet_beacon = AddressConstant("0x7A18EDfe055488A3128f01F563e5B479D92ffc3a");
    return f;
  }
  if (chain_id == 80002) {
    // The relayer client knows only the factory and a UUPS implementation on Amoy.
    f.deposit_wallet_implementation = AddressConstant("0x50a88fE9a441cB4c9c2aD6A2207CE2795C7D7Fbd");
    return f;
  }
  return absl::InvalidArgumentError(fmt::format("no Polymarket wallet factories known for chain {}", chain_id));
}

Address Create2Address(const Address& deployer, const Hash32& salt, const Hash32& init_code_hash) {
  std::vector<uint8_t> preimage;
  preimage.reserve(85);
  preimage.push_back(0xff);
  Append(preimage, deployer);
  preimage.insert(preimage.end(), salt.begin(), salt.end());
  preimage.insert(preimage.end(), init_code_hash.begin(), init_code_hash.end());
  const Hash32 h = crypto::Keccak256(preimage);
  std::array<uint8_t, 20> bytes{};
  std::copy(h.begin() + 12, h.end(), bytes.begin());
  return Address(bytes);
}

Address ProxyWalletOf(const Address& owner, const Factories& f) {
  return Create2Address(f.proxy_factory, crypto::Keccak256(owner.bytes()), HashConstant(kProxyInitCodeHash));
}

Address SafeOf(const Address& owner, const Factories& f) {
  std::vector<uint8_t> word;
  AppendWord(word, owner);
  return Create2Address(f.safe_factory, crypto::Keccak256(word), HashConstant(kSafeInitCodeHash));
}

Address DepositWalletOf(const Address& owner, const Factories& f) {
  return DepositWallet(owner, f, /*beacon=*/!f.deposit_wallet_beacon.IsZero());
}

Address LegacyDepositWalletOf(const Address& owner, const Factories& f) {
  return DepositWallet(owner, f, /*beacon=*/false);
}

std::optional<Address> DefaultWalletOf(SignatureType type, const Address& owner, const Factories& f) {
  switch (type) {
    case SignatureType::kEoa:
      return owner;
    case SignatureType::kPolyProxy:
      if (f.proxy_factory.IsZero()) return std::nullopt;
      return ProxyWalletOf(owner, f);
    case SignatureType::kPolyGnosisSafe:
      if (f.safe_factory.IsZero()) return std::nullopt;
      return SafeOf(owner, f);
    case SignatureType::kPoly1271:
      if (f.deposit_wallet_factory.IsZero()) return std::nullopt;
      return DepositWalletOf(owner, f);
  }
  return std::nullopt;
}

bool IsWalletOf(SignatureType type, const Address& owner, const Address& maker, const Factories& f) {
  if (type == SignatureType::kPoly1271 && !f.deposit_wallet_factory.IsZero()) {
    return maker == DepositWalletOf(owner, f) || maker == LegacyDepositWalletOf(owner, f);
  }
  const auto wallet = DefaultWalletOf(type, owner, f);
  return wallet.has_value() && *wallet == maker;
}

absl::StatusOr<SignatureType> WalletTypeOf(const WalletSetting& setting, SignatureType fallback) {
  std::optional<SignatureType> from_flag;
  if (!setting.wallet.empty()) {
    auto parsed = ParseWalletName(setting.wallet);
    if (!parsed.ok()) return absl::InvalidArgumentError(fmt::format("--wallet: {}", Message(parsed.status())));
    from_flag = *parsed;
  }
  if (setting.signature_type.has_value()) {
    auto parsed = signing::SignatureTypeFromInt(*setting.signature_type);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(
          fmt::format("--signature-type: {} is not 0 (EOA), 1 (POLY_PROXY), 2 (POLY_GNOSIS_SAFE) or 3 (POLY_1271)",
                      *setting.signature_type));
    }
    if (from_flag.has_value() && *from_flag != *parsed) {
      return absl::InvalidArgumentError(fmt::format(
          "--wallet {} and --signature-type {} ({}) disagree: give one of them (--signature-type is the older "
          "spelling of --wallet)",
          WalletName(*from_flag), *setting.signature_type, WalletName(*parsed)));
    }
    from_flag = *parsed;
  }
  if (from_flag.has_value()) return *from_flag;
  if (setting.env_wallet.has_value() && !setting.env_wallet->empty()) {
    auto parsed = ParseWalletName(*setting.env_wallet);
    if (!parsed.ok()) return absl::InvalidArgumentError(fmt::format("{}: {}", kWalletEnv, Message(parsed.status())));
    return *parsed;
  }
  return fallback;
}

absl::StatusOr<Account> ResolveAccount(SignatureType type, const Address& owner, std::string_view funder,
                                       uint64_t chain_id) {
  std::optional<Address> given;
  if (!funder.empty()) {
    auto parsed = Address::Parse(funder);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(
          fmt::format("--funder: '{}' is not an address: {}", funder, Message(parsed.status())));
    }
    given = *parsed;
  }
  if (type == SignatureType::kEoa) {
    if (given.has_value() && *given != owner) {
      return absl::InvalidArgumentError(
          fmt::format("--funder {}: an EOA wallet is its own maker, the key's address {}; drop --funder, or give "
                      "--wallet of the funder's kind",
                      given->ToChecksum(), owner.ToChecksum()));
    }
    return Account{.type = type, .funder = owner};
  }
  auto factories = FactoriesForChain(chain_id);
  if (!factories.ok()) {
    return absl::InvalidArgumentError(fmt::format("--wallet {}: {}", WalletName(type), Message(factories.status())));
  }
  const std::optional<Address> derived = DefaultWalletOf(type, owner, *factories);
  if (given.has_value()) {
    if (!IsWalletOf(type, owner, *given, *factories)) {
      return absl::InvalidArgumentError(fmt::format(
          "--funder {} is not a {} wallet of the key's address {}{}", given->ToChecksum(), WalletName(type),
          owner.ToChecksum(), derived ? fmt::format(" (that is {})", derived->ToChecksum()) : std::string()));
    }
    return Account{.type = type, .funder = *given};
  }
  if (!derived.has_value()) {
    return absl::InvalidArgumentError(
        fmt::format("--wallet {}: no such wallets on chain {}", WalletName(type), chain_id));
  }
  return Account{.type = type, .funder = *derived};
}

absl::StatusOr<Account> ResolveAccount(const WalletSetting& setting, const Address& owner, uint64_t chain_id,
                                       SignatureType fallback) {
  auto type = WalletTypeOf(setting, fallback);
  if (!type.ok()) return type.status();
  if (setting.session_key) {
    if (*type != SignatureType::kPoly1271) {
      return absl::InvalidArgumentError(
          "--session-key: session keys sign for deposit wallets only (--wallet POLY_1271)");
    }
    if (setting.funder.empty()) {
      return absl::InvalidArgumentError(
          "--session-key needs --funder: the deposit wallet the key was authorized for (it cannot be derived "
          "from a session key)");
    }
    auto wallet = Address::Parse(setting.funder);
    if (!wallet.ok()) return absl::InvalidArgumentError("--funder: " + std::string(wallet.status().message()));
    if (*wallet == owner) return absl::InvalidArgumentError("--funder: a session key signs for a wallet, not itself");
    return Account{.type = *type, .funder = *wallet, .session_key = true};
  }
  return ResolveAccount(*type, owner, setting.funder, chain_id);
}

}  // namespace clobmaker::wallet
