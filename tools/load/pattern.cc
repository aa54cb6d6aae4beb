#include "tools/load/pattern.h"

#include <algorithm>
#include <cstring>

#include "tools/load/random.h"

namespace echo {
namespace load {

PatternTable::PatternTable(uint64_t seed) : seed_(seed), bytes_(2 * kPeriod) {
  Random random(Mix64(seed ^ 0x7061747465726eULL));  // "pattern"
  for (size_t i = 0; i < kPeriod; i += 8) {
    const uint64_t word = random.Next();
    for (size_t b = 0; b < 8 && i + b < kPeriod; ++b) {
      bytes_[i + b] = static_cast<uint8_t>(word >> (8 * b));
    }
  }
  std::memcpy(bytes_.data() + kPeriod, bytes_.data(), kPeriod);
}

size_t PatternTable::StreamStart(uint64_t connection) const {
  return static_cast<size_t>(Mix64(seed_ ^ Mix64(connection)) % kPeriod);
}

size_t StreamPattern::FirstMismatch(uint64_t offset, const uint8_t* data,
                                    size_t n) const {
  size_t done = 0;
  while (done < n) {
    const size_t chunk = std::min(n - done, PatternTable::kPeriod);
    const uint8_t* expected = Span(offset + done);
    if (std::memcmp(expected, data + done, chunk) != 0) {
      // Rare (it is an error): find the byte only now.
      for (size_t i = 0; i < chunk; ++i) {
        if (expected[i] != data[done + i]) return done + i;
      }
    }
    done += chunk;
  }
  return n;
}

}  // namespace load
}  // namespace echo
