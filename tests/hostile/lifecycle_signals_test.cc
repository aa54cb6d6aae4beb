// lifecycle_signals_test.cc: the server's stop and stats signals reach it
// even when the loop cannot watch their descriptor at first.
//
// epoll_ctl() is interposed in this binary (libev calls it through the
// dynamic linker) to refuse, with ENOSPC as at fs.epoll.max_user_watches,
// the first registration of a signalfd: libev then stops the watcher and
// reports EV_ERROR, and LifecycleSignals must register it again. libev's
// ev::sig, which the server used before, lost every signal in that case.

#include <signal.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <ev++.h>

#include <atomic>
#include <cerrno>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "src/server/lifecycle_signals.h"

namespace {

std::atomic<int> g_signalfd_watches_to_refuse{0};
std::atomic<int> g_signalfd_watches_refused{0};

bool IsSignalfd(int fd) {
  char link[64] = {};
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  const ssize_t n = ::readlink(path.c_str(), link, sizeof(link) - 1);
  return n > 0 && std::string(link, static_cast<size_t>(n)) == "anon_inode:[signalfd]";
}

}  // namespace

extern "C" int epoll_ctl(int epfd, int op, int fd, epoll_event* event) {
  if (op == EPOLL_CTL_ADD && g_signalfd_watches_to_refuse.load() > 0 && IsSignalfd(fd)) {
    --g_signalfd_watches_to_refuse;
    ++g_signalfd_watches_refused;
    errno = ENOSPC;
    return -1;
  }
  return static_cast<int>(::syscall(SYS_epoll_ctl, epfd, op, fd, event));
}

namespace echo {
namespace {

void StopLoop(ev::timer& timer, int /*revents*/) {
  static_cast<ev::dynamic_loop*>(timer.data)->break_loop(ev::ALL);
}

// Sends each of `signums` to this process, then runs a loop with a
// LifecycleSignals until it has received them all or 5 s have passed.
std::vector<int> Receive(const std::vector<int>& signums) {
  BlockLifecycleSignals();
  ev::dynamic_loop loop(EVFLAG_AUTO);
  std::vector<int> received;
  LifecycleSignals signals(loop, [&](int signum) {
    received.push_back(signum);
    if (received.size() == signums.size()) loop.break_loop(ev::ALL);
  });
  EXPECT_TRUE(signals.valid());
  for (const int signum : signums) ::kill(::getpid(), signum);
  ev::timer give_up(loop);
  give_up.set<StopLoop>(&loop);
  give_up.start(5.0, 0);
  loop.run(0);
  return received;
}

TEST(LifecycleSignalsTest, PendingSignalsAreReadInOrder) {
  EXPECT_EQ(Receive({SIGUSR1, SIGTERM}), (std::vector<int>{SIGUSR1, SIGTERM}));
}

TEST(LifecycleSignalsTest, ARefusedWatchIsRetriedAndNoSignalIsLost) {
  g_signalfd_watches_to_refuse = 1;
  g_signalfd_watches_refused = 0;
  EXPECT_EQ(Receive({SIGINT}), std::vector<int>{SIGINT});
  EXPECT_EQ(g_signalfd_watches_refused.load(), 1);
}

}  // namespace
}  // namespace echo
