#include "tests/integration/payload.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace echo {
namespace testing {

uint64_t TestSeed() {
  if (const char* text = std::getenv("ECHO_TEST_SEED")) {
    char* end = nullptr;
    const unsigned long long value = std::strtoull(text, &end, 10);
    if (end != text && *end == '\0') return value;
  }
  std::random_device device;
  return (static_cast<uint64_t>(device()) << 32) ^ device();
}

std::string RandomBytes(std::mt19937_64& rng, size_t size) {
  std::string bytes(size, '\0');
  size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    const uint64_t word = rng();
    std::memcpy(&bytes[i], &word, 8);
  }
  if (i < size) {
    const uint64_t word = rng();
    std::memcpy(&bytes[i], &word, size - i);
  }
  return bytes;
}

std::vector<size_t> RandomChunkSizes(std::mt19937_64& rng, size_t total,
                                     size_t min_size, size_t max_size) {
  std::uniform_int_distribution<size_t> pick(min_size, max_size);
  std::vector<size_t> sizes;
  // Every chunk but the last has at least min_size >= 1 bytes, so this ends
  // after at most total / min_size + 1 chunks.
  for (size_t left = total; left > 0;) {
    const size_t size = std::min(left, pick(rng));
    sizes.push_back(size);
    left -= size;
  }
  return sizes;
}

::testing::AssertionResult SameBytes(std::string_view expected,
                                     std::string_view actual) {
  if (expected == actual) return ::testing::AssertionSuccess();
  const size_t common = std::min(expected.size(), actual.size());
  const size_t first = static_cast<size_t>(
      std::mismatch(expected.begin(), expected.begin() + common, actual.begin())
          .first -
      expected.begin());
  auto failure = ::testing::AssertionFailure();
  failure << "expected " << expected.size() << " bytes, got " << actual.size();
  if (first < common) {
    failure << "; first difference at offset " << first << " (expected 0x"
            << std::hex << (static_cast<unsigned>(expected[first]) & 0xff)
            << ", got 0x" << (static_cast<unsigned>(actual[first]) & 0xff)
            << std::dec << ")";
  } else {
    failure << "; the shorter one is a prefix of the other";
  }
  return failure;
}

}  // namespace testing
}  // namespace echo
