// Tests for the server log's output: it never blocks on a stalled reader,
// reports what it dropped once output resumes and at exit; and for the rate
// limit of repeated warnings.

#include "src/server/log.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>

#include "gtest/gtest.h"
#include "src/testing/test_time.h"

namespace echo {
namespace {

std::string ReadAvailable(int fd) {
  std::string text;
  char chunk[4096];
  ssize_t n;
  while ((n = ::read(fd, chunk, sizeof(chunk))) > 0) text.append(chunk, static_cast<size_t>(n));
  return text;
}

TEST(LogOutputTest, DropsAndCountsLinesInsteadOfBlockingOnAStalledPipe) {
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);  // A blocking write end, as stderr is.
  ASSERT_EQ(::fcntl(pipe_fds[0], F_SETFL, O_NONBLOCK), 0);
  {
    LogOutput output(pipe_fds[1]);
    // Far more than a pipe holds (64 KiB): a blocking write would hang here.
    for (int i = 0; i < 5000; ++i) output.Print("", "line %d of a stalled log", i);
    const uint64_t dropped = output.dropped();
    EXPECT_GT(dropped, 0u);

    const std::string before = ReadAvailable(pipe_fds[0]);  // The reader resumes.
    EXPECT_EQ(before.find("dropped"), std::string::npos);
    output.Print("", "after the stall");
    const std::string after = ReadAvailable(pipe_fds[0]);
    EXPECT_EQ(after, "echo_server: warning: " + std::to_string(dropped) +
                         " log lines dropped: stderr was not writable\n"
                         "echo_server: after the stall\n");

    output.ReportAllDropped(Duration(0));
    EXPECT_EQ(ReadAvailable(pipe_fds[0]), "echo_server: warning: " + std::to_string(dropped) +
                                              " log lines dropped in all: stderr was not "
                                              "writable\n");
  }
  ::close(pipe_fds[0]);
  ::close(pipe_fds[1]);
}

TEST(LogOutputTest, WritesEveryLineToARegularFile) {
  char path[] = "/tmp/echo_log_test.XXXXXX";
  const int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  LogOutput output(fd);
  for (int i = 0; i < 3000; ++i) output.Print("", "line %d", i);
  EXPECT_EQ(output.dropped(), 0u);
  ::lseek(fd, 0, SEEK_SET);
  const std::string text = ReadAvailable(fd);
  EXPECT_EQ(text.rfind("echo_server: line 2999\n"), text.size() - 23);
  EXPECT_EQ(static_cast<size_t>(std::count(text.begin(), text.end(), '\n')), 3000u);
  ::close(fd);
  ::unlink(path);
}

TEST(LogRateLimitTest, LetsOneLinePerIntervalAndCountsTheRest) {
  LogRateLimit limit(std::chrono::seconds(1));
  EXPECT_TRUE(limit.Allow(At(5000)));
  EXPECT_FALSE(limit.Allow(At(5000)));
  EXPECT_FALSE(limit.Allow(At(5999)));
  EXPECT_TRUE(limit.Allow(At(6000)));
  EXPECT_EQ(limit.TakeSuppressed(), 2u);
  EXPECT_EQ(limit.TakeSuppressed(), 0u);
}

}  // namespace
}  // namespace echo
