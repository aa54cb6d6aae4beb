#include "src/server/log.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
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

LogOutput& ProcessOutput() {
  static LogOutput* output = new LogOutput(STDERR_FILENO);  // Never destroyed: logs at exit.
  return *output;
}

// At most one line per write, below PIPE_BUF: a pipe takes it all or nothing.
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

}  // namespace

LogOutput::~LogOutput() {
  if (own_ >= 0) ::close(own_);
}

void LogOutput::Print(const char* prefix, const char* format, ...) {
  va_list args;
  va_start(args, format);
  PrintV(prefix, format, args);
  va_end(args);
}

void LogOutput::PrintV(const char* prefix, const char* format, va_list args) {
  // One buffer and one write, so lines from a future second thread or a
  // child process never interleave mid-line.
  char line[kMaxLine];
  const size_t size = Format(line, prefix, format, args);
  if (!ReportNewDrops() || !TryWrite(line, size)) ++dropped_;
}

void LogOutput::ReportAllDropped(Duration wait) {
  if (dropped_ == 0) return;
  Prepare();
  pollfd p{fd_, POLLOUT, 0};
  ::poll(&p, 1, static_cast<int>(wait.count()));
  if (WriteDropCount(dropped_, /*in_all=*/true)) reported_ = dropped_;
}

// Reports the lines dropped since the last report, if any; false if even
// that would block.
bool LogOutput::ReportNewDrops() {
  if (dropped_ == reported_) return true;
  if (!WriteDropCount(dropped_ - reported_, /*in_all=*/false)) return false;
  reported_ = dropped_;
  return true;
}

bool LogOutput::WriteDropCount(uint64_t count, bool in_all) {
  char line[kMaxLine];
  const size_t size =
      FormatLine(line, "warning: ", "%llu log lines dropped%s: stderr was not writable",
                 static_cast<unsigned long long>(count), in_all ? " in all" : "");
  return TryWrite(line, size);
}

bool LogOutput::TryWrite(const char* line, size_t size) {
  Prepare();
  ssize_t n;
  do {
    n = socket_ ? ::send(fd_, line, size, MSG_DONTWAIT | MSG_NOSIGNAL)
                : ::write(fd_, line, size);
  } while (n < 0 && errno == EINTR);
  return n > 0;
}

// Decides, at the first write, how to write without blocking (see log.h).
void LogOutput::Prepare() {
  if (prepared_) return;
  prepared_ = true;
  fd_ = target_;
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
  ProcessOutput().PrintV(Prefix(level), format, args);
  va_end(args);
}

void LogAlways(const char* format, ...) {
  va_list args;
  va_start(args, format);
  ProcessOutput().PrintV("", format, args);
  va_end(args);
}

void ReportDroppedLogLines(Duration wait) { ProcessOutput().ReportAllDropped(wait); }

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
