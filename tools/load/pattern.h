// pattern.h: the bytes echo_load sends, and their verification.
//
// Byte i of connection c's stream is table[(start(seed, c) + i) mod P]: a
// seeded random table of prime period P = 65521, entered at a per-connection
// offset. Sending reads straight from the table and verifying is a memcmp
// against it, so neither copies nor remembers what was sent.
//
// Why these choices: random bytes make a dropped, duplicated or reordered
// byte show up at once (each shifted byte matches with probability 1/256);
// a prime period means no power-of-two buffer size (a lost 64 KiB read, a
// repeated 4 KiB write) can line the stream up with itself again; distinct
// starts make one connection's bytes delivered on another a mismatch. Only a
// loss or repeat of an exact multiple of P bytes would go unnoticed.

#ifndef ECHO_LAB_TOOLS_LOAD_PATTERN_H_
#define ECHO_LAB_TOOLS_LOAD_PATTERN_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace echo {
namespace load {

class PatternTable {
 public:
  static constexpr size_t kPeriod = 65521;  // Largest prime below 2^16.

  explicit PatternTable(uint64_t seed);

  PatternTable(const PatternTable&) = delete;
  PatternTable& operator=(const PatternTable&) = delete;

  // Where connection `connection`'s stream enters the table, in [0, P).
  size_t StreamStart(uint64_t connection) const;

  // The stream bytes [offset, offset + kPeriod) of a stream that starts at
  // `start`, contiguous (the table is stored twice over to allow this).
  const uint8_t* Span(size_t start, uint64_t offset) const {
    return bytes_.data() + (start + offset % kPeriod) % kPeriod;
  }

 private:
  uint64_t seed_;
  std::vector<uint8_t> bytes_;  // 2 * kPeriod: the period, then again.
};

// One connection's stream: a cheap value (a pointer and an offset).
class StreamPattern {
 public:
  StreamPattern() = default;
  StreamPattern(const PatternTable* table, uint64_t connection)
      : table_(table), start_(table->StreamStart(connection)) {}

  // Stream bytes [offset, offset + n) are at the returned pointer for
  // n <= PatternTable::kPeriod: send them from there.
  const uint8_t* Span(uint64_t offset) const { return table_->Span(start_, offset); }

  uint8_t ByteAt(uint64_t offset) const { return *Span(offset); }

  // The index of the first byte of data[0, n) that differs from the stream
  // bytes [offset, offset + n), or n if every byte matches.
  size_t FirstMismatch(uint64_t offset, const uint8_t* data, size_t n) const;

 private:
  const PatternTable* table_ = nullptr;
  size_t start_ = 0;
};

}  // namespace load
}  // namespace echo

#endif  // ECHO_LAB_TOOLS_LOAD_PATTERN_H_
