#include "src/server/lifecycle_signals.h"

#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <utility>

namespace echo {
namespace {

sigset_t LifecycleSignalSet() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGUSR1);
  return signals;
}

}  // namespace

void BlockLifecycleSignals() {
  const sigset_t signals = LifecycleSignalSet();
  // Cannot fail with SIG_BLOCK and a valid set.
  sigprocmask(SIG_BLOCK, &signals, nullptr);
}

LifecycleSignals::LifecycleSignals(ev::loop_ref loop, std::function<void(int)> on_signal)
    : on_signal_(std::move(on_signal)), watcher_(loop), rewatch_(loop), watch_check_(loop) {
  const sigset_t signals = LifecycleSignalSet();
  fd_.reset(::signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC));
  if (!fd_.valid()) return;
  watcher_.set<LifecycleSignals, &LifecycleSignals::OnReadable>(this);
  rewatch_.set<LifecycleSignals, &LifecycleSignals::OnRewatch>(this);
  Watch();
}

void LifecycleSignals::Watch() {
  watcher_.start(fd_.get(), ev::READ);
  watch_check_.Start();
}

void LifecycleSignals::OnReadable(ev::io& /*watcher*/, int revents) {
  if (revents & ev::ERROR) {
    // libev has stopped the watcher: the loop could not register the fd.
    rewatch_.start(kRewatchDelaySeconds, 0);
    return;
  }
  signalfd_siginfo info;
  while (::read(fd_.get(), &info, sizeof(info)) == static_cast<ssize_t>(sizeof(info))) {
    on_signal_(static_cast<int>(info.ssi_signo));
  }
}

void LifecycleSignals::OnRewatch(ev::timer& /*timer*/, int /*revents*/) { Watch(); }

}  // namespace echo
