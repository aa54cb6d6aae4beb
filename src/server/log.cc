#include "src/server/log.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <string>

namespace echo {
namespace {

LogLevel g_level = LogLevel::kInfo;

const char* Prefix(LogLevel level) {
  switch (level) {
    case LogLevel::kError: return "error: ";
    case LogLevel::kWarn: return "warning: ";
    case LogLevel::kInfo:
    case LogLevel::kDebug: return "";
  }
  return "";
}

// The log's output, written without ever blocking. stderr's own open file
// description may be shared with other processes (a shell, a supervisor), so
// it is never switched to non-blocking: a pipe or terminal is opened anew
// through /proc with O_NONBLOCK, a socket is written with MSG_DONTWAIT. A
// regular file is written as it is (it does not stall the way a reader can).
class Output {
 public:
  // Writes `line` whole, or not at all if that would block. A line is at
  // most 1 KiB, below PIPE_BUF, so a pipe takes it all or nothing.
  bool TryWrite(const char* line, size_t size) {
    Prepare();
    ssize_t n;
    do {
      n = socket_ ? ::send(fd_, line, size, MSG_DONTWAIT | MSG_NOSIGNAL)
                  : ::write(fd_, line, size);
    } while (n < 0 && errno == EINTR);
    return n > 0;
  }

  // Waits up to `wait` for the output to take a line.
  void AwaitWritable(Duration wait) {
    Prepare();
    pollfd p{fd_, POLLOUT, 0};
    ::poll(&p, 1, static_cast<int>(wait.count()));
  }

  void Reset(int fd) {
    if (own_ >= 0) ::close(own_);
    own_ = -1;
    target_ = fd;
    prepared_ = false;
  }

  uint64_t dropped = 0;   // Lines lost so far.
  uint64_t reported = 0;  // Of which a report has been written.

 private:
  void Prepare() {
    if (prepared_) return;
    prepared_ = true;
    fd_ = target_;
    socket_ = false;
    struct stat st{};
    if (::fstat(target_, &st) != 0) return;
    if (S_ISSOCK(st.st_mode)) {
      socket_ = true;
    } else if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)) {
      const std::string path = "/proc/self/fd/" + std::to_string(target_);
      own_ = ::open(path.c_str(), O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
      if (own_ >= 0) fd_ = own_;
    }
  }

  int target_ = STDERR_FILENO;
  int fd_ = STDERR_FILENO;
  int own_ = -1;
  bool socket_ = false;
  bool prepared_ = false;
};

Output& TheOutput() {
  static Output* output = new Output();  // Never destroyed: logs at exit.
  return *output;
}

constexpr size_t kMaxLine = 1024;

size_t Format(char (&line)[kMaxLine], const char* prefix, const char* format, va_list args) {
  int n = std::snprintf(line, sizeof(line), "echo_server: %s", prefix);
  n += std::vsnprintf(line + n, sizeof(line) - n - 1, format, args);
  if (n > static_cast<int>(sizeof(line)) - 2) n = sizeof(line) - 2;
  line[n] = '\n';
  return static_cast<size_t>(n) + 1;
}

size_t FormatLine(char (&line)[kMaxLine], const char* prefix, const char* format, ...)
    __attribute__((format(printf, 3, 4)));
size_t FormatLine(char (&line)[kMaxLine], const char* prefix, const char* format, ...) {
  va_list args;
  va_start(args, format);
  const size_t size = Format(line, prefix, format, args);
  va_end(args);
  return size;
}

// Reports lines dropped since the last report, if any; false if even that
// would block.
bool ReportNewDrops(Output& out) {
  if (out.dropped == out.reported) return true;
  char line[kMaxLine];
  const size_t size = FormatLine(line, "warning: ", "%llu log lines dropped: stderr was not writable",
                                 static_cast<unsigned long long>(out.dropped - out.reported));
  if (!out.TryWrite(line, size)) return false;
  out.reported = out.dropped;
  return true;
}

void WriteLine(const char* prefix, const char* format, va_list args) {
  // One buffer and one write, so lines from a future second thread or a
  // child process never interleave mid-line.
  char line[kMaxLine];
  const size_t size = Format(line, prefix, format, args);
  Output& out = TheOutput();
  if (!ReportNewDrops(out) || !out.TryWrite(line, size)) ++out.dropped;
}

}  // namespace

std::optional<LogLevel> ParseLogLevel(const std::string& name) {
  if (name == "error") return LogLevel::kError;
  if (name == "warn") return LogLevel::kWarn;
  if (name == "info") return LogLevel::kInfo;
  if (name == "debug") return LogLevel::kDebug;
  return std::nullopt;
}

void SetLogLevel(LogLevel level) { g_level = level; }

bool LogEnabled(LogLevel level) { return level <= g_level; }

void Log(LogLevel level, const char* format, ...) {
  if (!LogEnabled(level)) return;
  va_list args;
  va_start(args, format);
  WriteLine(Prefix(level), format, args);
  va_end(args);
}

void LogAlways(const char* format, ...) {
  va_list args;
  va_start(args, format);
  WriteLine("", format, args);
  va_end(args);
}

void SetLogOutput(int fd) { TheOutput().Reset(fd); }

uint64_t DroppedLogLines() { return TheOutput().dropped; }

void ReportDroppedLogLines(Duration wait) {
  Output& out = TheOutput();
  if (out.dropped == 0) return;
  out.AwaitWritable(wait);
  char line[kMaxLine];
  const size_t size = FormatLine(line, "warning: ", "%llu log lines dropped in all: stderr was not writable",
                                 static_cast<unsigned long long>(out.dropped));
  if (out.TryWrite(line, size)) out.reported = out.dropped;
}

bool LogRateLimit::Allow(Instant now) {
  if (last_ && now - *last_ < interval_) {
    ++suppressed_;
    return false;
  }
  last_ = now;
  return true;
}

uint64_t LogRateLimit::TakeSuppressed() {
  const uint64_t suppressed = suppressed_;
  suppressed_ = 0;
  return suppressed;
}

}  // namespace echo
