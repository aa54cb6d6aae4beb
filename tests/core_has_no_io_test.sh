#!/usr/bin/env bash
# The core must stay I/O-free: no source file under src/core may include a
# libev, socket or clock header, nor name a syscall-level function directly,
# nor read a clock. <chrono> is allowed for its types (Duration, Instant in
# monotonic_time.h); its clocks are not.
set -euo pipefail
status=0
for file in "$@"; do
  if grep -nE '#include[[:space:]]*[<"](ev\.h|ev\+\+\.h|sys/socket\.h|netinet/|arpa/|unistd\.h|fcntl\.h|poll\.h|sys/epoll\.h|ctime|time\.h|sys/time\.h)' "$file"; then
    echo "FAIL: $file includes an I/O, event-loop or clock header" >&2
    status=1
  fi
  if grep -nE '(^|[^A-Za-z_.>:])(::)?(recv|send|read|write|close|shutdown|accept4?|socket|clock_gettime|gettimeofday|ev_[a-z_]+)\(' "$file"; then
    echo "FAIL: $file calls a system or libev function" >&2
    status=1
  fi
  if grep -nE '(steady_clock|system_clock|high_resolution_clock|file_clock|utc_clock)|::now\(' "$file"; then
    echo "FAIL: $file reads a clock: time is the caller's" >&2
    status=1
  fi
done
[ $# -gt 0 ] || { echo "FAIL: no files given" >&2; exit 1; }
echo "checked $# core files"
exit $status
