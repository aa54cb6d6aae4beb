// Tests for LatencyRecorder and NearestRank: exact percentiles from known
// samples, the reservoir's bounds, and the empty case.

#include "tools/load/percentiles.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "gtest/gtest.h"

namespace echo {
namespace load {
namespace {

TEST(PercentilesTest, NearestRankOfOneToHundred) {
  std::vector<uint64_t> sorted;
  for (uint64_t v = 1; v <= 100; ++v) sorted.push_back(v);
  EXPECT_EQ(NearestRank(sorted, 500), 50u);
  EXPECT_EQ(NearestRank(sorted, 900), 90u);
  EXPECT_EQ(NearestRank(sorted, 990), 99u);
  EXPECT_EQ(NearestRank(sorted, 1000), 100u);
  EXPECT_EQ(NearestRank(sorted, 1), 1u);
}

TEST(PercentilesTest, NearestRankRoundsUp) {
  // Ten samples: p50 is the 5th, p90 the 9th, p99 the 10th (ceil(9.9)).
  const std::vector<uint64_t> sorted = {10, 20, 30, 40, 50, 60, 70, 80, 90, 100};
  EXPECT_EQ(NearestRank(sorted, 500), 50u);
  EXPECT_EQ(NearestRank(sorted, 900), 90u);
  EXPECT_EQ(NearestRank(sorted, 990), 100u);
  EXPECT_EQ(NearestRank({7}, 500), 7u);
}

TEST(PercentilesTest, SummaryOfShuffledSamplesIsExact) {
  LatencyRecorder recorder(1000, 1);
  // 1000 samples of 1..1000 microseconds, recorded out of order.
  for (uint64_t i = 0; i < 1000; ++i) recorder.Record(((i * 617) % 1000 + 1) * 1000);
  const LatencySummary s = recorder.Summarize();
  EXPECT_EQ(s.samples, 1000u);
  EXPECT_TRUE(s.exact);
  EXPECT_DOUBLE_EQ(s.p50_us, 500.0);
  EXPECT_DOUBLE_EQ(s.p90_us, 900.0);
  EXPECT_DOUBLE_EQ(s.p99_us, 990.0);
  EXPECT_DOUBLE_EQ(s.max_us, 1000.0);
}

TEST(PercentilesTest, KeepsNanosecondResolution) {
  LatencyRecorder recorder(16, 1);
  recorder.Record(12'345);
  const LatencySummary s = recorder.Summarize();
  EXPECT_DOUBLE_EQ(s.p50_us, 12.345);
  EXPECT_DOUBLE_EQ(s.max_us, 12.345);
}

TEST(PercentilesTest, OutlierOnlyMovesTheMaxAndTail) {
  LatencyRecorder recorder(1000, 1);
  for (int i = 0; i < 999; ++i) recorder.Record(20'000);
  recorder.Record(5'000'000);
  const LatencySummary s = recorder.Summarize();
  EXPECT_DOUBLE_EQ(s.p50_us, 20.0);
  EXPECT_DOUBLE_EQ(s.p99_us, 20.0);
  EXPECT_DOUBLE_EQ(s.max_us, 5000.0);
}

TEST(PercentilesTest, ReservoirBeyondCapacityStaysRepresentative) {
  LatencyRecorder recorder(1000, 7);
  // 100,000 samples uniform over 1..100,000 ns: the kept thousand estimate
  // the median within a few percent, and the max stays exact.
  for (uint64_t i = 0; i < 100'000; ++i) recorder.Record((i * 7919) % 100'000 + 1);
  const LatencySummary s = recorder.Summarize();
  EXPECT_EQ(s.samples, 100'000u);
  EXPECT_FALSE(s.exact);
  EXPECT_NEAR(s.p50_us, 50.0, 5.0);
  EXPECT_DOUBLE_EQ(s.max_us, 100.0);
}

TEST(PercentilesTest, NoSamplesGiveZeros) {
  LatencyRecorder recorder(16, 1);
  const LatencySummary s = recorder.Summarize();
  EXPECT_EQ(s.samples, 0u);
  EXPECT_DOUBLE_EQ(s.p50_us, 0.0);
  EXPECT_DOUBLE_EQ(s.max_us, 0.0);
}

}  // namespace
}  // namespace load
}  // namespace echo
