// fake_clock.h: FakeClock, a Clock whose time moves only when told, for
// tests and fuzzers.
//
// Timers fire from AdvanceTo(), in order of due time (ties in the order they
// were started), each with Now() equal to its own due time: a timer is never
// late and never early, so a harness can check timing rules exactly, and a
// scenario replays the same way every time. Nothing sleeps.

#ifndef ECHO_LAB_TESTING_FAKE_CLOCK_H_
#define ECHO_LAB_TESTING_FAKE_CLOCK_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "src/server/clock.h"

namespace echo {

class FakeClock : public Clock {
 public:
  explicit FakeClock(Instant start = Instant()) : now_(start) {}
  FakeClock(const FakeClock&) = delete;
  FakeClock& operator=(const FakeClock&) = delete;

  Instant Now() override { return now_; }
  std::unique_ptr<Timer> NewTimer(std::function<void()> on_fire) override;

  // When the earliest running timer fires; nullopt if none runs.
  std::optional<Instant> NextDue() const;

  // Moves time forward to `time` (earlier times are ignored), firing every
  // timer due by then, including timers that callbacks start.
  void AdvanceTo(Instant time);

  size_t running_timers() const;

 private:
  class FakeTimer;
  FakeTimer* Earliest() const;

  Instant now_;
  uint64_t started_ = 0;  // Start() calls so far: orders equal due times.
  std::vector<FakeTimer*> timers_;  // Every live timer.
};

}  // namespace echo

#endif  // ECHO_LAB_TESTING_FAKE_CLOCK_H_
