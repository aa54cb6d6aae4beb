// lifecycle_signals.h: the signals the server reacts to (SIGTERM, SIGINT,
// SIGUSR1), held blocked for the whole life of the process and read from a
// signalfd that the event loop watches.
//
// Their default action kills the process, so main() blocks them before
// anything else, and they are never unblocked: one that arrives during
// start-up, or after the loop ends, stays pending instead of killing, and
// the signalfd hands over every one that is pending, the ones the parent
// left pending across exec included. No handler is installed, so no window
// exists where a handler is gone and the default action is back.
//
// Why not libev's ev::sig: it wakes the loop through a descriptor of its
// own, and if registering that descriptor fails (epoll_ctl: ENOMEM, or the
// max_user_watches limit) libev stops its internal watcher silently, and no
// stop signal is ever handled. A failed registration of this signalfd
// reaches its watcher as EV_ERROR instead (at once: watch_check.h), and it
// is registered again after a pause, so a stop signal is late at worst,
// never lost.
//
// Nothing can hold a signal that arrives before main() runs (during exec or
// dynamic loading); a parent that must signal at once can spawn the server
// with them blocked, since a blocked mask is inherited across exec.

#ifndef ECHO_LAB_SERVER_LIFECYCLE_SIGNALS_H_
#define ECHO_LAB_SERVER_LIFECYCLE_SIGNALS_H_

#include <ev++.h>

#include <functional>

#include "src/posix/unique_fd.h"
#include "src/server/watch_check.h"

namespace echo {

// Blocks SIGTERM, SIGINT and SIGUSR1 in the calling thread (the server has
// one): from now on they stay pending until read from a LifecycleSignals.
void BlockLifecycleSignals();

class LifecycleSignals {
 public:
  // How long to wait before registering the signalfd again after the loop
  // could not watch it.
  static constexpr double kRewatchDelaySeconds = 0.1;

  // Watches a new signalfd for the lifecycle signals on `loop`, calling
  // `on_signal(signum)` from the loop for each one received, pending ones
  // first. The signals must be blocked already (BlockLifecycleSignals).
  // valid() is false if no signalfd could be made (descriptors exhausted).
  LifecycleSignals(ev::loop_ref loop, std::function<void(int)> on_signal);

  LifecycleSignals(const LifecycleSignals&) = delete;
  LifecycleSignals& operator=(const LifecycleSignals&) = delete;

  bool valid() const { return fd_.valid(); }

 private:
  void Watch();
  void OnReadable(ev::io& watcher, int revents);
  void OnRewatch(ev::timer& timer, int revents);

  std::function<void(int)> on_signal_;
  UniqueFd fd_;
  ev::io watcher_;
  ev::timer rewatch_;
  WatchCheck watch_check_;
};

}  // namespace echo

#endif  // ECHO_LAB_SERVER_LIFECYCLE_SIGNALS_H_
