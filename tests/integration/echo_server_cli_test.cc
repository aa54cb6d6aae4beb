// Integration tests of the echo_server binary, run as a child process: the
// startup line, echo over loopback (IPv4 and IPv6, and both through one
// server on "::"), descriptors released after clients reset mid-stream,
// clean exit on SIGTERM and SIGINT, usage errors, bind failure, --help and
// --version, and immunity to SIGPIPE.
//
// Payloads are random; the seed is printed with every failure and can be
// replayed with --test_env=ECHO_TEST_SEED=<seed>.

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
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

// Generous limits that only a broken server reaches (startup includes the
// sanitizer runtime's under --config=asan).
constexpr auto kStartTimeout = 10s;
constexpr auto kIoTimeout = 10s;
constexpr auto kSettleTimeout = 5s;
// "Promptly": a stop signal must end the process well within this.
constexpr auto kStopTimeout = 3s;

// Small client buffers, so that a client that does not read leaves the echo
// in the server (its kernel buffers and queue), not in its own buffers.
const ConnectOptions kSmallBuffers{16 * 1024, 16 * 1024, ""};
// For clients that flood a server until it stops reading. The server's own
// buffers auto-tune to ~4.5 MB, and with a small send buffer the client gets
// about one segment per delayed ACK (40 ms) through: seconds to fill. A
// large send buffer keeps many segments in flight and fills it in
// milliseconds; the receive buffer stays small.
const ConnectOptions kFloodBuffers{16 * 1024, 1024 * 1024, ""};
// More than the server's buffers, its queue and kFloodBuffers' send buffer
// hold together (~7 MB here), so a flooder stalls before running out.
constexpr size_t kFloodSize = 16 * 1024 * 1024;

// Why a server on "::" cannot be tested with a client over the loopback
// address of `client_family` here, or "" if it can.
std::string DualStackUnavailable(int client_family) {
  const UniqueFd probe(::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!probe.valid()) {
    return std::string("no IPv6 for a server on \"::\": socket(AF_INET6): ") +
           std::strerror(errno);
  }
  const std::string missing = LoopbackUnavailable(client_family);
  return missing.empty() ? "" : "no loopback address for the client: " + missing;
}

class EchoServerCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    seed_ = TestSeed();
    rng_.seed(seed_);
  }

  // Starts `echo_server --port 0 [--bind host]` and reads the port from its
  // startup line, which must name `shown_host` (IPv6 in brackets).
  void StartServer(const std::string& host = "127.0.0.1",
                   const std::string& shown_host = "127.0.0.1") {
    host_ = host;
    ASSERT_TRUE(StartEchoServer({"--bind", host}, shown_host,
                                DeadlineIn(kStartTimeout), &server_, &port_));
  }

  // Connects a new client, echoes `size` random bytes, half-closes and
  // checks that exactly those bytes came back, then EOF.
  ::testing::AssertionResult EchoesExactly(size_t size) {
    return EchoesExactlyVia(host_, size);
  }
  // The same, for a client connecting to `client_host` (for a server bound
  // to a wildcard address).
  ::testing::AssertionResult EchoesExactlyVia(const std::string& client_host, size_t size) {
    const std::string payload = RandomBytes(rng_, size);
    UniqueFd fd;
    auto connected = Connect(client_host, port_, DeadlineIn(kIoTimeout), &fd);
    if (!connected) return connected;
    ExchangeOptions finish;
    finish.shutdown_after_send = true;
    const ExchangeResult result =
        Exchange(fd.get(), payload, DeadlineIn(kIoTimeout), finish);
    auto same = SameBytes(payload, result.received);
    if (!same) return same << " (timed_out=" << result.timed_out
                           << " errno=" << result.error << ")";
    if (!result.eof) return ::testing::AssertionFailure() << "no EOF after echo";
    return ::testing::AssertionSuccess();
  }

  // Starts the server on "::" and checks the echo to a client connecting
  // over `client_host` (of `client_family`); skips, saying why, where this
  // machine has no IPv6 or no such loopback address.
  void EchoesThroughIpv6Wildcard(int client_family, const std::string& client_host) {
    const std::string unavailable = DualStackUnavailable(client_family);
    if (!unavailable.empty()) GTEST_SKIP() << unavailable;
    SCOPED_TRACE("seed=" + std::to_string(seed_));
    ASSERT_NO_FATAL_FAILURE(StartServer("::", "[::]"));
    EXPECT_TRUE(EchoesExactlyVia(client_host, 64 * 1024));
    ASSERT_TRUE(server_->Signal(SIGTERM));
    EXPECT_TRUE(ExitedWithCode(server_->WaitForExit(DeadlineIn(kStopTimeout)), 0));
  }

  // Waits until the server process has exactly `expected` descriptors open.
  ::testing::AssertionResult HasOpenFds(int expected) {
    int last = -1;
    if (PollUntil(
            [&] {
              last = CountOpenFds(server_->pid());
              return last == expected;
            },
            DeadlineIn(kSettleTimeout))) {
      return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure()
           << "server has " << last << " descriptors open, expected "
           << expected;
  }

  // Opens `count` clients at once (all accepted: the server holds one
  // descriptor each beyond `baseline`), has them leave the server in
  // different states, mostly mid-stream, then resets every one of them:
  //   0-1  echo read in full: idle;
  //   2-3  read 1 KiB of a 64 KiB echo: echo in flight both ways;
  //   4-5  sent 64 KiB, read nothing: echo waiting in kernel buffers;
  //   6    sent nothing at all;
  //   7-8  sent until stalled, never read: server queue full, server
  //        waiting to write (8 also half-closed, so it saw EOF pending);
  //   9    sent until stalled, then read 16 KiB just before the reset, so
  //        the server is likely writing when the RST arrives.
  void ResetClientsMidStream(int count, int baseline) {
    const std::string small = RandomBytes(rng_, 64 * 1024);
    const std::string flood = RandomBytes(rng_, kFloodSize);
    std::vector<UniqueFd> fds(count);
    for (int i = 0; i < count; ++i) {
      ASSERT_TRUE(Connect(host_, port_, DeadlineIn(kIoTimeout), &fds[i],
                          i % 10 >= 7 ? kFloodBuffers : kSmallBuffers))
          << "client " << i;
    }
    ASSERT_TRUE(HasOpenFds(baseline + count)) << "not all clients accepted";

    std::vector<int> flooders;
    for (int i = 0; i < count; ++i) {
      SCOPED_TRACE("client " + std::to_string(i));
      if (i % 10 >= 7) {
        flooders.push_back(i);
      } else {
        LeaveMidStream(fds[i].get(), i % 10, small);
        if (HasFatalFailure()) return;
      }
    }
    FloodUntilStalled(fds, flooders, flood);

    for (UniqueFd& fd : fds) ASSERT_TRUE(CloseWithReset(std::move(fd)));
    EXPECT_TRUE(HasOpenFds(baseline)) << "descriptors leaked after resets";
  }

  // Leaves the client on `fd` in the state of `kind` 0 to 6 (see above).
  void LeaveMidStream(int fd, int kind, const std::string& small) {
    if (kind <= 1) {
      ASSERT_TRUE(SendAll(fd, small.substr(0, 4096), DeadlineIn(kIoTimeout)));
      const ReadResult echo = ReadUpTo(fd, 4096, DeadlineIn(kIoTimeout));
      ASSERT_TRUE(SameBytes(small.substr(0, 4096), echo.bytes));
    } else if (kind <= 3) {
      ASSERT_TRUE(SendAll(fd, small, DeadlineIn(kIoTimeout)));
      const ReadResult echo = ReadUpTo(fd, 1024, DeadlineIn(kIoTimeout));
      ASSERT_TRUE(SameBytes(small.substr(0, 1024), echo.bytes));
    } else if (kind <= 5) {
      ASSERT_TRUE(SendAll(fd, small, DeadlineIn(kIoTimeout)));
    }  // 6 sends nothing at all.
  }

  // Kinds 7 to 9 (see above): the `flooders` send `flood` until the server
  // stops taking it; then 8 half-closes and 9 reads 16 KiB.
  void FloodUntilStalled(const std::vector<UniqueFd>& fds, const std::vector<int>& flooders,
                         const std::string& flood) {
    std::vector<int> flood_fds;
    for (const int i : flooders) flood_fds.push_back(fds[i].get());
    const std::vector<FillResult> fill =
        SendUntilStalled(flood_fds, flood, 100ms, DeadlineIn(kIoTimeout));
    for (size_t k = 0; k < flooders.size(); ++k) {
      const int i = flooders[k];
      EXPECT_TRUE(fill[k].stalled)
          << "client " << i << ": server took " << fill[k].sent
          << " bytes without anyone reading";
      EXPECT_EQ(fill[k].error, 0) << "client " << i;
      if (i % 10 == 8) {
        EXPECT_TRUE(ShutdownWrite(fds[i].get()));
      } else if (i % 10 == 9) {
        ReadUpTo(fds[i].get(), 16 * 1024, DeadlineIn(1s));
      }
    }
  }

  uint64_t seed_ = 0;
  std::mt19937_64 rng_;
  std::unique_ptr<ChildProcess> server_;
  std::string host_;
  uint16_t port_ = 0;
};

class EchoServerStopSignalTest
    : public EchoServerCliTest,
      public ::testing::WithParamInterface<int> {};

TEST_P(EchoServerStopSignalTest,
       ReleasesEveryDescriptorAfterResetsThenExitsZeroOnSignal) {
  SCOPED_TRACE("seed=" + std::to_string(seed_));
  ASSERT_NO_FATAL_FAILURE(StartServer());
  const int baseline = CountOpenFds(server_->pid());
  ASSERT_GT(baseline, 0);

  EXPECT_TRUE(EchoesExactly(128 * 1024));
  ASSERT_TRUE(HasOpenFds(baseline)) << "a finished client was not released";

  ASSERT_NO_FATAL_FAILURE(ResetClientsMidStream(100, baseline));
  EXPECT_TRUE(EchoesExactly(128 * 1024)) << "server unusable after resets";
  ASSERT_TRUE(HasOpenFds(baseline));

  // Stop with clients still connected: they must be closed, not abandoned.
  std::vector<UniqueFd> idle(3);
  for (UniqueFd& fd : idle) {
    ASSERT_TRUE(Connect(host_, port_, DeadlineIn(kIoTimeout), &fd));
  }
  ASSERT_TRUE(HasOpenFds(baseline + 3));

  ASSERT_TRUE(server_->Signal(GetParam()));
  const Clock::time_point signalled = Clock::now();
  const std::optional<int> status = server_->WaitForExit(DeadlineIn(kStopTimeout));
  ASSERT_TRUE(ExitedWithCode(status, 0));
  RecordProperty("stop_ms", static_cast<int>(
      std::chrono::duration_cast<std::chrono::milliseconds>(
          Clock::now() - signalled).count()));
  ASSERT_TRUE(server_->ReadToEof(DeadlineIn(kIoTimeout)));
  // The drain, the final counters, the stop; nothing else on stderr (no
  // accept error, no warning, no sanitizer report).
  const std::vector<std::string> lines = SplitLines(server_->unread_stderr());
  ASSERT_EQ(lines.size(), 3u) << ::testing::PrintToString(lines);
  EXPECT_EQ(lines[0], "echo_server: signal " + std::to_string(GetParam()) +
                          ": draining 3 connections (up to 5.000 s)");
  EXPECT_EQ(lines[1].rfind("echo_server: final: open 0, total ", 0), 0u) << lines[1];
  EXPECT_EQ(lines[2], "echo_server: stopped");
  EXPECT_EQ(server_->stdout_text(), "");

  // They sent nothing, so the server's close is a clean FIN, not a reset.
  for (UniqueFd& fd : idle) {
    const ReadResult end = ReadUpTo(fd.get(), 1, DeadlineIn(kIoTimeout));
    EXPECT_EQ(end.bytes, "");
    EXPECT_TRUE(end.eof) << "timed_out=" << end.timed_out
                         << " errno=" << end.error;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Signals, EchoServerStopSignalTest, ::testing::Values(SIGTERM, SIGINT),
    [](const ::testing::TestParamInfo<int>& info) {
      return std::string(info.param == SIGTERM ? "Sigterm" : "Sigint");
    });

// A client that floods the server and resets while the server is writing
// makes its next send fail. Sends use MSG_NOSIGNAL and main() ignores
// SIGPIPE; the child starts with SIGPIPE at its default (fatal) disposition,
// so only those protections keep it alive here. Linux reports the first
// send after a RST as ECONNRESET and only later ones as EPIPE, so this is a
// guard against regressions rather than a certain SIGPIPE without them.
TEST_F(EchoServerCliTest, ResetsWhileServerIsWritingCannotKillItWithSigpipe) {
  SCOPED_TRACE("seed=" + std::to_string(seed_));
  ASSERT_NO_FATAL_FAILURE(StartServer());
  const int baseline = CountOpenFds(server_->pid());
  ASSERT_GT(baseline, 0);
  const std::string flood = RandomBytes(rng_, kFloodSize);

  constexpr int kRounds = 3;
  constexpr int kClients = 8;
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    std::vector<UniqueFd> fds(kClients);
    std::vector<int> raw;
    for (UniqueFd& fd : fds) {
      ASSERT_TRUE(Connect(host_, port_, DeadlineIn(kIoTimeout), &fd,
                          kFloodBuffers));
      raw.push_back(fd.get());
    }
    ASSERT_TRUE(HasOpenFds(baseline + kClients));
    const std::vector<FillResult> fill =
        SendUntilStalled(raw, flood, 100ms, DeadlineIn(kIoTimeout));
    // The scenario needs the server blocked writing to most clients. Eight
    // flooders compete for one server, so now and then one is still being
    // read when the others stall; that client's reset is then an ordinary
    // one, which the server must survive too.
    int stalled = 0;
    std::string fills;
    for (int i = 0; i < kClients; ++i) {
      stalled += fill[i].stalled ? 1 : 0;
      fills += " [" + std::to_string(i) + ": sent " + std::to_string(fill[i].sent) +
               (fill[i].stalled ? ", stalled" : "") + ", errno " +
               std::to_string(fill[i].error) + "]";
    }
    EXPECT_GE(stalled, kClients / 2) << fills;
    for (int i = 0; i < kClients; ++i) {
      // Open the window so the server resumes writing, then reset at once.
      ReadUpTo(fds[i].get(), 16 * 1024, DeadlineIn(1s));
      ASSERT_TRUE(CloseWithReset(std::move(fds[i])));
    }
    ASSERT_TRUE(HasOpenFds(baseline));
  }

  EXPECT_FALSE(server_->HasExited()) << "server died";
  EXPECT_EQ(::kill(server_->pid(), 0), 0);
  EXPECT_TRUE(EchoesExactly(64 * 1024));
  ASSERT_TRUE(server_->Signal(SIGTERM));
  EXPECT_TRUE(ExitedWithCode(server_->WaitForExit(DeadlineIn(kStopTimeout)), 0));
}

TEST_F(EchoServerCliTest, SecondServerOnTakenPortExitsOneNamingAddressAndReason) {
  SCOPED_TRACE("seed=" + std::to_string(seed_));
  ASSERT_NO_FATAL_FAILURE(StartServer());
  const std::string port = std::to_string(port_);

  const RunResult second =
      RunToExit(ServerBinary(), {"--port", port}, DeadlineIn(kStartTimeout));
  ASSERT_EQ(second.spawn_error, "");
  EXPECT_TRUE(ExitedWithCode(second.status, 1));
  EXPECT_EQ(second.err, "echo_server: error: cannot listen on 127.0.0.1:" + port +
                            ": Address already in use\n");
  EXPECT_EQ(second.out, "");

  EXPECT_TRUE(EchoesExactly(16 * 1024)) << "the first server was disturbed";
}

TEST_F(EchoServerCliTest, BindsIpv6LoopbackAndEchoesOverIt) {
  if (!CanBindIpv6Loopback()) GTEST_SKIP() << "no usable ::1 on this machine";
  SCOPED_TRACE("seed=" + std::to_string(seed_));
  ASSERT_NO_FATAL_FAILURE(StartServer("::1", "[::1]"));
  EXPECT_TRUE(EchoesExactly(64 * 1024));
  ASSERT_TRUE(server_->Signal(SIGTERM));
  EXPECT_TRUE(ExitedWithCode(server_->WaitForExit(DeadlineIn(kStopTimeout)), 0));
}

// "::" serves IPv4 clients too, as IPv4-mapped addresses, whatever the
// system's bindv6only default: the listener turns IPV6_V6ONLY off.
TEST_F(EchoServerCliTest, Ipv6WildcardServesAnIpv4Client) {
  EchoesThroughIpv6Wildcard(AF_INET, "127.0.0.1");
}

TEST_F(EchoServerCliTest, Ipv6WildcardServesAnIpv6Client) {
  EchoesThroughIpv6Wildcard(AF_INET6, "::1");
}

TEST(EchoServerInfoTest, HelpPrintsUsageOnStdoutAndExitsZero) {
  const RunResult run =
      RunToExit(ServerBinary(), {"--help"}, DeadlineIn(kStartTimeout));
  ASSERT_EQ(run.spawn_error, "");
  EXPECT_TRUE(ExitedWithCode(run.status, 0));
  EXPECT_EQ(run.out.rfind("usage: echo_server", 0), 0u) << run.out;
  EXPECT_NE(run.out.find("--port"), std::string::npos) << run.out;
  EXPECT_EQ(run.err, "");
}

TEST(EchoServerInfoTest, VersionPrintsNameAndVersionOnStdoutAndExitsZero) {
  const RunResult run =
      RunToExit(ServerBinary(), {"--version"}, DeadlineIn(kStartTimeout));
  ASSERT_EQ(run.spawn_error, "");
  EXPECT_TRUE(ExitedWithCode(run.status, 0));
  const std::string prefix = "echo_server ";
  ASSERT_EQ(run.out.rfind(prefix, 0), 0u) << run.out;
  ASSERT_EQ(run.out.back(), '\n');
  // One line: "echo_server " then a dotted version such as 0.1.0.
  const std::string version =
      run.out.substr(prefix.size(), run.out.size() - prefix.size() - 1);
  EXPECT_FALSE(version.empty());
  EXPECT_EQ(version.find_first_not_of("0123456789."), std::string::npos)
      << "version '" << version << "'";
  EXPECT_EQ(run.err, "");
}

struct UsageCase {
  const char* name;  // Test name suffix.
  std::vector<std::string> args;
  std::string first_line;  // Exact first stderr line.
};

class EchoServerUsageTest : public ::testing::TestWithParam<UsageCase> {};

TEST_P(EchoServerUsageTest, ExitsTwoWithOneErrorLineThenTheSynopsis) {
  const UsageCase& usage = GetParam();
  const RunResult run =
      RunToExit(ServerBinary(), usage.args, DeadlineIn(kStartTimeout));
  ASSERT_EQ(run.spawn_error, "");
  EXPECT_TRUE(ExitedWithCode(run.status, 2)) << "stderr: " << run.err;
  const std::vector<std::string> lines = SplitLines(run.err);
  ASSERT_EQ(lines.size(), 2u) << "stderr: '" << run.err << "'";
  EXPECT_EQ(lines[0], usage.first_line);
  EXPECT_EQ(lines[1].rfind("usage: echo_server", 0), 0u) << lines[1];
  EXPECT_EQ(run.out, "");
}

INSTANTIATE_TEST_SUITE_P(
    BadInputs, EchoServerUsageTest,
    ::testing::Values(
        UsageCase{"UnknownFlag", {"--nope"},
                  "echo_server: unknown flag '--nope'"},
        UsageCase{"PortTooLarge", {"--port", "70000"},
                  "echo_server: --port: '70000' is not a port number (0-65535)"},
        UsageCase{"PortNotANumber", {"--port", "abc"},
                  "echo_server: --port: 'abc' is not a port number (0-65535)"},
        UsageCase{"PortWithoutValue", {"--port"},
                  "echo_server: --port needs a value"},
        UsageCase{"HostNameAsBind", {"--bind", "example.com"},
                  "echo_server: --bind: 'example.com' is not a numeric IPv4 "
                  "or IPv6 address (e.g. 127.0.0.1, ::1)"},
        UsageCase{"PositionalArgument", {"foo"},
                  "echo_server: unexpected argument 'foo'"}),
    [](const ::testing::TestParamInfo<UsageCase>& info) {
      return std::string(info.param.name);
    });

}  // namespace
}  // namespace testing
}  // namespace echo
