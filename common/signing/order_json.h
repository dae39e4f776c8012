// Reading a POST /order body back into a signed order: what the simulator (and any verifier)
// needs. The inverse of PostOrderJson (order.h). No I/O.
#pragma once

#include <absl/status/statusor.h>

#include <string>
#include <string_view>
#include <vector>

#include "common/signing/order.h"

namespace clobmaker::signing {

struct PostedOrder {
  SignedOrder order;      // order.version is a guess from the fields: 1 (V1 shape) or 2
  bool v1_shape = false;  // taker/nonce/feeRateBps present: a V1 order
  std::string owner;
  OrderType type = OrderType::kGtc;
  bool post_only = false;
  bool defer_exec = false;
};

// One body of POST /order. `id` is left zero: the verifier recomputes it for the version it
// checks against. InvalidArgument with the reason ("Invalid order payload: ...").
absl::StatusOr<PostedOrder> ParsePostOrderJson(std::string_view body);
// POST /orders: a JSON array of those bodies.
absl::StatusOr<std::vector<PostedOrder>> ParsePostOrdersJson(std::string_view body);

}  // namespace clobmaker::signing
