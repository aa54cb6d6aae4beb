// fuzz_check.h: FUZZ_CHECK, the oracle assertion of every harness.
//
// A failed check prints one line naming the harness invariant and aborts, so
// libFuzzer records a crash and the plain replay test fails. Unlike assert()
// it is active in every build mode: an oracle that NDEBUG can switch off is
// not an oracle.

#ifndef ECHO_LAB_FUZZ_FUZZ_CHECK_H_
#define ECHO_LAB_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(condition, ...)                                       \
  do {                                                                   \
    if (!(condition)) {                                                  \
      std::fprintf(stderr, "ORACLE FAILED (%s:%d): %s: ", __FILE__,     \
                   __LINE__, #condition);                                \
      std::fprintf(stderr, __VA_ARGS__);                                 \
      std::fprintf(stderr, "\n");                                        \
      std::abort();                                                      \
    }                                                                    \
  } while (0)

#endif  // ECHO_LAB_FUZZ_FUZZ_CHECK_H_
