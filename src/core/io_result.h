// io_result.h: IoResult, the outcome of one socket operation, and the one
// place where raw system-call outcomes (return value + errno) are mapped to it.
//
// Callers of a Socket never look at errno: they switch on IoResult::status.
// Both result types are [[nodiscard]]: an operation whose outcome nobody
// reads is a lost byte count, or an error that never closes anything.
// The mapping and the EINTR retry loop live here, in plain functions over
// integers, so that the POSIX socket and the fake sockets used by tests and
// fuzzers share exactly the same translation.

#ifndef ECHO_LAB_CORE_IO_RESULT_H_
#define ECHO_LAB_CORE_IO_RESULT_H_

#include <cstddef>
#include <cstdint>

namespace echo {

enum class IoStatus : uint8_t {
  kOk,          // `bytes` were transferred (a read of 0 bytes is kEof).
  kWouldBlock,  // Nothing transferred now; wait for readiness.
  kEof,         // The peer closed its sending side (reads only).
  kError,       // `error` says which; the connection should be closed.
};

enum class IoError : uint8_t {
  kNone,
  kConnectionReset,  // ECONNRESET: the peer aborted.
  kBrokenPipe,       // EPIPE: writing to a peer that has gone.
  kOther,            // Anything else; `system_code` keeps the errno value.
};

struct [[nodiscard]] IoResult {
  IoStatus status = IoStatus::kOk;
  IoError error = IoError::kNone;
  size_t bytes = 0;     // Valid when status == kOk.
  int system_code = 0;  // errno value when status == kError, for messages.

  static IoResult Ok(size_t n) { return {IoStatus::kOk, IoError::kNone, n, 0}; }
  static IoResult WouldBlock() { return {IoStatus::kWouldBlock, IoError::kNone, 0, 0}; }
  static IoResult Eof() { return {IoStatus::kEof, IoError::kNone, 0, 0}; }
  static IoResult Error(IoError error, int system_code) {
    return {IoStatus::kError, error, 0, system_code};
  }

  [[nodiscard]] bool ok() const { return status == IoStatus::kOk; }
};

// What a system call returned: `value` as returned, `saved_errno` as errno
// read right after the call (ignored unless `value < 0`).
struct [[nodiscard]] RawIo {
  long value = 0;
  int saved_errno = 0;
};

// Which call a RawIo came from: a read of 0 bytes means end of stream, a
// write or shutdown returning 0 means success.
enum class IoDirection : uint8_t { kRead, kWrite };

// Maps a raw outcome other than EINTR to an IoResult: EAGAIN/EWOULDBLOCK is
// kWouldBlock, ECONNRESET and EPIPE their own kinds, any other errno kOther.
IoResult IoResultFromRaw(RawIo raw, IoDirection direction);

// True if `raw` is an interrupted call that must simply be repeated.
[[nodiscard]] inline bool IsInterrupted(RawIo raw);

// Calls `call()` (returning RawIo) until it is not interrupted by a signal,
// then maps the outcome. `call` must be safe to repeat after EINTR, which
// recv/send/shutdown are: an interrupted call transferred nothing.
template <typename RawCall>
IoResult RetryInterrupted(RawCall&& call, IoDirection direction) {
  RawIo raw = call();
  while (IsInterrupted(raw)) raw = call();
  return IoResultFromRaw(raw, direction);
}

// ---- implementation details ----

int InterruptedErrno();  // EINTR, without putting <cerrno> in this header.

inline bool IsInterrupted(RawIo raw) {
  return raw.value < 0 && raw.saved_errno == InterruptedErrno();
}

}  // namespace echo

#endif  // ECHO_LAB_CORE_IO_RESULT_H_
