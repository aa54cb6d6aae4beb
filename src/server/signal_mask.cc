#include "src/server/signal_mask.h"

#include <signal.h>

namespace echo {
namespace {

void ChangeLifecycleSignals(int how) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGUSR1);
  // Cannot fail with a valid `how` and set.
  sigprocmask(how, &signals, nullptr);
}

}  // namespace

void BlockLifecycleSignals() { ChangeLifecycleSignals(SIG_BLOCK); }

void UnblockLifecycleSignals() { ChangeLifecycleSignals(SIG_UNBLOCK); }

}  // namespace echo
