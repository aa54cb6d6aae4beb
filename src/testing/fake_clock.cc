#include "src/testing/fake_clock.h"

#include <algorithm>
#include <utility>

namespace echo {

class FakeClock::FakeTimer : public Timer {
 public:
  FakeTimer(FakeClock* clock, std::function<void()> on_fire)
      : clock_(clock), on_fire_(std::move(on_fire)) {
    clock_->timers_.push_back(this);
  }
  ~FakeTimer() override {
    auto& timers = clock_->timers_;
    timers.erase(std::find(timers.begin(), timers.end(), this));
  }

  void Start(Duration delay) override {
    due_ = clock_->now_ + std::max(Duration::zero(), delay);
    order_ = ++clock_->started_;
    active_ = true;
  }
  void Stop() override { active_ = false; }
  bool active() const override { return active_; }

  bool FiresBefore(const FakeTimer& other) const {
    return due_ != other.due_ ? due_ < other.due_ : order_ < other.order_;
  }
  Instant due() const { return due_; }

  // Inactive before the callback runs, which may start it again.
  void Fire() {
    active_ = false;
    on_fire_();
  }

 private:
  FakeClock* clock_;
  std::function<void()> on_fire_;
  Instant due_;
  uint64_t order_ = 0;
  bool active_ = false;
};

std::unique_ptr<Timer> FakeClock::NewTimer(std::function<void()> on_fire) {
  return std::make_unique<FakeTimer>(this, std::move(on_fire));
}

FakeClock::FakeTimer* FakeClock::Earliest() const {
  FakeTimer* earliest = nullptr;
  for (FakeTimer* timer : timers_) {
    if (timer->active() && (earliest == nullptr || timer->FiresBefore(*earliest))) {
      earliest = timer;
    }
  }
  return earliest;
}

std::optional<Instant> FakeClock::NextDue() const {
  const FakeTimer* earliest = Earliest();
  if (earliest == nullptr) return std::nullopt;
  return earliest->due();
}

void FakeClock::AdvanceTo(Instant time) {
  // One timer per pass: a callback may stop, start or destroy any timer.
  for (FakeTimer* timer = Earliest(); timer != nullptr && timer->due() <= time;
       timer = Earliest()) {
    now_ = std::max(now_, timer->due());
    timer->Fire();
  }
  now_ = std::max(now_, time);
}

size_t FakeClock::running_timers() const {
  return static_cast<size_t>(std::count_if(timers_.begin(), timers_.end(),
                                           [](const FakeTimer* t) { return t->active(); }));
}

}  // namespace echo
