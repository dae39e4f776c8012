// libFuzzer: the user-channel decoder and fill attribution on arbitrary bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/polymarket/decode.h"
#include "common/polymarket/encode.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static clobmaker::polymarket::UserDecoder decoder;
  clobmaker::polymarket::UserFrame frame;
  decoder.Decode(std::string_view(reinterpret_cast<const char*>(data), size), frame);
  const clobmaker::polymarket::Identity us{.api_keys = {"00000000-0000-0000-0000-000000000001"},
                                           .addresses = {"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"}};
  for (const auto& event : frame.events) {
    if (const auto* trade = std::get_if<clobmaker::polymarket::UserTradeEvent>(&event)) {
      (void)clobmaker::polymarket::AttributeFills(*trade, us);
    }
    auto again = decoder.Decode(clobmaker::polymarket::EncodeUserEvent(event));
    if (!again.errors.empty() || again.events.size() != 1) __builtin_trap();
  }
  return 0;
}
