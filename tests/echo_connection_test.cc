// Tests for EchoConnection, the I/O-free state machine: echo order, half
// close, errors, backpressure and the closed state, with no socket at all.

#include "src/core/echo_connection.h"

#include <string>

#include "gtest/gtest.h"

namespace echo {
namespace {

ByteView View(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Takes up to `max` bytes of pending output, as a socket would.
std::string WriteOut(EchoConnection& conn, size_t max = SIZE_MAX) {
  std::string out;
  while (out.size() < max) {
    const ByteView pending = conn.PendingOutput();
    if (pending.empty()) break;
    const size_t n = std::min(pending.size, max - out.size());
    out.append(reinterpret_cast<const char*>(pending.data), n);
    conn.OnWritten(n);
  }
  return out;
}

TEST(EchoConnectionTest, NewConnectionWantsToReadOnly) {
  EchoConnection conn;
  EXPECT_EQ(conn.interest(), (Interest{true, false}));
  EXPECT_FALSE(conn.closed());
}

TEST(EchoConnectionTest, EchoesBytesInOrder) {
  EchoConnection conn;
  EXPECT_EQ(conn.OnData(View("abc")), 3u);
  EXPECT_EQ(conn.OnData(View("def")), 3u);
  EXPECT_EQ(conn.interest(), (Interest{true, true}));
  EXPECT_EQ(WriteOut(conn, 2), "ab");
  EXPECT_EQ(WriteOut(conn), "cdef");
  EXPECT_EQ(conn.interest(), (Interest{true, false}));
  EXPECT_EQ(conn.bytes_received(), 6u);
  EXPECT_EQ(conn.bytes_sent(), 6u);
}

TEST(EchoConnectionTest, PeerEofWithNothingQueuedFinishesAtOnce) {
  EchoConnection conn;
  conn.OnPeerEof();
  EXPECT_TRUE(conn.closed());
  EXPECT_EQ(conn.close_reason(), CloseReason::kPeerFinished);
  EXPECT_TRUE(conn.interest().none());
}

TEST(EchoConnectionTest, HalfCloseFlushesPendingOutputBeforeFinishing) {
  EchoConnection conn;
  conn.OnData(View("pending"));
  conn.OnPeerEof();
  EXPECT_FALSE(conn.closed());
  EXPECT_EQ(conn.interest(), (Interest{false, true}));
  EXPECT_EQ(conn.ReadRoom(), 0u);
  EXPECT_EQ(conn.OnData(View("late")), 0u) << "no input after peer EOF";
  EXPECT_EQ(WriteOut(conn, 3), "pen");
  EXPECT_FALSE(conn.closed());
  EXPECT_EQ(WriteOut(conn), "ding");
  EXPECT_EQ(conn.close_reason(), CloseReason::kPeerFinished);
}

TEST(EchoConnectionTest, ResetClosesAtOnceAndDropsQueue) {
  EchoConnection conn;
  conn.OnData(View("queued"));
  conn.OnReadError(IoError::kConnectionReset);
  EXPECT_EQ(conn.close_reason(), CloseReason::kPeerReset);
  EXPECT_TRUE(conn.PendingOutput().empty());
  EXPECT_EQ(conn.queued(), 0u);
  EXPECT_TRUE(conn.interest().none());
}

TEST(EchoConnectionTest, WriteErrorsCloseWithTheirReason) {
  EchoConnection pipe;
  pipe.OnData(View("x"));
  pipe.OnWriteError(IoError::kBrokenPipe);
  EXPECT_EQ(pipe.close_reason(), CloseReason::kWriteFailed);

  EchoConnection reset;
  reset.OnWriteError(IoError::kConnectionReset);
  EXPECT_EQ(reset.close_reason(), CloseReason::kPeerReset);

  EchoConnection read_failed;
  read_failed.OnReadError(IoError::kOther);
  EXPECT_EQ(read_failed.close_reason(), CloseReason::kReadFailed);
}

TEST(EchoConnectionTest, FirstCloseReasonSticks) {
  EchoConnection conn;
  conn.Abort();
  conn.OnReadError(IoError::kConnectionReset);
  conn.OnPeerEof();
  EXPECT_EQ(conn.close_reason(), CloseReason::kAborted);
}

TEST(EchoConnectionTest, ClosedConnectionAcceptsAndOffersNothing) {
  EchoConnection conn;
  conn.Abort();
  EXPECT_EQ(conn.OnData(View("ignored")), 0u);
  EXPECT_TRUE(conn.PendingOutput().empty());
  conn.OnWritten(5);
  EXPECT_EQ(conn.bytes_sent(), 0u);
  EXPECT_TRUE(conn.interest().none());
}

TEST(EchoConnectionTest, BackpressureStopsReadingAtHighAndResumesAtLow) {
  EchoConnection conn({/*low=*/4, /*high=*/8});
  EXPECT_EQ(conn.ReadRoom(), 8u);
  EXPECT_EQ(conn.OnData(View("0123456789")), 8u) << "accepts only up to room";
  EXPECT_EQ(conn.interest(), (Interest{false, true}));
  EXPECT_EQ(conn.ReadRoom(), 0u);
  EXPECT_EQ(WriteOut(conn, 3), "012");  // 5 queued: still above low.
  EXPECT_EQ(conn.interest(), (Interest{false, true}));
  EXPECT_EQ(WriteOut(conn, 1), "3");  // 4 queued: at low, reads again.
  EXPECT_EQ(conn.interest(), (Interest{true, true}));
  EXPECT_EQ(conn.ReadRoom(), 4u);
}

TEST(EchoConnectionTest, QueueNeverExceedsHighWatermark) {
  EchoConnection conn({2, 5});
  for (int i = 0; i < 20; ++i) {
    conn.OnData(View("abc"));
    EXPECT_LE(conn.queued(), 5u);
    WriteOut(conn, 1);
  }
}

}  // namespace
}  // namespace echo
