// random.h: SplitMix64, the small seeded generator behind the data pattern
// and every random size and choice echo_load makes.
//
// Deterministic across machines and compilers (unlike std:: distributions),
// so a --seed reproduces a run's bytes and sizes exactly.

#ifndef ECHO_LAB_TOOLS_LOAD_RANDOM_H_
#define ECHO_LAB_TOOLS_LOAD_RANDOM_H_

#include <cstdint>

namespace echo {
namespace load {

// One SplitMix64 step applied to `x`: a well-mixed 64-bit hash, used to
// derive independent seeds from (seed, connection, purpose).
constexpr uint64_t Mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}

  // SplitMix64: the state steps by the golden-ratio increment that Mix64()
  // adds before mixing, so output n is Mix64(seed + n * increment).
  uint64_t Next() {
    const uint64_t output = Mix64(state_);
    state_ += 0x9e3779b97f4a7c15ULL;
    return output;
  }

  // Uniform in [0, bound) for bound > 0 (Lemire's multiply-shift: the bias is
  // below 2^-32 for the bounds used here, which is irrelevant for sizes).
  uint64_t Below(uint64_t bound) {
    return static_cast<uint64_t>(
        (static_cast<unsigned __int128>(Next()) * bound) >> 64);
  }

  // In [1, max] with a log-uniform spread: as many 1-15 byte sizes as
  // 4-64 KiB ones, so both the tiny and the large paths get exercised.
  uint64_t LogUniformSize(uint64_t max) {
    int bits = 0;
    while (bits < 63 && (uint64_t{1} << (bits + 1)) <= max) ++bits;
    const uint64_t ceiling = uint64_t{1} << Below(static_cast<uint64_t>(bits) + 1);
    const uint64_t size = 1 + Below(ceiling * 2 - 1);
    return size < max ? size : max;
  }

 private:
  uint64_t state_;
};

}  // namespace load
}  // namespace echo

#endif  // ECHO_LAB_TOOLS_LOAD_RANDOM_H_
