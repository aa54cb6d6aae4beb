// signal_mask.h: holding back the signals the server reacts to (SIGTERM,
// SIGINT, SIGUSR1) while nothing is there to react to them.
//
// Their default action kills the process, and the libev watchers that turn
// them into Lifecycle calls exist only while the loop serves. So:
//   - main() blocks them before anything else: one that arrives during
//     start-up (flag parsing, bind, loop creation) stays pending instead of
//     killing;
//   - once the watchers are started they are unblocked, and libev's handler
//     takes any that is pending: a stop signal received during start-up
//     drains at once, a stats signal logs. Unblocking is ours to do: libev
//     4.33 leaves the mask alone, so a server started with them blocked by
//     its parent would otherwise never see one;
//   - before the watchers stop they are blocked again, because stopping a
//     watcher restores the default action: one that arrives between the end
//     of the loop and exit stays pending and dies with the process.
// Nothing can hold a signal that arrives before main() runs (during exec or
// dynamic loading); a parent that must signal at once can spawn the server
// with them blocked, since a blocked mask is inherited across exec.
//
// The mask is per thread and the server has one thread. The loop must not
// be created with EVFLAG_SIGNALFD, which wants these signals left blocked.

#ifndef ECHO_LAB_SERVER_SIGNAL_MASK_H_
#define ECHO_LAB_SERVER_SIGNAL_MASK_H_

namespace echo {

// Blocks SIGTERM, SIGINT and SIGUSR1: from now on they stay pending.
void BlockLifecycleSignals();

// Unblocks them: a pending one is delivered, to whatever handler is
// installed, before this returns.
void UnblockLifecycleSignals();

}  // namespace echo

#endif  // ECHO_LAB_SERVER_SIGNAL_MASK_H_
