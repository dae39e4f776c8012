#include "common/signing/keys.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdio>
#include <fstream>

namespace clobmaker::signing {
namespace {

constexpr char kKey[] = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

std::string WriteKey(const std::string& content, mode_t mode) {
  const std::string path = ::testing::TempDir() + "/clobmaker-key-" + std::to_string(mode);
  std::remove(path.c_str());
  { std::ofstream(path) << content; }
  chmod(path.c_str(), mode);
  return path;
}

TEST(LoadPrivateKeyFile, LoadsAnOwnerOnlyFile) {
  const std::string path = WriteKey(std::string(kKey) + "\n", 0600);
  auto key = LoadPrivateKeyFile(path);
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->address().ToChecksum(), "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
}

TEST(LoadPrivateKeyFile, RefusesGroupOrWorldAccessWithAClearMessage) {
  for (mode_t mode : {0640, 0604, 0644, 0660}) {
    const std::string path = WriteKey(kKey, mode);
    auto key = LoadPrivateKeyFile(path);
    ASSERT_FALSE(key.ok()) << std::oct << mode;
    EXPECT_EQ(key.status().code(), absl::StatusCode::kPermissionDenied);
    const std::string message(key.status().message());
    EXPECT_NE(message.find("chmod 600"), std::string::npos);
    EXPECT_EQ(message.find("ac0974"), std::string::npos);
  }
}

TEST(LoadPrivateKeyFile, MissingAndMalformed) {
  EXPECT_EQ(LoadPrivateKeyFile("/nonexistent/key").status().code(), absl::StatusCode::kNotFound);
  const std::string path = WriteKey("0xnothex", 0600);
  auto key = LoadPrivateKeyFile(path);
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(std::string(key.status().message()).find("nothex"), std::string::npos);
}

TEST(LoadPrivateKeyEnv, ReadsTheVariable) {
  setenv("CLOBMAKER_TEST_KEY", kKey, 1);
  auto key = LoadPrivateKeyEnv("CLOBMAKER_TEST_KEY");
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->address().ToChecksum(), "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
  EXPECT_EQ(LoadPrivateKeyEnv("CLOBMAKER_TEST_KEY_UNSET").status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace clobmaker::signing
