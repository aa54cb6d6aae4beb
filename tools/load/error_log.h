// error_log.h: ErrorKind, ErrorLog (a run's errors in total and per kind,
// and the first few descriptions) and StringPrintf() for those. Under fault
// injection a server may rightly close a connection, but never send a wrong
// byte nor hang one: the kinds tell those apart (tools/faults reads them).

#ifndef ECHO_LAB_TOOLS_LOAD_ERROR_LOG_H_
#define ECHO_LAB_TOOLS_LOAD_ERROR_LOG_H_

#include <array>
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
  kClosed,     // Unexpected EOF, a reset or a socket error.
  kStalled,    // Nothing moved within --timeout: a connect, an echo, an EOF.
  kOther,      // Failures of the client's own calls, and refused connects.
};

// The kinds' names in --json, in the order of ErrorKind.
constexpr const char* kErrorKindNames[] = {"wrong_data", "closed", "stalled", "other"};

class ErrorLog {
 public:
  static constexpr size_t kMaxSamples = 5;

  void Add(ErrorKind kind, std::string description) {
    ++count_;
    ++by_kind_[static_cast<size_t>(kind)];
    if (samples_.size() < kMaxSamples) samples_.push_back(std::move(description));
  }

  uint64_t count() const { return count_; }
  // Indexed by ErrorKind, named by kErrorKindNames.
  const std::array<uint64_t, std::size(kErrorKindNames)>& by_kind() const { return by_kind_; }
  // The first kMaxSamples descriptions, in the order they happened.
  const std::vector<std::string>& samples() const { return samples_; }

 private:
  uint64_t count_ = 0;
  std::array<uint64_t, std::size(kErrorKindNames)> by_kind_ = {};
  std::vector<std::string> samples_;
};

// printf into a std::string, for short fixed formats (cut at 255 bytes).
template <typename... Args>
std::string StringPrintf(const char* format, Args... args) {
  char text[256];
  std::snprintf(text, sizeof(text), format, args...);
  return text;
}

}  // namespace load
}  // namespace echo

#endif  // ECHO_LAB_TOOLS_LOAD_ERROR_LOG_H_
