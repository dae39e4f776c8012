// libFuzzer: clobmaker-sign's input line parser answers every line with a result or an error.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/signing/cli/sign_line.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string out = clobmaker::signing::SignLine(std::string_view(reinterpret_cast<const char*>(data), size));
  if (out.empty() || out.front() != '{') __builtin_trap();
  return 0;
}
