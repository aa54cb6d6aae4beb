// error_kind.h: ErrorKind, what a failed connection says about the server,
// and ErrorCounts, how many errors of each kind a run saw.
//
// A server under fault injection may rightly close a connection (its socket
// failed), but it must never send a wrong byte nor leave a connection
// hanging; the total error count cannot tell those apart, the kinds can
// (tools/faults reads them from --json).

#ifndef ECHO_LAB_TOOLS_LOAD_ERROR_KIND_H_
#define ECHO_LAB_TOOLS_LOAD_ERROR_KIND_H_

#include <cstddef>
#include <cstdint>

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

// The kind's name in --json: "wrong_data", "closed", "stalled" or "other".
inline const char* ErrorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kWrongData: return "wrong_data";
    case ErrorKind::kClosed: return "closed";
    case ErrorKind::kStalled: return "stalled";
    case ErrorKind::kOther: return "other";
  }
  return "other";
}

// Every kind, in the order --json lists them.
constexpr ErrorKind kErrorKinds[kErrorKindCount] = {
    ErrorKind::kWrongData, ErrorKind::kClosed, ErrorKind::kStalled, ErrorKind::kOther};

struct ErrorCounts {
  uint64_t& operator[](ErrorKind kind) { return counts[static_cast<size_t>(kind)]; }
  uint64_t operator[](ErrorKind kind) const { return counts[static_cast<size_t>(kind)]; }

  uint64_t counts[kErrorKindCount] = {};
};

}  // namespace load
}  // namespace echo

#endif  // ECHO_LAB_TOOLS_LOAD_ERROR_KIND_H_
