// error_log.h: ErrorKind, what a failed connection says about the server,
// and ErrorLog, every error of a run counted (in total and per kind) with
// the first few descriptions kept.
//
// A server under fault injection may rightly close a connection (its socket
// failed), but it must never send a wrong byte nor leave a connection
// hanging; the total error count cannot tell those apart, the kinds can
// (tools/faults reads them from --json). A broken server can fail thousands
// of connections the same way: the report needs the counts and a handful
// of examples, not all of them.

#ifndef ECHO_LAB_TOOLS_LOAD_ERROR_LOG_H_
#define ECHO_LAB_TOOLS_LOAD_ERROR_LOG_H_

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace echo {
namespace load {

enum class ErrorKind {
  kWrongData,  // A byte that differs from what was sent, or one never sent.
  kClosed,     // Unexpected EOF, a reset or a socket error: the connection
               // was lost before it was done.
  kStalled,    // Nothing moved within --timeout: a connect, an echo, an EOF.
  kOther,      // Failures of the client's own calls, and refused connects.
};

constexpr size_t kErrorKindCount = 4;

// Every kind, in the order --json lists them.
constexpr ErrorKind kErrorKinds[kErrorKindCount] = {
    ErrorKind::kWrongData, ErrorKind::kClosed, ErrorKind::kStalled, ErrorKind::kOther};

// The kind's name in --json: "wrong_data", "closed", "stalled" or "other".
inline const char* ErrorKindName(ErrorKind kind) {
  static const char* const kNames[kErrorKindCount] = {"wrong_data", "closed", "stalled",
                                                       "other"};
  return kNames[static_cast<size_t>(kind)];
}

struct ErrorCounts {
  uint64_t& operator[](ErrorKind kind) { return counts[static_cast<size_t>(kind)]; }
  uint64_t operator[](ErrorKind kind) const { return counts[static_cast<size_t>(kind)]; }

  uint64_t counts[kErrorKindCount] = {};
};

class ErrorLog {
 public:
  static constexpr size_t kMaxSamples = 5;

  void Add(ErrorKind kind, std::string description) {
    ++count_;
    ++by_kind_[kind];
    if (samples_.size() < kMaxSamples) samples_.push_back(std::move(description));
  }

  uint64_t count() const { return count_; }
  const ErrorCounts& by_kind() const { return by_kind_; }
  // The first kMaxSamples descriptions, in the order they happened.
  const std::vector<std::string>& samples() const { return samples_; }

 private:
  uint64_t count_ = 0;
  ErrorCounts by_kind_;
  std::vector<std::string> samples_;
};

// printf into a std::string, for error descriptions and the summary line:
// short fixed formats only (the result is cut at 255 bytes).
template <typename... Args>
std::string StringPrintf(const char* format, Args... args) {
  char text[256];
  std::snprintf(text, sizeof(text), format, args...);
  return text;
}

}  // namespace load
}  // namespace echo

#endif  // ECHO_LAB_TOOLS_LOAD_ERROR_LOG_H_
