// Integration tests of EchoServer over real loopback TCP, with the server in
// this process on its own loop thread (ServerThread): many concurrent
// clients, half-close, backpressure with a slow reader, clients that reset
// with output queued, shutdown with clients connected, the idle timeout,
// and IPv6.
//
// Payloads are random; the seed is printed with every failure and can be
// replayed with --test_env=ECHO_TEST_SEED=<seed>.

#include <sys/socket.h>

#include <chrono>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "src/core/monotonic_time.h"
#include "src/server/echo_server.h"
#include "tests/integration/deadline.h"
#include "tests/integration/loopback_client.h"
#include "tests/integration/payload.h"
#include "tests/integration/server_thread.h"

namespace echo {
namespace testing {
namespace {

using namespace std::chrono_literals;

// Generous limits that only a broken server reaches: each test normally
// takes a small fraction of them, even under AddressSanitizer.
constexpr auto kIoTimeout = 10s;
constexpr auto kSettleTimeout = 5s;

// Kernel buffers small enough, on both ends, that they cannot hide the
// server's own queue: what the client does not read piles up there, and the
// server must stop reading. (Left to auto-tuning, loopback buffers on this
// kind of machine grow to ~4.5 MB per connection before a sender stalls.)
constexpr int kSmallBuffer = 16 * 1024;
const ConnectOptions kSmallBuffers{kSmallBuffer, kSmallBuffer, ""};

std::string DescribeStats(const EchoServerStats& stats) {
  return "accepted=" + std::to_string(stats.accepted) +
         " refused=" + std::to_string(stats.refused) +
         " open=" + std::to_string(stats.open);
}

std::string DescribeExchange(const ExchangeResult& result) {
  return "sent=" + std::to_string(result.sent) +
         " received=" + std::to_string(result.received.size()) +
         " eof=" + std::to_string(result.eof) +
         " timed_out=" + std::to_string(result.timed_out) +
         " errno=" + std::to_string(result.error);
}

class EchoServerTest : public ::testing::Test {
 protected:
  void SetUp() override { StartServer({}); }

  void StartServer(const ServerThreadOptions& options) {
    std::string error;
    server_ = ServerThread::Start("127.0.0.1", &error, options);
    ASSERT_NE(server_, nullptr) << error;
  }

  // Waits until the server has accepted `accepted` clients in all and has
  // none open: every connection was fully released.
  ::testing::AssertionResult AllReleased(uint64_t accepted) {
    EchoServerStats last;
    if (server_->WaitForStats(
            [&](const EchoServerStats& s) {
              return s.accepted == accepted && s.open == 0;
            },
            DeadlineIn(kSettleTimeout), &last)) {
      return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure()
           << "expected accepted=" << accepted << " open=0, still "
           << DescribeStats(last);
  }

  std::unique_ptr<ServerThread> server_;
};

// The same server with small kernel buffers on its connections, for tests
// that must see its queue's backpressure from the client.
class SmallBufferEchoServerTest : public EchoServerTest {
 protected:
  void SetUp() override {
    ServerThreadOptions options;
    options.connection_buffer = kSmallBuffer;
    StartServer(options);
  }
};

// Upper bound on what a client can send to a server that has stopped
// reading, with small buffers on both ends: each of the four kernel buffers
// (doubled by Linux to 32 KiB) plus the 64 KiB queue and one read is about
// 200 KiB. An unbounded server would take all of it.
constexpr size_t kMaxUnreadWithSmallBuffers = 1024 * 1024;

TEST_F(EchoServerTest, ManyConcurrentClientsEachGetTheirOwnBytesBackExactly) {
  const uint64_t seed = TestSeed();
  SCOPED_TRACE("seed=" + std::to_string(seed));
  constexpr int kClients = 50;
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<size_t> total_size(256 * 1024, 1024 * 1024);
  std::vector<std::string> payloads(kClients);
  std::vector<ExchangeOptions> options(kClients);
  for (int i = 0; i < kClients; ++i) {
    payloads[i] = RandomBytes(rng, total_size(rng));
    options[i].chunk_sizes =
        RandomChunkSizes(rng, payloads[i].size(), 1, 64 * 1024);
    options[i].shutdown_after_send = true;
  }

  // Connect everyone first, so that all transfers overlap on the server.
  const Deadline deadline = DeadlineIn(4 * kIoTimeout);
  std::vector<UniqueFd> fds(kClients);
  for (int i = 0; i < kClients; ++i) {
    ASSERT_TRUE(Connect(server_->address(), deadline, &fds[i])) << "client " << i;
  }
  std::vector<ExchangeResult> results(kClients);
  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&, i] {
      results[i] = Exchange(fds[i].get(), payloads[i], deadline, options[i]);
    });
  }
  for (std::thread& client : clients) client.join();

  for (int i = 0; i < kClients; ++i) {
    SCOPED_TRACE("client " + std::to_string(i) + ": " +
                 DescribeExchange(results[i]));
    EXPECT_EQ(results[i].sent, payloads[i].size());
    EXPECT_TRUE(SameBytes(payloads[i], results[i].received));
    EXPECT_TRUE(results[i].eof);
    EXPECT_EQ(results[i].error, 0);
  }
  EXPECT_TRUE(AllReleased(kClients));
}

TEST_F(EchoServerTest, HalfCloseReturnsEveryByteThenEof) {
  const std::string payload = "every byte sent before the FIN comes back\n";
  UniqueFd fd;
  ASSERT_TRUE(Connect(server_->address(), DeadlineIn(kIoTimeout), &fd));
  ASSERT_TRUE(SendAll(fd.get(), payload, DeadlineIn(kIoTimeout)));
  ASSERT_TRUE(ShutdownWrite(fd.get()));

  // One byte more than the echo: the read must end with EOF, not the limit.
  const ReadResult reply = ReadUpTo(fd.get(), payload.size() + 1,
                                    DeadlineIn(kIoTimeout));
  EXPECT_TRUE(SameBytes(payload, reply.bytes));
  EXPECT_TRUE(reply.eof);
  EXPECT_FALSE(reply.timed_out);
  EXPECT_EQ(reply.error, 0);
  EXPECT_TRUE(AllReleased(1));
}

TEST_F(EchoServerTest, HalfCloseWithNothingSentGetsImmediateEof) {
  UniqueFd fd;
  ASSERT_TRUE(Connect(server_->address(), DeadlineIn(kIoTimeout), &fd));
  ASSERT_TRUE(ShutdownWrite(fd.get()));
  const ReadResult reply = ReadUpTo(fd.get(), 1, DeadlineIn(kIoTimeout));
  EXPECT_EQ(reply.bytes, "");
  EXPECT_TRUE(reply.eof);
  EXPECT_EQ(reply.error, 0);
  EXPECT_TRUE(AllReleased(1));
}

// The FIN arrives while the server has stopped reading (its queue is full):
// it must still see it once it drains, and send everything before its own.
TEST_F(SmallBufferEchoServerTest,
       HalfCloseWhileServerIsBackpressuredStillReturnsEverything) {
  const uint64_t seed = TestSeed();
  SCOPED_TRACE("seed=" + std::to_string(seed));
  std::mt19937_64 rng(seed);
  const std::string payload = RandomBytes(rng, 4 * kMaxUnreadWithSmallBuffers);

  UniqueFd fd;
  ASSERT_TRUE(Connect(server_->address(), DeadlineIn(kIoTimeout), &fd,
                      kSmallBuffers));
  const std::vector<FillResult> fill =
      SendUntilStalled({fd.get()}, payload, 100ms, DeadlineIn(kIoTimeout));
  ASSERT_EQ(fill[0].error, 0);
  ASSERT_TRUE(fill[0].stalled) << "sent " << fill[0].sent << " bytes unread";
  ASSERT_LT(fill[0].sent, kMaxUnreadWithSmallBuffers);
  ASSERT_TRUE(ShutdownWrite(fd.get()));

  const ReadResult reply = ReadUpTo(fd.get(), fill[0].sent + 1,
                                    DeadlineIn(kIoTimeout));
  EXPECT_TRUE(SameBytes(payload.substr(0, fill[0].sent), reply.bytes));
  EXPECT_TRUE(reply.eof);
  EXPECT_EQ(reply.error, 0);
  EXPECT_TRUE(AllReleased(1));
}

TEST_F(SmallBufferEchoServerTest,
       LargeTransferToSlowReaderIsByteExactUnderBackpressure) {
  const uint64_t seed = TestSeed();
  SCOPED_TRACE("seed=" + std::to_string(seed));
  std::mt19937_64 rng(seed);
  constexpr size_t kSize = 8 * 1024 * 1024;
  const std::string payload = RandomBytes(rng, kSize);

  UniqueFd fd;
  ASSERT_TRUE(Connect(server_->address(), DeadlineIn(kIoTimeout), &fd,
                      kSmallBuffers));
  // Nobody reads yet: a server that bounds its queue soon stops reading too,
  // and the client can send no more. One that kept reading would take all.
  const std::vector<FillResult> fill =
      SendUntilStalled({fd.get()}, payload, 200ms, DeadlineIn(kIoTimeout));
  ASSERT_EQ(fill[0].error, 0);
  ASSERT_TRUE(fill[0].stalled)
      << "the server read all " << fill[0].sent
      << " bytes although nobody read its echo";
  EXPECT_LT(fill[0].sent, kMaxUnreadWithSmallBuffers);
  RecordProperty("unread_bytes_at_stall", static_cast<int>(fill[0].sent));

  // Now a slow reader: small reads with pauses, while sending the rest.
  ExchangeOptions slow;
  slow.echo_owed = fill[0].sent;
  slow.shutdown_after_send = true;
  slow.max_read = 16 * 1024;
  slow.read_pause = 200us;
  const ExchangeResult result = Exchange(
      fd.get(), std::string_view(payload).substr(fill[0].sent),
      DeadlineIn(3 * kIoTimeout), slow);
  SCOPED_TRACE(DescribeExchange(result));
  EXPECT_EQ(result.sent, kSize - fill[0].sent);
  EXPECT_TRUE(SameBytes(payload, result.received));
  EXPECT_TRUE(result.eof);
  EXPECT_EQ(result.error, 0);
  EXPECT_TRUE(AllReleased(1));
}

// Clients that send a lot, never read and then reset: the server is blocked
// writing to each of them when the RST arrives.
TEST_F(SmallBufferEchoServerTest, ResetClientsWithQueuedOutputAreAllReleased) {
  const uint64_t seed = TestSeed();
  SCOPED_TRACE("seed=" + std::to_string(seed));
  std::mt19937_64 rng(seed);
  const std::string flood = RandomBytes(rng, 2 * kMaxUnreadWithSmallBuffers);
  constexpr int kRounds = 3;
  constexpr int kClientsPerRound = 16;

  uint64_t accepted = 0;
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    std::vector<UniqueFd> fds(kClientsPerRound);
    std::vector<int> raw;
    for (UniqueFd& fd : fds) {
      ASSERT_TRUE(Connect(server_->address(), DeadlineIn(kIoTimeout), &fd,
                          kSmallBuffers));
      raw.push_back(fd.get());
    }
    accepted += kClientsPerRound;
    // Accepted first, so that the stall below is the server's queue filling
    // up, not the backlog's buffers.
    EchoServerStats last;
    ASSERT_TRUE(server_->WaitForStats(
        [&](const EchoServerStats& s) { return s.accepted == accepted; },
        DeadlineIn(kSettleTimeout), &last))
        << DescribeStats(last);

    const std::vector<FillResult> fill =
        SendUntilStalled(raw, flood, 50ms, DeadlineIn(kIoTimeout));
    for (int i = 0; i < kClientsPerRound; ++i) {
      EXPECT_TRUE(fill[i].stalled) << "client " << i << " sent " << fill[i].sent;
      EXPECT_LT(fill[i].sent, kMaxUnreadWithSmallBuffers) << "client " << i;
      EXPECT_EQ(fill[i].error, 0) << "client " << i;
    }
    for (UniqueFd& fd : fds) ASSERT_TRUE(CloseWithReset(std::move(fd)));
    ASSERT_TRUE(AllReleased(accepted));
  }

  // The server is still healthy: a new client gets an exact echo.
  const std::string payload = RandomBytes(rng, 256 * 1024);
  UniqueFd fd;
  ASSERT_TRUE(Connect(server_->address(), DeadlineIn(kIoTimeout), &fd));
  ExchangeOptions finish;
  finish.shutdown_after_send = true;
  const ExchangeResult result =
      Exchange(fd.get(), payload, DeadlineIn(kIoTimeout), finish);
  SCOPED_TRACE(DescribeExchange(result));
  EXPECT_TRUE(SameBytes(payload, result.received));
  EXPECT_TRUE(result.eof);
  EXPECT_TRUE(AllReleased(accepted + 1));
}

TEST_F(EchoServerTest, StopClosesEveryConnectionAndReleasesIt) {
  constexpr int kClients = 4;
  std::vector<UniqueFd> fds(kClients);
  for (UniqueFd& fd : fds) {
    ASSERT_TRUE(Connect(server_->address(), DeadlineIn(kIoTimeout), &fd));
    // A round trip proves the server holds this connection.
    ASSERT_TRUE(SendAll(fd.get(), "x", DeadlineIn(kIoTimeout)));
    ASSERT_EQ(ReadUpTo(fd.get(), 1, DeadlineIn(kIoTimeout)).bytes, "x");
  }
  server_->Stop();

  for (int i = 0; i < kClients; ++i) {
    const ReadResult end = ReadUpTo(fds[i].get(), 1, DeadlineIn(kIoTimeout));
    EXPECT_EQ(end.bytes, "") << "client " << i;
    EXPECT_TRUE(end.eof) << "client " << i << " errno " << end.error;
  }
  const EchoServerStats stats = server_->stats();
  EXPECT_EQ(stats.accepted, static_cast<uint64_t>(kClients));
  EXPECT_EQ(stats.open, 0u);

  // The listener is closed too: nobody accepts new connections.
  UniqueFd late;
  EXPECT_FALSE(Connect(server_->address(), DeadlineIn(kIoTimeout), &late));
}

// A server whose connections close after kIdleTimeout without traffic.
class IdleTimeoutEchoServerTest : public EchoServerTest {
 protected:
  static constexpr Duration kIdleTimeout = std::chrono::milliseconds(300);
  void SetUp() override {
    ServerThreadOptions options;
    options.config.connection.idle_timeout = kIdleTimeout;
    StartServer(options);
  }
};

// When exactly it closes is proven on injected time (echo_server_timers_test);
// measured from a client on a busy machine, only a generous bound holds.
TEST_F(IdleTimeoutEchoServerTest, SilentClientIsClosed) {
  UniqueFd fd;
  ASSERT_TRUE(Connect(server_->address(), DeadlineIn(kIoTimeout), &fd));
  ASSERT_TRUE(SendAll(fd.get(), "ping", DeadlineIn(kIoTimeout)));
  ASSERT_EQ(ReadUpTo(fd.get(), 4, DeadlineIn(kIoTimeout)).bytes, "ping");
  // The server's last activity was writing that echo, just before we read it.
  const Clock::time_point last_activity = Clock::now();

  const ReadResult end = ReadUpTo(fd.get(), 1, DeadlineIn(kIoTimeout));
  const auto idle = std::chrono::duration_cast<std::chrono::milliseconds>(
      Clock::now() - last_activity);
  EXPECT_EQ(end.bytes, "");
  EXPECT_TRUE(end.eof) << "timed_out=" << end.timed_out << " errno=" << end.error;
  EXPECT_LT(idle, std::chrono::seconds(10));
  EXPECT_TRUE(AllReleased(1));
}

// Each byte moves the idle deadline; the timer armed for the first deadline
// must be pushed back rather than closing a busy connection.
TEST_F(IdleTimeoutEchoServerTest, TrafficKeepsConnectionOpenAcrossManyTimeouts) {
  UniqueFd fd;
  ASSERT_TRUE(Connect(server_->address(), DeadlineIn(kIoTimeout), &fd));
  const Clock::time_point start = Clock::now();
  // A byte every fifth of the timeout (slack for a loaded machine), across
  // more than two timeouts.
  for (int i = 0; i < 12; ++i) {
    const std::string byte(1, static_cast<char>('a' + i));
    ASSERT_TRUE(SendAll(fd.get(), byte, DeadlineIn(kIoTimeout))) << "byte " << i;
    const ReadResult echo = ReadUpTo(fd.get(), 1, DeadlineIn(kIoTimeout));
    ASSERT_EQ(echo.bytes, byte) << "byte " << i << " eof=" << echo.eof
                                << " errno=" << echo.error;
    std::this_thread::sleep_for(kIdleTimeout / 5);
  }
  EXPECT_GE(Clock::now() - start, 2 * kIdleTimeout);
  EXPECT_EQ(server_->stats().open, 1u);

  // Falling silent now closes it.
  const ReadResult end = ReadUpTo(fd.get(), 1, DeadlineIn(kIoTimeout));
  EXPECT_TRUE(end.eof) << "timed_out=" << end.timed_out << " errno=" << end.error;
  EXPECT_TRUE(AllReleased(1));
}

TEST(EchoServerIpv6Test, ServesExactEchoOnIpv6Loopback) {
  if (!CanBindIpv6Loopback()) GTEST_SKIP() << "no usable ::1 on this machine";
  std::string error;
  // ::1 works here, so a failure to serve it is the server's.
  std::unique_ptr<ServerThread> server = ServerThread::Start("::1", &error);
  ASSERT_NE(server, nullptr) << error;
  EXPECT_EQ(server->address().family(), AF_INET6);
  EXPECT_NE(server->port(), 0);

  const uint64_t seed = TestSeed();
  SCOPED_TRACE("seed=" + std::to_string(seed));
  std::mt19937_64 rng(seed);
  const std::string payload = RandomBytes(rng, 512 * 1024);
  UniqueFd fd;
  ASSERT_TRUE(Connect("::1", server->port(), DeadlineIn(kIoTimeout), &fd));
  ExchangeOptions finish;
  finish.shutdown_after_send = true;
  const ExchangeResult result =
      Exchange(fd.get(), payload, DeadlineIn(kIoTimeout), finish);
  SCOPED_TRACE(DescribeExchange(result));
  EXPECT_TRUE(SameBytes(payload, result.received));
  EXPECT_TRUE(result.eof);
  EXPECT_TRUE(server->WaitForStats(
      [](const EchoServerStats& s) { return s.accepted == 1 && s.open == 0; },
      DeadlineIn(kSettleTimeout)));
}

}  // namespace
}  // namespace testing
}  // namespace echo
