// mode_churn.cc: connections opened and closed as fast as the server takes
// them, half of them by reset.
//
// Up to --connections slots each run one short connection after another
// for --duration: connect, send one message, then either reset at once
// (odd stream numbers: SO_LINGER {1, 0}, before reading anything) or read
// and verify the whole echo, shut down the sending side and wait for the
// server's EOF before closing (even stream numbers). A finished slot starts
// its next connection straight away.

#include <cstdint>
#include <vector>

#include "tools/load/mode_support.h"
#include "tools/load/modes.h"

namespace echo {
namespace load {
namespace {

enum class Step { kConnect, kSend, kReadEcho, kAwaitEof };

struct Slot {
  ClientConnection connection;
  // Bumped for every new connection in the slot; events carry it in their
  // tag so that one still queued for the slot's previous connection (in the
  // same epoll batch) is recognised and dropped.
  uint32_t generation = 0;
  Step step = Step::kConnect;
  bool reset_after_send = false;
};

uint64_t TagOf(size_t slot, uint32_t generation) {
  return (uint64_t{generation} << 32) | static_cast<uint32_t>(slot);
}

}  // namespace

LoadReport RunChurn(Session& session) {
  const LoadOptions& options = session.options();
  const uint64_t message_size = options.message_size;
  std::vector<Slot> slots(options.connections);
  ChurnResult result;
  uint64_t next_stream = 0;
  bool opening = true;

  auto fail = [&](Slot& slot) { session.LogFailure(slot.connection); };

  // Moves the slot's connection along as far as its socket allows now.
  auto advance = [&](Slot& slot, uint32_t events) {
    ClientConnection& c = slot.connection;
    if (slot.step == Step::kSend) {
      const auto status = c.SendUpTo(message_size, PatternTable::kPeriod, nullptr, session.now());
      if (status == ClientConnection::SendStatus::kFailed) return fail(slot);
      if (status == ClientConnection::SendStatus::kBlocked) return;
      if (slot.reset_after_send) {
        c.CloseWithReset();
        ++result.closed_by_reset;
        return;
      }
      slot.step = Step::kReadEcho;
    }
    ClientConnection::ReadOptions read;
    read.peer_may_have_closed = PeerMayHaveClosed(events);
    const auto status =
        c.ReadAvailable(session.read_buffer(), session.read_buffer_size(), session.now(), read);
    if (status == ClientConnection::ReadStatus::kFailed) return fail(slot);
    if (slot.step == Step::kReadEcho) {
      if (status == ClientConnection::ReadStatus::kEof) {
        c.Abandon(ErrorKind::kClosed, "unexpected EOF before the whole echo came back");
        return fail(slot);
      }
      if (c.bytes_verified() < message_size) return;
      if (!c.ShutdownWrite()) return fail(slot);
      slot.step = Step::kAwaitEof;
      return;  // The server's EOF comes as a new edge.
    }
    if (status == ClientConnection::ReadStatus::kEof) {  // kAwaitEof
      c.CloseGracefully();
      ++result.verified;
      ++session.totals().messages;
    }
  };

  // Starts the slot's next connection, unless the run is winding down.
  auto open_next = [&](size_t index) {
    Slot& slot = slots[index];
    if (!opening) return;
    ++slot.generation;
    const uint64_t stream = next_stream++;
    slot.step = Step::kConnect;
    slot.reset_after_send = stream % 2 == 1;
    ClientConnection& c = slot.connection;
    if (!c.StartConnect(&session.loop(), session.server(), &session.pattern(), stream,
                        kReadWriteEvents, TagOf(index, slot.generation), &session.totals(),
                        session.now())) {
      return fail(slot);
    }
    if (c.open()) {
      ++result.opened;
      slot.step = Step::kSend;
      advance(slot, kAnyEvent);
    }
  };

  // A slot whose connection ended gets its next one at once. Bounded: a
  // connect that keeps failing at once (e.g. out of ports) is retried on
  // the next tick instead of spinning here.
  auto refill = [&](size_t index) {
    for (int attempt = 0; attempt < 4 && opening; ++attempt) {
      const auto state = slots[index].connection.state();
      if (state == ClientConnection::State::kConnecting ||
          state == ClientConnection::State::kOpen) {
        return;
      }
      open_next(index);
    }
  };

  const EventHandler on_event = [&](const ReadyEvent& event) {
    const size_t index = static_cast<uint32_t>(event.tag);
    Slot& slot = slots[index];
    if (static_cast<uint32_t>(event.tag >> 32) != slot.generation) return;  // Stale.
    ClientConnection& c = slot.connection;
    if (c.state() == ClientConnection::State::kConnecting) {
      if (!c.FinishConnect(session.now())) {
        fail(slot);
      } else if (c.open()) {
        ++result.opened;
        slot.step = Step::kSend;
      }
    }
    if (c.open()) advance(slot, event.events);
    refill(index);
  };

  auto active = [&](const Slot& slot) {
    const auto state = slot.connection.state();
    return state == ClientConnection::State::kConnecting ||
           state == ClientConnection::State::kOpen;
  };
  auto on_tick = [&] {
    for (size_t i = 0; i < slots.size(); ++i) {
      ClientConnection& c = slots[i].connection;
      if (active(slots[i]) && session.now() - c.last_progress() > session.timeout()) {
        c.Abandon(ErrorKind::kStalled,
                  c.open() ? "timed out: nothing moved within the timeout"
                           : "connect to " + session.server().ToString() + " timed out");
        fail(slots[i]);
      }
      refill(i);
    }
  };

  session.StartMeasuring();
  const Nanos start = session.now();
  for (size_t i = 0; i < slots.size(); ++i) refill(i);
  session.RunUntil(start + options.duration_ms * kNanosPerMilli, [] { return false; }, on_event,
                   on_tick);
  const double seconds = SecondsBetween(start, session.RefreshNow());
  const uint64_t verified_in_phase = session.totals().bytes_verified;
  const uint64_t messages_in_phase = session.totals().messages;

  // Wind-down: no new connections; those under way finish or time out.
  opening = false;
  auto none_active = [&] {
    for (const Slot& slot : slots) {
      if (active(slot)) return false;
    }
    return true;
  };
  session.RunUntil(session.now() + session.timeout() + Session::kTickInterval, none_active,
                   on_event, on_tick);
  for (Slot& slot : slots) {
    if (!active(slot)) continue;
    slot.connection.Abandon(ErrorKind::kStalled,
                            "did not finish within the timeout after the run");
    fail(slot);
  }

  LoadReport report = session.BaseReport(seconds, verified_in_phase, messages_in_phase);
  report.churn = result;
  return report;
}

}  // namespace load
}  // namespace echo
