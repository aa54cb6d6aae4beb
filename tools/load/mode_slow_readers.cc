// mode_slow_readers.cc: clients that send and never read.
//
// For --duration each connection sends what its socket accepts of --bytes,
// reading nothing (and keeps not reading until --duration is over, even if
// all was sent); a server that bounds its output stops reading from such
// a client, so the socket stalls and the bytes accepted per connection show
// how much the server (and the kernel between) let through. The sockets are
// not watched for input then: the echo piling up must not wake the client.
// Afterwards each connection reads back what it can within --timeout,
// verifies it as a prefix of what it sent, and resets.

#include <algorithm>
#include <vector>

#include "tools/load/modes.h"

namespace echo {
namespace load {
namespace {

// What backpressure let through: the bytes each connection that came up
// got accepted, and how many were still blocked at the end.
SlowReaderResult Accepted(const Connections& connections, const std::vector<bool>& connected,
                          uint64_t total) {
  SlowReaderResult result;
  std::vector<uint64_t> accepted;
  for (size_t i = 0; i < connections.size(); ++i) {
    if (!connected[i]) continue;
    accepted.push_back(connections[i].bytes_sent());
    // It kept trying until the end, so anything unsent means its socket
    // stayed full: the server had stopped reading.
    if (connections[i].open() && connections[i].bytes_sent() < total) ++result.stalled;
  }
  if (!accepted.empty()) {
    std::sort(accepted.begin(), accepted.end());
    result.accepted_min = accepted.front();
    result.accepted_median = accepted[(accepted.size() - 1) / 2];
    result.accepted_max = accepted.back();
  }
  return result;
}

// Reads back what the server echoes within the timeout, counting the
// connections that get every accepted byte; what has not come back by then
// is not an error (only a prefix is owed), and every connection is reset.
void ReadBack(Session& session, Connections& connections, SlowReaderResult* result) {
  // Now watched for input. Rewatch() re-arms the edge, so echo that arrived
  // while unwatched is reported at once.
  for (size_t i = 0; i < connections.size(); ++i) {
    ClientConnection& c = connections[i];
    if (c.open() && c.Rewatch(EPOLLIN | EPOLLRDHUP, i) && !OwesEcho(c)) {
      ++result->fully_read_back;  // Nothing was accepted, so nothing is owed.
    }
  }
  const EventHandler reading_back = [&](const ReadyEvent& event) {
    ClientConnection& c = connections[event.tag];
    if (!c.open() || !OwesEcho(c)) return;
    if (c.ReadAvailable(event.events) == ClientConnection::ReadStatus::kEof && OwesEcho(c)) {
      c.Abandon(ErrorKind::kClosed, "unexpected EOF: " + std::to_string(c.outstanding()) +
                                        " accepted bytes never came back");
    }
    if (c.open() && !OwesEcho(c)) ++result->fully_read_back;
  };
  session.RunPhase(
      connections, session.timeout(), [&] { return AllEchoed(connections); }, reading_back);
  for (ClientConnection& c : connections) {
    if (c.open()) c.CloseWithReset();
  }
}

}  // namespace

LoadReport RunSlowReaders(Session& session) {
  const uint64_t total = session.options().bytes_per_connection;
  // EPOLLRDHUP still tells us if the server closes the connection on us.
  Connections connections =
      session.ConnectAll(session.options().connections, EPOLLOUT | EPOLLRDHUP);
  std::vector<bool> connected(connections.size());
  for (size_t i = 0; i < connections.size(); ++i) connected[i] = connections[i].open();

  const EventHandler while_not_reading = [&](const ReadyEvent& event) {
    ClientConnection& c = connections[event.tag];
    if (!c.open()) return;
    if (PeerMayHaveClosed(event.events)) {
      c.AbandonWithSocketError("the server closed the connection of a client not reading");
      return;
    }
    c.SendUpTo(total);  // Keeps trying on every EPOLLOUT until time runs out.
  };
  // The whole --duration even if everything was sent early: the server is
  // meant to hold (or refuse) the unread echo all that time. Kicked with
  // EPOLLOUT alone: kAnyEvent's EPOLLRDHUP would read as the server closing.
  session.Measure(connections, session.duration(), while_not_reading, nullptr, EPOLLOUT);
  SlowReaderResult result = Accepted(connections, connected, total);
  ReadBack(session, connections, &result);

  LoadReport report = session.BaseReport();
  report.slow_readers = result;
  return report;
}

}  // namespace load
}  // namespace echo
