// How every service logs: spdlog's default logger, as text for a terminal (default) or as one
// JSON object per line for log collectors (CLOBMAKER_LOG_FORMAT=json), with the level from
// CLOBMAKER_LOG_LEVEL (trace, debug, info, warn, error). Bad values are refused with a message
// naming the variable; the service then exits with its configuration error code.
//
//   {"ts":"2026-12-01T08:00:00.123456Z","level":"info","service":"positions","thread":123,"msg":"..."}
#pragma once

#include <absl/status/status.h>

#include <string>
#include <string_view>

namespace clobmaker::logging {

// Configures from the environment.
absl::Status Configure(std::string_view service);
// Configures explicitly: format "text" or "json"; level as spdlog names it.
absl::Status Configure(std::string_view service, std::string_view format, std::string_view level);

}  // namespace clobmaker::logging
