// Tests for the raw-outcome translation shared by every Socket: each errno
// class maps to its IoResult, and EINTR is repeated, never reported.

#include "src/core/io_result.h"

#include <cerrno>

#include "gtest/gtest.h"

namespace echo {
namespace {

TEST(IoResultFromRawTest, PositiveCountIsOk) {
  const IoResult r = IoResultFromRaw({42, 0}, IoDirection::kRead);
  EXPECT_EQ(r.status, IoStatus::kOk);
  EXPECT_EQ(r.bytes, 42u);
}

TEST(IoResultFromRawTest, ZeroOnReadIsEof) {
  EXPECT_EQ(IoResultFromRaw({0, 0}, IoDirection::kRead).status, IoStatus::kEof);
}

TEST(IoResultFromRawTest, ZeroOnWriteIsOkWithNoBytes) {
  const IoResult r = IoResultFromRaw({0, 0}, IoDirection::kWrite);
  EXPECT_EQ(r.status, IoStatus::kOk);
  EXPECT_EQ(r.bytes, 0u);
}

TEST(IoResultFromRawTest, EagainIsWouldBlock) {
  EXPECT_EQ(IoResultFromRaw({-1, EAGAIN}, IoDirection::kRead).status,
            IoStatus::kWouldBlock);
  EXPECT_EQ(IoResultFromRaw({-1, EWOULDBLOCK}, IoDirection::kWrite).status,
            IoStatus::kWouldBlock);
}

TEST(IoResultFromRawTest, ResetAndBrokenPipeHaveTheirOwnKinds) {
  const IoResult reset = IoResultFromRaw({-1, ECONNRESET}, IoDirection::kRead);
  EXPECT_EQ(reset.status, IoStatus::kError);
  EXPECT_EQ(reset.error, IoError::kConnectionReset);
  EXPECT_EQ(reset.system_code, ECONNRESET);
  const IoResult pipe = IoResultFromRaw({-1, EPIPE}, IoDirection::kWrite);
  EXPECT_EQ(pipe.error, IoError::kBrokenPipe);
}

TEST(IoResultFromRawTest, OtherErrnoKeepsItsCode) {
  const IoResult r = IoResultFromRaw({-1, ETIMEDOUT}, IoDirection::kRead);
  EXPECT_EQ(r.status, IoStatus::kError);
  EXPECT_EQ(r.error, IoError::kOther);
  EXPECT_EQ(r.system_code, ETIMEDOUT);
}

TEST(RetryInterruptedTest, RepeatsUntilTheCallIsNotInterrupted) {
  int calls = 0;
  const IoResult r = RetryInterrupted(
      [&] {
        ++calls;
        return calls < 4 ? RawIo{-1, EINTR} : RawIo{7, 0};
      },
      IoDirection::kWrite);
  EXPECT_EQ(calls, 4);
  EXPECT_EQ(r.status, IoStatus::kOk);
  EXPECT_EQ(r.bytes, 7u);
}

TEST(RetryInterruptedTest, ErrnoOfASuccessfulCallIsIgnored) {
  // errno is stale after a successful call; only value < 0 consults it.
  const IoResult r =
      RetryInterrupted([] { return RawIo{3, EINTR}; }, IoDirection::kRead);
  EXPECT_EQ(r.status, IoStatus::kOk);
  EXPECT_EQ(r.bytes, 3u);
}

}  // namespace
}  // namespace echo
