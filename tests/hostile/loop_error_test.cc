// loop_error_test.cc: the event loop's errors, in process: a client whose
// descriptor the loop cannot watch, and an accept() that fails in a way the
// server does not classify.
//
// A listener the loop cannot watch at start-up is watched again.
//
// The kernel is made to answer as a hostile system would, by interposing
// the two calls in this binary (libev and the listener call them through
// the dynamic linker, so this definition wins; the real call is the raw
// system call):
//   - epoll_ctl(EPOLL_CTL_ADD) fails with ENOSPC, as when the user's
//     fs.epoll.max_user_watches is used up: libev stops the watcher and
//     reports EV_ERROR. Only for the server's end of a connection to the
//     armed port, so the listener and libev's own descriptors are untouched.
//   - accept4() fails with EINVAL (what a listener shut down under the
//     server returns), which the server does not classify: it must back off,
//     not spin on a listener that stays readable.
// The real EchoServer runs on a real loop (ServerThread) over loopback.

#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <netinet/in.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "src/posix/unique_fd.h"
#include "src/server/echo_server.h"
#include "tests/integration/deadline.h"
#include "tests/integration/loopback_client.h"
#include "tests/integration/server_thread.h"

namespace {

// The listening port whose accepted connections epoll refuses; 0: none.
std::atomic<int> g_unwatchable_port{0};
std::atomic<int> g_watches_refused{0};
// How many more times epoll refuses to watch a listening socket.
std::atomic<int> g_listener_watches_to_refuse{0};
// While set, every accept4() fails with EINVAL; each attempt is counted.
std::atomic<bool> g_accept_fails{false};
std::atomic<int> g_accept_calls{0};

// The local port of `fd` if it is a connected (not listening) IPv4 TCP
// socket, else 0.
int ConnectedLocalPort(int fd) {
  int listening = 0;
  socklen_t length = sizeof(listening);
  if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length) != 0 || listening) {
    return 0;
  }
  sockaddr_in local{};
  length = sizeof(local);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length) != 0 ||
      local.sin_family != AF_INET) {
    return 0;
  }
  return ntohs(local.sin_port);
}

}  // namespace

bool IsListening(int fd) {
  int listening = 0;
  socklen_t length = sizeof(listening);
  return ::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length) == 0 && listening;
}

extern "C" int epoll_ctl(int epfd, int op, int fd, epoll_event* event) {
  if (op == EPOLL_CTL_ADD && IsListening(fd) && g_listener_watches_to_refuse.load() > 0) {
    --g_listener_watches_to_refuse;
    errno = ENOMEM;
    return -1;
  }
  const int port = g_unwatchable_port.load();
  if (op == EPOLL_CTL_ADD && port != 0 && ConnectedLocalPort(fd) == port) {
    ++g_watches_refused;
    errno = ENOSPC;
    return -1;
  }
  return static_cast<int>(::syscall(SYS_epoll_ctl, epfd, op, fd, event));
}

extern "C" int accept4(int fd, sockaddr* address, socklen_t* length, int flags) {
  ++g_accept_calls;
  if (g_accept_fails.load()) {
    errno = EINVAL;
    return -1;
  }
  return static_cast<int>(::syscall(SYS_accept4, fd, address, length, flags));
}

namespace echo {
namespace testing {
namespace {

using namespace std::chrono_literals;

constexpr auto kIoTimeout = 10s;

class LoopErrorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    EchoServerConfig config;
    config.connection.idle_timeout.reset();  // Nothing else would close it.
    server_ = ServerThread::Start("127.0.0.1", &error, config);
    ASSERT_NE(server_, nullptr) << error;
  }

  void TearDown() override {
    g_unwatchable_port = 0;
    g_accept_fails = false;
  }

  // A new client gets its bytes back.
  void ExpectServed() {
    UniqueFd client;
    ASSERT_TRUE(Connect("127.0.0.1", server_->port(), DeadlineIn(kIoTimeout), &client));
    ASSERT_TRUE(SendAll(client.get(), "ping", DeadlineIn(kIoTimeout)));
    EXPECT_EQ(ReadUpTo(client.get(), 4, DeadlineIn(kIoTimeout)).bytes, "ping");
  }

  std::unique_ptr<ServerThread> server_;
};

TEST_F(LoopErrorTest, ClientTheLoopCannotWatchIsClosedAndCounted) {
  g_unwatchable_port = server_->port();
  UniqueFd client;
  ASSERT_TRUE(Connect("127.0.0.1", server_->port(), DeadlineIn(kIoTimeout), &client));
  // With no idle timeout, only the server's reaction to EV_ERROR ends it.
  const ReadResult end = ReadUpTo(client.get(), 1, DeadlineIn(kIoTimeout));
  EXPECT_TRUE(end.eof || end.error != 0) << "still open after the loop could not watch it";
  EXPECT_EQ(end.bytes, "");
  EXPECT_EQ(g_watches_refused.load(), 1) << "epoll_ctl was not interposed";
  g_unwatchable_port = 0;

  EchoServerStats stats;
  EXPECT_TRUE(server_->WaitForStats(
      [](const EchoServerStats& s) { return s.accepted == 1 && s.open == 0; },
      DeadlineIn(kIoTimeout), &stats));
  EXPECT_EQ(stats.loop_errors, 1u);
  ExpectServed();
}

// Backing off is about 10 attempts a second (EchoServer::kAcceptBackoff);
// spinning on a listener that stays readable is many thousands.
TEST_F(LoopErrorTest, UnclassifiedAcceptErrorBacksOffThenServesAgain) {
  g_accept_fails = true;
  UniqueFd pending;
  // The handshake completes in the kernel's backlog without accept().
  ASSERT_TRUE(Connect("127.0.0.1", server_->port(), DeadlineIn(kIoTimeout), &pending));
  ASSERT_TRUE(PollUntil([] { return g_accept_calls.load() > 0; }, DeadlineIn(kIoTimeout)));
  const int before = g_accept_calls.load();
  std::this_thread::sleep_for(1s);
  const int attempts = g_accept_calls.load() - before;
  EXPECT_LT(attempts, 100) << "accept() retried " << attempts << " times in a second";
  g_accept_fails = false;

  ASSERT_TRUE(SendAll(pending.get(), "late", DeadlineIn(kIoTimeout)));
  EXPECT_EQ(ReadUpTo(pending.get(), 4, DeadlineIn(kIoTimeout)).bytes, "late");
}

// The loop cannot watch the listener at start-up (EV_ERROR on its watcher):
// the server must watch it again, not silently stop accepting for good.
TEST(LoopErrorListenerTest, ListenerTheLoopCannotWatchIsWatchedAgain) {
  g_listener_watches_to_refuse = 1;
  std::string error;
  const std::unique_ptr<ServerThread> server = ServerThread::Start("127.0.0.1", &error);
  ASSERT_NE(server, nullptr) << error;
  ASSERT_TRUE(PollUntil([] { return g_listener_watches_to_refuse.load() == 0; },
                        DeadlineIn(kIoTimeout)))
      << "epoll_ctl was not interposed";
  // The client comes after the refusal has been reported: a server that let
  // its listener go unwatched never accepts it.
  std::this_thread::sleep_for(500ms);
  UniqueFd client;
  ASSERT_TRUE(Connect("127.0.0.1", server->port(), DeadlineIn(kIoTimeout), &client));
  ASSERT_TRUE(SendAll(client.get(), "ping", DeadlineIn(kIoTimeout)));
  EXPECT_EQ(ReadUpTo(client.get(), 4, DeadlineIn(kIoTimeout)).bytes, "ping");
}

}  // namespace
}  // namespace testing
}  // namespace echo
