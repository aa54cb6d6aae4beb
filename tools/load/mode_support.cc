#include "tools/load/mode_support.h"

#include <cstdio>

namespace echo {
namespace load {

size_t CountOpen(const std::vector<ClientConnection>& connections) {
  size_t open = 0;
  for (const ClientConnection& c : connections) open += c.open() ? 1 : 0;
  return open;
}

void Kick(const std::vector<ClientConnection>& connections, const EventHandler& on_event) {
  for (size_t i = 0; i < connections.size(); ++i) {
    if (connections[i].open()) on_event({i, kAnyEvent});
  }
}

void AbandonStalled(Session& session, std::vector<ClientConnection>& connections,
                    const std::function<bool(size_t)>& waiting, const std::string& what) {
  const Nanos now = session.now();
  for (size_t i = 0; i < connections.size(); ++i) {
    ClientConnection& c = connections[i];
    if (!c.open() || !waiting(i) || now - c.last_progress() <= session.timeout()) continue;
    char seconds[32];
    std::snprintf(seconds, sizeof(seconds), "%.1f", SecondsBetween(c.last_progress(), now));
    c.Abandon(ErrorKind::kStalled, "timed out: nothing moved for " + std::string(seconds) +
              " s while waiting for " + what);
    session.LogFailure(c);
  }
}

void AbandonOpen(Session& session, std::vector<ClientConnection>& connections,
                 const std::string& why) {
  for (ClientConnection& c : connections) {
    if (!c.open()) continue;
    c.Abandon(ErrorKind::kStalled, why);
    session.LogFailure(c);
  }
}

}  // namespace load
}  // namespace echo
