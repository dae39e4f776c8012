#include "common/logging/logging.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>

#include "common/core/json_text.h"

namespace clobmaker::logging {
namespace {

TEST(Logging, JsonLinesAreOneEscapedObjectEach) {
  std::ostringstream out;
  auto logger = std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::ostream_sink_mt>(out));
  spdlog::set_default_logger(logger);
  ASSERT_TRUE(Configure("positions", "json", "info").ok());
  spdlog::info("merge \"0xab\" sent\tnow\\ok");
  spdlog::debug("not shown at info");
  const std::string line = out.str();
  EXPECT_NE(line.find(R"("level":"info","service":"positions")"), std::string::npos) << line;
  EXPECT_NE(line.find(R"("msg":"merge \"0xab\" sent\tnow\\ok"})"), std::string::npos) << line;
  EXPECT_EQ(line.find("not shown"), std::string::npos);
  EXPECT_EQ(std::count(line.begin(), line.end(), '\n'), 1);
  EXPECT_EQ(line.rfind(R"({"ts":")", 0), 0u) << line;
}

TEST(Logging, BadValuesAreRefusedWithTheVariablesName) {
  auto format = Configure("x", "yaml", "");
  EXPECT_FALSE(format.ok());
  EXPECT_NE(std::string(format.message()).find("CLOBMAKER_LOG_FORMAT"), std::string::npos);
  auto level = Configure("x", "text", "loud");
  EXPECT_FALSE(level.ok());
  EXPECT_NE(std::string(level.message()).find("CLOBMAKER_LOG_LEVEL"), std::string::npos);
  EXPECT_EQ(clobmaker::JsonEscape(std::string("a\x01") + "b"), "a\\u0001b");
}

}  // namespace
}  // namespace clobmaker::logging
