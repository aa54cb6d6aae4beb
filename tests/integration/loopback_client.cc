#include "tests/integration/loopback_client.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "src/posix/socket_address.h"
#include "src/posix/system_limits.h"

namespace echo {
namespace testing {
namespace {

// A backstop beside the deadlines: no poll loop here runs more rounds than
// this, even if poll() kept returning at once without progress.
constexpr int kMaxPollRounds = 4'000'000;

// Waits until `fd` reports one of `events` (or an error/hangup). Returns the
// revents, 0 if the deadline passed, -1 if poll() failed (errno is set).
int WaitFor(int fd, short events, Deadline deadline) {
  for (int round = 0; round < kMaxPollRounds; ++round) {
    pollfd entry{fd, events, 0};
    const int ready = ::poll(&entry, 1, PollTimeoutMs(deadline));
    if (ready > 0) return entry.revents;
    if (ready == 0 && Expired(deadline)) return 0;
    if (ready < 0 && errno != EINTR) return -1;
  }
  return 0;
}

}  // namespace

::testing::AssertionResult Connect(const std::string& host, uint16_t port,
                                   Deadline deadline, UniqueFd* fd) {
  const auto address = SocketAddress::Parse(host, port);
  if (!address) {
    return ::testing::AssertionFailure() << "'" << host << "' is not a numeric address";
  }
  UniqueFd socket(::socket(address->family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!socket.valid()) {
    return ::testing::AssertionFailure() << "socket(): " << ErrnoText(errno);
  }
  if (::connect(socket.get(), address->get(), address->length()) != 0) {
    // A non-blocking connect completes in the background (EINTR included).
    if (errno != EINPROGRESS && errno != EINTR) {
      return ::testing::AssertionFailure()
             << "connect(" << address->ToString() << "): " << ErrnoText(errno);
    }
    const int revents = WaitFor(socket.get(), POLLOUT, deadline);
    if (revents <= 0) {
      return ::testing::AssertionFailure()
             << "connect(" << address->ToString() << ") "
             << (revents == 0 ? "timed out" : "poll(): " + ErrnoText(errno));
    }
    int error = 0;
    socklen_t length = sizeof(error);
    if (::getsockopt(socket.get(), SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
    if (error != 0) {
      return ::testing::AssertionFailure()
             << "connect(" << address->ToString() << "): " << ErrnoText(error);
    }
  }
  *fd = std::move(socket);
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult SendAll(int fd, std::string_view bytes,
                                   Deadline deadline) {
  size_t sent = 0;
  for (int round = 0; round < kMaxPollRounds && sent < bytes.size(); ++round) {
    const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent,
                             MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && !IsTransientErrno(errno)) {
      return ::testing::AssertionFailure()
             << "send() failed after " << sent << " of " << bytes.size()
             << " bytes: " << ErrnoText(errno);
    }
    if (WaitFor(fd, POLLOUT, deadline) == 0) break;
  }
  if (sent < bytes.size()) {
    return ::testing::AssertionFailure()
           << "timed out after sending " << sent << " of " << bytes.size()
           << " bytes";
  }
  return ::testing::AssertionSuccess();
}

ReadResult ReadUpTo(int fd, size_t limit, Deadline deadline) {
  ReadResult result;
  std::vector<char> buffer(64 * 1024);
  for (int round = 0; round < kMaxPollRounds && result.bytes.size() < limit;
       ++round) {
    const size_t wanted = std::min(buffer.size(), limit - result.bytes.size());
    const ssize_t n = ::recv(fd, buffer.data(), wanted, 0);
    if (n > 0) {
      result.bytes.append(buffer.data(), static_cast<size_t>(n));
      continue;
    }
    if (n == 0) {
      result.eof = true;
      return result;
    }
    if (!IsTransientErrno(errno)) {
      result.error = errno;
      return result;
    }
    const int revents = WaitFor(fd, POLLIN, deadline);
    if (revents == 0) {
      result.timed_out = true;
      return result;
    }
    if (revents < 0) {
      result.error = errno;
      return result;
    }
  }
  if (result.bytes.size() < limit) result.timed_out = true;
  return result;
}

}  // namespace testing
}  // namespace echo
