// libFuzzer: decimal parsing is exact or an error, and formatting round-trips.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/model/decimal.h"
#include "common/model/types.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (int scale : {0, 4, 6}) {
    auto v = clobmaker::model::ParseScaled(text, scale, {.allow_negative = true});
    if (v.ok()) {
      auto again =
          clobmaker::model::ParseScaled(clobmaker::model::FormatScaled(*v, scale), scale, {.allow_negative = true});
      if (!again.ok() || *again != *v) __builtin_trap();
    }
  }
  (void)clobmaker::model::Price::Parse(text);
  (void)clobmaker::model::TickSize::Parse(text);
  (void)clobmaker::model::TokenId::Parse(text);
  (void)clobmaker::model::OrderId::Parse(text);
  return 0;
}
