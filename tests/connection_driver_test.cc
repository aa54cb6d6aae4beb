// Tests for ConnectionDriver over a scripted FakePeer: partial writes, EAGAIN
// and EINTR on both sides, half-close with output queued, resets, EPIPE,
// backpressure, and no socket call after close.

#include "src/core/connection_driver.h"

#include <cerrno>
#include <ostream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "src/testing/fake_peer.h"
#include "src/testing/test_time.h"

namespace echo {

void PrintTo(const Interest& interest, std::ostream* os) {
  *os << "{read=" << interest.read << ", write=" << interest.write << "}";
}

namespace {

class ConnectionDriverTest : public ::testing::Test {
 protected:
  void Start() { Start(EchoConnection::Options()); }
  void Start(EchoConnection::Options options) {
    driver_ = std::make_unique<ConnectionDriver>(peer_.NewSocket(), options, now_);
  }
  void StartWithWatermarks(size_t low, size_t high) {
    EchoConnection::Options options;
    options.watermarks = {low, high};
    Start(options);
  }
  Interest Readable() {
    return driver_->OnReadable({scratch_.data(), scratch_.size()}, now_);
  }
  Interest Writable() { return driver_->OnWritable(now_); }
  void TearDown() override {
    driver_.reset();
    EXPECT_EQ(peer_.calls_after_close(), 0) << "socket used after Close()";
  }

  FakePeer peer_;
  Instant now_ = At(0);
  std::vector<uint8_t> scratch_ = std::vector<uint8_t>(16);
  std::unique_ptr<ConnectionDriver> driver_;
};

TEST_F(ConnectionDriverTest, EchoesWhatItReadsImmediately) {
  Start();
  peer_.Send("hello");
  EXPECT_EQ(Readable(), (Interest{true, false}));
  EXPECT_EQ(peer_.received(), "hello");
}

// The bytes were read from the socket even though echoing them failed: the
// server's "bytes in" counter must not lose them.
TEST_F(ConnectionDriverTest, CountsBytesReadWhenTheirEchoFails) {
  Start();
  peer_.Send("hello");
  peer_.WriteFails(EPIPE);
  EXPECT_TRUE(Readable().none());
  EXPECT_EQ(driver_->connection().bytes_received(), 5u);
  EXPECT_EQ(driver_->connection().bytes_sent(), 0u);
}

TEST_F(ConnectionDriverTest, ReadsLargeInputThroughSmallScratchInOrder) {
  Start();
  std::string input;
  for (int i = 0; i < 100; ++i) input += static_cast<char>('a' + i % 26);
  peer_.Send(input);
  while (peer_.unread() > 0) EXPECT_EQ(Readable(), (Interest{true, false}));
  EXPECT_EQ(peer_.received(), input);
}

TEST_F(ConnectionDriverTest, PartialWritesKeepTheRestQueued) {
  Start();
  peer_.AcceptUpTo(2);
  peer_.AcceptUpTo(3);
  peer_.Send("abcdefgh");
  // Reads 8, writes "ab" (short write: stops until writable).
  EXPECT_EQ(Readable(), (Interest{true, true}));
  EXPECT_EQ(peer_.received(), "ab");
  EXPECT_EQ(Writable(), (Interest{true, true}));
  EXPECT_EQ(peer_.received(), "abcde");
  EXPECT_EQ(Writable(), (Interest{true, false}));
  EXPECT_EQ(peer_.received(), "abcdefgh");
}

TEST_F(ConnectionDriverTest, WriteWouldBlockWaitsForWritable) {
  Start();
  peer_.WriteWouldBlock();
  peer_.Send("xyz");
  EXPECT_EQ(Readable(), (Interest{true, true}));
  EXPECT_EQ(peer_.received(), "");
  EXPECT_EQ(Writable(), (Interest{true, false}));
  EXPECT_EQ(peer_.received(), "xyz");
}

TEST_F(ConnectionDriverTest, ReadWouldBlockStopsReadingWithoutClosing) {
  Start();
  peer_.ReadWouldBlock();
  peer_.Send("later");
  EXPECT_EQ(Readable(), (Interest{true, false}));
  EXPECT_EQ(peer_.received(), "");
  EXPECT_EQ(Readable(), (Interest{true, false}));
  EXPECT_EQ(peer_.received(), "later");
}

TEST_F(ConnectionDriverTest, InterruptedCallsAreRetriedOnBothSides) {
  Start();
  peer_.ReadInterrupted();
  peer_.ReadInterrupted();
  peer_.Send("abc");
  peer_.WriteInterrupted();
  EXPECT_EQ(Readable(), (Interest{true, false}));
  EXPECT_EQ(peer_.received(), "abc");
  // Two EINTR, then the data; the short read means "drained", so no 4th call.
  EXPECT_EQ(peer_.read_calls(), 3);
}

TEST_F(ConnectionDriverTest, EofWithOutputQueuedFlushesEverythingThenShutsDown) {
  Start();
  peer_.set_idle_writes(FakePeer::IdleWrites::kWouldBlock);
  peer_.Send("0123456789");
  peer_.CloseSendingSide();
  EXPECT_EQ(Readable(), (Interest{true, true}));
  EXPECT_EQ(Readable(), (Interest{false, true})) << "EOF read: write only";
  EXPECT_FALSE(peer_.closed());
  peer_.AcceptUpTo(4);
  EXPECT_EQ(Writable(), (Interest{false, true}));
  EXPECT_FALSE(peer_.shut_down());
  peer_.set_idle_writes(FakePeer::IdleWrites::kAcceptAll);
  EXPECT_TRUE(Writable().none());
  EXPECT_EQ(peer_.received(), "0123456789");
  EXPECT_TRUE(peer_.shut_down()) << "FIN after the last echoed byte";
  EXPECT_TRUE(peer_.closed());
  EXPECT_TRUE(driver_->interest().none());
  EXPECT_EQ(driver_->connection().close_reason(), CloseReason::kPeerFinished);
}

TEST_F(ConnectionDriverTest, EofWithNothingQueuedClosesGracefully) {
  Start();
  peer_.CloseSendingSide();
  EXPECT_TRUE(Readable().none());
  EXPECT_TRUE(peer_.shut_down());
  EXPECT_TRUE(peer_.closed());
}

TEST_F(ConnectionDriverTest, ResetOnReadClosesAtOnceWithoutShutdown) {
  Start();
  peer_.set_idle_writes(FakePeer::IdleWrites::kWouldBlock);
  peer_.Send("queued");
  peer_.ReadFails(ECONNRESET);
  EXPECT_EQ(Readable(), (Interest{true, true}));
  EXPECT_TRUE(Readable().none());
  EXPECT_TRUE(peer_.closed());
  EXPECT_FALSE(peer_.shut_down());
  EXPECT_EQ(driver_->connection().close_reason(), CloseReason::kPeerReset);
}

TEST_F(ConnectionDriverTest, BrokenPipeOnWriteClosesAtOnce) {
  Start();
  peer_.WriteFails(EPIPE);
  peer_.Send("data");
  EXPECT_TRUE(Readable().none());
  EXPECT_TRUE(peer_.closed());
  EXPECT_EQ(driver_->connection().close_reason(), CloseReason::kWriteFailed);
}

TEST_F(ConnectionDriverTest, ResetOnWriteClosesAtOnce) {
  Start();
  peer_.Send("data");
  peer_.WriteFails(ECONNRESET);
  EXPECT_TRUE(Readable().none());
  EXPECT_EQ(driver_->connection().close_reason(), CloseReason::kPeerReset);
}

TEST_F(ConnectionDriverTest, BackpressureStopsReadingAndResumesBelowLow) {
  StartWithWatermarks(/*low=*/8, /*high=*/32);
  peer_.set_idle_writes(FakePeer::IdleWrites::kWouldBlock);
  peer_.Send(std::string(100, 'b'));
  // Reads 16 + 16 bytes, then stops: the queue is at its high watermark.
  EXPECT_EQ(Readable(), (Interest{false, true}));
  EXPECT_EQ(driver_->connection().queued(), 32u);
  EXPECT_EQ(peer_.unread(), 68u) << "the rest stays in the peer";
  const int reads_when_paused = peer_.read_calls();
  peer_.AcceptUpTo(20);  // 12 left: above low, still paused.
  EXPECT_EQ(Writable(), (Interest{false, true}));
  peer_.AcceptUpTo(4);  // 8 left: at low, reading resumes.
  EXPECT_EQ(Writable(), (Interest{true, true}));
  EXPECT_EQ(peer_.read_calls(), reads_when_paused) << "no read while paused";
  peer_.set_idle_writes(FakePeer::IdleWrites::kAcceptAll);
  while (peer_.unread() > 0) EXPECT_EQ(Readable(), (Interest{true, false}));
  EXPECT_EQ(peer_.received(), std::string(100, 'b'));
}

TEST_F(ConnectionDriverTest, NoSocketCallAfterClose) {
  Start();
  peer_.ReadFails(ECONNRESET);
  EXPECT_TRUE(Readable().none());
  const int reads = peer_.read_calls();
  const int writes = peer_.write_calls();
  EXPECT_TRUE(Readable().none());
  EXPECT_TRUE(Writable().none());
  driver_->Abort();
  EXPECT_EQ(peer_.read_calls(), reads);
  EXPECT_EQ(peer_.write_calls(), writes);
}

TEST_F(ConnectionDriverTest, AbortClosesWithoutShutdownAndDestructorDoesNotCloseTwice) {
  Start();
  peer_.Send("x");
  EXPECT_EQ(Readable(), (Interest{true, false}));
  driver_->Abort();
  EXPECT_TRUE(peer_.closed());
  EXPECT_FALSE(peer_.shut_down());
  EXPECT_EQ(driver_->connection().close_reason(), CloseReason::kAborted);
}

TEST_F(ConnectionDriverTest, DestroyingAnOpenDriverClosesTheSocket) {
  Start();
  driver_.reset();
  EXPECT_TRUE(peer_.closed());
}

TEST_F(ConnectionDriverTest, DrainFlushesQueuedOutputThenShutsDownWithoutReading) {
  Start();
  peer_.set_idle_writes(FakePeer::IdleWrites::kWouldBlock);
  peer_.Send("queued");
  EXPECT_EQ(Readable(), (Interest{true, true}));
  peer_.Send("never read");
  const int reads = peer_.read_calls();
  EXPECT_EQ(driver_->Drain(now_), (Interest{false, true}));
  peer_.set_idle_writes(FakePeer::IdleWrites::kAcceptAll);
  EXPECT_EQ(Writable(), (Interest{true, false})) << "lingering: reads to discard";
  EXPECT_EQ(peer_.received(), "queued");
  EXPECT_EQ(peer_.read_calls(), reads) << "no read for echo once draining";
  EXPECT_TRUE(peer_.shut_down());
  EXPECT_EQ(driver_->connection().close_reason(), CloseReason::kDrained);
  // Unread input is still there: closing now would reset the connection and
  // could destroy the echo in flight. It lingers, discarding, until EOF.
  EXPECT_FALSE(peer_.closed());
  EXPECT_TRUE(driver_->lingering());
  peer_.CloseSendingSide();
  EXPECT_TRUE(Readable().none());
  EXPECT_EQ(peer_.received(), "queued") << "discarded input is not echoed";
  EXPECT_EQ(peer_.unread(), 0u);
  EXPECT_TRUE(peer_.closed());
  EXPECT_TRUE(driver_->interest().none());
}

TEST_F(ConnectionDriverTest, LingerEndsAfterASecondWithoutInput) {
  Start();
  peer_.Send("late input");
  EXPECT_EQ(driver_->Drain(now_), (Interest{true, false})) << "lingering: reads to discard";
  ASSERT_TRUE(driver_->lingering());
  EXPECT_EQ(driver_->Deadline(), At(0) + ConnectionDriver::kLingerTimeout);
  now_ = At(400);
  EXPECT_EQ(Readable(), (Interest{true, false}));  // Discards: the linger starts over.
  EXPECT_EQ(peer_.unread(), 0u);
  EXPECT_EQ(driver_->Deadline(), At(400) + ConnectionDriver::kLingerTimeout);
  EXPECT_FALSE(driver_->OnTimer(At(1000)).none());
  EXPECT_TRUE(driver_->OnTimer(At(1400)).none());
  EXPECT_TRUE(peer_.closed());
}

TEST_F(ConnectionDriverTest, AbortEndsALinger) {
  Start();
  EXPECT_EQ(driver_->Drain(now_), (Interest{true, false}));
  ASSERT_TRUE(driver_->lingering());
  driver_->Abort();
  EXPECT_TRUE(peer_.closed());
  EXPECT_TRUE(driver_->interest().none());
}

TEST_F(ConnectionDriverTest, IdleTimerClosesWithoutShutdown) {
  EchoConnection::Options options;
  options.idle_timeout = std::chrono::seconds(1);
  Start(options);
  peer_.Send("x");
  now_ = At(500);
  EXPECT_EQ(Readable(), (Interest{true, false}));
  EXPECT_FALSE(driver_->OnTimer(At(1000)).none()) << "active at 500: not idle yet";
  EXPECT_EQ(driver_->Deadline(), At(1500));
  EXPECT_TRUE(driver_->OnTimer(At(1500)).none());
  EXPECT_TRUE(peer_.closed());
  EXPECT_FALSE(peer_.shut_down());
  EXPECT_EQ(driver_->connection().close_reason(), CloseReason::kIdleTimeout);
}

}  // namespace
}  // namespace echo
