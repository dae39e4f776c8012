// 128-bit integers for exact intermediate products (price x size, limb arithmetic).
// GCC and Clang provide them as an extension; __extension__ keeps -Wpedantic quiet.
#pragma once

namespace clobmaker {
__extension__ typedef __int128 Int128;
__extension__ typedef unsigned __int128 UInt128;
}  // namespace clobmaker
