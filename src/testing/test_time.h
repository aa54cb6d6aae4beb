// test_time.h: writing and showing time in tests and fuzz harnesses.
//
// Tests script time as milliseconds since the clock's epoch: At(1100) is the
// Instant 1100 ms after it, and TimeText() shows one the same way ("1100
// ms"), or "never" for nullopt. PrintTo() makes GoogleTest show Instants so
// too (it finds it by argument-dependent lookup: MonotonicClock lives in
// this namespace).

#ifndef ECHO_LAB_TESTING_TEST_TIME_H_
#define ECHO_LAB_TESTING_TEST_TIME_H_

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

#include "src/core/monotonic_time.h"

namespace echo {

// The Instant `ms` milliseconds after the clock's epoch.
constexpr Instant At(int64_t ms) { return Instant(Duration(ms)); }

// "250 ms", or "never" for nullopt.
inline std::string TimeText(std::optional<Duration> duration) {
  return duration ? std::to_string(duration->count()) + " ms" : "never";
}

// "1100 ms" (since the epoch), or "never" for nullopt.
inline std::string TimeText(std::optional<Instant> instant) {
  if (!instant) return "never";
  return TimeText(instant->time_since_epoch());
}

inline void PrintTo(Instant instant, std::ostream* os) { *os << TimeText(instant); }

}  // namespace echo

#endif  // ECHO_LAB_TESTING_TEST_TIME_H_
