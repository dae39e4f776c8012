// libFuzzer: the market-channel decoder must turn any bytes into events or typed errors.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/polymarket/decode.h"
#include "common/polymarket/encode.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static clobmaker::polymarket::MarketDecoder decoder;
  clobmaker::polymarket::MarketFrame frame;
  decoder.Decode(std::string_view(reinterpret_cast<const char*>(data), size), frame);
  // Whatever decoded must re-encode and decode again without errors.
  for (const auto& event : frame.events) {
    auto again = decoder.Decode(clobmaker::polymarket::EncodeMarketEvent(event));
    if (!again.errors.empty() || again.events.size() != 1) __builtin_trap();
  }
  return 0;
}
