// monotonic_time.h: Duration and Instant, the two kinds of time the core
// deals in, and "never".
//
// The core never reads a clock: every entry point that cares about time takes
// `now` from its caller (the event loop's monotonic time in the server, a
// counter in tests and fuzzers), so timeouts are deterministic under test.
//
// Both are std::chrono types counting whole milliseconds, so the compiler
// keeps them apart: an Instant plus a Duration is an Instant, two Instants
// differ by a Duration, and adding two Instants, or passing a number or a
// Duration where an Instant is expected, does not compile. A deadline that
// may never come is a std::optional<Instant>, std::nullopt meaning never:
// there is no magic value that a comparison could mistake for a time.

#ifndef ECHO_LAB_CORE_MONOTONIC_TIME_H_
#define ECHO_LAB_CORE_MONOTONIC_TIME_H_

#include <chrono>
#include <optional>

namespace echo {

// A length of time, in milliseconds.
using Duration = std::chrono::milliseconds;

// The clock of every Instant: monotonic, its epoch the owner's choice (the
// steady clock's for LibevClock, the start a test picks for FakeClock). It
// deliberately has no now(): only the owner of a core object reads time.
struct MonotonicClock {
  using duration = Duration;
  using rep = duration::rep;
  using period = duration::period;
  using time_point = std::chrono::time_point<MonotonicClock>;
  static constexpr bool is_steady = true;
};

// A point in time on the MonotonicClock.
using Instant = MonotonicClock::time_point;

// The earlier of two deadlines, either of which may be never (nullopt).
constexpr std::optional<Instant> Earlier(std::optional<Instant> a,
                                         std::optional<Instant> b) {
  if (!a) return b;
  if (!b) return a;
  return *b < *a ? b : a;
}

}  // namespace echo

#endif  // ECHO_LAB_CORE_MONOTONIC_TIME_H_
