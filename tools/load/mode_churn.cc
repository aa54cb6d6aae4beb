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

#include "tools/load/modes.h"

namespace echo {
namespace load {
namespace {

// Where a slot's connection is once it is open.
enum class Step { kSend, kReadEcho, kAwaitEof };

struct Slot {
  ClientConnection connection;
  // Bumped for every new connection in the slot; events carry it in their
  // tag so that one still queued for the slot's previous connection (in the
  // same epoll batch) is recognised and dropped.
  uint32_t generation = 0;
  Step step = Step::kSend;
  bool reset_after_send = false;
};

class Churn {
 public:
  explicit Churn(Session& session)
      : session_(session),
        message_size_(session.options().message_size),
        slots_(session.options().connections) {}

  LoadReport Run() {
    const EventHandler on_event = [this](const ReadyEvent& event) { OnEvent(event); };
    const std::function<void()> on_tick = [this] { OnTick(); };
    for (size_t i = 0; i < slots_.size(); ++i) Refill(i);
    session_.MeasureUntil(session_.duration(), [] { return false; }, on_event, on_tick);

    // Wind-down: no new connections; those under way finish or time out.
    opening_ = false;
    session_.RunUntil(session_.now() + session_.timeout() + Session::kTickInterval,
                      [this] { return NoneActive(); }, on_event, on_tick);
    for (Slot& slot : slots_) {
      if (!slot.connection.active()) continue;
      slot.connection.Abandon(ErrorKind::kStalled,
                              "did not finish within the timeout after the run");
    }
    LoadReport report = session_.BaseReport();
    report.churn = result_;
    return report;
  }

 private:
  static uint64_t TagOf(size_t slot, uint32_t generation) {
    return (uint64_t{generation} << 32) | static_cast<uint32_t>(slot);
  }

  // Moves the slot's connection along as far as its socket allows now.
  void Advance(Slot& slot, uint32_t events) {
    ClientConnection& c = slot.connection;
    if (slot.step == Step::kSend) {
      if (c.SendUpTo(message_size_) != ClientConnection::SendStatus::kReachedLimit) return;
      if (slot.reset_after_send) {
        c.CloseWithReset();
        ++result_.closed_by_reset;
        return;
      }
      slot.step = Step::kReadEcho;
    }
    const auto status = c.ReadAvailable(events);
    if (status == ClientConnection::ReadStatus::kFailed) return;
    if (slot.step == Step::kReadEcho) {
      if (status == ClientConnection::ReadStatus::kEof) {
        c.Abandon(ErrorKind::kClosed, "unexpected EOF before the whole echo came back");
      } else if (c.bytes_verified() >= message_size_ && c.ShutdownWrite()) {
        slot.step = Step::kAwaitEof;  // The server's EOF comes as a new edge.
      }
      return;
    }
    if (status == ClientConnection::ReadStatus::kEof) {  // kAwaitEof
      c.CloseGracefully();
      ++result_.verified;
      ++session_.totals().messages;
    }
  }

  // Starts the slot's next connection.
  void OpenNext(size_t index) {
    Slot& slot = slots_[index];
    ++slot.generation;
    const uint64_t stream = next_stream_++;
    slot.step = Step::kSend;
    slot.reset_after_send = stream % 2 == 1;
    ClientConnection& c = slot.connection;
    c.StartConnect(&session_.run(), stream, kReadWriteEvents, TagOf(index, slot.generation));
    if (c.open()) {
      ++result_.opened;
      Advance(slot, kAnyEvent);
    }
  }

  // A slot whose connection ended gets its next one at once, unless the run
  // is winding down. Bounded: a connect that keeps failing at once (e.g.
  // out of ports) is retried on the next tick instead of spinning here.
  void Refill(size_t index) {
    for (int attempt = 0; attempt < 4 && opening_ && !slots_[index].connection.active();
         ++attempt) {
      OpenNext(index);
    }
  }

  void OnEvent(const ReadyEvent& event) {
    const size_t index = static_cast<uint32_t>(event.tag);
    Slot& slot = slots_[index];
    if (static_cast<uint32_t>(event.tag >> 32) != slot.generation) return;  // Stale.
    ClientConnection& c = slot.connection;
    if (c.state() == ClientConnection::State::kConnecting && c.FinishConnect() && c.open()) {
      ++result_.opened;
    }
    if (c.open()) Advance(slot, event.events);
    Refill(index);
  }

  void OnTick() {
    for (size_t i = 0; i < slots_.size(); ++i) {
      slots_[i].connection.AbandonIfStalled(session_.timeout(), "the echo or the EOF");
      Refill(i);
    }
  }

  bool NoneActive() const {
    for (const Slot& slot : slots_) {
      if (slot.connection.active()) return false;
    }
    return true;
  }

  Session& session_;
  const uint64_t message_size_;
  std::vector<Slot> slots_;
  ChurnResult result_;
  uint64_t next_stream_ = 0;
  bool opening_ = true;
};

}  // namespace

LoadReport RunChurn(Session& session) { return Churn(session).Run(); }

}  // namespace load
}  // namespace echo
