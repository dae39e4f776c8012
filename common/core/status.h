// Status helpers on absl::Status / absl::StatusOr.
//
// Errors that can happen at a boundary (network, bad input, bad config) are values; errors that
// cannot happen are programming errors and end the process (CM_CHECK). Debian's abseil has no
// ABSL_RETURN_IF_ERROR, so the two propagation macros are defined here once.
//
//   absl::StatusOr<Price> p = ParsePrice(text);
//   CM_ASSIGN_OR_RETURN(Price price, ParsePrice(text));
//   CM_RETURN_IF_ERROR(Validate(price));
#pragma once

#include <absl/status/status.h>
#include <absl/status/statusor.h>

#include <string_view>

#define CM_STATUS_CONCAT_INNER_(a, b) a##b
#define CM_STATUS_CONCAT_(a, b) CM_STATUS_CONCAT_INNER_(a, b)

// Returns from the enclosing function if `expr` yields a non-OK absl::Status.
#define CM_RETURN_IF_ERROR(expr)             \
  do {                                       \
    ::absl::Status cm_status_ = (expr);      \
    if (!cm_status_.ok()) return cm_status_; \
  } while (false)

// Evaluates `rexpr` (an absl::StatusOr<T>); on error returns its status, otherwise moves the
// value into `lhs` (which may be a declaration).
#define CM_ASSIGN_OR_RETURN(lhs, rexpr) CM_ASSIGN_OR_RETURN_IMPL_(CM_STATUS_CONCAT_(cm_statusor_, __LINE__), lhs, rexpr)
#define CM_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                              \
  if (!tmp.ok()) return tmp.status();              \
  lhs = std::move(tmp).value()

namespace clobmaker {

// Ends the process with a message: for broken invariants of our own code only, never for input.
[[noreturn]] void FailCheck(const char* file, int line, std::string_view what);

// Prefixes a status message with context, keeping its code: "parsing book: <original>".
absl::Status Annotate(const absl::Status& status, std::string_view context);

}  // namespace clobmaker

#define CM_CHECK(cond)                                              \
  do {                                                              \
    if (!(cond)) ::clobmaker::FailCheck(__FILE__, __LINE__, #cond); \
  } while (false)

namespace clobmaker {
// Debian's abseil keeps its own absl::string_view (not std::string_view): convert explicitly.
inline std::string_view StatusText(const absl::Status& status) {
  const auto message = status.message();
  return {message.data(), message.size()};
}
}  // namespace clobmaker
