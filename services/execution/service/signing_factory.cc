#include "services/execution/service/signing_factory.h"

#include "common/core/status.h"

namespace clobmaker::execution {

absl::StatusOr<std::unique_ptr<SigningOrderFactory>> SigningOrderFactory::Create(const crypto::PrivateKey& key,
                                                                                 SigningConfig config,
                                                                                 uint64_t salt_seed) {
  CM_ASSIGN_OR_RETURN(signing::ChainContracts contracts, signing::ContractsForChain(config.chain_id));
  if (config.funder.IsZero()) config.funder = key.address();
  return std::unique_ptr<SigningOrderFactory>(new SigningOrderFactory(key, config, contracts, salt_seed));
}

const signing::OrderDomainHash& SigningOrderFactory::Domain(int version, bool neg_risk) {
  auto it = domains_.find({version, neg_risk});
  if (it != domains_.end()) return it->second;
  const auto v = static_cast<signing::OrderVersion>(version);
  signing::OrderDomain domain{
      .version = v, .chain_id = config_.chain_id, .exchange = signing::ExchangeFor(contracts_, v, neg_risk)};
  return domains_.emplace(std::make_pair(version, neg_risk), signing::HashDomain(domain)).first->second;
}

absl::StatusOr<signing::SignedOrder> SigningOrderFactory::Make(const OrderSpec& spec) {
  if (config_.session_key && spec.now / kNanosPerSecond >= session_valid_until_s_) {
    // The wallet would refuse the signature ("invalid signature"): not signed, not sent.
    ++session_refusals_;
    return absl::FailedPreconditionError(
        session_valid_until_s_ == 0 ? "the session key is not authorized for the wallet (revoked or never authorized)"
                                    : "the session key's authorization has expired");
  }
  CM_ASSIGN_OR_RETURN(const signing::OrderVersion version, signing::OrderVersionFromInt(spec.version));
  auto token = token_ids_.find(spec.intent.token);
  if (token == token_ids_.end()) {
    CM_ASSIGN_OR_RETURN(Uint256 id, Uint256::FromDecimal(spec.intent.token));
    token = token_ids_.emplace(spec.intent.token, id).first;
  }
  CM_ASSIGN_OR_RETURN(const signing::OrderAmounts amounts,
                      signing::LimitOrderAmounts(spec.intent.side, spec.price, spec.size, spec.tick));
  signing::UnsignedOrder order;
  order.salt = Uint256(salt_.Next() & ((uint64_t{1} << 53) - 1));  // travels as a JSON number
  order.maker = config_.funder;
  // A deposit wallet (POLY_1271) is its own signer (ERC-1271, the key signs for it); otherwise the key.
  order.signer = config_.signature_type == signing::SignatureType::kPoly1271 ? config_.funder : key_.address();
  order.token_id = token->second;
  order.maker_amount = amounts.maker;
  order.taker_amount = amounts.taker;
  order.side = spec.intent.side;
  order.signature_type = config_.signature_type;
  order.timestamp_ms = static_cast<uint64_t>(spec.now / kNanosPerMilli);
  const signing::OrderDomainHash& domain = Domain(static_cast<int>(version), spec.neg_risk);
  if (config_.session_key) return signing::SignOrderAsSessionKey(order, domain, key_);
  return signing::SignOrder(order, domain, key_);
}

}  // namespace clobmaker::execution
