#include "common/signing/keys.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <string>

namespace clobmaker::signing {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\n' || s.front() == '\r' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

absl::StatusOr<crypto::PrivateKey> LoadPrivateKeyFile(std::string_view path) {
  const std::string file(path);
  const int fd = open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::NotFoundError(fmt::format("cannot open key file {}", file));
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    close(fd);
    return absl::InternalError(fmt::format("cannot stat key file {}", file));
  }
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    close(fd);
    return absl::PermissionDeniedError(
        fmt::format("key file {} is accessible by group or others (mode {:o}); refusing to use it. Run: chmod 600 {}",
                    file, st.st_mode & 0777, file));
  }
  std::array<char, 256> buffer{};
  const ssize_t n = read(fd, buffer.data(), buffer.size());
  close(fd);
  if (n <= 0) return absl::InvalidArgumentError(fmt::format("key file {} is empty or unreadable", file));
  auto key = crypto::PrivateKey::FromHex(Trim(std::string_view(buffer.data(), static_cast<size_t>(n))));
  crypto::Wipe(buffer.data(), buffer.size());
  if (!key.ok()) return absl::InvalidArgumentError(fmt::format("key file {}: malformed private key", file));
  return key;
}

absl::StatusOr<crypto::PrivateKey> LoadPrivateKeyEnv(std::string_view variable) {
  const std::string name(variable);
  const char* value = std::getenv(name.c_str());
  if (value == nullptr) return absl::NotFoundError(fmt::format("environment variable {} is not set", name));
  auto key = crypto::PrivateKey::FromHex(Trim(value));
  if (!key.ok()) return absl::InvalidArgumentError(fmt::format("environment variable {}: malformed private key", name));
  return key;
}

}  // namespace clobmaker::signing
