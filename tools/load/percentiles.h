// percentiles.h: latency samples and their percentiles.
//
// LatencyRecorder keeps every sample up to a fixed capacity (allocated once,
// so recording never allocates), then switches to reservoir sampling: the
// kept samples stay a uniform random subset of all of them. Percentiles are
// nearest-rank over the kept samples, so they are exact while the count is
// within capacity (a ping-pong connection at 50k msgs/s fills the default
// million in 20 s). The maximum is always exact.

#ifndef ECHO_LAB_TOOLS_LOAD_PERCENTILES_H_
#define ECHO_LAB_TOOLS_LOAD_PERCENTILES_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "tools/load/random.h"

namespace echo {
namespace load {

// The nearest-rank percentile of `sorted` (ascending, not empty): the
// smallest sample with at least `per_mille`/1000 of the samples at or below
// it. per_mille is in [1, 1000]; 500 is the median, 990 is p99.
uint64_t NearestRank(const std::vector<uint64_t>& sorted, unsigned per_mille);

struct LatencySummary {
  uint64_t samples = 0;  // Recorded in total.
  bool exact = true;     // Every sample was kept (no reservoir sampling).
  double p50_us = 0;
  double p90_us = 0;
  double p99_us = 0;
  double max_us = 0;
};

class LatencyRecorder {
 public:
  static constexpr size_t kDefaultCapacity = size_t{1} << 20;

  // Reserves room for `capacity` samples now; `seed` drives the reservoir.
  explicit LatencyRecorder(size_t capacity = kDefaultCapacity, uint64_t seed = 1);

  // One latency, in nanoseconds.
  void Record(uint64_t nanoseconds);

  // Percentiles in microseconds; all zero without samples. Sorts the kept
  // samples in place, so call it once recording is over.
  LatencySummary Summarize();

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
