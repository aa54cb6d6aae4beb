// Lifecycle tests of the echo_server binary: draining on SIGTERM with output
// queued, the second signal, the drain timeout, the connection limit, the
// idle timeout seen from outside, SIGUSR1 counters, and running out of file
// descriptors (under prlimit) without spinning, and the descriptor limit
// raised at startup.

#include <signal.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "src/posix/unique_fd.h"
#include "tests/integration/deadline.h"
#include "tests/integration/echo_server_binary.h"
#include "tests/integration/loopback_client.h"
#include "tests/integration/payload.h"
#include "tests/integration/server_process.h"

namespace echo {
namespace testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr auto kStartTimeout = 10s;
constexpr auto kIoTimeout = 10s;
// A client that reads nothing: small receive buffer, so the echo stays in
// the server; large send buffer, so it fills the server fast.
const ConnectOptions kFloodBuffers{16 * 1024, 1024 * 1024, ""};
constexpr size_t kFloodSize = 16 * 1024 * 1024;

// Seconds of CPU (user + system) the process has used, from /proc.
double CpuSeconds(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  std::istringstream fields(text.substr(text.rfind(')') + 2));
  std::string field;
  long ticks = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14 || i == 15) ticks += std::stol(field);
  }
  return static_cast<double>(ticks) / sysconf(_SC_CLK_TCK);
}

class EchoServerLifecycleTest : public ::testing::Test {
 protected:
  void SetUp() override { rng_.seed(TestSeed()); }

  void Start(const std::vector<std::string>& flags,
             const std::vector<std::string>& launcher = {}) {
    ASSERT_TRUE(StartEchoServer(flags, "127.0.0.1", DeadlineIn(kStartTimeout),
                                &server_, &port_, launcher));
  }

  // A client that floods the server and reads nothing, until the server
  // stops reading (its queue and the kernel buffers are full).
  void Flood(UniqueFd* fd, std::string* sent) {
    const std::string flood = RandomBytes(rng_, kFloodSize);
    ASSERT_TRUE(Connect("127.0.0.1", port_, DeadlineIn(kIoTimeout), fd, kFloodBuffers));
    const std::vector<FillResult> fill =
        SendUntilStalled({fd->get()}, flood, 200ms, DeadlineIn(kIoTimeout));
    ASSERT_EQ(fill[0].error, 0);
    ASSERT_TRUE(fill[0].stalled) << "sent " << fill[0].sent;
    *sent = flood.substr(0, fill[0].sent);
  }

  // Waits for the next stderr line that starts with `prefix`.
  std::optional<std::string> AwaitLine(const std::string& prefix) {
    while (auto line = server_->ReadStderrLine(DeadlineIn(kIoTimeout))) {
      if (line->rfind(prefix, 0) == 0) return line;
    }
    return std::nullopt;
  }

  // Two clients from 127.0.0.1 are served (each echoes a ping, kept open in
  // `held`); a third from there is refused: EOF or a reset, no byte.
  void ServeTwoThenRefuseAThird(std::vector<UniqueFd>* held) {
    for (UniqueFd& fd : *held) {
      ASSERT_TRUE(Connect("127.0.0.1", port_, DeadlineIn(kIoTimeout), &fd));
      ASSERT_TRUE(SendAll(fd.get(), "ping", DeadlineIn(kIoTimeout)));
      EXPECT_EQ(ReadUpTo(fd.get(), 4, DeadlineIn(kIoTimeout)).bytes, "ping");
    }
    UniqueFd third;
    ASSERT_TRUE(Connect("127.0.0.1", port_, DeadlineIn(kIoTimeout), &third));
    const ReadResult refused = ReadUpTo(third.get(), 1, DeadlineIn(kIoTimeout));
    EXPECT_TRUE(refused.eof || refused.error != 0) << "third client was not refused";
    EXPECT_EQ(refused.bytes, "");
  }

  std::optional<std::string> Stats() {
    if (!server_->Signal(SIGUSR1)) return std::nullopt;
    return AwaitLine("echo_server: stats: ");
  }

  std::mt19937_64 rng_;
  std::unique_ptr<ChildProcess> server_;
  uint16_t port_ = 0;
};

TEST_F(EchoServerLifecycleTest, SigtermWithOutputQueuedDeliversEveryByteReadThenExitsZero) {
  ASSERT_NO_FATAL_FAILURE(Start({"--queue-limit", "64k", "--drain-timeout", "5"}));
  UniqueFd fd;
  std::string sent;
  ASSERT_NO_FATAL_FAILURE(Flood(&fd, &sent));

  ASSERT_TRUE(server_->Signal(SIGTERM));
  const Clock::time_point signalled = Clock::now();
  // The server reads no more, but writes back all it read, then FIN.
  const ReadResult echo = ReadUpTo(fd.get(), sent.size() + 1, DeadlineIn(kIoTimeout));
  EXPECT_TRUE(echo.eof) << "no clean close; errno " << echo.error;
  EXPECT_EQ(echo.error, 0);
  EXPECT_TRUE(SameBytes(sent.substr(0, echo.bytes.size()), echo.bytes));
  EXPECT_GT(echo.bytes.size(), 64u * 1024) << "the queued output was not delivered";
  ASSERT_TRUE(ExitedWithCode(server_->WaitForExit(DeadlineIn(kIoTimeout)), 0));
  ASSERT_TRUE(server_->ReadToEof(DeadlineIn(kIoTimeout)));  // All it logged.
  EXPECT_LT(Clock::now() - signalled, 5s) << "exceeded the drain timeout";
  // Every byte the server read went back out.
  const std::string err = server_->stderr_text();
  const std::string in = "bytes in " + std::to_string(echo.bytes.size()) + ",";
  const std::string out = "bytes out " + std::to_string(echo.bytes.size());
  EXPECT_NE(err.find("final: open 0, total 1, refused 0, timed out 0, " + in + " " + out),
            std::string::npos) << err;
}

TEST_F(EchoServerLifecycleTest, QuietLogLevelStillPrintsTheStartupLineOnly) {
  ASSERT_NO_FATAL_FAILURE(Start({"--log-level", "error"}));  // Start() reads it.
  UniqueFd fd;
  ASSERT_TRUE(Connect("127.0.0.1", port_, DeadlineIn(kIoTimeout), &fd));
  ASSERT_TRUE(SendAll(fd.get(), "quiet", DeadlineIn(kIoTimeout)));
  EXPECT_EQ(ReadUpTo(fd.get(), 5, DeadlineIn(kIoTimeout)).bytes, "quiet");
  fd.reset();
  ASSERT_TRUE(server_->Signal(SIGTERM));
  ASSERT_TRUE(ExitedWithCode(server_->WaitForExit(DeadlineIn(kIoTimeout)), 0));
  ASSERT_TRUE(server_->ReadToEof(DeadlineIn(kIoTimeout)));
  EXPECT_EQ(server_->unread_stderr(), "");
}

TEST_F(EchoServerLifecycleTest, DrainTimeoutClosesClientsThatNeverRead) {
  ASSERT_NO_FATAL_FAILURE(Start({"--drain-timeout", "0.5"}));
  UniqueFd fd;
  std::string sent;
  ASSERT_NO_FATAL_FAILURE(Flood(&fd, &sent));
  ASSERT_TRUE(server_->Signal(SIGTERM));
  const Clock::time_point signalled = Clock::now();
  ASSERT_TRUE(ExitedWithCode(server_->WaitForExit(DeadlineIn(kIoTimeout)), 0));
  ASSERT_TRUE(server_->ReadToEof(DeadlineIn(kIoTimeout)));  // All it logged.
  const auto took = Clock::now() - signalled;
  // Not before the drain timeout (the signal reached the server after
  // `signalled`, so this cannot fail by load); the exact deadline is the
  // server fuzzer's oracle, on injected time.
  EXPECT_GE(took, 400ms);
  EXPECT_LT(took, 10s);
  EXPECT_NE(server_->stderr_text().find(
                "drain timeout: closing 1 connections: 1 with output still queued, 0 lingering"),
            std::string::npos) << server_->stderr_text();
}

TEST_F(EchoServerLifecycleTest, SecondSignalExitsAtOnce) {
  ASSERT_NO_FATAL_FAILURE(Start({"--drain-timeout", "60"}));
  UniqueFd fd;
  std::string sent;
  ASSERT_NO_FATAL_FAILURE(Flood(&fd, &sent));
  ASSERT_TRUE(server_->Signal(SIGTERM));
  ASSERT_TRUE(AwaitLine("echo_server: signal 15: draining 1 connections"));
  EXPECT_FALSE(server_->WaitForExit(DeadlineIn(300ms)).has_value())
      << "exited before its drain timeout with a client still owed bytes";
  ASSERT_TRUE(server_->Signal(SIGINT));
  const Clock::time_point signalled = Clock::now();
  ASSERT_TRUE(ExitedWithCode(server_->WaitForExit(DeadlineIn(kIoTimeout)), 0));
  ASSERT_TRUE(server_->ReadToEof(DeadlineIn(kIoTimeout)));  // All it logged.
  EXPECT_LT(Clock::now() - signalled, 2s);
  EXPECT_NE(server_->stderr_text().find("second signal: closing 1 connections now"),
            std::string::npos);
}

TEST_F(EchoServerLifecycleTest, ClientsBeyondTheLimitAreRefusedAndServiceResumes) {
  ASSERT_NO_FATAL_FAILURE(Start({"--max-connections", "2"}));
  std::vector<UniqueFd> held(2);
  ASSERT_NO_FATAL_FAILURE(ServeTwoThenRefuseAThird(&held));
  ASSERT_TRUE(AwaitLine("echo_server: warning: refusing new connections: connection limit"));
  const auto stats = Stats();
  ASSERT_TRUE(stats);
  EXPECT_NE(stats->find("open 2, total 2, refused 1,"), std::string::npos) << *stats;

  held[0].reset();  // One leaves: the next client is served.
  ASSERT_TRUE(PollUntil([&] { return Stats().value_or("").find("open 1,") != std::string::npos; },
                        DeadlineIn(kIoTimeout)));
  UniqueFd next;
  ASSERT_TRUE(Connect("127.0.0.1", port_, DeadlineIn(kIoTimeout), &next));
  ASSERT_TRUE(SendAll(next.get(), "again", DeadlineIn(kIoTimeout)));
  EXPECT_EQ(ReadUpTo(next.get(), 5, DeadlineIn(kIoTimeout)).bytes, "again");
}

// One address cannot take every slot: beyond --max-connections-per-ip its
// clients are refused, while a client from another address (every 127/8
// address is loopback) is served.
TEST_F(EchoServerLifecycleTest, ClientsBeyondThePerAddressLimitAreRefusedOthersServed) {
  ASSERT_NO_FATAL_FAILURE(Start({"--max-connections-per-ip", "2"}));
  std::vector<UniqueFd> held(2);
  ASSERT_NO_FATAL_FAILURE(ServeTwoThenRefuseAThird(&held));

  UniqueFd other;
  ConnectOptions from_elsewhere;
  from_elsewhere.source = "127.0.0.2";
  ASSERT_TRUE(Connect("127.0.0.1", port_, DeadlineIn(kIoTimeout), &other, from_elsewhere));
  ASSERT_TRUE(SendAll(other.get(), "other", DeadlineIn(kIoTimeout)));
  EXPECT_EQ(ReadUpTo(other.get(), 5, DeadlineIn(kIoTimeout)).bytes, "other");
  const auto stats = Stats();
  ASSERT_TRUE(stats);
  EXPECT_NE(stats->find("open 3, total 3, refused 1,"), std::string::npos) << *stats;
}

// A slow-loris client: it never reads and keeps sending a byte now and then.
// Its output stops moving once every buffer is full; the send timeout (1 s
// here, the idle timeout 60 s) closes it. Generous bound: it must be closed
// long before the idle timeout could have done it.
TEST_F(EchoServerLifecycleTest, TricklingClientThatNeverReadsIsClosedBySendTimeout) {
  ASSERT_NO_FATAL_FAILURE(Start({"--send-timeout", "1", "--idle-timeout", "60"}));
  UniqueFd fd;
  std::string sent;
  ASSERT_NO_FATAL_FAILURE(Flood(&fd, &sent));
  const Clock::time_point stalled = Clock::now();
  std::string stats;
  while (stats.find("open 0,") == std::string::npos && Clock::now() - stalled < 30s) {
    (void)::send(fd.get(), "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT);  // The trickle.
    std::this_thread::sleep_for(200ms);
    stats = Stats().value_or("");
  }
  EXPECT_NE(stats.find("open 0, total 1, refused 0, timed out 1,"), std::string::npos)
      << "still open 30 s after its output stalled: " << stats;
}

TEST_F(EchoServerLifecycleTest, IdleClientIsClosedAndCounted) {
  ASSERT_NO_FATAL_FAILURE(Start({"--idle-timeout", "0.3"}));
  UniqueFd fd;
  ASSERT_TRUE(Connect("127.0.0.1", port_, DeadlineIn(kIoTimeout), &fd));
  const Clock::time_point connected = Clock::now();
  const ReadResult end = ReadUpTo(fd.get(), 1, DeadlineIn(kIoTimeout));
  EXPECT_TRUE(end.eof || end.error != 0);
  EXPECT_GE(Clock::now() - connected, 250ms);
  const auto stats = Stats();
  ASSERT_TRUE(stats);
  EXPECT_NE(stats->find("open 0, total 1, refused 0, timed out 1,"), std::string::npos)
      << *stats;
}

// With 32 descriptors and 60 clients: the server refuses the excess (the
// reserve descriptor trick) instead of spinning on EMFILE, and serves again
// once clients leave.
TEST_F(EchoServerLifecycleTest, OutOfDescriptorsRefusesWithoutSpinningAndRecovers) {
  ASSERT_NO_FATAL_FAILURE(Start({}, {"/usr/bin/prlimit", "--nofile=32:32", "--"}));
  // Serve one client first, as a server normally has before it runs out.
  // This also matters under UBSan: its first check of a virtual call probes
  // memory through a pipe(), which fails with no descriptor left and turns
  // into a bogus "invalid vptr" report; once checked, the type is cached.
  {
    UniqueFd warm_up;
    ASSERT_TRUE(Connect("127.0.0.1", port_, DeadlineIn(kIoTimeout), &warm_up));
    ASSERT_TRUE(SendAll(warm_up.get(), "warm", DeadlineIn(kIoTimeout)));
    ASSERT_EQ(ReadUpTo(warm_up.get(), 4, DeadlineIn(kIoTimeout)).bytes, "warm");
  }
  std::vector<UniqueFd> clients(60);
  for (UniqueFd& fd : clients) {
    ASSERT_TRUE(Connect("127.0.0.1", port_, DeadlineIn(kIoTimeout), &fd));
  }
  ASSERT_TRUE(AwaitLine("echo_server: warning: refusing new connections: out of file descriptors"));
  const double cpu_before = CpuSeconds(server_->pid());
  std::this_thread::sleep_for(1s);
  const double cpu_used = CpuSeconds(server_->pid()) - cpu_before;
  EXPECT_LT(cpu_used, 0.2) << "server busy while out of descriptors";
  const auto stats = Stats();
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->find("refused 0,"), std::string::npos) << *stats;

  clients.clear();
  UniqueFd fd;
  ASSERT_TRUE(PollUntil(
      [&] {
        UniqueFd attempt;
        if (!Connect("127.0.0.1", port_, DeadlineIn(kIoTimeout), &attempt)) return false;
        if (!SendAll(attempt.get(), "back", DeadlineIn(kIoTimeout))) return false;
        return ReadUpTo(attempt.get(), 4, DeadlineIn(1s)).bytes == "back";
      },
      DeadlineIn(kIoTimeout)))
      << "not serving again after clients left";
}

// The soft limit goes up to the hard one; a hard limit below what
// --max-connections needs is worth a warning before serving starts.
TEST_F(EchoServerLifecycleTest, RaisesTheDescriptorLimitAndWarnsWhenItStaysTooLow) {
  ASSERT_TRUE(ChildProcess::Spawn(
      "/usr/bin/prlimit",
      {"--nofile=32:64", "--", ServerBinary(), "--port", "0", "--max-connections", "100"},
      &server_));
  EXPECT_EQ(server_->ReadStderrLine(DeadlineIn(kStartTimeout)).value_or("(none)"),
            "echo_server: warning: descriptor limit 64 is below --max-connections 100; "
            "extra clients will be refused");
  const auto listening = server_->ReadStderrLine(DeadlineIn(kStartTimeout));
  ASSERT_TRUE(listening);
  ASSERT_TRUE(ParseListeningLine(*listening, "echo_server: listening on 127.0.0.1:", &port_));
  std::ifstream limits("/proc/" + std::to_string(server_->pid()) + "/limits");
  std::string line, soft, hard;
  while (std::getline(limits, line) && line.rfind("Max open files", 0) != 0) {
  }
  std::istringstream(line.substr(std::strlen("Max open files"))) >> soft >> hard;
  EXPECT_EQ(soft + "/" + hard, "64/64") << line;
}

}  // namespace
}  // namespace testing
}  // namespace echo
