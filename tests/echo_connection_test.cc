// Tests for EchoConnection, the I/O-free state machine: echo order, half
// close, errors, backpressure and the closed state, with no socket at all.

#include "src/core/echo_connection.h"

#include <optional>
#include <ostream>
#include <string>

#include "gtest/gtest.h"
#include "src/testing/test_time.h"

namespace echo {

void PrintTo(const Interest& interest, std::ostream* os) {
  *os << "{read=" << interest.read << ", write=" << interest.write << "}";
}

namespace {

using namespace std::chrono_literals;

const EchoConnection::Options kDefaultOptions;  // No timeouts.

ByteView View(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

EchoConnection::Options WithWatermarks(size_t low, size_t high) {
  EchoConnection::Options options;
  options.watermarks = {low, high};
  return options;
}

EchoConnection::Options WithIdleTimeout(Duration timeout) {
  EchoConnection::Options options;
  options.idle_timeout = timeout;
  return options;
}

// Takes up to `max` bytes of pending output, as a socket would.
std::string WriteOut(EchoConnection& conn, size_t max = SIZE_MAX) {
  std::string out;
  while (out.size() < max) {
    const ByteView pending = conn.PendingOutput();
    if (pending.empty()) break;
    const size_t n = std::min(pending.size, max - out.size());
    out.append(reinterpret_cast<const char*>(pending.data), n);
    conn.OnWritten(n, At(0));
  }
  return out;
}

TEST(EchoConnectionTest, NewConnectionWantsToReadOnly) {
  EchoConnection conn(kDefaultOptions, At(0));
  EXPECT_EQ(conn.interest(), (Interest{true, false}));
  EXPECT_FALSE(conn.closed());
}

TEST(EchoConnectionTest, EchoesBytesInOrder) {
  EchoConnection conn(kDefaultOptions, At(0));
  EXPECT_EQ(conn.OnData(View("abc"), At(0)), 3u);
  EXPECT_EQ(conn.OnData(View("def"), At(0)), 3u);
  EXPECT_EQ(conn.interest(), (Interest{true, true}));
  EXPECT_EQ(WriteOut(conn, 2), "ab");
  EXPECT_EQ(WriteOut(conn), "cdef");
  EXPECT_EQ(conn.interest(), (Interest{true, false}));
  EXPECT_EQ(conn.bytes_received(), 6u);
  EXPECT_EQ(conn.bytes_sent(), 6u);
}

TEST(EchoConnectionTest, PeerEofWithNothingQueuedFinishesAtOnce) {
  EchoConnection conn(kDefaultOptions, At(0));
  conn.OnPeerEof();
  EXPECT_TRUE(conn.closed());
  EXPECT_EQ(conn.close_reason(), CloseReason::kPeerFinished);
  EXPECT_TRUE(conn.interest().none());
}

TEST(EchoConnectionTest, HalfCloseFlushesPendingOutputBeforeFinishing) {
  EchoConnection conn(kDefaultOptions, At(0));
  EXPECT_EQ(conn.OnData(View("pending"), At(0)), 7u);
  conn.OnPeerEof();
  EXPECT_FALSE(conn.closed());
  EXPECT_EQ(conn.interest(), (Interest{false, true}));
  EXPECT_EQ(conn.ReadRoom(), 0u);
  EXPECT_EQ(conn.OnData(View("late"), At(0)), 0u) << "no input after peer EOF";
  EXPECT_EQ(WriteOut(conn, 3), "pen");
  EXPECT_FALSE(conn.closed());
  EXPECT_EQ(WriteOut(conn), "ding");
  EXPECT_EQ(conn.close_reason(), CloseReason::kPeerFinished);
}

TEST(EchoConnectionTest, ResetClosesAtOnceAndDropsQueue) {
  EchoConnection conn(kDefaultOptions, At(0));
  EXPECT_EQ(conn.OnData(View("queued"), At(0)), 6u);
  conn.OnReadError(IoError::kConnectionReset);
  EXPECT_EQ(conn.close_reason(), CloseReason::kPeerReset);
  EXPECT_TRUE(conn.PendingOutput().empty());
  EXPECT_EQ(conn.queued(), 0u);
  EXPECT_TRUE(conn.interest().none());
}

TEST(EchoConnectionTest, WriteErrorsCloseWithTheirReason) {
  EchoConnection pipe(kDefaultOptions, At(0));
  EXPECT_EQ(pipe.OnData(View("x"), At(0)), 1u);
  pipe.OnWriteError(IoError::kBrokenPipe);
  EXPECT_EQ(pipe.close_reason(), CloseReason::kWriteFailed);

  EchoConnection reset(kDefaultOptions, At(0));
  reset.OnWriteError(IoError::kConnectionReset);
  EXPECT_EQ(reset.close_reason(), CloseReason::kPeerReset);

  EchoConnection read_failed(kDefaultOptions, At(0));
  read_failed.OnReadError(IoError::kOther);
  EXPECT_EQ(read_failed.close_reason(), CloseReason::kReadFailed);
}

// These names are the words of the server's debug log ("connection 3
// closed: peer-reset, ...").
TEST(EchoConnectionTest, EveryCloseReasonHasALogName) {
  EXPECT_STREQ(CloseReasonName(CloseReason::kNone), "open");
  EXPECT_STREQ(CloseReasonName(CloseReason::kPeerFinished), "peer-finished");
  EXPECT_STREQ(CloseReasonName(CloseReason::kPeerReset), "peer-reset");
  EXPECT_STREQ(CloseReasonName(CloseReason::kReadFailed), "read-failed");
  EXPECT_STREQ(CloseReasonName(CloseReason::kWriteFailed), "write-failed");
  EXPECT_STREQ(CloseReasonName(CloseReason::kAborted), "aborted");
  EXPECT_STREQ(CloseReasonName(CloseReason::kIdleTimeout), "idle-timeout");
  EXPECT_STREQ(CloseReasonName(CloseReason::kSendTimeout), "send-timeout");
  EXPECT_STREQ(CloseReasonName(CloseReason::kDrained), "drained");
  EXPECT_STREQ(CloseReasonName(static_cast<CloseReason>(99)), "unknown");
}

TEST(EchoConnectionTest, FirstCloseReasonSticks) {
  EchoConnection conn(kDefaultOptions, At(0));
  conn.Abort();
  conn.OnReadError(IoError::kConnectionReset);
  conn.OnPeerEof();
  EXPECT_EQ(conn.close_reason(), CloseReason::kAborted);
}

TEST(EchoConnectionTest, ClosedConnectionAcceptsAndOffersNothing) {
  EchoConnection conn(kDefaultOptions, At(0));
  conn.Abort();
  EXPECT_EQ(conn.OnData(View("ignored"), At(0)), 0u);
  EXPECT_TRUE(conn.PendingOutput().empty());
  conn.OnWritten(5, At(0));
  EXPECT_EQ(conn.bytes_sent(), 0u);
  EXPECT_TRUE(conn.interest().none());
}

TEST(EchoConnectionTest, BackpressureStopsReadingAtHighAndResumesAtLow) {
  EchoConnection conn(WithWatermarks(/*low=*/4, /*high=*/8), At(0));
  EXPECT_EQ(conn.ReadRoom(), 8u);
  EXPECT_EQ(conn.OnData(View("0123456789"), At(0)), 8u) << "accepts only up to room";
  EXPECT_EQ(conn.interest(), (Interest{false, true}));
  EXPECT_EQ(conn.ReadRoom(), 0u);
  EXPECT_EQ(WriteOut(conn, 3), "012");  // 5 queued: still above low.
  EXPECT_EQ(conn.interest(), (Interest{false, true}));
  EXPECT_EQ(WriteOut(conn, 1), "3");  // 4 queued: at low, reads again.
  EXPECT_EQ(conn.interest(), (Interest{true, true}));
  EXPECT_EQ(conn.ReadRoom(), 4u);
}

TEST(EchoConnectionTest, QueueNeverExceedsHighWatermark) {
  EchoConnection conn(WithWatermarks(2, 5), At(0));
  for (int i = 0; i < 20; ++i) {
    const size_t before = conn.queued();
    const size_t accepted = conn.OnData(View("abc"), At(0));
    EXPECT_EQ(conn.queued(), before + accepted) << "what it accepts, it queues";
    EXPECT_LE(conn.queued(), 5u);
    WriteOut(conn, 1);
  }
}

TEST(EchoConnectionTest, DrainStopsInputAndFinishesOnceQueueIsWritten) {
  EchoConnection conn(kDefaultOptions, At(0));
  EXPECT_EQ(conn.OnData(View("owed"), At(0)), 4u);
  conn.Drain();
  EXPECT_EQ(conn.ReadRoom(), 0u);
  EXPECT_EQ(conn.interest(), (Interest{false, true}));
  EXPECT_EQ(conn.OnData(View("more"), At(0)), 0u);
  EXPECT_EQ(WriteOut(conn, 2), "ow");
  EXPECT_FALSE(conn.closed());
  EXPECT_EQ(WriteOut(conn), "ed");
  EXPECT_EQ(conn.close_reason(), CloseReason::kDrained);
  EXPECT_TRUE(IsGracefulClose(conn.close_reason()));
}

TEST(EchoConnectionTest, DrainWithNothingQueuedFinishesAtOnce) {
  EchoConnection conn(kDefaultOptions, At(0));
  conn.Drain();
  EXPECT_EQ(conn.close_reason(), CloseReason::kDrained);
}

TEST(EchoConnectionTest, PeerEofDuringDrainIsStillAPeerFinish) {
  EchoConnection conn(kDefaultOptions, At(0));
  EXPECT_EQ(conn.OnData(View("x"), At(0)), 1u);
  conn.Drain();
  conn.OnPeerEof();
  WriteOut(conn);
  EXPECT_EQ(conn.close_reason(), CloseReason::kPeerFinished);
}

TEST(EchoConnectionTest, WithoutIdleTimeoutThereIsNoDeadline) {
  EchoConnection conn(kDefaultOptions, At(0));
  EXPECT_EQ(conn.TimerDeadline(), std::nullopt);
  conn.OnTimer(At(1'000'000'000));
  EXPECT_FALSE(conn.closed());
}

TEST(EchoConnectionTest, ZeroOrNegativeTimeoutsMeanNever) {
  EchoConnection::Options options = WithIdleTimeout(0ms);
  options.send_timeout = -5ms;
  EchoConnection conn(options, At(0));
  EXPECT_EQ(conn.OnData(View("queued"), At(0)), 6u);
  EXPECT_EQ(conn.TimerDeadline(), std::nullopt);
  conn.OnTimer(At(1'000'000'000));
  EXPECT_FALSE(conn.closed());
}

TEST(EchoConnectionTest, IdleTimeoutClosesAtTheDeadlineNotBefore) {
  EchoConnection conn(WithIdleTimeout(100ms), /*now=*/At(1000));
  EXPECT_EQ(conn.TimerDeadline(), At(1100));
  conn.OnTimer(At(1099));
  EXPECT_FALSE(conn.closed());
  conn.OnTimer(At(1100));
  EXPECT_EQ(conn.close_reason(), CloseReason::kIdleTimeout);
  EXPECT_EQ(conn.TimerDeadline(), std::nullopt) << "closed: no deadline";
}

TEST(EchoConnectionTest, MovingBytesEitherWayPostponesTheDeadline) {
  EchoConnection conn(WithIdleTimeout(100ms), At(0));
  EXPECT_EQ(conn.OnData(View("abc"), At(50)), 3u);
  EXPECT_EQ(conn.TimerDeadline(), At(150));
  conn.OnWritten(1, At(120));
  EXPECT_EQ(conn.TimerDeadline(), At(220));
  conn.OnTimer(At(150));  // A timer armed for the old deadline fires early.
  EXPECT_FALSE(conn.closed());
  EXPECT_EQ(conn.OnData(View(""), At(200)), 0u);  // Nothing moved: no activity.
  conn.OnWritten(0, At(200));
  EXPECT_EQ(conn.TimerDeadline(), At(220));
}

TEST(EchoConnectionTest, PeerThatNeverReadsIsClosedByTheIdleRule) {
  EchoConnection conn(
      [] {
        EchoConnection::Options o = WithIdleTimeout(100ms);
        o.watermarks = {2, 4};
        return o;
      }(),
      At(0));
  EXPECT_EQ(conn.OnData(View("full"), At(10)), 4u);
  EXPECT_EQ(conn.ReadRoom(), 0u) << "backpressure: no reads, so no activity";
  conn.OnTimer(At(110));
  EXPECT_EQ(conn.close_reason(), CloseReason::kIdleTimeout);
  EXPECT_EQ(conn.queued(), 0u);
}

// A slow-loris peer: it sends a byte now and then, which keeps the idle
// timer from firing, but never reads. The send timeout closes it.
TEST(EchoConnectionTest, TricklingPeerThatNeverReadsIsClosedByTheSendTimeout) {
  EchoConnection::Options options = WithIdleTimeout(1000ms);
  options.send_timeout = 300ms;
  EchoConnection conn(options, At(0));
  EXPECT_EQ(conn.TimerDeadline(), At(1000)) << "nothing queued: the idle deadline only";
  EXPECT_EQ(conn.OnData(View("a"), At(100)), 1u);
  EXPECT_EQ(conn.TimerDeadline(), At(400)) << "queued at 100: the send deadline";
  EXPECT_EQ(conn.OnData(View("b"), At(350)), 1u);
  EXPECT_EQ(conn.TimerDeadline(), At(400)) << "input keeps it active, not the output";
  conn.OnTimer(At(399));
  EXPECT_FALSE(conn.closed());
  conn.OnTimer(At(400));
  EXPECT_EQ(conn.close_reason(), CloseReason::kSendTimeout);
}

TEST(EchoConnectionTest, EachWrittenByteRestartsTheSendTimeout) {
  EchoConnection::Options options;
  options.send_timeout = 300ms;
  EchoConnection conn(options, At(0));
  EXPECT_EQ(conn.OnData(View("abc"), At(100)), 3u);
  conn.OnWritten(1, At(300));
  EXPECT_EQ(conn.TimerDeadline(), At(600));
  WriteOut(conn);
  EXPECT_EQ(conn.TimerDeadline(), std::nullopt) << "queue empty, and no idle timeout";
}

}  // namespace
}  // namespace echo
