#include "src/server/log.h"

#include <cstdarg>
#include <cstdio>

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

namespace {

void WriteLine(const char* prefix, const char* format, va_list args) {
  // One buffer and one write, so lines from a future second thread or a
  // child process never interleave mid-line.
  char line[1024];
  int n = std::snprintf(line, sizeof(line), "echo_server: %s", prefix);
  n += std::vsnprintf(line + n, sizeof(line) - n - 1, format, args);
  if (n > static_cast<int>(sizeof(line)) - 2) n = sizeof(line) - 2;
  line[n] = '\n';
  std::fwrite(line, 1, n + 1, stderr);
}

}  // namespace

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

}  // namespace echo
