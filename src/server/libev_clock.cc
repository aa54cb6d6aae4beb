#include "src/server/libev_clock.h"

#include <chrono>
#include <utility>

namespace echo {
namespace {

class LibevTimer : public Timer {
 public:
  LibevTimer(ev::loop_ref loop, std::function<void()> on_fire)
      : watcher_(loop), on_fire_(std::move(on_fire)) {
    watcher_.set<LibevTimer, &LibevTimer::OnFire>(this);
  }
  ~LibevTimer() override { watcher_.stop(); }

  void Start(Duration delay) override {
    const double seconds = std::chrono::duration<double>(delay).count();
    watcher_.start(seconds > 0 ? seconds : 0.0, 0.0);
  }
  void Stop() override { watcher_.stop(); }
  bool active() const override { return watcher_.is_active(); }

 private:
  void OnFire(ev::timer& /*watcher*/, int /*revents*/) { on_fire_(); }

  ev::timer watcher_;
  std::function<void()> on_fire_;
};

}  // namespace

Instant LibevClock::Now() {
  return Instant(std::chrono::duration_cast<Duration>(
      std::chrono::steady_clock::now().time_since_epoch()));
}

std::unique_ptr<Timer> LibevClock::NewTimer(std::function<void()> on_fire) {
  return std::make_unique<LibevTimer>(loop_, std::move(on_fire));
}

}  // namespace echo
