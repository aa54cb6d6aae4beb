// connection_actions.h: the input format of the `connection` fuzz target.
//
// An input is a setup followed by a capped list of actions, decoded on the
// fly (nothing is allocated per action):
//
//   byte 0      watermarks     table index (high from 1 B to 64 KiB)
//   byte 1      read buffer    table index (1 B to 16 KiB; 0 is 16 B)
//   byte 2      timing, errno  mod 3: idle timeout (none, 50 ms, 1 s);
//                              / 3 mod 3: errno a success leaves (0, EINTR,
//                              EAGAIN), see FakePeer::set_stale_errno;
//                              / 9 mod 3: send timeout (none, 30 ms, 700 ms)
//   then, repeated up to kMaxActions times:
//   byte        opcode         table index into ActionKind (weighted)
//   byte        argument       for sizes, errors and time (see DecodeAction)
//
// Actions either script the fake kernel (what the next read or write call
// will see) or deliver an event to the connection (socket readable or
// writable, time passes, the owner aborts). fuzz/README.md has the table.

#ifndef ECHO_LAB_FUZZ_CONNECTION_ACTIONS_H_
#define ECHO_LAB_FUZZ_CONNECTION_ACTIONS_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_input.h"
#include "src/core/echo_connection.h"

namespace echo {

constexpr size_t kMaxActions = 64;

struct ConnectionSetup {
  EchoConnection::Options options;
  size_t read_buffer_size = 0;
  int stale_errno = 0;  // What errno holds after every successful call.
};

enum class ActionKind : uint8_t {
  // Script the peer / kernel.
  kPeerSends,         // `amount` more bytes become readable.
  kReadWouldBlock,    // The next read sees EAGAIN.
  kReadInterrupted,   // The next read sees EINTR.
  kPeerShutsDown,     // Reads after the data so far see EOF.
  kReadFails,         // The next read fails with `error_code`.
  kWriteAccepts,      // The next write takes at most `amount` bytes.
  kWriteWouldBlock,   // The next write sees EAGAIN.
  kWriteInterrupted,  // The next write sees EINTR.
  kWriteFails,        // The next write fails with `error_code`.
  // Events delivered to the connection.
  kSocketReadable,
  kSocketWritable,
  kTimePasses,        // `amount` ms pass, then the idle timer fires.
  kOwnerAborts,
  kOwnerDrains,       // The server stops: flush what is queued, then close.
};

struct Action {
  ActionKind kind = ActionKind::kSocketReadable;
  uint32_t amount = 0;
  int error_code = 0;
};

ConnectionSetup DecodeSetup(FuzzInput& input);
Action DecodeAction(FuzzInput& input);

// "peer sends 17 bytes", "next write accepts 3", "read fails: ECONNRESET".
std::string DescribeAction(const Action& action);
std::string DescribeSetup(const ConnectionSetup& setup);

}  // namespace echo

#endif  // ECHO_LAB_FUZZ_CONNECTION_ACTIONS_H_
