// percentiles.h: latency samples and their nearest-rank percentiles: exact
// up to a capacity allocated once (recording never allocates), then over a
// reservoir sample, a uniform random subset. The maximum is always exact.

#ifndef ECHO_LAB_TOOLS_LOAD_PERCENTILES_H_
#define ECHO_LAB_TOOLS_LOAD_PERCENTILES_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "tools/load/pattern.h"

namespace echo {
namespace load {

// The nearest-rank percentile of `sorted` (ascending, not empty): the
// smallest sample with at least `per_mille`/1000 of the samples at or below
// it. per_mille is in [1, 1000]; 500 is the median, 990 is p99.
inline uint64_t NearestRank(const std::vector<uint64_t>& sorted, unsigned per_mille) {
  // ceil(per_mille / 1000 * n) in integers: p99 of 100 samples is exactly
  // the 99th, with no floating-point rounding.
  const uint64_t rank = (uint64_t{per_mille} * sorted.size() + 999) / 1000;
  return sorted[std::clamp<uint64_t>(rank, 1, sorted.size()) - 1];
}

struct LatencySummary {
  uint64_t samples = 0;  // Recorded in total.
  bool exact = true;     // Every sample was kept (no reservoir sampling).
  double p50_us = 0, p90_us = 0, p99_us = 0, max_us = 0;
};

class LatencyRecorder {
 public:
  static constexpr size_t kDefaultCapacity = size_t{1} << 20;

  // Reserves room for `capacity` samples now; `seed` drives the reservoir.
  explicit LatencyRecorder(size_t capacity = kDefaultCapacity, uint64_t seed = 1)
      : capacity_(std::max<size_t>(capacity, 1)), random_(Mix64(seed ^ 0x6c6174ULL)) {
    samples_.reserve(capacity_);
  }

  // One latency, in nanoseconds.
  void Record(uint64_t nanoseconds) {
    ++count_;
    max_ = std::max(max_, nanoseconds);
    if (samples_.size() < capacity_) {
      samples_.push_back(nanoseconds);
      return;
    }
    // Algorithm R: the count_-th sample replaces a kept one with probability
    // capacity / count_.
    const uint64_t slot = random_.Below(count_);
    if (slot < capacity_) samples_[slot] = nanoseconds;
  }

  // Percentiles in microseconds; all zero without samples. Sorts the kept
  // samples in place, so call it once recording is over.
  LatencySummary Summarize() {
    LatencySummary summary{count_, count_ <= capacity_};
    if (samples_.empty()) return summary;
    std::sort(samples_.begin(), samples_.end());
    auto us = [](uint64_t ns) { return static_cast<double>(ns) / 1000.0; };
    summary.p50_us = us(NearestRank(samples_, 500));
    summary.p90_us = us(NearestRank(samples_, 900));
    summary.p99_us = us(NearestRank(samples_, 990));
    summary.max_us = us(max_);
    return summary;
  }

 private:
  size_t capacity_;
  std::vector<uint64_t> samples_;
  uint64_t count_ = 0;
  uint64_t max_ = 0;
  Random random_;
};

}  // namespace load
}  // namespace echo

#endif  // ECHO_LAB_TOOLS_LOAD_PERCENTILES_H_
