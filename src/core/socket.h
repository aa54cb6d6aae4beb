// socket.h: Socket, the interface through which a connection's bytes move.
//
// Implemented by PosixSocket (src/posix/) for real descriptors and by
// FakeSocket (src/testing/) for tests and fuzzers. Every operation returns an
// IoResult; none of them blocks, and none reports EINTR (implementations
// retry it, see RetryInterrupted in io_result.h).

#ifndef ECHO_LAB_CORE_SOCKET_H_
#define ECHO_LAB_CORE_SOCKET_H_

#include <cstddef>
#include <cstdint>

#include "src/core/bytes.h"
#include "src/core/io_result.h"

namespace echo {

class Socket {
 public:
  virtual ~Socket() = default;

  // Reads up to `capacity` (> 0) bytes into `buffer`: kOk with the count,
  // kWouldBlock, kEof once the peer has shut down its sending side, or kError.
  virtual IoResult Read(uint8_t* buffer, size_t capacity) = 0;

  // Writes a prefix of `bytes` (non-empty): kOk with how many were taken
  // (possibly fewer than offered), kWouldBlock or kError. Never raises
  // SIGPIPE.
  virtual IoResult Write(ByteView bytes) = 0;

  // Shuts down the sending side (the peer reads EOF after the bytes already
  // written): kOk or kError.
  virtual IoResult ShutdownWrite() = 0;

  // Releases the socket. Idempotent; no operation may follow it.
  virtual void Close() = 0;
};

}  // namespace echo

#endif  // ECHO_LAB_CORE_SOCKET_H_
