// connection_fuzzer.cc: the `connection` fuzz target.
//
// Runs the real ConnectionDriver + EchoConnection against a FakePeer whose
// every read and write outcome, and the errno its successes leave behind,
// come from the input (connection_actions.h).
// Byte i of the peer's stream is PatternByte(i), so the echo oracle needs no
// copy of what was sent. After every action it checks:
//   - the bytes echoed so far are exactly the stream's prefix (order, no
//     loss, no duplicate);
//   - while open, every byte taken from the peer is either echoed or queued,
//     and once a read has returned the peer's EOF the connection never
//     wants to read; it finishes as the peer's (kPeerFinished) only after
//     such a read;
//   - the queue never exceeds its high watermark;
//   - no socket call after close, and closed <=> wants nothing; every event
//     returns the Interest the driver then reports (the loop arms from it);
//   - a read or write error closes the connection at once, and a connection
//     is closed as failed only if some read or write did fail;
//   - a clean finish (peer EOF, or a drain by the server) echoed everything
//     it read and shut down first; a draining connection makes no read call
//     until its FIN; then it lingers, discarding input, and closes at the
//     peer's EOF or after kLingerTimeout without input, never sooner, never
//     later; Deadline() is always the deadline the harness works out from
//     what it saw (idle, send or linger);
//   - an idle-timeout close happened only after a full idle period, a
//     send-timeout close only after output waited a full send timeout with
//     no byte written, and a timer firing after either always closes.
// At the end the peer drains and shuts down its side: unless an error closed
// the connection, everything the peer sent must come back.
//
// ECHO_FUZZ_EXPLAIN=1 prints the decoded timeline (tools/dev repro --explain).

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fuzz/connection_actions.h"
#include "fuzz/fuzz_check.h"
#include "fuzz/fuzz_input.h"
#include "src/core/connection_driver.h"
#include "src/testing/fake_peer.h"
#include "src/testing/test_time.h"

namespace echo {
namespace {

// What the peer may send in one input: enough to cross every watermark in
// the table but the largest (whose logic is the same), and at most
// kMaxReadsOfPeerBytes reads' worth, so that runs with one-byte reads (tiny
// buffer or tiny queue) stay as cheap as the others: exec/s finds bugs.
constexpr size_t kMaxPeerBytes = 4 * 1024;
constexpr size_t kMaxReadsOfPeerBytes = 32;
constexpr size_t kPatternPeriod = 251;  // Prime: shifts by a block show up.

uint8_t PatternByte(size_t offset) {
  return static_cast<uint8_t>((offset % kPatternPeriod) * 131 + 7);
}

// The stream the peer sends, precomputed so that any chunk is a pointer into
// this table: no per-action allocation or fill loop.
const std::vector<uint8_t>& PatternTable() {
  static const std::vector<uint8_t> table = [] {
    std::vector<uint8_t> t(kPatternPeriod + 64 * 1024);
    for (size_t i = 0; i < t.size(); ++i) t[i] = PatternByte(i);
    return t;
  }();
  return table;
}

class ConnectionHarness {
 public:
  explicit ConnectionHarness(bool explain) : explain_(explain) {}

  void Run(const uint8_t* data, size_t size);

 private:
  void Apply(const Action& action);
  void PeerSends(size_t count);
  void TimePasses(Duration elapsed);
  ReadBuffer Scratch() { return {read_buffer_.data(), setup_.read_buffer_size}; }
  // The driver wants nothing once it has released its socket.
  bool Released() const { return driver_->interest().none(); }
  void CheckReturned(Interest returned);
  void NoteProgress();
  void CheckEchoedPrefix(const std::string& echoed);
  void CheckInvariants();
  void CheckStates();
  void CheckOpen();
  void CheckClosed();
  void CheckDeadline();
  void DrainAndCheckEcho();
  void Explain(const std::string& what);

  const bool explain_;
  FakePeer peer_;  // Reused across inputs: keeps its buffers' capacity.
  std::unique_ptr<ConnectionDriver> driver_;
  ConnectionSetup setup_;
  std::vector<uint8_t> read_buffer_;
  bool peer_finished_sending_ = false;
  bool closed_seen_ = false;
  size_t taken_at_close_ = 0;
  bool was_lingering_ = false;
  bool linger_cut_ = false;  // The linger ended by timeout or abort.
  Instant linger_since_;  // Lingering, and no input discarded, since then.
  int reads_at_drain_ = -1;  // Read calls when draining began; -1 before.
  Instant now_;
  Instant last_activity_;
  size_t last_taken_ = 0;
  std::optional<Instant> stalled_since_;  // Output queued and unwritten since.
  size_t last_echoed_ = 0;
  size_t verified_ = 0;  // Echoed bytes already checked against the pattern.
};

void ConnectionHarness::Run(const uint8_t* data, size_t size) {
  FuzzInput input(data, size);
  setup_ = DecodeSetup(input);
  peer_.Reset();
  peer_.set_stale_errno(setup_.stale_errno);
  // Contents are irrelevant (only bytes a read returned are used): grow,
  // never clear, so a 16 KiB buffer costs no memset per run.
  if (read_buffer_.size() < setup_.read_buffer_size) {
    read_buffer_.resize(setup_.read_buffer_size);
  }
  peer_finished_sending_ = closed_seen_ = false;
  was_lingering_ = linger_cut_ = false;
  taken_at_close_ = 0;
  linger_since_ = Instant();
  reads_at_drain_ = -1;
  now_ = last_activity_ = Instant();
  last_taken_ = verified_ = last_echoed_ = 0;
  stalled_since_.reset();
  driver_ = std::make_unique<ConnectionDriver>(peer_.NewSocket(),
                                               setup_.options, now_);
  if (explain_) Explain(DescribeSetup(setup_));
  for (size_t i = 0; i < kMaxActions && !input.empty(); ++i) {
    const Action action = DecodeAction(input);
    Apply(action);
    // Descriptions are built only when asked for: a string per action would
    // cost more than the action itself.
    if (explain_) Explain(DescribeAction(action));
    CheckInvariants();
  }
  DrainAndCheckEcho();
  driver_.reset();
  FUZZ_CHECK(peer_.closed(), "destroying the driver must release the socket");
  FUZZ_CHECK(peer_.calls_after_close() == 0, "socket used after close");
}

void ConnectionHarness::Apply(const Action& action) {
  const int errors_before = peer_.read_errors() + peer_.write_errors();
  const bool lingering_before = driver_->lingering();
  switch (action.kind) {
    case ActionKind::kPeerSends: PeerSends(action.amount); break;
    case ActionKind::kReadWouldBlock: peer_.ReadWouldBlock(); break;
    case ActionKind::kReadInterrupted: peer_.ReadInterrupted(); break;
    case ActionKind::kPeerShutsDown:
      if (!peer_finished_sending_) peer_.CloseSendingSide();
      peer_finished_sending_ = true;
      break;
    case ActionKind::kReadFails: peer_.ReadFails(action.error_code); break;
    case ActionKind::kWriteAccepts: peer_.AcceptUpTo(action.amount); break;
    case ActionKind::kWriteWouldBlock: peer_.WriteWouldBlock(); break;
    case ActionKind::kWriteInterrupted: peer_.WriteInterrupted(); break;
    case ActionKind::kWriteFails: peer_.WriteFails(action.error_code); break;
    case ActionKind::kSocketReadable:
      // A level-triggered loop reports readable only while read is wanted.
      if (driver_->interest().read) CheckReturned(driver_->OnReadable(Scratch(), now_));
      break;
    case ActionKind::kSocketWritable:
      if (driver_->interest().write) CheckReturned(driver_->OnWritable(now_));
      break;
    case ActionKind::kTimePasses: TimePasses(Duration(action.amount)); break;
    case ActionKind::kOwnerAborts:
      linger_cut_ |= driver_->lingering();
      driver_->Abort();
      break;
    case ActionKind::kOwnerDrains:
      CheckReturned(driver_->Drain(now_));
      // From now on it must not read for the echo (a drain of a closed
      // connection changes nothing).
      if (!driver_->connection().closed() && reads_at_drain_ < 0) {
        reads_at_drain_ = peer_.read_calls();
      }
      break;
  }
  // A read or write error closes the connection at once.
  if (peer_.read_errors() + peer_.write_errors() > errors_before && !lingering_before) {
    FUZZ_CHECK(driver_->connection().closed(), "an I/O error left the connection open");
  }
  NoteProgress();
}

void ConnectionHarness::PeerSends(size_t count) {
  // Nothing follows a FIN; the budget keeps one input cheap.
  // A read takes at most a buffer, and at most the high watermark.
  const size_t largest_read = std::min(setup_.read_buffer_size,
                                       setup_.options.watermarks.high);
  const size_t budget = std::min(kMaxPeerBytes, kMaxReadsOfPeerBytes * largest_read);
  if (peer_finished_sending_ || peer_.sent() + count > budget) return;
  // Chunks of the pattern table, continuing the stream where it stopped.
  while (count > 0) {
    const size_t phase = peer_.sent() % kPatternPeriod;
    const size_t n = std::min(count, PatternTable().size() - phase);
    peer_.Send(PatternTable().data() + phase, n);
    count -= n;
  }
}

void ConnectionHarness::TimePasses(Duration elapsed) {
  now_ += elapsed;
  const bool was_open = !driver_->connection().closed();
  const bool was_lingering = driver_->lingering();
  CheckReturned(driver_->OnTimer(now_));
  if (was_lingering) {
    const bool over = now_ - linger_since_ >= ConnectionDriver::kLingerTimeout;
    FUZZ_CHECK(Released() == over, "lingering %s without input (limit %s), yet %s",
               TimeText(now_ - linger_since_).c_str(),
               TimeText(ConnectionDriver::kLingerTimeout).c_str(),
               Released() ? "closed" : "still lingering");
    linger_cut_ |= over;
  }
  const std::optional<Duration> timeout = setup_.options.idle_timeout;
  const bool idle_long_enough = timeout && now_ - last_activity_ >= *timeout;
  const std::optional<Duration> send_timeout = setup_.options.send_timeout;
  const std::optional<Duration> stalled =
      stalled_since_ ? std::optional<Duration>(now_ - *stalled_since_) : std::nullopt;
  const bool stalled_long_enough = send_timeout && stalled && *stalled >= *send_timeout;
  if (was_open) {
    const EchoConnection& conn = driver_->connection();
    FUZZ_CHECK(conn.closed() == (idle_long_enough || stalled_long_enough),
               "idle for %s (timeout %s), output stalled for %s (timeout %s), yet %s",
               TimeText(now_ - last_activity_).c_str(), TimeText(timeout).c_str(),
               TimeText(stalled).c_str(), TimeText(send_timeout).c_str(),
               conn.closed() ? "closed" : "still open");
    if (conn.closed()) {
      FUZZ_CHECK(conn.close_reason() == (stalled_long_enough ? CloseReason::kSendTimeout
                                                            : CloseReason::kIdleTimeout),
                 "closed by a timer as %s", CloseReasonName(conn.close_reason()));
    }
  }
}

// What an event returns is what the driver wants next: the loop arms its
// watcher from it, so it must say what interest() says.
void ConnectionHarness::CheckReturned(Interest returned) {
  const Interest wanted = driver_->interest();
  FUZZ_CHECK(returned == wanted, "returned {read=%d, write=%d}, but wants {read=%d, write=%d}",
             returned.read, returned.write, wanted.read, wanted.write);
}

// Activity as the harness sees it: bytes taken from the peer or echoed.
// While lingering, the same is input discarded, which restarts the linger.
void ConnectionHarness::NoteProgress() {
  const size_t moved = peer_.taken() + peer_.received().size();
  const bool moved_now = moved != last_taken_;
  if (moved_now) {
    last_taken_ = moved;
    last_activity_ = now_;
  }
  const size_t echoed = peer_.received().size();
  if (driver_->connection().queued() == 0 || driver_->connection().closed()) {
    stalled_since_.reset();
  } else if (!stalled_since_ || echoed != last_echoed_) {
    stalled_since_ = now_;  // Output started waiting, or some of it was written.
  }
  last_echoed_ = echoed;
  if (driver_->lingering() && (!was_lingering_ || moved_now)) linger_since_ = now_;
  was_lingering_ = driver_->lingering();
}

// The echo so far must be the stream's prefix. Checked incrementally, a
// table row at a time (memcmp, not a loop per byte: this runs every action).
void ConnectionHarness::CheckEchoedPrefix(const std::string& echoed) {
  const uint8_t* table = PatternTable().data();
  while (verified_ < echoed.size()) {
    const size_t phase = verified_ % kPatternPeriod;
    const size_t n = std::min(echoed.size() - verified_, PatternTable().size() - phase);
    FUZZ_CHECK(std::memcmp(echoed.data() + verified_, table + phase, n) == 0,
               "echo bytes %zu..%zu differ from the stream: lost, duplicated "
               "or reordered", verified_, verified_ + n);
    verified_ += n;
  }
}

void ConnectionHarness::CheckInvariants() {
  FUZZ_CHECK(peer_.calls_after_close() == 0, "socket used after close");
  FUZZ_CHECK(peer_.received().size() <= peer_.taken(), "echoed %zu bytes but read %zu",
             peer_.received().size(), peer_.taken());
  CheckEchoedPrefix(peer_.received());
  CheckStates();
  if (driver_->connection().closed()) {
    CheckClosed();
  } else {
    CheckOpen();
  }
  CheckDeadline();
}

// The connection, the driver and the socket agree on what is open.
void ConnectionHarness::CheckStates() {
  const EchoConnection& conn = driver_->connection();
  FUZZ_CHECK(conn.interest().none() == conn.closed(), "closed <=> wants nothing");
  FUZZ_CHECK(Released() == peer_.closed(), "the driver wants nothing <=> its socket is closed");
  if (driver_->lingering()) {
    FUZZ_CHECK(conn.close_reason() == CloseReason::kDrained && peer_.shut_down(),
               "lingering without a drained connection's FIN");
  } else {
    FUZZ_CHECK(Released() == conn.closed(), "closed but socket not released");
  }
  if (reads_at_drain_ >= 0 && !driver_->lingering() && !Released()) {
    FUZZ_CHECK(peer_.read_calls() == reads_at_drain_, "read while draining");
  }
}

// While open, every byte read is echoed or queued, the queue stays within
// its high watermark, and once a read has returned the peer's EOF the
// connection never wants to read again.
void ConnectionHarness::CheckOpen() {
  const EchoConnection& conn = driver_->connection();
  const size_t echoed = peer_.received().size();
  FUZZ_CHECK(peer_.taken() == echoed + conn.queued(),
             "read %zu, echoed %zu, queued %zu: bytes lost or invented", peer_.taken(),
             echoed, conn.queued());
  FUZZ_CHECK(conn.queued() <= setup_.options.watermarks.high, "queue holds %zu bytes, limit %zu",
             conn.queued(), setup_.options.watermarks.high);
  FUZZ_CHECK(peer_.eof_reads() == 0 || !conn.interest().read,
             "wants to read after %d read(s) returned the peer's EOF", peer_.eof_reads());
}

// Closed as failed only if some read or write failed, as the peer's finish
// only after a read returned its EOF; a clean finish echoed everything it
// read and sent FIN first.
void ConnectionHarness::CheckClosed() {
  const CloseReason reason = driver_->connection().close_reason();
  if (!closed_seen_) {
    closed_seen_ = true;
    taken_at_close_ = peer_.taken();  // Reads after this (lingering) are discarded.
  }
  if (reason == CloseReason::kPeerReset || reason == CloseReason::kReadFailed ||
      reason == CloseReason::kWriteFailed) {
    FUZZ_CHECK(peer_.read_errors() + peer_.write_errors() > 0,
               "closed as %s, yet no read or write failed", CloseReasonName(reason));
  }
  if (reason == CloseReason::kPeerFinished) {
    FUZZ_CHECK(peer_.eof_reads() > 0, "closed as %s, yet no read returned EOF",
               CloseReasonName(reason));
  }
  if (IsGracefulClose(reason)) {
    FUZZ_CHECK(peer_.received().size() == taken_at_close_, "%s before echoing all",
               CloseReasonName(reason));
    FUZZ_CHECK(peer_.shut_down(), "%s without sending FIN", CloseReasonName(reason));
  }
}

// Deadline() is exactly the deadline the harness works out from what it
// saw: the end of a linger, else the earlier of the idle deadline (the last
// byte moved plus the idle timeout) and the send deadline (output waiting
// since, plus the send timeout); never once the socket is released.
void ConnectionHarness::CheckDeadline() {
  const std::optional<Duration>& idle_timeout = setup_.options.idle_timeout;
  const std::optional<Duration>& send_timeout = setup_.options.send_timeout;
  const std::optional<Instant> idle_deadline =
      idle_timeout ? std::optional<Instant>(last_activity_ + *idle_timeout) : std::nullopt;
  const std::optional<Instant> send_deadline =
      send_timeout && stalled_since_ ? std::optional<Instant>(*stalled_since_ + *send_timeout)
                                     : std::nullopt;
  const std::optional<Instant> expected =
      Released()             ? std::nullopt
      : driver_->lingering() ? linger_since_ + ConnectionDriver::kLingerTimeout
                             : Earlier(idle_deadline, send_deadline);
  FUZZ_CHECK(driver_->Deadline() == expected, "deadline %s, expected %s",
             TimeText(driver_->Deadline()).c_str(), TimeText(expected).c_str());
}

// The peer now reads everything and shuts down its side. Unless an error
// ends the connection first, the echo must come back complete, then FIN.
void ConnectionHarness::DrainAndCheckEcho() {
  if (Released()) return;
  if (explain_) Explain("drain: peer reads everything and shuts down its side");
  peer_.set_idle_writes(FakePeer::IdleWrites::kAcceptAll);
  if (!peer_finished_sending_) peer_.CloseSendingSide();
  peer_finished_sending_ = true;
  const size_t max_rounds = 16 + 2 * kMaxPeerBytes;  // Progress every round.
  for (size_t round = 0; round < max_rounds && !Released(); ++round) {
    CheckReturned(driver_->OnReadable(Scratch(), now_));
    CheckReturned(driver_->OnWritable(now_));
    NoteProgress();
    CheckInvariants();
  }
  FUZZ_CHECK(Released(), "connection never finished while draining");
  const CloseReason reason = driver_->connection().close_reason();
  FUZZ_CHECK(reason != CloseReason::kIdleTimeout && reason != CloseReason::kSendTimeout &&
                 reason != CloseReason::kAborted,
             "closed by %s while draining", CloseReasonName(reason));
  if (reason == CloseReason::kPeerFinished) {
    FUZZ_CHECK(peer_.unread() == 0 && peer_.received().size() == peer_.sent(),
               "peer sent %zu, got back %zu", peer_.sent(), peer_.received().size());
  }
  // A drained connection reads no more, but echoes every byte it did read,
  // and closes only once input is exhausted (else the close is a reset),
  // unless its linger was cut short (timeout, abort, or the peer's reset: a
  // read error can only have ended the linger, since any earlier one would
  // have closed the connection for another reason).
  if (reason == CloseReason::kDrained) {
    FUZZ_CHECK(peer_.received().size() == taken_at_close_,
               "drained: read %zu, got back %zu", taken_at_close_, peer_.received().size());
    FUZZ_CHECK(linger_cut_ || peer_.read_errors() > 0 || peer_.unread() == 0,
               "drained connection closed with %zu bytes unread: a reset", peer_.unread());
  }
  if (explain_) Explain(std::string("closed: ") + CloseReasonName(reason));
}

void ConnectionHarness::Explain(const std::string& what) {
  const EchoConnection& conn = driver_->connection();
  const Interest next = driver_->interest();
  std::fprintf(stderr, "t=%lldms %-44s | read %zu, echoed %zu, queued %zu, wants %s\n",
               static_cast<long long>(now_.time_since_epoch().count()), what.c_str(), peer_.taken(),
               peer_.received().size(), conn.queued(),
               next.none() ? "nothing (closed)"
               : driver_->lingering() ? "read (lingering: discarding until EOF)"
               : next.read && next.write ? "read+write"
               : next.read ? "read" : "write");
}

}  // namespace
}  // namespace echo

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static echo::ConnectionHarness* harness =
      new echo::ConnectionHarness(std::getenv("ECHO_FUZZ_EXPLAIN") != nullptr);
  harness->Run(data, size);
  return 0;
}
