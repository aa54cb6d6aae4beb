// loopback_client.h: a blocking-free TCP client for in-process tests:
// connect, send and read with deadlines.
//
// Every socket is non-blocking and close-on-exec, every wait is a poll()
// bounded by a Deadline, and failures come back as AssertionResults or
// result fields carrying errno, so a misbehaving server makes a test fail
// with a reason instead of hanging. (Tests of the binary use the Python
// client of tools/testing/loopback.py.)

#ifndef ECHO_LAB_TESTS_INTEGRATION_LOOPBACK_CLIENT_H_
#define ECHO_LAB_TESTS_INTEGRATION_LOOPBACK_CLIENT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "gtest/gtest.h"
#include "src/posix/unique_fd.h"
#include "tests/integration/deadline.h"

namespace echo {
namespace testing {

// Connects a new non-blocking socket to numeric `host` ("127.0.0.1", "::1")
// and `port`, waiting for the handshake until `deadline`. On success stores
// the socket in `*fd`.
::testing::AssertionResult Connect(const std::string& host, uint16_t port,
                                   Deadline deadline, UniqueFd* fd);

// Sends every byte of `bytes`, waiting for room as needed, or fails at the
// deadline or on an error (the message says how much was sent).
::testing::AssertionResult SendAll(int fd, std::string_view bytes,
                                   Deadline deadline);

struct ReadResult {
  std::string bytes;
  bool eof = false;        // The peer shut down its side (recv returned 0).
  bool timed_out = false;  // The deadline passed first.
  int error = 0;           // errno of a failed recv (e.g. ECONNRESET), or 0.
};

// Reads until `limit` bytes have arrived, EOF, an error or the deadline.
ReadResult ReadUpTo(int fd, size_t limit, Deadline deadline);

}  // namespace testing
}  // namespace echo

#endif  // ECHO_LAB_TESTS_INTEGRATION_LOOPBACK_CLIENT_H_
