// payload.h: reproducible pseudo-random test payloads, and SameBytes(), a
// comparison that reports where two byte strings differ instead of printing
// megabytes of both.
//
// Payloads are std::string: a test only needs an owning run of bytes that
// compares and slices easily.

#ifndef ECHO_LAB_TESTS_INTEGRATION_PAYLOAD_H_
#define ECHO_LAB_TESTS_INTEGRATION_PAYLOAD_H_

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"

namespace echo {
namespace testing {

// The seed for this test run: $ECHO_TEST_SEED when set (to replay a failure,
// e.g. `bazel test --test_env=ECHO_TEST_SEED=42 ...`), otherwise a fresh
// random one. Tests print it in a SCOPED_TRACE so every failure names it.
uint64_t TestSeed();

// `size` pseudo-random bytes drawn from `rng`.
std::string RandomBytes(std::mt19937_64& rng, size_t size);

// Sizes drawn uniformly from [min_size, max_size] (requires
// 1 <= min_size <= max_size) whose sum is exactly `total`; only the last
// one may be smaller than min_size.
std::vector<size_t> RandomChunkSizes(std::mt19937_64& rng, size_t total,
                                     size_t min_size, size_t max_size);

// Succeeds if `actual == expected`; otherwise the message gives both sizes
// and the first offset where they differ.
::testing::AssertionResult SameBytes(std::string_view expected,
                                     std::string_view actual);

}  // namespace testing
}  // namespace echo

#endif  // ECHO_LAB_TESTS_INTEGRATION_PAYLOAD_H_
