// Tests for FakePeer::set_stale_errno: a successful read, write or shutdown
// on the fake leaves the scripted errno behind, as libc may, and the
// ConnectionDriver, which must judge each call by its result alone, echoes
// and finishes exactly as it does with a clean errno.

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "src/core/connection_driver.h"
#include "src/testing/fake_peer.h"

namespace echo {
namespace {

class StaleErrnoTest : public ::testing::TestWithParam<int> {
 protected:
  int stale() const { return GetParam(); }

  FakePeer peer_;
};

TEST_P(StaleErrnoTest, FakeSocketSuccessesLeaveTheStaleErrno) {
  peer_.set_stale_errno(stale());
  std::unique_ptr<Socket> socket = peer_.NewSocket();
  peer_.Send("abc");
  uint8_t buffer[8];

  errno = 0;
  const IoResult read = socket->Read(buffer, sizeof(buffer));
  EXPECT_EQ(read.status, IoStatus::kOk);
  EXPECT_EQ(read.bytes, 3u);
  EXPECT_EQ(errno, stale()) << "after a read of data";

  errno = 0;
  const IoResult written = socket->Write({buffer, 3});
  EXPECT_EQ(written.status, IoStatus::kOk);
  EXPECT_EQ(written.bytes, 3u);
  EXPECT_EQ(errno, stale()) << "after a write";

  peer_.CloseSendingSide();
  errno = 0;
  EXPECT_EQ(socket->Read(buffer, sizeof(buffer)).status, IoStatus::kEof);
  EXPECT_EQ(errno, stale()) << "after a read of EOF";

  errno = 0;
  EXPECT_EQ(socket->ShutdownWrite().status, IoStatus::kOk);
  EXPECT_EQ(errno, stale()) << "after a shutdown";
  socket->Close();
}

TEST_P(StaleErrnoTest, ResetCleansTheStaleErrno) {
  peer_.set_stale_errno(stale());
  peer_.Reset();
  std::unique_ptr<Socket> socket = peer_.NewSocket();
  peer_.Send("x");
  uint8_t byte;
  errno = stale();
  EXPECT_EQ(socket->Read(&byte, 1).status, IoStatus::kOk);
  EXPECT_EQ(errno, 0);
  socket->Close();
}

TEST_P(StaleErrnoTest, DriverEchoesEverythingThenFinishes) {
  peer_.set_stale_errno(stale());
  ConnectionDriver driver(peer_.NewSocket(), EchoConnection::Options(), Instant());
  std::vector<uint8_t> scratch(16);
  const std::string input = "forty bytes, read sixteen at a time....";
  peer_.Send(input);
  peer_.AcceptUpTo(5);  // A short write, then the socket takes the rest.
  peer_.CloseSendingSide();
  // As a level-triggered loop would: each event only while it is wanted.
  Interest next = driver.interest();
  for (int round = 0; round < 8 && !next.none(); ++round) {
    if (next.read) next = driver.OnReadable({scratch.data(), scratch.size()}, Instant());
    if (next.write) next = driver.OnWritable(Instant());
  }
  EXPECT_TRUE(next.none());
  EXPECT_EQ(peer_.received(), input);
  EXPECT_TRUE(peer_.shut_down());
  EXPECT_EQ(driver.connection().close_reason(), CloseReason::kPeerFinished);
  EXPECT_EQ(peer_.calls_after_close(), 0);
}

INSTANTIATE_TEST_SUITE_P(Errnos, StaleErrnoTest, ::testing::Values(EINTR, EAGAIN),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return std::string(info.param == EINTR ? "EINTR" : "EAGAIN");
                         });

}  // namespace
}  // namespace echo
