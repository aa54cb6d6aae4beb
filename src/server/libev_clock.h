// libev_clock.h: LibevClock, the real Clock: monotonic time and ev_timer.

#ifndef ECHO_LAB_SERVER_LIBEV_CLOCK_H_
#define ECHO_LAB_SERVER_LIBEV_CLOCK_H_

#include <ev++.h>

#include <functional>
#include <memory>

#include "src/server/clock.h"

namespace echo {

class LibevClock : public Clock {
 public:
  explicit LibevClock(ev::loop_ref loop) : loop_(loop) {}

  // Monotonic, because the core requires that time never goes back, and
  // ev_now() follows the wall clock (a clock step would close busy
  // connections as idle, or keep idle ones open). ev_timer runs on
  // monotonic time too, so deadlines and timers agree.
  Instant Now() override;
  std::unique_ptr<Timer> NewTimer(std::function<void()> on_fire) override;

 private:
  ev::loop_ref loop_;
};

}  // namespace echo

#endif  // ECHO_LAB_SERVER_LIBEV_CLOCK_H_
