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
// The real EchoServer runs on a real libev loop over a real listener, turned
// by the test's own thread between its client's steps.

#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <netinet/in.h>
#include <unistd.h>

#include <ev++.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "src/posix/listener.h"
#include "src/posix/socket_address.h"
#include "src/posix/unique_fd.h"
#include "src/server/echo_server.h"
#include "src/server/libev_clock.h"

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
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// An EchoServer on 127.0.0.1 (kernel-chosen port), and loopback clients.
// The test's thread alternates between its client and turns of the loop,
// so nothing is shared across threads.
class LoopErrorTest : public ::testing::Test {
 protected:
  LoopErrorTest() { wake_.set<Wake>(); }
  static void Wake(ev::timer& /*timer*/, int /*revents*/) {}

  void Start(const EchoServerConfig& config) {
    ListenResult listen = OpenListener(*SocketAddress::Parse("127.0.0.1", 0));
    ASSERT_TRUE(listen.fd.valid()) << listen.error;
    port_ = listen.bound->port();
    acceptor_ = std::make_unique<ListenerAcceptor>(std::move(listen.fd));
    server_ = std::make_unique<EchoServer>(loop_, acceptor_.get(), &clock_, config);
  }

  // Turns the loop (10 ms at most each time) until `done` holds; false if
  // it still does not after `limit`.
  bool TurnUntil(const std::function<bool()>& done, Clock::duration limit = 10s) {
    const Clock::time_point end = Clock::now() + limit;
    while (!done()) {
      if (Clock::now() >= end) return false;
      wake_.start(0.01);
      loop_.run(ev::ONCE);
    }
    return true;
  }

  // A client connected to the server: on loopback the handshake completes
  // in the kernel's backlog, before any accept().
  UniqueFd Connect() {
    UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    const auto address = SocketAddress::Parse("127.0.0.1", port_);
    EXPECT_EQ(::connect(fd.get(), address->get(), address->length()), 0) << std::strerror(errno);
    return fd;
  }

  // Sends `bytes` on `fd` and turns the loop until as many came back, the
  // server closed the connection, or 10 s passed; returns what came back.
  std::string Echo(int fd, const std::string& bytes) {
    EXPECT_EQ(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
    std::string got;
    TurnUntil([&] { return ReadSome(fd, &got) || got.size() >= bytes.size(); });
    return got;
  }

  // Appends what `fd` holds now to `*got`; true once the peer has closed
  // (EOF or an error).
  static bool ReadSome(int fd, std::string* got) {
    char buffer[256];
    const ssize_t n = ::recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT);
    if (n > 0) got->append(buffer, static_cast<size_t>(n));
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
  }

  void TearDown() override {
    g_unwatchable_port = 0;
    g_accept_fails = false;
  }

  ev::dynamic_loop loop_{EVFLAG_AUTO};
  ev::timer wake_{loop_};  // Bounds each turn of the loop.
  LibevClock clock_{loop_};
  std::unique_ptr<ListenerAcceptor> acceptor_;
  std::unique_ptr<EchoServer> server_;
  uint16_t port_ = 0;
};

TEST_F(LoopErrorTest, ClientTheLoopCannotWatchIsClosedAndCounted) {
  EchoServerConfig config;
  config.connection.idle_timeout.reset();  // Nothing else would close it.
  ASSERT_NO_FATAL_FAILURE(Start(config));
  g_unwatchable_port = port_;
  UniqueFd client = Connect();
  // With no idle timeout, only the server's reaction to EV_ERROR ends it.
  std::string got;
  EXPECT_TRUE(TurnUntil([&] { return ReadSome(client.get(), &got); }))
      << "still open after the loop could not watch it";
  EXPECT_EQ(got, "");
  EXPECT_EQ(g_watches_refused.load(), 1) << "epoll_ctl was not interposed";
  g_unwatchable_port = 0;
  EXPECT_TRUE(TurnUntil([&] { return server_->stats().open == 0; }));
  EXPECT_EQ(server_->stats().accepted, 1u);
  EXPECT_EQ(server_->stats().loop_errors, 1u);
  UniqueFd next = Connect();
  EXPECT_EQ(Echo(next.get(), "ping"), "ping");
}

// Backing off is about 10 attempts a second (EchoServer::kAcceptBackoff);
// spinning on a listener that stays readable is many thousands.
TEST_F(LoopErrorTest, UnclassifiedAcceptErrorBacksOffThenServesAgain) {
  ASSERT_NO_FATAL_FAILURE(Start({}));
  g_accept_fails = true;
  UniqueFd pending = Connect();
  ASSERT_TRUE(TurnUntil([] { return g_accept_calls.load() > 0; }));
  const int before = g_accept_calls.load();
  TurnUntil([] { return false; }, 1s);
  const int attempts = g_accept_calls.load() - before;
  EXPECT_LT(attempts, 100) << "accept() retried " << attempts << " times in a second";
  g_accept_fails = false;
  EXPECT_EQ(Echo(pending.get(), "late"), "late");
}

// The loop cannot watch the listener at start-up (EV_ERROR on its watcher):
// the server must watch it again, not silently stop accepting for good.
TEST_F(LoopErrorTest, ListenerTheLoopCannotWatchIsWatchedAgain) {
  g_listener_watches_to_refuse = 1;
  ASSERT_NO_FATAL_FAILURE(Start({}));
  ASSERT_TRUE(TurnUntil([] { return g_listener_watches_to_refuse.load() == 0; }))
      << "epoll_ctl was not interposed";
  // The client comes after the refusal has been reported: a server that let
  // its listener go unwatched never accepts it.
  TurnUntil([] { return false; }, 500ms);
  UniqueFd client = Connect();
  EXPECT_EQ(Echo(client.get(), "ping"), "ping");
}

}  // namespace
}  // namespace echo
