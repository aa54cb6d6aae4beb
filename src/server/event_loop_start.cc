#include "src/server/event_loop_start.h"

#include <ev.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "src/server/log.h"

namespace echo {
namespace {

// `what` is libev's own description, e.g. "(libev) error creating
// signal/async pipe"; errno still says why.
void ExitOnSystemError(const char* what) noexcept {
  const int saved_errno = errno;
  Log(LogLevel::kError, "event loop failed: %s: %s", what, std::strerror(saved_errno));
  // _exit, not exit: this runs inside a libev call, whose state atexit
  // handlers and static destructors must not see. Nothing needs flushing:
  // the log writes straight to the unbuffered stderr.
  _exit(1);
}

}  // namespace

bool CreateDefaultLoop() {
  ev_set_syserr_cb(&ExitOnSystemError);
  if (ev_default_loop(EVFLAG_AUTO) != nullptr) return true;
  // Without LIBEV_FLAGS libev always falls back to poll() or select(),
  // which need no descriptor. (Its value is not echoed: it could hold
  // anything, a newline included.)
  Log(LogLevel::kError, "cannot create the event loop: no usable backend%s",
      std::getenv("LIBEV_FLAGS") != nullptr ? " among those LIBEV_FLAGS allows" : "");
  return false;
}

}  // namespace echo
