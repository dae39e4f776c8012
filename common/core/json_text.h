// Text escaped for a JSON string (quotes, backslashes, control characters as \n, \r, \t or
// \u00XX), for the few places that write JSON by hand: signed order bodies (byte-exact with the
// official clients) and JSON log lines.
#pragma once

#include <string>
#include <string_view>

namespace clobmaker {

// Appends `text` escaped, without the surrounding quotes.
void AppendJsonEscaped(std::string& out, std::string_view text);
std::string JsonEscape(std::string_view text);

}  // namespace clobmaker
