// Tests for ListenerAcceptor's reading of accept4() failures, which decides
// whether the server retries, backs off or logs. Loopback cannot make a
// pending client fail on demand, so this binary links with
// -Wl,--wrap=accept4 (see BUILD): the test scripts the errno of the next
// calls, and the real accept4() never runs.

#include "src/posix/listener.h"

#include <fcntl.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <deque>

#include "gtest/gtest.h"

namespace {

std::deque<int> g_next_errnos;  // One failing accept4() call each.

}  // namespace

extern "C" int __wrap_accept4(int /*fd*/, sockaddr* /*address*/,
                              socklen_t* /*length*/, int /*flags*/) {
  if (g_next_errnos.empty()) {
    ADD_FAILURE() << "accept4() called more often than the test scripted";
    errno = EBADF;
    return -1;
  }
  errno = g_next_errnos.front();
  g_next_errnos.pop_front();
  return -1;
}

namespace echo {
namespace {

struct Case {
  int error;
  AcceptStatus status;
};

// listener.h's contract, errno by errno.
constexpr Case kCases[] = {
    {EAGAIN, AcceptStatus::kWouldBlock},
    {EMFILE, AcceptStatus::kOutOfDescriptors},
    {ENFILE, AcceptStatus::kOutOfDescriptors},
    {ENOBUFS, AcceptStatus::kOutOfDescriptors},
    {ENOMEM, AcceptStatus::kOutOfDescriptors},
    // accept(2), "Error handling": errors of the new connection that Linux
    // reports through accept(); the listener is fine, so retry.
    {ECONNABORTED, AcceptStatus::kConnectionGone},
    {EPROTO, AcceptStatus::kConnectionGone},
    {EPERM, AcceptStatus::kConnectionGone},
    {ENETDOWN, AcceptStatus::kConnectionGone},
    {ENOPROTOOPT, AcceptStatus::kConnectionGone},
    {EHOSTDOWN, AcceptStatus::kConnectionGone},
    {ENONET, AcceptStatus::kConnectionGone},
    {EHOSTUNREACH, AcceptStatus::kConnectionGone},
    {EOPNOTSUPP, AcceptStatus::kConnectionGone},
    {ENETUNREACH, AcceptStatus::kConnectionGone},
    {EBADF, AcceptStatus::kFailed},
    {EINVAL, AcceptStatus::kFailed},
    {ENOTSOCK, AcceptStatus::kFailed},
};

// An acceptor on some open descriptor: accept4() is the test's own, so what
// the descriptor is does not matter, only that the acceptor is not closed.
ListenerAcceptor AnyAcceptor() {
  return ListenerAcceptor(UniqueFd(::open("/dev/null", O_RDONLY | O_CLOEXEC)));
}

TEST(ListenerAcceptorTest, EachErrnoGetsItsStatusAndIsKept) {
  ListenerAcceptor acceptor = AnyAcceptor();
  for (const Case& c : kCases) {
    g_next_errnos = {c.error};
    const AcceptResult result = acceptor.Accept();
    EXPECT_EQ(result.status, c.status) << std::strerror(c.error);
    EXPECT_EQ(result.system_code, c.error) << std::strerror(c.error);
    EXPECT_FALSE(result.fd.valid());
  }
  EXPECT_TRUE(g_next_errnos.empty());
}

TEST(ListenerAcceptorTest, InterruptedCallsAreRepeatedNotReported) {
  g_next_errnos = {EINTR, EINTR, EMFILE};
  const AcceptResult result = AnyAcceptor().Accept();
  EXPECT_EQ(result.status, AcceptStatus::kOutOfDescriptors);
  EXPECT_EQ(result.system_code, EMFILE);
  EXPECT_TRUE(g_next_errnos.empty());
}

}  // namespace
}  // namespace echo
