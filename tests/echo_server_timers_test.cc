// Exact timing of the server's idle and send timeouts, on injected time.
//
// The real EchoServer on a real libev loop, its clients from a FakeListener
// and its time from a FakeClock: a timer fires exactly at its due time, so
// "closed at the timeout, not one millisecond before" can be asserted
// exactly. The integration tests against the real binary only check that
// such clients are closed at all, within generous bounds.

#include <ev++.h>
#include <sys/socket.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "gtest/gtest.h"
#include "src/server/echo_server.h"
#include "src/testing/fake_clock.h"
#include "src/testing/fake_listener.h"
#include "src/testing/test_time.h"

namespace echo {
namespace {

using std::chrono::milliseconds;

constexpr Instant kStart = At(1000);

class EchoServerTimersTest : public ::testing::Test {
 protected:
  void StartServer(std::optional<Duration> idle_timeout,
                   std::optional<Duration> send_timeout) {
    EchoServerConfig config;
    config.connection.idle_timeout = idle_timeout;
    config.connection.send_timeout = send_timeout;
    server_ = std::make_unique<EchoServer>(loop_, &listener_, &clock_, config);
  }

  // Enough turns of the loop for every readiness to be handled (none of
  // them blocks: each polls and returns).
  void Settle() {
    for (int turn = 0; turn < 20; ++turn) loop_.run(ev::NOWAIT);
  }

  void AdvanceTo(Instant time) {
    clock_.AdvanceTo(time);
    Settle();
  }

  bool ClosedByServer(size_t index) {
    listener_.Sweep();
    return listener_.connections()[index].state == FakeListener::State::kClosedByServer;
  }

  ev::dynamic_loop loop_{EVFLAG_AUTO};
  FakeClock clock_{kStart};
  FakeListener listener_{FakeListener::Options()};
  std::unique_ptr<EchoServer> server_;
};

TEST_F(EchoServerTimersTest, SilentClientClosesAtTheIdleTimeoutNotBefore) {
  StartServer(/*idle_timeout=*/milliseconds(300), /*send_timeout=*/std::nullopt);
  UniqueFd client = listener_.Connect();
  Settle();
  ASSERT_EQ(server_->stats().open, 1u);
  AdvanceTo(kStart + milliseconds(299));
  EXPECT_FALSE(ClosedByServer(0));
  AdvanceTo(kStart + milliseconds(300));
  EXPECT_TRUE(ClosedByServer(0));
  EXPECT_EQ(server_->stats().timed_out, 1u);
}

TEST_F(EchoServerTimersTest, TrafficPushesTheIdleDeadlineBack) {
  StartServer(/*idle_timeout=*/milliseconds(300), /*send_timeout=*/std::nullopt);
  UniqueFd client = listener_.Connect();
  Settle();
  // A byte every 200 ms, past three timeouts: each moves the deadline.
  Instant now = kStart;
  for (int i = 0; i < 5; ++i) {
    now += milliseconds(200);
    AdvanceTo(now);
    ASSERT_EQ(::send(client.get(), "x", 1, MSG_NOSIGNAL), 1);
    Settle();
    char echo = 0;
    ASSERT_EQ(::recv(client.get(), &echo, 1, 0), 1) << "byte " << i;
  }
  EXPECT_FALSE(ClosedByServer(0));
  AdvanceTo(now + milliseconds(299));
  EXPECT_FALSE(ClosedByServer(0));
  AdvanceTo(now + milliseconds(300));
  EXPECT_TRUE(ClosedByServer(0));
}

TEST_F(EchoServerTimersTest, StalledOutputClosesAtTheSendTimeoutDespiteInput) {
  StartServer(/*idle_timeout=*/std::nullopt, /*send_timeout=*/milliseconds(500));
  UniqueFd client = listener_.Connect();
  Settle();
  // Fill the client's receive side and the server's queue: the client never
  // reads, but keeps sending a byte now and then (input is activity, but
  // not progress on the output).
  const std::string chunk(64 * 1024, 'y');
  while (::send(client.get(), chunk.data(), chunk.size(), MSG_NOSIGNAL | MSG_DONTWAIT) > 0) {
    Settle();
  }
  Settle();
  const Instant stalled = clock_.Now();
  for (Instant t = stalled + milliseconds(100); t < stalled + milliseconds(500);
       t += milliseconds(100)) {
    AdvanceTo(t);
    (void)::send(client.get(), "z", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
    Settle();
    EXPECT_FALSE(ClosedByServer(0)) << "closed " << TimeText(Duration(t - stalled)) << " after stalling";
  }
  AdvanceTo(stalled + milliseconds(500));
  EXPECT_TRUE(ClosedByServer(0));
  EXPECT_EQ(server_->stats().timed_out, 1u);
}

}  // namespace
}  // namespace echo
