// fake_listener.h: FakeListener, an Acceptor over socketpair()s whose
// failures are scripted, for tests and fuzzers.
//
// A harness connects clients (it keeps their end; the other end waits in a
// backlog) and scripts accept failures; the server under test accepts
// through the Acceptor interface and cannot tell the difference. Failures go
// through the same RetryAccept()/AcceptResultFromRaw() as the real listener,
// so EINTR handling and errno classification are the real code.
//
// What it models beyond a script:
//   - a descriptor table of `descriptor_limit` slots: the server's live
//     connections and reserve descriptors fill it, and an accept or a reserve
//     that would exceed it fails with EMFILE, as in a process at its rlimit;
//   - errno left stale on success (`stale_errno`, e.g. EINTR), which libc
//     allows and code that reads errno without a failure gets wrong;
//   - closing the listener drops the clients still waiting (they see EOF).
//
// It observes, without trusting the server's word: which descriptors the
// server closed (each is checked with fcntl() before any new descriptor is
// created, so a reused number is never mistaken for a live one), and how
// many bytes of each connection the server never read (it keeps a duplicate
// of each handed-out end for that, closed once the server closed its own).

#ifndef ECHO_LAB_TESTING_FAKE_LISTENER_H_
#define ECHO_LAB_TESTING_FAKE_LISTENER_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "src/posix/acceptor.h"
#include "src/posix/unique_fd.h"

namespace echo {

class FakeListener : public Acceptor {
 public:
  struct Options {
    size_t descriptor_limit = SIZE_MAX;  // Slots for the server's descriptors.
    int stale_errno = 0;                 // errno after a successful accept.
  };

  enum class State { kPending, kHandedOut, kClosedByServer, kDropped };

  // One client, from Connect() on.
  struct Connection {
    State state = State::kPending;
    int server_fd = -1;  // The end for the server (number kept after close).
    std::string peer_group;  // What Accept() reports as its source.
    uint64_t unread_at_close = 0;  // Set when the server's end closed.
  };

  // One Accept() call, as the server saw it.
  struct AcceptRecord {
    AcceptStatus status = AcceptStatus::kWouldBlock;
    size_t connection = 0;    // With kAccepted: the index handed out.
    size_t server_held = 0;   // With kAccepted: connections the server held,
    size_t group_held = 0;    // and of those, from the same peer group.
  };

  explicit FakeListener(Options options);
  ~FakeListener() override;
  FakeListener(const FakeListener&) = delete;
  FakeListener& operator=(const FakeListener&) = delete;

  // ---- Harness side ----
  // A new client in the backlog, from `peer_group`; returns its end
  // (non-blocking), or an invalid descriptor if the listener is closed. Its
  // index is the next one of connections().
  [[nodiscard]] UniqueFd Connect(const std::string& peer_group = "");
  // The next `count` accept attempts fail with `error` (EINTR included:
  // those are retried inside Accept()).
  void FailAccepts(int error, int count);
  // Notes every descriptor the server has closed since the last look.
  void Sweep();
  const std::vector<Connection>& connections() const { return connections_; }
  // Bytes the client sent that the server has not read (frozen at close).
  uint64_t Unread(size_t index) const;
  size_t pending() const { return backlog_.size(); }
  size_t scripted_failures() const { return failures_.size(); }
  // After Sweep(): descriptors the server holds (connections + reserves).
  size_t server_descriptors() const;
  size_t live_reserves() const;
  bool closed() const { return closed_; }
  // Every Accept() since the last call, oldest first.
  [[nodiscard]] std::vector<AcceptRecord> TakeAcceptRecords();
  // Drops the failures still scripted (the condition has passed).
  void ClearFailures() { failures_.clear(); }

  // ---- Acceptor ----
  int ready_fd() const override { return ready_.get(); }
  AcceptResult Accept() override;
  [[nodiscard]] UniqueFd OpenReserve() override;
  void Close() override;

 private:
  RawIo NextRawAccept();
  void UpdateReadiness();

  Options options_;
  UniqueFd ready_;  // An eventfd, readable while the backlog is not empty.
  bool closed_ = false;
  std::vector<Connection> connections_;
  std::vector<UniqueFd> duplicates_;  // Per connection: the fake's copy.
  std::deque<size_t> backlog_;        // Indexes of pending connections.
  std::deque<int> failures_;          // Scripted errno per accept attempt.
  std::vector<int> reserves_;         // Reserve numbers handed out, live.
  std::vector<AcceptRecord> records_;
};

}  // namespace echo

#endif  // ECHO_LAB_TESTING_FAKE_LISTENER_H_
