// The OrderFactory of the running service: EIP-712 orders signed with the wallet key, for the
// version and exchange contract each order needs, with a fresh salt each (from the OS).
#pragma once

#include <map>
#include <utility>

#include "common/core/rng.h"
#include "common/crypto/crypto.h"
#include "common/signing/order.h"
#include "services/execution/core/order_manager.h"

namespace clobmaker::execution {

struct SigningConfig {
  uint64_t chain_id = 137;
  signing::SignatureType signature_type = signing::SignatureType::kEoa;
  crypto::Address funder;  // the maker (and, for POLY_1271, the signer); the key's own address for EOA
  // The key is a session key of the deposit wallet `funder` (docs/session-keys.md): orders carry
  // its envelope, and none is signed once its authorization has ended (SetSessionValidUntil).
  bool session_key = false;
};

class SigningOrderFactory final : public OrderFactory {
 public:
  // `key` is borrowed and must outlive the factory.
  static absl::StatusOr<std::unique_ptr<SigningOrderFactory>> Create(const crypto::PrivateKey& key,
                                                                     SigningConfig config, uint64_t salt_seed);
  absl::StatusOr<signing::SignedOrder> Make(const OrderSpec& spec) override;
  // What the wallet says of the session key (sessionSignerAuthorizedUntil, unix seconds; 0:
  // revoked or never authorized). Until it is first set, a session key signs nothing.
  void SetSessionValidUntil(int64_t valid_until_s) { session_valid_until_s_ = valid_until_s; }
  // Orders refused because the session key's authorization had ended.
  uint64_t session_refusals() const { return session_refusals_; }

 private:
  SigningOrderFactory(const crypto::PrivateKey& key, SigningConfig config, signing::ChainContracts contracts,
                      uint64_t salt_seed)
      : key_(key), config_(config), contracts_(contracts), salt_(salt_seed) {}
  const signing::OrderDomainHash& Domain(int version, bool neg_risk);

  const crypto::PrivateKey& key_;
  SigningConfig config_;
  signing::ChainContracts contracts_;
  Rng salt_;
  std::map<std::pair<int, bool>, signing::OrderDomainHash> domains_;
  std::map<std::string, Uint256> token_ids_;
  int64_t session_valid_until_s_ = 0;
  uint64_t session_refusals_ = 0;
};

}  // namespace clobmaker::execution
