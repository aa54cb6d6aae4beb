// log.h: the server's one-line log on stderr, filtered by level.
//
// Every line is "echo_server: <message>" (warnings and errors name their
// level), so a log stays greppable and the startup line stays stable for the
// tools that wait for it. Nothing is logged per connection unless the level
// is debug.
//
// Logging never blocks the event loop: when whatever reads stderr stalls (a
// full pipe, a stopped journald, a paused terminal), lines are dropped and
// counted instead, and the count is reported as soon as a line gets through
// again, and at exit (ReportDroppedLogLines). Warnings that a hostile client
// can repeat at will go through a LogRateLimit.

#ifndef ECHO_LAB_SERVER_LOG_H_
#define ECHO_LAB_SERVER_LOG_H_

#include <cstdint>
#include <optional>
#include <string>

#include "src/core/monotonic_time.h"

namespace echo {

enum class LogLevel { kError, kWarn, kInfo, kDebug };

// "error", "warn", "info" or "debug"; nullopt for anything else.
[[nodiscard]] std::optional<LogLevel> ParseLogLevel(const std::string& name);

// Lines above `level` are dropped. The default is kInfo.
void SetLogLevel(LogLevel level);
[[nodiscard]] bool LogEnabled(LogLevel level);

// printf-style; a newline is added.
void Log(LogLevel level, const char* format, ...)
    __attribute__((format(printf, 2, 3)));

// A line printed at every level: the startup line, which tools read to learn
// the port when the server was started with --port 0.
void LogAlways(const char* format, ...) __attribute__((format(printf, 1, 2)));

// Sends log lines to `fd` instead of stderr (tests). The caller keeps it
// open while logging.
void SetLogOutput(int fd);

// Lines dropped so far because the output would have blocked.
[[nodiscard]] uint64_t DroppedLogLines();

// For exit: if lines were dropped, says how many in all, waiting up to
// `wait` for the output to take that one line.
void ReportDroppedLogLines(Duration wait);

// Lets one line through per `interval`, and counts the lines held back in
// between, so a repeated warning costs one line per interval, not one per
// event.
class LogRateLimit {
 public:
  explicit LogRateLimit(Duration interval) : interval_(interval) {}

  // True if a line may be logged at `now`; otherwise counts one held back.
  [[nodiscard]] bool Allow(Instant now);
  // Lines held back since the last allowed one; resets the count.
  [[nodiscard]] uint64_t TakeSuppressed();

 private:
  Duration interval_;
  std::optional<Instant> last_;  // When the last line was let through.
  uint64_t suppressed_ = 0;
};

}  // namespace echo

#endif  // ECHO_LAB_SERVER_LOG_H_
