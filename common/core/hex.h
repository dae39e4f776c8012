// Hexadecimal encoding for byte strings (hashes, addresses, signatures).
#pragma once

#include <absl/status/statusor.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace clobmaker {

// Lowercase hex, with a "0x" prefix when `prefix` is true.
std::string HexEncode(std::span<const uint8_t> bytes, bool prefix = true);

// Decodes hex with or without "0x"/"0X"; either case. Odd length or a non-hex digit is
// InvalidArgument.
absl::StatusOr<std::vector<uint8_t>> HexDecode(std::string_view text);

// Decodes into exactly out.size() bytes; a different length is InvalidArgument.
absl::Status HexDecodeInto(std::string_view text, std::span<uint8_t> out);

}  // namespace clobmaker
