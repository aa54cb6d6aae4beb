#include "tools/load/event_loop.h"

#include <time.h>

#include <cerrno>
#include <cstring>

namespace echo {
namespace load {

Nanos MonotonicNow() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<Nanos>(now.tv_sec) * kNanosPerSecond + now.tv_nsec;
}

EventLoop::EventLoop() : epoll_fd_(::epoll_create1(EPOLL_CLOEXEC)) {
  if (!epoll_fd_.valid()) error_ = std::string("epoll_create1: ") + std::strerror(errno);
}

int EventLoop::Control(int operation, int fd, uint32_t events, uint64_t tag) {
  epoll_event entry{};
  entry.events = events | EPOLLET;
  entry.data.u64 = tag;
  return ::epoll_ctl(epoll_fd_.get(), operation, fd, &entry) == 0 ? 0 : errno;
}

int EventLoop::Wait(int timeout_ms) {
  const int ready = ::epoll_wait(epoll_fd_.get(), events_, kMaxEventsPerWait, timeout_ms);
  // EINTR (a signal: SIGWINCH on a terminal, or SIGINT to stop the run) is
  // just an early return.
  return ready < 0 ? 0 : ready;
}

}  // namespace load
}  // namespace echo
