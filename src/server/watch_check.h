// watch_check.h: WatchCheck, so that libev reports a descriptor the kernel
// refused to watch now rather than whenever the loop next wakes.
//
// libev registers an io watcher's descriptor with epoll just before it
// polls, and when epoll refuses it, the EV_ERROR it raises waits for that
// poll to return: until some unrelated event wakes the loop, or for ever.
// Start() right after starting io watchers makes that one poll not block
// (an idle watcher that stops itself once it has run). One per owner of io
// watchers; starting it again while it runs is a no-op.

#ifndef ECHO_LAB_SERVER_WATCH_CHECK_H_
#define ECHO_LAB_SERVER_WATCH_CHECK_H_

#include <ev++.h>

namespace echo {

class WatchCheck {
 public:
  explicit WatchCheck(ev::loop_ref loop) : idle_(loop) {
    idle_.set<WatchCheck, &WatchCheck::Done>(this);
  }
  WatchCheck(const WatchCheck&) = delete;
  WatchCheck& operator=(const WatchCheck&) = delete;

  void Start() { idle_.start(); }
  void Stop() { idle_.stop(); }

 private:
  void Done(ev::idle& idle, int /*revents*/) { idle.stop(); }

  ev::idle idle_;
};

}  // namespace echo

#endif  // ECHO_LAB_SERVER_WATCH_CHECK_H_
