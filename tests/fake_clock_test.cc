// Tests for FakeClock: the server fuzzer's timing oracles are only as exact
// as the clock that fires its timers.

#include "src/testing/fake_clock.h"

#include <string>

#include "gtest/gtest.h"

namespace echo {
namespace {

TEST(FakeClockTest, FiresEachTimerAtItsOwnDueTimeInOrder) {
  FakeClock clock(100);
  std::string fired;
  Millis first_at = -1, second_at = -1;
  auto late = clock.NewTimer([&] { fired += "late;"; second_at = clock.Now(); });
  auto early = clock.NewTimer([&] { fired += "early;"; first_at = clock.Now(); });
  late->Start(50);
  early->Start(10);
  EXPECT_EQ(clock.NextDue(), 110);
  clock.AdvanceTo(1000);
  EXPECT_EQ(fired, "early;late;");
  EXPECT_EQ(first_at, 110);
  EXPECT_EQ(second_at, 150);
  EXPECT_EQ(clock.Now(), 1000);
  EXPECT_EQ(clock.NextDue(), -1);
}

TEST(FakeClockTest, NeverFiresEarlyAndFiresTimersStartedByCallbacks) {
  FakeClock clock;
  int fires = 0;
  std::unique_ptr<Timer> timer;
  timer = clock.NewTimer([&] {
    if (++fires < 3) timer->Start(0);  // Due at once: fires in this advance.
  });
  timer->Start(10);
  clock.AdvanceTo(9);
  EXPECT_EQ(fires, 0);
  EXPECT_TRUE(timer->active());
  clock.AdvanceTo(10);
  EXPECT_EQ(fires, 3);
  EXPECT_FALSE(timer->active());
}

TEST(FakeClockTest, StoppedOrDestroyedTimersDoNotFire) {
  FakeClock clock;
  int fires = 0;
  auto stopped = clock.NewTimer([&] { ++fires; });
  auto destroyed = clock.NewTimer([&] { ++fires; });
  stopped->Start(5);
  destroyed->Start(5);
  stopped->Stop();
  destroyed.reset();
  clock.AdvanceTo(100);
  EXPECT_EQ(fires, 0);
  EXPECT_EQ(clock.running_timers(), 0u);
}

}  // namespace
}  // namespace echo
