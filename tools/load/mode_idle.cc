// mode_idle.cc: many connections held open without traffic.
//
// Opens --connections, then watches them for --duration without sending:
// any EOF, reset or byte from the server meanwhile is an error (an echo
// server has nothing to say to a silent client). Then each connection that
// is still open sends one --message-size message and must get it back
// within --timeout: it was not merely open, it was still served.

#include <sys/resource.h>

#include "tools/load/modes.h"

namespace echo {
namespace load {

LoadReport RunIdle(Session& session) {
  const uint64_t message_size = session.options().message_size;
  IdleResult result;
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) result.fd_limit = limit.rlim_cur;
  Connections connections = session.ConnectAll(session.options().connections, kReadWriteEvents);

  const EventHandler while_idle = [&](const ReadyEvent& event) {
    ClientConnection& c = connections[event.tag];
    if (!c.open() || !(event.events & kReadableEvents)) return;
    // Nothing was sent, so any byte that arrives fails verification as
    // "beyond everything sent"; a reset fails recv().
    if (c.ReadAvailable(event.events) == ClientConnection::ReadStatus::kEof) {
      c.Abandon(ErrorKind::kClosed,
                StringPrintf("the server closed the connection after %.1f s idle",
                             SecondsBetween(c.last_progress(), session.now())));
    }
  };
  session.Measure(connections, session.duration(), while_idle);
  result.open_at_end = session.totals().open;

  // Liveness: one message on each connection still open.
  const EventHandler probing = [&](const ReadyEvent& event) {
    ClientConnection& c = connections[event.tag];
    if (!c.open() || c.SendUpTo(message_size) == ClientConnection::SendStatus::kFailed) return;
    const auto status = c.ReadAvailable(event.events);
    if (status == ClientConnection::ReadStatus::kFailed) return;
    if (c.bytes_verified() == message_size) {
      ++result.alive;
      c.CloseGracefully();
    } else if (status == ClientConnection::ReadStatus::kEof) {
      c.Abandon(ErrorKind::kClosed, "unexpected EOF before the liveness message's echo");
    }
  };
  session.RunPhase(connections, session.timeout(), nullptr, probing);
  for (ClientConnection& c : connections) {
    if (c.open()) {
      c.Abandon(ErrorKind::kStalled, "no echo of the liveness message within the timeout");
    }
  }

  LoadReport report = session.BaseReport();
  report.idle = result;
  return report;
}

}  // namespace load
}  // namespace echo
