// deadline.h: Deadline, the time limit every blocking test helper takes, and
// PollUntil(), a bounded wait for a condition.
//
// Helpers never wait without one: when the server misbehaves, a test must
// fail with a message, not hang until Bazel kills it.

#ifndef ECHO_LAB_TESTS_INTEGRATION_DEADLINE_H_
#define ECHO_LAB_TESTS_INTEGRATION_DEADLINE_H_

#include <chrono>
#include <climits>
#include <functional>
#include <thread>

namespace echo {
namespace testing {

using Clock = std::chrono::steady_clock;
using Deadline = Clock::time_point;

inline Deadline DeadlineIn(Clock::duration timeout) {
  return Clock::now() + timeout;
}

inline bool Expired(Deadline deadline) { return Clock::now() >= deadline; }

// Milliseconds left before `deadline`, as a poll() timeout: rounded up (so a
// poll that returns 0 means the deadline has passed), 0 once it has passed.
inline int PollTimeoutMs(Deadline deadline) {
  const auto left = deadline - Clock::now();
  if (left <= Clock::duration::zero()) return 0;
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
  return ms > INT_MAX ? INT_MAX : static_cast<int>(ms);
}

// Evaluates `done` every `interval` until it returns true (then returns
// true) or `deadline` passes (then returns false, after one last check).
inline bool PollUntil(const std::function<bool()>& done, Deadline deadline,
                      std::chrono::milliseconds interval =
                          std::chrono::milliseconds(2)) {
  while (!done()) {
    if (Expired(deadline)) return done();
    std::this_thread::sleep_for(interval);
  }
  return true;
}

}  // namespace testing
}  // namespace echo

#endif  // ECHO_LAB_TESTS_INTEGRATION_DEADLINE_H_
