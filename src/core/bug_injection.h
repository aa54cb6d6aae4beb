// bug_injection.h: switches that re-inject, one at a time, the defects of
// the original blog-post echo server, so the testbed can show it catches them.
//
// Each ECHO_BUG_<NAME> is 0 unless a build sets it (`--config=bug_<name>`,
// see .bazelrc). Every use is a preprocessor block, `#if ECHO_BUG_<NAME>`,
// so a normal build does not even compile the defect: it contains none of
// it, and source-based coverage (tools/dev coverage) does not count it as
// code the tests never ran. Every use is marked with a comment
// "INJECTED BUG <NAME>" so that `grep` shows them all.
// Detectors must not know which bug is injected: no test or harness reads
// these macros.

#ifndef ECHO_LAB_CORE_BUG_INJECTION_H_
#define ECHO_LAB_CORE_BUG_INJECTION_H_

// 1. The connection is destroyed inside its own event handler, then touched.
#ifndef ECHO_BUG_USE_AFTER_FREE
#define ECHO_BUG_USE_AFTER_FREE 0
#endif
// 2. Peer EOF closes at once, dropping the output still queued.
#ifndef ECHO_BUG_EOF_DROPS_QUEUE
#define ECHO_BUG_EOF_DROPS_QUEUE 0
#endif
// 3. No backpressure: the queue grows without bound.
#ifndef ECHO_BUG_NO_BACKPRESSURE
#define ECHO_BUG_NO_BACKPRESSURE 0
#endif
// 4. A write error is ignored: the connection stays open and keeps trying.
#ifndef ECHO_BUG_IGNORE_WRITE_ERROR
#define ECHO_BUG_IGNORE_WRITE_ERROR 0
#endif
// 5. EAGAIN on read is treated as fatal: the connection is dropped.
#ifndef ECHO_BUG_EAGAIN_IS_FATAL
#define ECHO_BUG_EAGAIN_IS_FATAL 0
#endif
// 6. A descriptor leaks on one close path (a connection reset by its peer).
#ifndef ECHO_BUG_LEAK_ON_RESET
#define ECHO_BUG_LEAK_ON_RESET 0
#endif
// 7. A partial write is treated as complete: the unwritten bytes are lost.
#ifndef ECHO_BUG_PARTIAL_WRITE_AS_COMPLETE
#define ECHO_BUG_PARTIAL_WRITE_AS_COMPLETE 0
#endif
// 8. Writes can raise SIGPIPE (no MSG_NOSIGNAL, SIGPIPE not ignored).
#ifndef ECHO_BUG_SIGPIPE
#define ECHO_BUG_SIGPIPE 0
#endif

// 9. The connection limit is off by one: one client more than the limit is served.
#ifndef ECHO_BUG_LIMIT_OFF_BY_ONE
#define ECHO_BUG_LIMIT_OFF_BY_ONE 0
#endif
// 10. After refusing a client on EMFILE, the reserve descriptor is not reopened.
#ifndef ECHO_BUG_RESERVE_NOT_RESTORED
#define ECHO_BUG_RESERVE_NOT_RESTORED 0
#endif
// 11. An aborted pending connection (ECONNABORTED) stops accepting for good.
#ifndef ECHO_BUG_ACCEPT_ABORT_STOPS_LISTENER
#define ECHO_BUG_ACCEPT_ABORT_STOPS_LISTENER 0
#endif
// 12. When even the reserve cannot make room, accepting is not paused: the loop spins.
#ifndef ECHO_BUG_NO_ACCEPT_BACKOFF
#define ECHO_BUG_NO_ACCEPT_BACKOFF 0
#endif
// 13. An idle timer that fires early (after activity) is not re-armed.
#ifndef ECHO_BUG_IDLE_TIMER_NOT_REARMED
#define ECHO_BUG_IDLE_TIMER_NOT_REARMED 0
#endif
// 14. A second stop signal restarts the drain instead of stopping at once.
#ifndef ECHO_BUG_SECOND_SIGNAL_RESTARTS_DRAIN
#define ECHO_BUG_SECOND_SIGNAL_RESTARTS_DRAIN 0
#endif
// 15. The accept retry loop tests errno without a failure: a stale EINTR leaks a client.
#ifndef ECHO_BUG_STALE_ERRNO_ACCEPT
#define ECHO_BUG_STALE_ERRNO_ACCEPT 0
#endif
// 16. Decimal seconds are read without padding the fraction: "0.25" is 25 ms.
#ifndef ECHO_BUG_SECONDS_FRACTION_MISREAD
#define ECHO_BUG_SECONDS_FRACTION_MISREAD 0
#endif

#endif  // ECHO_LAB_CORE_BUG_INJECTION_H_
