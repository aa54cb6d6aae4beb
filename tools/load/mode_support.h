// mode_support.h: small steps several modes share over their connections.

#ifndef ECHO_LAB_TOOLS_LOAD_MODE_SUPPORT_H_
#define ECHO_LAB_TOOLS_LOAD_MODE_SUPPORT_H_

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "tools/load/client_connection.h"
#include "tools/load/session.h"

namespace echo {
namespace load {

using EventHandler = std::function<void(const ReadyEvent&)>;

// What a handler assumes when it has no event to go by: anything may have
// happened, the peer's EOF included.
constexpr uint32_t kAnyEvent = EPOLLIN | EPOLLOUT | EPOLLRDHUP;

// Whether `events` say the peer may have shut down or reset: then a read
// must go on to EOF or EAGAIN (see ClientConnection::ReadOptions).
inline bool PeerMayHaveClosed(uint32_t events) {
  return (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0;
}

size_t CountOpen(const std::vector<ClientConnection>& connections);

// Hands every open connection kAnyEvent. Edges that fired
// while ConnectAll() was still waiting for other connections were not
// handled, and with edge-triggered epoll they will not fire again: each
// mode starts by trying every connection once.
void Kick(const std::vector<ClientConnection>& connections, const EventHandler& on_event);

// Abandons (and logs) every open connection for which `waiting(i)` is true
// and no byte has moved for the session's timeout; `what` says what it was
// waiting for, e.g. "the echo".
void AbandonStalled(Session& session, std::vector<ClientConnection>& connections,
                    const std::function<bool(size_t)>& waiting, const std::string& what);

// Abandons (and logs) every connection still open, saying `why`: time ran
// out on them, so each counts as ErrorKind::kStalled.
void AbandonOpen(Session& session, std::vector<ClientConnection>& connections,
                 const std::string& why);

}  // namespace load
}  // namespace echo

#endif  // ECHO_LAB_TOOLS_LOAD_MODE_SUPPORT_H_
