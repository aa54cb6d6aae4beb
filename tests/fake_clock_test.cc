// Tests for FakeClock: the server fuzzer's timing oracles are only as exact
// as the clock that fires its timers.

#include "src/testing/fake_clock.h"

#include <optional>
#include <string>

#include "gtest/gtest.h"
#include "src/testing/test_time.h"

namespace echo {
namespace {

TEST(FakeClockTest, FiresEachTimerAtItsOwnDueTimeInOrder) {
  FakeClock clock(At(100));
  std::string fired;
  std::optional<Instant> first_at, second_at;
  auto late = clock.NewTimer([&] { fired += "late;"; second_at = clock.Now(); });
  auto early = clock.NewTimer([&] { fired += "early;"; first_at = clock.Now(); });
  late->Start(Duration(50));
  early->Start(Duration(10));
  EXPECT_EQ(clock.NextDue(), At(110));
  clock.AdvanceTo(At(1000));
  EXPECT_EQ(fired, "early;late;");
  EXPECT_EQ(first_at, At(110));
  EXPECT_EQ(second_at, At(150));
  EXPECT_EQ(clock.Now(), At(1000));
  EXPECT_EQ(clock.NextDue(), std::nullopt);
}

TEST(FakeClockTest, NeverFiresEarlyAndFiresTimersStartedByCallbacks) {
  FakeClock clock;
  int fires = 0;
  std::unique_ptr<Timer> timer;
  timer = clock.NewTimer([&] {
    if (++fires < 3) timer->Start(Duration(0));  // Due at once: fires in this advance.
  });
  timer->Start(Duration(10));
  clock.AdvanceTo(At(9));
  EXPECT_EQ(fires, 0);
  EXPECT_TRUE(timer->active());
  clock.AdvanceTo(At(10));
  EXPECT_EQ(fires, 3);
  EXPECT_FALSE(timer->active());
}

TEST(FakeClockTest, StoppedOrDestroyedTimersDoNotFire) {
  FakeClock clock;
  int fires = 0;
  auto stopped = clock.NewTimer([&] { ++fires; });
  auto destroyed = clock.NewTimer([&] { ++fires; });
  stopped->Start(Duration(5));
  destroyed->Start(Duration(5));
  stopped->Stop();
  destroyed.reset();
  clock.AdvanceTo(At(100));
  EXPECT_EQ(fires, 0);
  EXPECT_EQ(clock.running_timers(), 0u);
}

}  // namespace
}  // namespace echo
