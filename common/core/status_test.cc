#include "common/core/status.h"

#include <gtest/gtest.h>

namespace clobmaker {
namespace {

absl::StatusOr<int> Half(int v) {
  if (v % 2 != 0) return absl::InvalidArgumentError("odd");
  return v / 2;
}

absl::StatusOr<int> Quarter(int v) {
  CM_ASSIGN_OR_RETURN(int half, Half(v));
  CM_ASSIGN_OR_RETURN(int quarter, Half(half));
  return quarter;
}

absl::Status CheckPositive(int v) {
  CM_RETURN_IF_ERROR(v > 0 ? absl::OkStatus() : absl::OutOfRangeError("not positive"));
  return absl::OkStatus();
}

TEST(Status, AssignOrReturnPropagatesValueAndError) {
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_EQ(Quarter(6).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(Status, ReturnIfErrorStopsOnError) {
  EXPECT_TRUE(CheckPositive(1).ok());
  EXPECT_EQ(CheckPositive(0).code(), absl::StatusCode::kOutOfRange);
}

TEST(Status, AnnotateKeepsCodeAndPrefixesMessage) {
  const absl::Status s = Annotate(absl::NotFoundError("no book"), "resync 42");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(StatusText(s), "resync 42: no book");
  EXPECT_TRUE(Annotate(absl::OkStatus(), "x").ok());
}

TEST(StatusDeathTest, CheckAbortsWithLocation) { EXPECT_DEATH(CM_CHECK(1 + 1 == 3), "CHECK failed at .*1 \\+ 1 == 3"); }

}  // namespace
}  // namespace clobmaker
