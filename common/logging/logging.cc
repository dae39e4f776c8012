#include "common/logging/logging.h"

#include <fmt/format.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <memory>

#include "common/core/json_text.h"

namespace clobmaker::logging {

namespace {

// %* in the pattern: the message, escaped for a JSON string.
class JsonMessageFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
    const std::string escaped = JsonEscape(std::string_view(msg.payload.data(), msg.payload.size()));
    dest.append(escaped.data(), escaped.data() + escaped.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<JsonMessageFlag>(); }
};

std::string_view Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? std::string_view{} : std::string_view(v);
}

}  // namespace

absl::Status Configure(std::string_view service) {
  return Configure(service, Env("CLOBMAKER_LOG_FORMAT"), Env("CLOBMAKER_LOG_LEVEL"));
}

absl::Status Configure(std::string_view service, std::string_view format, std::string_view level) {
  if (!level.empty()) {
    const spdlog::level::level_enum parsed = spdlog::level::from_str(std::string(level));
    if (parsed == spdlog::level::off && level != "off") {
      return absl::InvalidArgumentError(
          fmt::format("CLOBMAKER_LOG_LEVEL: '{}' is not one of trace, debug, info, warn, error, critical, off", level));
    }
    spdlog::set_level(parsed);
  }
  if (format.empty() || format == "text") return absl::OkStatus();
  if (format != "json") {
    return absl::InvalidArgumentError(fmt::format("CLOBMAKER_LOG_FORMAT: '{}' is not 'text' or 'json'", format));
  }
  auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
  formatter->add_flag<JsonMessageFlag>('*').set_pattern(fmt::format(
      R"({{"ts":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","service":"{}","thread":%t,"msg":"%*"}})", JsonEscape(service)));
  spdlog::set_formatter(std::move(formatter));
  return absl::OkStatus();
}

}  // namespace clobmaker::logging
