// system_limits.h: the process's descriptor limit, and errno as text.
//
// Shared by the server, the load client and the tests, which all raise the
// soft descriptor limit before opening thousands of sockets and all report
// a failed call the same way.

#ifndef ECHO_LAB_POSIX_SYSTEM_LIMITS_H_
#define ECHO_LAB_POSIX_SYSTEM_LIMITS_H_

#include <cstdint>
#include <string>

namespace echo {

// Raises the soft RLIMIT_NOFILE to the hard limit (the usual soft default,
// 1024, is far below what a server of thousands of clients needs). Returns
// the soft limit in force afterwards, raised or not; 0 if it cannot be read.
uint64_t RaiseDescriptorLimit();

// "Connection refused (errno 111)".
std::string ErrnoText(int error);

// EAGAIN/EWOULDBLOCK or EINTR: the call may simply be made again.
bool IsTransientErrno(int error);

}  // namespace echo

#endif  // ECHO_LAB_POSIX_SYSTEM_LIMITS_H_
