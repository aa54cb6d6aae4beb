// report.h: LoadReport, everything a run measured, and its two renderings:
// the one-line summary and the JSON object (--json).
//
// Only presentation lives here: the modes fill the numbers, this file
// decides which of them each mode shows and how. MB means 10^6 bytes.

#ifndef ECHO_LAB_TOOLS_LOAD_REPORT_H_
#define ECHO_LAB_TOOLS_LOAD_REPORT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tools/load/error_log.h"
#include "tools/load/flags.h"
#include "tools/load/percentiles.h"

namespace echo {
namespace load {

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
  Mode mode = Mode::kBulk;
  uint64_t connections = 0;  // As requested (churn: at once).
  uint64_t message_size = 0;
  uint64_t in_flight = 0;
  uint64_t bytes_per_connection = 0;
  uint64_t seed = 0;

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

  uint64_t errors = 0;
  ErrorCounts errors_by_kind;  // Adds up to `errors`.
  std::vector<std::string> error_samples;  // The first few, in order.
};

// One line without '\n', e.g. "echo_load bulk: 16 conns, 4096 B x 4 in
// flight, 10.0 s: 1234.5 MB/s, 301234 msgs/s, 0 errors".
std::string FormatSummaryLine(const LoadReport& report);

// One JSON object on one line, without '\n': every field of the report
// that applies to its mode, latency_us {p50, p90, p99, max} for ping-pong,
// errors_by_kind {wrong_data, closed, stalled, other} always.
std::string FormatJson(const LoadReport& report);

// `text` as a JSON string literal, quotes included.
std::string JsonString(std::string_view text);

}  // namespace load
}  // namespace echo

#endif  // ECHO_LAB_TOOLS_LOAD_REPORT_H_
