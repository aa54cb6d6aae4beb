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

#include <cstdarg>
#include <cstddef>
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

// For exit: if lines were dropped, says how many in all, waiting up to
// `wait` for stderr to take that one line.
void ReportDroppedLogLines(Duration wait);

// Where log lines go: a descriptor written without ever blocking. Log() and
// the functions above write to the process's one, on stderr; a test makes
// its own on a pipe or a file.
//
// A line is written whole or not at all (at most 1 KiB, less than a pipe
// takes atomically). One that would block is dropped and counted, and the
// count is written as a warning line of its own before the next line that
// gets through. The descriptor's own open file description is never made
// non-blocking, since others (a shell, a supervisor) may share it: a pipe or
// terminal is reopened through /proc with O_NONBLOCK, a socket written with
// MSG_DONTWAIT, a regular file written as it is (it does not stall).
class LogOutput {
 public:
  // Writes to `fd`, which stays the caller's and must outlive this output.
  explicit LogOutput(int fd) : target_(fd) {}
  ~LogOutput();
  LogOutput(const LogOutput&) = delete;
  LogOutput& operator=(const LogOutput&) = delete;

  // Writes "echo_server: <prefix><message>\n", the message printf-style and
  // cut to fit the line.
  void Print(const char* prefix, const char* format, ...)
      __attribute__((format(printf, 3, 4)));
  void PrintV(const char* prefix, const char* format, va_list args);

  // Lines dropped so far because the output would have blocked.
  [[nodiscard]] uint64_t dropped() const { return dropped_; }

  // If any line was ever dropped, writes how many in all, waiting up to
  // `wait` for the output to take that one line.
  void ReportAllDropped(Duration wait);

 private:
  bool TryWrite(const char* line, size_t size);
  bool ReportNewDrops();
  bool WriteDropCount(uint64_t count, bool in_all);
  void Prepare();

  int target_;
  int fd_ = -1;   // What is written: `target_`, or own_.
  int own_ = -1;  // A non-blocking reopening of `target_`, if one was made.
  bool socket_ = false;
  bool prepared_ = false;
  uint64_t dropped_ = 0;   // Lines lost so far.
  uint64_t reported_ = 0;  // Of which a report has been written.
};

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
