#!/usr/bin/env bash
# The core must stay I/O-free: no source file under src/core may include a
# libev, socket or clock header, nor name a syscall-level function directly.
set -euo pipefail
status=0
for file in "$@"; do
  if grep -nE '#include[[:space:]]*[<"](ev\.h|ev\+\+\.h|sys/socket\.h|netinet/|arpa/|unistd\.h|fcntl\.h|poll\.h|sys/epoll\.h|chrono|ctime|time\.h|sys/time\.h)' "$file"; then
    echo "FAIL: $file includes an I/O, event-loop or clock header" >&2
    status=1
  fi
  if grep -nE '(^|[^A-Za-z_.>:])(::)?(recv|send|read|write|close|shutdown|accept4?|socket|clock_gettime|gettimeofday|ev_[a-z_]+)\(' "$file"; then
    echo "FAIL: $file calls a system or libev function" >&2
    status=1
  fi
done
[ $# -gt 0 ] || { echo "FAIL: no files given" >&2; exit 1; }
echo "checked $# core files"
exit $status
