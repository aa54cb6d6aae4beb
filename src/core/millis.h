// millis.h: Millis, a point in time or a duration in milliseconds.
//
// The core never reads a clock: every entry point that cares about time takes
// `now` from its caller (the event loop's cached time in the server, a
// counter in tests and fuzzers), so timeouts are deterministic under test.

#ifndef ECHO_LAB_CORE_MILLIS_H_
#define ECHO_LAB_CORE_MILLIS_H_

#include <cstdint>

namespace echo {

using Millis = int64_t;

}  // namespace echo

#endif  // ECHO_LAB_CORE_MILLIS_H_
