// libFuzzer: every REST response parser on arbitrary bodies (errors are values, never crashes).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/polymarket/decode.h"
#include "common/polymarket/encode.h"

namespace pm = clobmaker::polymarket;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  (void)pm::ParsePostOrderResponse(body);
  (void)pm::ParsePostOrdersResponse(body);
  (void)pm::ParseCancelResponse(body);
  (void)pm::ParseOpenOrder(body);
  (void)pm::ParseOpenOrdersPage(body);
  (void)pm::ParseTradesPage(body);
  (void)pm::ParseBookResponse(body);
  (void)pm::ParseTickSizeResponse(body);
  (void)pm::ParseNegRiskResponse(body);
  (void)pm::ParseFeeRateResponse(body);
  (void)pm::ParseVersionResponse(body);
  (void)pm::ParseServerTimeResponse(body);
  (void)pm::ParseHeartbeatResponse(body);
  (void)pm::ParseOrderScoringResponse(body);
  (void)pm::ParseOrdersScoringResponse(body);
  (void)pm::ParseBalanceAllowanceResponse(body);
  (void)pm::ParseApiKeyResponse(body);
  (void)pm::ParseSubscribeRequest(body);
  (void)pm::ParseErrorBody(body);
  (void)pm::ParseTimestampMs(body);
  (void)pm::VerifyRestBookHash(body);
  return 0;
}
