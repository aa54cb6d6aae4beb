// Tests for WriteQueue: FIFO order, partial consumption across blocks,
// watermark hysteresis, large and empty appends, memory release.

#include "src/core/write_queue.h"

#include <string>

#include "gtest/gtest.h"

namespace echo {
namespace {

ByteView View(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Drains the queue front by front, `step` bytes at a time.
std::string Drain(WriteQueue& queue, size_t step) {
  std::string out;
  while (!queue.empty()) {
    const ByteView front = queue.Front();
    EXPECT_FALSE(front.empty());
    const size_t n = std::min(step, front.size);
    out.append(reinterpret_cast<const char*>(front.data), n);
    queue.Consume(n);
  }
  return out;
}

std::string Pattern(size_t size, char seed) {
  std::string s(size, '\0');
  for (size_t i = 0; i < size; ++i) s[i] = static_cast<char>(seed + i * 7);
  return s;
}

TEST(WriteQueueTest, StartsEmptyWithFullRoom) {
  WriteQueue queue({4, 10});
  EXPECT_TRUE(queue.empty());
  EXPECT_EQ(queue.size(), 0u);
  EXPECT_TRUE(queue.Front().empty());
  EXPECT_EQ(queue.room(), 10u);
}

TEST(WriteQueueTest, EmptyAppendChangesNothing) {
  WriteQueue queue;
  queue.Append({});
  EXPECT_TRUE(queue.empty());
  EXPECT_TRUE(queue.Front().empty());
}

TEST(WriteQueueTest, PartialConsumeKeepsOrder) {
  WriteQueue queue;
  queue.Append(View("hello "));
  queue.Append(View("world"));
  EXPECT_EQ(queue.size(), 11u);
  EXPECT_EQ(Drain(queue, 3), "hello world");
  EXPECT_TRUE(queue.empty());
}

TEST(WriteQueueTest, ConsumeSpanningSeveralBlocks) {
  WriteQueue queue({1 << 20, 1 << 20});
  const std::string a = Pattern(5000, 'a');  // Fills one block and spills.
  const std::string b = Pattern(9000, 'b');
  queue.Append(View(a));
  queue.Append(View(b));
  queue.Consume(4999);
  queue.Consume(2);  // Crosses a block boundary.
  EXPECT_EQ(queue.size(), a.size() + b.size() - 5001);
  EXPECT_EQ(Drain(queue, 1000), (a + b).substr(5001));
}

TEST(WriteQueueTest, LargeAppendIsOneContiguousFront) {
  WriteQueue queue({1 << 20, 8 << 20});
  const std::string big = Pattern(3 << 20, 'x');
  queue.Append(View(big));
  EXPECT_EQ(queue.Front().size, big.size());
  EXPECT_EQ(Drain(queue, 1 << 16), big);
}

TEST(WriteQueueTest, ManySmallAppendsShareBlocks) {
  WriteQueue queue;
  std::string expected;
  for (int i = 0; i < 1000; ++i) {
    const std::string piece = Pattern(1 + i % 13, static_cast<char>(i));
    expected += piece;
    queue.Append(View(piece));
  }
  // Small appends are packed: the front block holds more than one append.
  EXPECT_GT(queue.Front().size, 13u);
  EXPECT_EQ(Drain(queue, 17), expected);
}

TEST(WriteQueueTest, ConsumeMoreThanQueuedEmptiesIt) {
  WriteQueue queue;
  queue.Append(View("abc"));
  queue.Consume(100);
  EXPECT_TRUE(queue.empty());
  EXPECT_TRUE(queue.Front().empty());
}

TEST(WriteQueueTest, RoomShrinksAsBytesQueue) {
  WriteQueue queue({4, 10});
  queue.Append(View("abc"));
  EXPECT_EQ(queue.room(), 7u);
}

TEST(WriteQueueTest, HighWatermarkPausesUntilLowWatermark) {
  WriteQueue queue({4, 10});
  queue.Append(View(Pattern(10, 'p')));
  EXPECT_EQ(queue.room(), 0u);
  queue.Consume(5);  // 5 left: above low, still paused (hysteresis).
  EXPECT_EQ(queue.room(), 0u);
  queue.Consume(1);  // 4 left: at low, resumes.
  EXPECT_EQ(queue.room(), 6u);
}

TEST(WriteQueueTest, OverfilledQueueReportsNoRoomWithoutUnderflow) {
  WriteQueue queue({2, 4});
  queue.Append(View(Pattern(9, 'o')));  // Caller ignored room().
  EXPECT_EQ(queue.room(), 0u);
  EXPECT_EQ(queue.size(), 9u);
}

// A zero high watermark is raised to 1; a low one above the high one acts
// as equal to it: the queue resumes as soon as it is below the high one.
TEST(WriteQueueTest, InvalidWatermarksAreClamped) {
  WriteQueue zero_high({50, 0});
  EXPECT_EQ(zero_high.room(), 1u);
  zero_high.Append(View("x"));
  EXPECT_EQ(zero_high.room(), 0u);
  WriteQueue low_above_high({50, 10});
  low_above_high.Append(View(Pattern(10, 'c')));
  EXPECT_EQ(low_above_high.room(), 0u);
  low_above_high.Consume(1);
  EXPECT_EQ(low_above_high.room(), 1u);
}

TEST(WriteQueueTest, ClearDropsEverythingAndResumes) {
  WriteQueue queue({1, 4});
  queue.Append(View("abcdef"));
  ASSERT_EQ(queue.room(), 0u);
  queue.Clear();
  EXPECT_TRUE(queue.empty());
  EXPECT_EQ(queue.room(), 4u);
}

TEST(WriteQueueTest, IsUsableAfterDrainingCompletely) {
  WriteQueue queue;
  queue.Append(View("first"));
  EXPECT_EQ(Drain(queue, 100), "first");
  queue.Append(View("second"));
  EXPECT_EQ(Drain(queue, 100), "second");
}

}  // namespace
}  // namespace echo
