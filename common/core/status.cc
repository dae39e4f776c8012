#include "common/core/status.h"

#include <cstdio>
#include <cstdlib>
#include <string>

namespace clobmaker {

void FailCheck(const char* file, int line, std::string_view what) {
  std::fprintf(stderr, "CHECK failed at %s:%d: %.*s\n", file, line, static_cast<int>(what.size()), what.data());
  std::abort();
}

absl::Status Annotate(const absl::Status& status, std::string_view context) {
  if (status.ok()) return status;
  std::string message(context);
  message += ": ";
  const absl::string_view original = status.message();
  message.append(original.data(), original.size());
  return absl::Status(status.code(), message);
}

}  // namespace clobmaker
