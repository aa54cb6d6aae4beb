// log.h: the server's one-line log on stderr, filtered by level.
//
// Every line is "echo_server: <message>" (warnings and errors name their
// level), so a log stays greppable and the startup line stays stable for the
// tools that wait for it. Nothing is logged per connection unless the level
// is debug.

#ifndef ECHO_LAB_SERVER_LOG_H_
#define ECHO_LAB_SERVER_LOG_H_

#include <optional>
#include <string>

namespace echo {

enum class LogLevel { kError, kWarn, kInfo, kDebug };

// "error", "warn", "info" or "debug"; nullopt for anything else.
std::optional<LogLevel> ParseLogLevel(const std::string& name);

// Lines above `level` are dropped. The default is kInfo.
void SetLogLevel(LogLevel level);
bool LogEnabled(LogLevel level);

// printf-style; a newline is added.
void Log(LogLevel level, const char* format, ...)
    __attribute__((format(printf, 2, 3)));

// A line printed at every level: the startup line, which tools read to learn
// the port when the server was started with --port 0.
void LogAlways(const char* format, ...) __attribute__((format(printf, 1, 2)));

}  // namespace echo

#endif  // ECHO_LAB_SERVER_LOG_H_
