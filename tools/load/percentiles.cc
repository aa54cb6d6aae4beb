#include "tools/load/percentiles.h"

#include <algorithm>

namespace echo {
namespace load {

uint64_t NearestRank(const std::vector<uint64_t>& sorted, unsigned per_mille) {
  const uint64_t n = sorted.size();
  // rank = ceil(per_mille / 1000 * n), in integers so that p99 of 100
  // samples is exactly the 99th, with no floating-point rounding.
  uint64_t rank = (uint64_t{per_mille} * n + 999) / 1000;
  rank = std::clamp<uint64_t>(rank, 1, n);
  return sorted[rank - 1];
}

LatencyRecorder::LatencyRecorder(size_t capacity, uint64_t seed)
    : capacity_(std::max<size_t>(capacity, 1)), random_(Mix64(seed ^ 0x6c6174ULL)) {
  samples_.reserve(capacity_);
}

void LatencyRecorder::Record(uint64_t nanoseconds) {
  ++count_;
  max_ = std::max(max_, nanoseconds);
  if (samples_.size() < capacity_) {
    samples_.push_back(nanoseconds);
    return;
  }
  // Reservoir sampling (Algorithm R): the count_-th sample replaces a kept
  // one with probability capacity / count_.
  const uint64_t slot = random_.Below(count_);
  if (slot < capacity_) samples_[slot] = nanoseconds;
}

LatencySummary LatencyRecorder::Summarize() {
  LatencySummary summary;
  summary.samples = count_;
  summary.exact = count_ <= capacity_;
  if (samples_.empty()) return summary;
  std::sort(samples_.begin(), samples_.end());
  auto us = [](uint64_t ns) { return static_cast<double>(ns) / 1000.0; };
  summary.p50_us = us(NearestRank(samples_, 500));
  summary.p90_us = us(NearestRank(samples_, 900));
  summary.p99_us = us(NearestRank(samples_, 990));
  summary.max_us = us(max_);
  return summary;
}

}  // namespace load
}  // namespace echo
