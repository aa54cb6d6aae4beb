// error_log.h: ErrorLog, every error of a run counted, the first few kept.
//
// A broken server can fail thousands of connections the same way; the
// report needs the counts (in total and per ErrorKind) and a handful of
// examples, not all of them.

#ifndef ECHO_LAB_TOOLS_LOAD_ERROR_LOG_H_
#define ECHO_LAB_TOOLS_LOAD_ERROR_LOG_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "tools/load/error_kind.h"

namespace echo {
namespace load {

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

}  // namespace load
}  // namespace echo

#endif  // ECHO_LAB_TOOLS_LOAD_ERROR_LOG_H_
