// pattern.h: Random (SplitMix64), behind every random size and choice, and
// the bytes echo_load sends, with their verification: byte i of connection
// c's stream is table[(start(seed, c) + i) mod P], P = 65521.
//
// Random bytes make a dropped, duplicated or reordered byte show up at once;
// a prime period means no power-of-two buffer size (a lost 64 KiB read, a
// repeated 4 KiB write) lines the stream up with itself again; distinct
// starts make one connection's bytes delivered on another a mismatch.
// SplitMix64 is the same on every machine and compiler (unlike std::
// distributions), so a --seed reproduces a run's bytes and sizes exactly.

#ifndef ECHO_LAB_TOOLS_LOAD_PATTERN_H_
#define ECHO_LAB_TOOLS_LOAD_PATTERN_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

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

  // Output n is Mix64(seed + n * the increment Mix64() adds).
  uint64_t Next() {
    const uint64_t output = Mix64(state_);
    state_ += 0x9e3779b97f4a7c15ULL;
    return output;
  }

  // Uniform in [0, bound) for bound > 0 (Lemire's multiply-shift: the bias is
  // below 2^-32 for the bounds used here, which is irrelevant for sizes).
  uint64_t Below(uint64_t bound) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(Next()) * bound) >> 64);
  }

  // In [1, max] with a log-uniform spread: as many 1-15 byte sizes as
  // 4-64 KiB ones, so both the tiny and the large paths get exercised.
  uint64_t LogUniformSize(uint64_t max) {
    int bits = 0;
    while (bits < 63 && (uint64_t{1} << (bits + 1)) <= max) ++bits;
    const uint64_t ceiling = uint64_t{1} << Below(static_cast<uint64_t>(bits) + 1);
    return std::min(1 + Below(ceiling * 2 - 1), max);
  }

 private:
  uint64_t state_;
};

class PatternTable {
 public:
  static constexpr size_t kPeriod = 65521;  // Largest prime below 2^16.

  // The period, then again: a span of up to kPeriod bytes is contiguous.
  explicit PatternTable(uint64_t seed) : seed_(seed), bytes_(2 * kPeriod) {
    Random random(Mix64(seed ^ 0x7061747465726eULL));  // "pattern"
    for (size_t i = 0; i < kPeriod; i += 8) {
      const uint64_t word = random.Next();
      for (size_t b = 0; b < 8 && i + b < kPeriod; ++b) {
        bytes_[i + b] = static_cast<uint8_t>(word >> (8 * b));
      }
    }
    std::memcpy(bytes_.data() + kPeriod, bytes_.data(), kPeriod);
  }
  PatternTable(const PatternTable&) = delete;
  PatternTable& operator=(const PatternTable&) = delete;

  // Where connection `connection`'s stream enters the table, in [0, P).
  size_t StreamStart(uint64_t connection) const {
    return static_cast<size_t>(Mix64(seed_ ^ Mix64(connection)) % kPeriod);
  }

  // Bytes [offset, offset + kPeriod) of a stream that starts at `start`.
  const uint8_t* Span(size_t start, uint64_t offset) const {
    return bytes_.data() + (start + offset % kPeriod) % kPeriod;
  }

 private:
  uint64_t seed_;
  std::vector<uint8_t> bytes_;
};

// One connection's stream: a cheap value.
class StreamPattern {
 public:
  StreamPattern() = default;
  StreamPattern(const PatternTable* table, uint64_t connection)
      : table_(table), start_(table->StreamStart(connection)) {}

  // Stream bytes [offset, offset + n) for n <= PatternTable::kPeriod.
  const uint8_t* Span(uint64_t offset) const { return table_->Span(start_, offset); }
  uint8_t ByteAt(uint64_t offset) const { return *Span(offset); }

  // The index of the first byte of data[0, n) that differs from the stream
  // bytes [offset, offset + n), or n if every byte matches.
  size_t FirstMismatch(uint64_t offset, const uint8_t* data, size_t n) const {
    for (size_t done = 0; done < n;) {
      const size_t chunk = std::min(n - done, PatternTable::kPeriod);
      const uint8_t* expected = Span(offset + done);
      if (std::memcmp(expected, data + done, chunk) != 0) {  // Rare: an error.
        return done + static_cast<size_t>(std::mismatch(expected, expected + chunk,
                                                        data + done).first - expected);
      }
      done += chunk;
    }
    return n;
  }

 private:
  const PatternTable* table_ = nullptr;
  size_t start_ = 0;
};

}  // namespace load
}  // namespace echo

#endif  // ECHO_LAB_TOOLS_LOAD_PATTERN_H_
