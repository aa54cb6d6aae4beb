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

  void Start(Millis delay) override { watcher_.start(delay / 1000.0, 0.0); }
  void Stop() override { watcher_.stop(); }
  bool active() const override { return watcher_.is_active(); }

 private:
  void OnFire(ev::timer& /*watcher*/, int /*revents*/) { on_fire_(); }

  ev::timer watcher_;
  std::function<void()> on_fire_;
};

}  // namespace

Millis LibevClock::Now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::unique_ptr<Timer> LibevClock::NewTimer(std::function<void()> on_fire) {
  return std::make_unique<LibevTimer>(loop_, std::move(on_fire));
}

}  // namespace echo
