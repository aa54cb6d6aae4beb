// event_loop.h: EventLoop, a thin edge-triggered epoll wrapper, and the
// monotonic clock echo_load measures with.
//
// Edge-triggered because the client drains every socket it touches (reads
// until EAGAIN, writes until EAGAIN or until it has nothing to send): each
// descriptor is registered once and never modified on the hot path, so a
// message costs its send and recv and nothing else. A handler that stops
// early must remember that the edge is gone (see ClientConnection).

#ifndef ECHO_LAB_TOOLS_LOAD_EVENT_LOOP_H_
#define ECHO_LAB_TOOLS_LOAD_EVENT_LOOP_H_

#include <sys/epoll.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "src/posix/unique_fd.h"

namespace echo {
namespace load {

using Nanos = int64_t;

constexpr Nanos kNanosPerMilli = 1'000'000;
constexpr Nanos kNanosPerSecond = 1'000'000'000;

// CLOCK_MONOTONIC in nanoseconds (a vDSO call: cheap enough per message).
Nanos MonotonicNow();

struct ReadyEvent {
  uint64_t tag;     // As given to Add().
  uint32_t events;  // EPOLLIN, EPOLLOUT, EPOLLRDHUP, EPOLLERR, EPOLLHUP.
};

class EventLoop {
 public:
  static constexpr int kMaxEventsPerWait = 1024;

  EventLoop();

  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Empty if the loop works, else why epoll could not be created.
  const std::string& error() const { return error_; }

  // Watches `fd` edge-triggered for `events` (EPOLLET is added), reporting
  // them with `tag`. Returns 0 or an errno. A descriptor leaves the loop by
  // itself when it is closed (echo_load never duplicates one).
  int Add(int fd, uint32_t events, uint64_t tag) {
    return Control(EPOLL_CTL_ADD, fd, events, tag);
  }
  // Changes what `fd` is watched for. Re-arms the edge: events already
  // pending are reported again.
  int Modify(int fd, uint32_t events, uint64_t tag) {
    return Control(EPOLL_CTL_MOD, fd, events, tag);
  }

  // Waits up to `timeout_ms` (0: just poll) and returns how many events are
  // ready; they are event(0) ... event(count - 1) until the next Wait().
  int Wait(int timeout_ms);
  ReadyEvent event(int index) const {
    return {events_[index].data.u64, events_[index].events};
  }

 private:
  int Control(int operation, int fd, uint32_t events, uint64_t tag);

  UniqueFd epoll_fd_;
  std::string error_;
  epoll_event events_[kMaxEventsPerWait];
};

}  // namespace load
}  // namespace echo

#endif  // ECHO_LAB_TOOLS_LOAD_EVENT_LOOP_H_
