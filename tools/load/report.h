// report.h: LoadReport, everything a run measured, and its two renderings,
// the summary line and the JSON object (see README.md), which decide what
// each mode shows; and IntervalLog, the bounded per-second timeline.

#ifndef ECHO_LAB_TOOLS_LOAD_REPORT_H_
#define ECHO_LAB_TOOLS_LOAD_REPORT_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tools/load/error_log.h"
#include "tools/load/flags.h"
#include "tools/load/percentiles.h"

namespace echo {
namespace load {

// What a run did in one stretch of time: an entry of the timeline.
struct Interval {
  double start = 0;    // Seconds since the run started.
  double seconds = 0;  // Its length.
  uint64_t bytes_sent = 0;
  uint64_t bytes_verified = 0;
  uint64_t messages = 0;
  uint64_t errors = 0;
};

// One sample a second in at most kMaxIntervals entries: once full,
// neighbours merge in pairs and each entry from then on spans twice as many
// samples, so the timeline keeps covering the whole run.
class IntervalLog {
 public:
  static constexpr size_t kMaxIntervals = 600;

  void Add(const Interval& sample);
  const std::vector<Interval>& intervals() const { return intervals_; }

 private:
  std::vector<Interval> intervals_;
  size_t samples_per_interval_ = 1;
  size_t samples_in_last_ = 0;
};

struct HalfCloseResult {
  uint64_t eof_after_full_echo = 0;  // Connections that got it all, then EOF.
};

struct SlowReaderResult {
  // Bytes each connection's socket accepted before --duration ran out
  // (min, median, max over connections): what backpressure let through.
  uint64_t accepted_min = 0;
  uint64_t accepted_median = 0;
  uint64_t accepted_max = 0;
  uint64_t stalled = 0;          // Still blocked on a full socket at the end.
  uint64_t fully_read_back = 0;  // Got every accepted byte back in time.
};

struct ChurnResult {
  uint64_t opened = 0;           // Connects that succeeded.
  uint64_t closed_by_reset = 0;  // Reset right after sending.
  uint64_t verified = 0;         // Full echo verified, then a clean close.
};

struct IdleResult {
  uint64_t open_at_end = 0;  // Still open after --duration without traffic.
  uint64_t alive = 0;        // Of those, echoed the liveness message.
  uint64_t fd_limit = 0;     // RLIMIT_NOFILE soft limit during the run.
};

struct LoadReport {
  LoadOptions options;     // The run's: target, mode and its parameters.
  std::string start_time;  // ISO 8601, UTC: "2026-11-03T09:14:07Z".
  std::vector<Interval> intervals;

  double seconds = 0;           // The measured phase.
  uint64_t bytes_sent = 0;      // Whole run.
  uint64_t bytes_verified = 0;  // Whole run.
  uint64_t messages = 0;        // Echoes completed in the measured phase.
  double mb_per_s = 0;          // Verified bytes / s in the measured phase.
  double msgs_per_s = 0;

  std::optional<LatencySummary> latency;  // ping-pong
  std::optional<HalfCloseResult> half_close;
  std::optional<SlowReaderResult> slow_readers;
  std::optional<ChurnResult> churn;
  std::optional<IdleResult> idle;

  bool interrupted = false;  // Stopped early by SIGINT or SIGTERM.
  ErrorLog errors;
};

// One line without '\n', e.g. "echo_load bulk: 16 conns, 4096 B x 4 in
// flight, 10.0 s: 1234.5 MB/s, 301234 msgs/s, 0 errors", then
// " (interrupted)" if the run was stopped early.
std::string FormatSummaryLine(const LoadReport& report);

// One JSON object on one line; `end` holds the fields that apply to the
// mode. Numbers that are not finite are written as 0 and bytes that are not
// UTF-8 as U+FFFD, so that the output is valid JSON whatever happened.
std::string FormatJson(const LoadReport& report);

}  // namespace load
}  // namespace echo

#endif  // ECHO_LAB_TOOLS_LOAD_REPORT_H_
