// clock.h: Clock and Timer, the server's one seam for time.
//
// Everything in the server that reads the time or waits for it (idle and
// linger deadlines, the accept back-off, the drain timeout) goes through a
// Clock. LibevClock (libev_clock.h) is monotonic time and ev_timer; FakeClock
// (src/testing/) is a counter that fuzzers and tests advance, firing due
// timers in order, so every timer path runs without sleeping and with exact,
// repeatable times.

#ifndef ECHO_LAB_SERVER_CLOCK_H_
#define ECHO_LAB_SERVER_CLOCK_H_

#include <functional>
#include <memory>

#include "src/core/monotonic_time.h"

namespace echo {

// A one-shot timer. Its callback runs from the event loop (or from the fake
// clock's Advance), never from inside Start() or Stop().
class Timer {
 public:
  virtual ~Timer() = default;

  // Fires once, `delay` from the clock's Now() (a negative delay is zero);
  // restarts a timer that is already running.
  virtual void Start(Duration delay) = 0;
  // Cancels a pending firing. Idempotent.
  virtual void Stop() = 0;
  // True between Start() and the firing or Stop().
  virtual bool active() const = 0;
};

class Clock {
 public:
  virtual ~Clock() = default;

  // The time on a clock that never goes back.
  [[nodiscard]] virtual Instant Now() = 0;

  // A stopped timer that runs `on_fire` when it fires. The clock must
  // outlive it.
  [[nodiscard]] virtual std::unique_ptr<Timer> NewTimer(std::function<void()> on_fire) = 0;
};

}  // namespace echo

#endif  // ECHO_LAB_SERVER_CLOCK_H_
