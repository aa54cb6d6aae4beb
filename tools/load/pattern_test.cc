// Tests for the data pattern: deterministic per (seed, connection, offset),
// contiguous across the period boundary, and a verifier that pinpoints a
// flipped, dropped, duplicated or foreign byte.

#include "tools/load/pattern.h"

#include <cstdint>
#include <vector>

#include "gtest/gtest.h"

namespace echo {
namespace load {
namespace {

constexpr size_t kPeriod = PatternTable::kPeriod;

// Stream bytes [offset, offset + n) of `stream`, byte by byte.
std::vector<uint8_t> Bytes(const StreamPattern& stream, uint64_t offset, size_t n) {
  std::vector<uint8_t> bytes(n);
  for (size_t i = 0; i < n; ++i) bytes[i] = stream.ByteAt(offset + i);
  return bytes;
}

TEST(PatternTest, SameSeedAndConnectionGiveTheSameStream) {
  const PatternTable a(42);
  const PatternTable b(42);
  EXPECT_EQ(Bytes(StreamPattern(&a, 7), 123456, 5000), Bytes(StreamPattern(&b, 7), 123456, 5000));
}

TEST(PatternTest, SeedsAndConnectionsGiveDifferentStreams) {
  const PatternTable a(1);
  const PatternTable b(2);
  EXPECT_NE(Bytes(StreamPattern(&a, 0), 0, 64), Bytes(StreamPattern(&b, 0), 0, 64));
  EXPECT_NE(Bytes(StreamPattern(&a, 0), 0, 64), Bytes(StreamPattern(&a, 1), 0, 64));
}

TEST(PatternTest, PeriodIsExactlyP) {
  const PatternTable table(3);
  const StreamPattern stream(&table, 5);
  for (uint64_t offset : {0ull, 1ull, 65520ull, 1000000007ull}) {
    EXPECT_EQ(stream.ByteAt(offset), stream.ByteAt(offset + kPeriod)) << offset;
  }
  // No shorter shift lines the stream up with itself (spot checks of the
  // power-of-two sizes a buggy server would drop or repeat).
  for (uint64_t shift : {1ull, 4096ull, 65536ull}) {
    EXPECT_NE(Bytes(stream, 0, 256), Bytes(stream, shift, 256)) << shift;
  }
}

TEST(PatternTest, SpanIsContiguousAcrossThePeriodBoundary) {
  const PatternTable table(9);
  const StreamPattern stream(&table, 11);
  for (uint64_t offset : {uint64_t{0}, uint64_t{kPeriod - 1}, uint64_t{kPeriod - 100},
                          uint64_t{3 * kPeriod + 17}}) {
    const uint8_t* span = stream.Span(offset);
    const std::vector<uint8_t> expected = Bytes(stream, offset, kPeriod);
    EXPECT_EQ(std::vector<uint8_t>(span, span + kPeriod), expected) << offset;
  }
}

TEST(PatternTest, VerifiesAnIntactStreamLongerThanThePeriod) {
  const PatternTable table(5);
  const StreamPattern stream(&table, 2);
  const uint64_t offset = kPeriod - 10;
  const std::vector<uint8_t> data = Bytes(stream, offset, 3 * kPeriod + 5);
  EXPECT_EQ(stream.FirstMismatch(offset, data.data(), data.size()), data.size());
}

TEST(PatternTest, FindsAFlippedBit) {
  const PatternTable table(5);
  const StreamPattern stream(&table, 2);
  for (size_t at : {size_t{0}, size_t{999}, kPeriod + 3, 2 * kPeriod - 1}) {
    std::vector<uint8_t> data = Bytes(stream, 77, 2 * kPeriod);
    data[at] ^= 0x01;
    EXPECT_EQ(stream.FirstMismatch(77, data.data(), data.size()), at);
  }
}

TEST(PatternTest, FindsADroppedByteWithinAFewBytes) {
  const PatternTable table(5);
  const StreamPattern stream(&table, 2);
  std::vector<uint8_t> data = Bytes(stream, 0, 10000);
  data.erase(data.begin() + 4321);
  // Bytes after the gap are shifted; a random byte matches its neighbour
  // with probability 1/256, so detection lands at or just after the gap.
  const size_t found = stream.FirstMismatch(0, data.data(), data.size());
  EXPECT_GE(found, 4321u);
  EXPECT_LT(found, 4321u + 16);
}

TEST(PatternTest, FindsADuplicatedChunk) {
  const PatternTable table(5);
  const StreamPattern stream(&table, 2);
  std::vector<uint8_t> data = Bytes(stream, 0, 8192);
  // The server repeats its last 4 KiB write.
  data.insert(data.begin() + 8192, data.begin() + 4096, data.begin() + 8192);
  const size_t found = stream.FirstMismatch(0, data.data(), data.size());
  EXPECT_GE(found, 8192u);
  EXPECT_LT(found, 8192u + 16);
}

TEST(PatternTest, RejectsAnotherConnectionsBytes) {
  const PatternTable table(5);
  const std::vector<uint8_t> other = Bytes(StreamPattern(&table, 3), 0, 1024);
  EXPECT_LT(StreamPattern(&table, 4).FirstMismatch(0, other.data(), other.size()), 16u);
}

TEST(PatternTest, EmptyInputMatches) {
  const PatternTable table(5);
  EXPECT_EQ(StreamPattern(&table, 0).FirstMismatch(0, nullptr, 0), 0u);
}

}  // namespace
}  // namespace load
}  // namespace echo
