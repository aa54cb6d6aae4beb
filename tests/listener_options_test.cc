// Tests for OpenListener's socket options: both are really set on the
// socket it returns, and a failure to set either is a listen failure whose
// one-line error names the option. Loopback cannot make setsockopt() fail on
// demand, so this binary links with -Wl,--wrap=setsockopt (see BUILD): a
// test names the option whose next setting fails and with which errno;
// every other call reaches the real setsockopt().

#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "gtest/gtest.h"
#include "src/posix/listener.h"

namespace {

int g_failing_option = -1;  // Option name (SO_REUSEADDR...) to fail, or -1.
int g_failing_errno = 0;

}  // namespace

extern "C" int __real_setsockopt(int fd, int level, int option, const void* value,
                                 socklen_t length);

extern "C" int __wrap_setsockopt(int fd, int level, int option, const void* value,
                                 socklen_t length) {
  if (option == g_failing_option) {
    g_failing_option = -1;
    errno = g_failing_errno;
    return -1;
  }
  return __real_setsockopt(fd, level, option, value, length);
}

namespace echo {
namespace {

int CountOwnFds() {
  int count = 0;
  if (DIR* dir = ::opendir("/proc/self/fd")) {
    while (const dirent* entry = ::readdir(dir)) count += entry->d_name[0] != '.';
    ::closedir(dir);
  }
  return count;
}

bool HasIpv6() {
  const int fd = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

void FailNext(int option, int error) {
  g_failing_option = option;
  g_failing_errno = error;
}

int IntOption(int fd, int level, int option) {
  int value = -1;
  socklen_t length = sizeof(value);
  EXPECT_EQ(::getsockopt(fd, level, option, &value, &length), 0) << std::strerror(errno);
  return value;
}

// With `option` failing with `error`, listening on `host` fails with an
// error that names the option, and the socket is closed.
void ExpectListenFailureNaming(int option, int error, const char* host,
                               const std::string& expected) {
  const int fds_before = CountOwnFds();
  FailNext(option, error);
  const ListenResult result = OpenListener(*SocketAddress::Parse(host, 0));
  EXPECT_FALSE(result.fd.valid());
  EXPECT_FALSE(result.bound.has_value());
  EXPECT_EQ(result.error, expected + std::strerror(error));
  EXPECT_EQ(CountOwnFds(), fds_before) << "the socket leaked";
}

TEST(ListenerOptionsTest, ReuseAddressFailureIsAListenFailureNamingIt) {
  ExpectListenFailureNaming(SO_REUSEADDR, ENOMEM, "127.0.0.1",
                            "cannot listen on 127.0.0.1:0: setsockopt SO_REUSEADDR=1: ");
}

TEST(ListenerOptionsTest, DualStackFailureIsAListenFailureNamingIt) {
  if (!HasIpv6()) GTEST_SKIP() << "socket(AF_INET6) fails: no IPv6 on this machine";
  ExpectListenFailureNaming(IPV6_V6ONLY, ENOPROTOOPT, "::",
                            "cannot listen on [::]:0: setsockopt IPV6_V6ONLY=0: ");
}

TEST(ListenerOptionsTest, Ipv4ListenerHasReuseAddress) {
  const ListenResult result = OpenListener(*SocketAddress::Parse("127.0.0.1", 0));
  ASSERT_TRUE(result.fd.valid()) << result.error;
  EXPECT_NE(IntOption(result.fd.get(), SOL_SOCKET, SO_REUSEADDR), 0);
}

TEST(ListenerOptionsTest, Ipv6WildcardListenerIsDualStack) {
  if (!HasIpv6()) GTEST_SKIP() << "socket(AF_INET6) fails: no IPv6 on this machine";
  const ListenResult result = OpenListener(*SocketAddress::Parse("::", 0));
  ASSERT_TRUE(result.fd.valid()) << result.error;
  EXPECT_NE(IntOption(result.fd.get(), SOL_SOCKET, SO_REUSEADDR), 0);
  EXPECT_EQ(IntOption(result.fd.get(), IPPROTO_IPV6, IPV6_V6ONLY), 0);
}

}  // namespace
}  // namespace echo
