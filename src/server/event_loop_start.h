// event_loop_start.h: creating libev's default loop so that a failure is a
// one-line error and exit 1, never an abort.
//
// libev needs descriptors of its own: its backend (epoll), and a signal pipe
// (an eventfd, or two pipe ends) created with the default loop for SIGCHLD.
// When it cannot make one it calls its system-error callback and then
// retries for ever or aborts ("error creating signal/async pipe", exit 134,
// with 4 or 5 descriptors allowed). Counting descriptors up front would have
// to predict libev's needs (they depend on its version, backend and build)
// and would still miss a system-wide shortage (ENFILE); the callback sees
// libev's actual failure, whatever the cause. So CreateDefaultLoop()
// installs one that logs the error and exits 1 at once: it cannot return,
// since libev would only retry or abort. It also covers the system errors
// libev can meet later while serving (epoll_wait failing). A loop that
// cannot be created at all (LIBEV_FLAGS naming a backend this system lacks)
// is reported the same way instead of escaping as an exception.

#ifndef ECHO_LAB_SERVER_EVENT_LOOP_START_H_
#define ECHO_LAB_SERVER_EVENT_LOOP_START_H_

namespace echo {

// Installs the exit-on-system-error callback, then creates libev's default
// loop. Returns false, with the error logged, if there is no loop to run;
// exits the process with status 1 if libev meets a system error, now or
// later.
[[nodiscard]] bool CreateDefaultLoop();

}  // namespace echo

#endif  // ECHO_LAB_SERVER_EVENT_LOOP_START_H_
