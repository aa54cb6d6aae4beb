// server_fuzzer.cc: the `server` fuzz target: the whole serving process.
//
// The real EchoServer and Lifecycle run on a real libev loop. Clients come
// through a FakeListener (socketpair()s, scripted accept failures, a small
// descriptor table, errno left stale on success) and time from a FakeClock,
// so connection limits, refusals, the reserve descriptor, accept back-off,
// idle and linger timers, drains and signals all run, without sleeping and
// without a network.
//
// Input: 7 bytes of configuration (output watermarks, read buffer, idle and
// send timeouts, connection limit, drain timeout, descriptor and per-address
// limits, stale errno), then up to kMaxActions actions, each an opcode byte
// (low 4 bits: which Step of kSteps; high 4 bits: which client) and for some
// an argument byte: connect a client, send, read, shut down, reset, one loop
// turn, loop until quiet, let time pass, script accept failures, a stop
// signal, a stats signal.
//
// Oracles (each checked as soon as it can be, see Check* below):
//   - every client receives exactly a prefix of what it sent;
//   - a client accepted while the server already held --max-connections, or
//     --max-connections-per-ip from its address, or right after an accept
//     failed for want of descriptors, is refused in that same loop turn; any
//     other is served;
//   - the reserve descriptor exists whenever the server does, and every
//     client still waiting is accepted once the back-off has passed;
//   - a connection closes by a timer only after the full idle timeout without
//     a byte moving, or once its output has waited the full send timeout with
//     no byte written, and no later than either;
//   - the counters (open, total, refused, timed out, bytes in, bytes out)
//     equal what the clients and the listener observed;
//   - a drain ends by its timeout at the latest and reports exactly once;
//     a second stop signal ends it at once;
//   - no spinning: a loop with nothing to do goes quiet within a few turns;
//   - at the end every client still connected gets back every byte the
//     server read from it, then EOF, and once the server is destroyed none
//     of its descriptors, the reserve included, is left open.

#include <sys/ioctl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <ev++.h>

#include "fuzz/fuzz_check.h"
#include "fuzz/fuzz_input.h"
#include "src/posix/unique_fd.h"
#include "src/server/echo_server.h"
#include "src/server/lifecycle.h"
#include "src/server/log.h"
#include "src/testing/fake_clock.h"
#include "src/testing/fake_listener.h"
#include "src/testing/test_time.h"

namespace echo {
namespace {

// Enough for every scenario the oracles need (the longest known, an idle
// timer firing early, takes about ten); more only slowed executions down.
constexpr size_t kMaxActions = 40;
constexpr size_t kMaxClients = 8;
// With a 1-byte read buffer the server takes 8 bytes a turn: keep every
// scenario a few hundred turns at most, so executions stay fast.
constexpr size_t kMaxBytesPerClient = 4 * 1024;
// Loop turns in a row that may fire watchers without any observable
// progress (a reaper pass, a resumed listener) before it counts as spinning.
constexpr int kMaxTurnsWithoutProgress = 8;
constexpr int kMaxSettleTurns = 1000;

constexpr WriteQueue::Watermarks kWatermarks[] = {
    {0, 1}, {100, 1000}, {1024, 4096}, {16 * 1024, 64 * 1024}};
constexpr size_t kReadBuffers[] = {1, 7, 1024, 16 * 1024};
constexpr std::optional<Duration> kIdleTimeouts[] = {std::nullopt, Duration(1), Duration(250),
                                                    Duration(1000)};
constexpr std::optional<Duration> kSendTimeouts[] = {std::nullopt, Duration(100), Duration(300),
                                                    Duration(2000)};
constexpr size_t kConnectionLimits[] = {1, 2, 3, 1000};
constexpr Duration kDrainTimeouts[] = {Duration(0), Duration(10), Duration(500),
                                      Duration(2000)};
constexpr size_t kDescriptorLimits[] = {SIZE_MAX, 3, 4, 6};
constexpr size_t kPerIpLimits[] = {0, 1, 2, 1000};  // 0: no limit.
constexpr size_t kPeerGroups = 3;  // Client addresses: "h0", "h1", "h2".
constexpr int kStaleErrnos[] = {0, EINTR, EAGAIN, 0};
constexpr int kAcceptErrors[] = {EMFILE, ENFILE, ENOBUFS, ENOMEM,
                                 ECONNABORTED, EINTR, EAGAIN, EPERM};
constexpr Duration kTimeSteps[] = {
    Duration(1),    Duration(9),    Duration(10),   Duration(99),
    Duration(100),  Duration(249),  Duration(250),  Duration(251),
    Duration(500),  Duration(999),  Duration(1000), Duration(1001),
    Duration(1999), Duration(2000), Duration(2001), Duration(5000)};

// What an opcode asks for (its low 4 bits index kSteps).
enum class Step : uint8_t {
  kConnect,      // A new client (up to kMaxClients).
  kSend,         // The client sends `size` bytes.
  kReceive,      // The client reads up to `size` bytes.
  kShutDown,     // The client shuts down its sending side.
  kReset,        // The client closes with unread data.
  kTurn,         // One loop turn, after the timers due now.
  kSettle,       // Loop turns until no watcher fires.
  kLetTimePass,  // One of kTimeSteps passes.
  kFailAccepts,  // The next accepts fail (argument: errno and count).
  kStopSignal,
  kStatsSignal,
};

// Opcode -> Step. The steps that move a scenario along have two codes each,
// so that mutations reach them more often. fuzz/make_seeds.py reads this
// table to encode its seeds.
constexpr Step kSteps[16] = {
    Step::kConnect,     Step::kSend,       Step::kReceive,     Step::kShutDown,     // 0-3
    Step::kReset,       Step::kTurn,       Step::kSettle,      Step::kLetTimePass,  // 4-7
    Step::kFailAccepts, Step::kStopSignal, Step::kStatsSignal, Step::kConnect,      // 8-11
    Step::kSend,        Step::kReceive,    Step::kTurn,        Step::kSettle,       // 12-15
};

// The address a connect opcode's client comes from.
std::string GroupOf(uint8_t opcode) { return "h" + std::to_string((opcode >> 4) % kPeerGroups); }

uint8_t StreamByte(size_t client, size_t offset) {
  return static_cast<uint8_t>((offset % 251) * 131 + 17 * client + 7);
}

uint64_t Readable(int fd) {
  int bytes = 0;
  return ::ioctl(fd, FIONREAD, &bytes) == 0 && bytes > 0 ? static_cast<uint64_t>(bytes) : 0;
}

// Turns of the loop in which at least one watcher fired.
uint64_t g_busy_turns = 0;

void CountBusyTurns(struct ev_loop* loop) {
  if (ev_pending_count(loop) > 0) ++g_busy_turns;
  ev_invoke_pending(loop);
}

ev::dynamic_loop& Loop() {
  static ev::dynamic_loop* loop = [] {
    auto* created = new ev::dynamic_loop(EVFLAG_AUTO);
    ev_set_invoke_pending_cb(created->raw_loop, CountBusyTurns);
    SetLogLevel(LogLevel::kError);  // Refusal warnings would flood the log.
    return created;
  }();
  return *loop;
}

struct Config {
  EchoServerConfig server;
  Duration drain_timeout{};
  FakeListener::Options listener;
};

Config DecodeConfig(FuzzInput& input) {
  Config config;
  config.server.connection.watermarks = kWatermarks[input.Below(4)];
  config.server.read_buffer_size = kReadBuffers[input.Below(4)];
  // One byte: idle timeout (mod 4), send timeout (/ 4 mod 4).
  const uint8_t timeouts = input.Byte();
  config.server.connection.idle_timeout = kIdleTimeouts[timeouts % 4];
  config.server.connection.send_timeout = kSendTimeouts[timeouts / 4 % 4];
  config.server.max_connections = kConnectionLimits[input.Below(4)];
  config.drain_timeout = kDrainTimeouts[input.Below(4)];
  // One byte: descriptor limit (mod 4), per-address limit (/ 4 mod 4).
  const uint8_t limits = input.Byte();
  config.listener.descriptor_limit = kDescriptorLimits[limits % 4];
  config.server.max_connections_per_ip = kPerIpLimits[limits / 4 % 4];
  config.listener.stale_errno = kStaleErrnos[input.Below(4)];
  return config;
}

// What happened to a client, as far as the harness can tell.
enum class Fate {
  kWaiting,     // In the backlog.
  kServed,      // Accepted and served; its server end is open.
  kRefused,     // Accepted and closed in the same turn.
  kDropped,     // Never accepted: the listener closed.
  kFinished,    // Closed by the server in a loop turn: gracefully.
  kIdleClosed,  // Closed by its idle timer.
  kAborted,     // Closed by time or a stop while draining: may miss bytes.
};

struct Client {
  size_t index = 0;  // In FakeListener::connections(), and the stream id.
  UniqueFd fd;
  Fate fate = Fate::kWaiting;
  size_t sent = 0;
  size_t received = 0;
  bool shut_down = false;
  bool reset = false;  // We closed our end.
  bool eof = false;
  // What the server did, observed from outside after every step.
  uint64_t server_read = 0;
  uint64_t server_wrote = 0;
  uint64_t read_before_drain = 0;
  Instant last_activity;  // When a byte last moved on the server's side.
  std::optional<Instant> stalled_since;  // Output pending and none written since.
};

class ServerHarness {
 public:
  ServerHarness(const Config& config, FuzzInput& input);
  ~ServerHarness() = default;

  void Run();

 private:
  void Apply(uint8_t opcode);
  Client* Pick(uint8_t opcode);
  void Connect(const std::string& peer_group, size_t max_clients = kMaxClients);
  void Send(Client& c, size_t n);
  void Receive(Client& c, size_t n);
  void Reset(Client& c);
  void ShutDown(Client& c);
  void ScriptAcceptFailures(uint8_t arg);
  void StopSignal();
  bool Turn();
  void Settle();
  void LetTimePass(Duration elapsed);
  void Observe(bool in_turn, bool was_serving);
  void JudgeAccepts();
  void NoteClosed(Client& c, bool in_turn, bool was_serving);
  std::optional<Duration> StalledFor(const Client& c);
  void CheckIdleRule();
  void CheckCounters();
  void CheckDrainDeadline();
  uint64_t ProgressSignature() const;
  void Finale();
  void CheckServiceResumes();
  void ReadEverything();
  void CheckNothingLeftOpen();
  void CheckFinalEcho(const Client& c) const;
  // The lifecycle has ended: it said so through its callback.
  bool finished() const { return reports_ > 0; }
  // No stop signal yet (nothing else ends serving).
  bool serving() const { return !drain_started_ && !finished(); }

  const Config config_;
  FuzzInput& input_;
  FakeClock clock_;
  FakeListener listener_;
  // Destroyed before the end of the run, to check what they leave open.
  std::unique_ptr<EchoServer> server_;
  int reports_ = 0;  // Lifecycle completions.
  std::unique_ptr<Lifecycle> lifecycle_;
  std::vector<Client> clients_;
  uint64_t expected_refused_ = 0;
  uint64_t expected_served_ = 0;
  uint64_t expected_timed_out_ = 0;
  uint64_t transient_accept_results_ = 0;
  std::optional<Instant> drain_started_;
  bool stopped_at_once_ = false;
};

ServerHarness::ServerHarness(const Config& config, FuzzInput& input)
    : config_(config),
      input_(input),
      clock_(Instant(Duration(1000))),
      listener_(config.listener),
      server_(std::make_unique<EchoServer>(Loop(), &listener_, &clock_, config.server)),
      lifecycle_(std::make_unique<Lifecycle>(server_.get(), &clock_, config.drain_timeout,
                                             [this] { ++reports_; })) {
  clients_.reserve(kMaxClients + 1);
}

void ServerHarness::Run() {
  for (size_t i = 0; i < kMaxActions && !input_.empty(); ++i) {
    Apply(input_.Byte());
    FUZZ_CHECK(reports_ <= 1, "the lifecycle reported its end %d times", reports_);
  }
  Finale();
}

// The client an opcode names; nullptr while there is none.
Client* ServerHarness::Pick(uint8_t opcode) {
  if (clients_.empty()) Connect(GroupOf(opcode));
  return clients_.empty() ? nullptr : &clients_[(opcode >> 4) % clients_.size()];
}

void ServerHarness::Apply(uint8_t opcode) {
  Client* c = nullptr;
  switch (kSteps[opcode & 0xf]) {
    case Step::kConnect: Connect(GroupOf(opcode)); break;
    case Step::kSend:
      if ((c = Pick(opcode)) != nullptr) Send(*c, input_.ScaledSize());
      break;
    case Step::kReceive:
      if ((c = Pick(opcode)) != nullptr) Receive(*c, input_.ScaledSize());
      break;
    case Step::kShutDown: if ((c = Pick(opcode)) != nullptr) ShutDown(*c); break;
    case Step::kReset: if ((c = Pick(opcode)) != nullptr) Reset(*c); break;
    case Step::kTurn: Turn(); break;
    case Step::kSettle: Settle(); break;
    case Step::kLetTimePass: LetTimePass(kTimeSteps[input_.Below(16)]); break;
    case Step::kFailAccepts: ScriptAcceptFailures(input_.Byte()); break;
    case Step::kStopSignal: StopSignal(); break;
    case Step::kStatsSignal: lifecycle_->OnStatsSignal(); break;
  }
}

void ServerHarness::Connect(const std::string& peer_group, size_t max_clients) {
  if (clients_.size() >= max_clients) return;
  Client c;
  c.index = listener_.connections().size();
  c.fd = listener_.Connect(peer_group);
  if (!c.fd.valid()) return;  // The listener is closed.
  clients_.push_back(std::move(c));
}

void ServerHarness::Send(Client& c, size_t n) {
  if (c.reset || c.shut_down || c.sent + n > kMaxBytesPerClient) return;
  uint8_t chunk[4096];
  n = std::min(n, sizeof(chunk));
  for (size_t i = 0; i < n; ++i) chunk[i] = StreamByte(c.index, c.sent + i);
  const ssize_t written = ::send(c.fd.get(), chunk, n, MSG_NOSIGNAL);
  if (written > 0) c.sent += static_cast<size_t>(written);
}

void ServerHarness::Receive(Client& c, size_t n) {
  if (c.reset || c.eof) return;
  uint8_t chunk[4096];
  n = std::min(n, sizeof(chunk));
  const ssize_t got = ::recv(c.fd.get(), chunk, n, 0);
  if (got == 0 || (got < 0 && errno == ECONNRESET)) c.eof = true;
  if (got <= 0) return;
  for (ssize_t i = 0; i < got; ++i) {
    FUZZ_CHECK(chunk[i] == StreamByte(c.index, c.received + i),
               "client %zu: echo byte %zu is wrong", c.index,
               c.received + static_cast<size_t>(i));
  }
  c.received += static_cast<size_t>(got);
  FUZZ_CHECK(c.received <= c.sent, "client %zu got %zu bytes, sent %zu", c.index,
             c.received, c.sent);
}

void ServerHarness::ShutDown(Client& c) {
  if (!c.reset && !c.shut_down) ::shutdown(c.fd.get(), SHUT_WR);
  c.shut_down = true;
}

// Our end closes with unread echo in it: the server's next I/O fails.
void ServerHarness::Reset(Client& c) {
  if (c.reset) return;
  Observe(false, serving());  // What the server wrote is final once we are gone.
  c.reset = true;
  c.fd.reset();
}

// Persistent conditions (no descriptors, no memory) may last many attempts;
// the others are one-off events a kernel does not repeat on one listener.
void ServerHarness::ScriptAcceptFailures(uint8_t arg) {
  static constexpr int kCounts[] = {1, 2, 3, 64};
  const int error = kAcceptErrors[arg & 7];
  const bool persistent = error == EMFILE || error == ENFILE || error == ENOBUFS ||
                          error == ENOMEM;
  const int count = kCounts[(arg >> 3) & 3];
  listener_.FailAccepts(error, persistent ? count : std::min(count, 3));
}

void ServerHarness::StopSignal() {
  if (finished()) return;
  Observe(false, serving());
  const bool second = drain_started_.has_value();
  if (!second) {
    drain_started_ = clock_.Now();
    for (Client& c : clients_) c.read_before_drain = c.server_read;
  }
  lifecycle_->OnStopSignal(SIGTERM);
  stopped_at_once_ |= second;
  Observe(false, false);
  if (second) {
    FUZZ_CHECK(finished(), "a second stop signal did not end the drain");
  }
}

// One turn of the loop, after the timers due now (as libev fires them at the
// start of an iteration). True if some watcher fired.
bool ServerHarness::Turn() {
  LetTimePass(Duration::zero());
  const uint64_t before = g_busy_turns;
  Loop().run(ev::NOWAIT);
  Observe(/*in_turn=*/true, serving());
  return g_busy_turns != before;
}

// Turns the loop until no watcher fires. Watchers that keep firing while
// nothing observable changes are a spinning server.
void ServerHarness::Settle() {
  int without_progress = 0;
  for (int turn = 0; turn < kMaxSettleTurns; ++turn) {
    const uint64_t before = ProgressSignature();
    if (!Turn()) return;
    without_progress = ProgressSignature() == before ? without_progress + 1 : 0;
    FUZZ_CHECK(without_progress <= kMaxTurnsWithoutProgress,
               "spinning: %d loop turns in a row fired watchers, nothing moved",
               without_progress);
  }
}

// Everything the server could have done that a client or the listener sees.
uint64_t ServerHarness::ProgressSignature() const {
  uint64_t signature = listener_.pending() * 1000003 + listener_.connections().size();
  for (const Client& c : clients_) {
    signature = signature * 31 + c.server_read * 7 + c.server_wrote * 13 +
                static_cast<uint64_t>(c.fate);
  }
  return signature + static_cast<uint64_t>(reports_) + transient_accept_results_ * 7919;
}

// Moves time on, stopping at every timer on the way so that each one's
// effect is checked at the exact time it fired.
void ServerHarness::LetTimePass(Duration elapsed) {
  const Instant target = clock_.Now() + elapsed;
  for (std::optional<Instant> due = clock_.NextDue(); due && *due <= target;
       due = clock_.NextDue()) {
    const bool was_serving = serving();
    clock_.AdvanceTo(*due);
    Observe(/*in_turn=*/false, was_serving);
    CheckIdleRule();
    CheckDrainDeadline();
  }
  clock_.AdvanceTo(target);
  CheckIdleRule();
  CheckDrainDeadline();
}

void ServerHarness::Observe(bool in_turn, bool was_serving) {
  listener_.Sweep();
  JudgeAccepts();
  const auto& connections = listener_.connections();
  for (Client& c : clients_) {
    const FakeListener::State state = connections[c.index].state;
    if (c.fate == Fate::kWaiting && state == FakeListener::State::kDropped) {
      c.fate = Fate::kDropped;
    }
    // Only a served connection, or one the server closed since the last
    // look, can have moved bytes.
    if (c.fate != Fate::kServed) continue;
    const uint64_t read = c.sent - listener_.Unread(c.index);
    const uint64_t wrote = c.reset ? c.server_wrote : c.received + Readable(c.fd.get());
    if (read != c.server_read || wrote != c.server_wrote) c.last_activity = clock_.Now();
    if (read == wrote) {
      c.stalled_since.reset();
    } else if (!c.stalled_since || wrote != c.server_wrote) {
      c.stalled_since = clock_.Now();  // Output started waiting, or some was written.
    }
    c.server_read = read;
    c.server_wrote = wrote;
    if (state == FakeListener::State::kClosedByServer) NoteClosed(c, in_turn, was_serving);
  }
  if (server_ != nullptr) {
    FUZZ_CHECK(listener_.live_reserves() == 1, "the server holds %zu reserve descriptors",
               listener_.live_reserves());
    CheckCounters();
  }
}

// Each accept of the last turn against the policy: refuse beyond the limit,
// and right after running out of descriptors; serve otherwise.
void ServerHarness::JudgeAccepts() {
  bool after_descriptor_failure = false;
  for (const FakeListener::AcceptRecord& record : listener_.TakeAcceptRecords()) {
    if (record.status == AcceptStatus::kAccepted) {
      Client& c = *std::find_if(clients_.begin(), clients_.end(), [&](const Client& k) {
        return k.index == record.connection;
      });
      const bool closed =
          listener_.connections()[c.index].state == FakeListener::State::kClosedByServer;
      const size_t per_ip = config_.server.max_connections_per_ip;
      const bool refuse = record.server_held >= config_.server.max_connections ||
                          (per_ip > 0 && record.group_held >= per_ip) ||
                          after_descriptor_failure;
      FUZZ_CHECK(closed == refuse,
                 "client %zu accepted with %zu of %zu connections held, %zu of %zu from its "
                 "address%s: %s", c.index, record.server_held,
                 config_.server.max_connections, record.group_held, per_ip,
                 after_descriptor_failure ? ", descriptors exhausted" : "",
                 closed ? "closed at once" : "not refused");
      c.fate = refuse ? Fate::kRefused : Fate::kServed;
      c.last_activity = clock_.Now();
      ++(refuse ? expected_refused_ : expected_served_);
    }
    after_descriptor_failure = record.status == AcceptStatus::kOutOfDescriptors;
    // A transient failure (EAGAIN or a client gone) is an event the server
    // answered; retrying on the next turn is right, not a spin.
    transient_accept_results_ += record.status == AcceptStatus::kWouldBlock ||
                                 record.status == AcceptStatus::kConnectionGone;
  }
}

// How long `c`'s output has waited with no byte written; nullopt if none waits.
std::optional<Duration> ServerHarness::StalledFor(const Client& c) {
  if (!c.stalled_since) return std::nullopt;
  return clock_.Now() - *c.stalled_since;
}

// A served connection's server end closed. In a loop turn that is a finish
// (an error only if we reset); by a timer while serving, only the idle
// timeout may close it, and only after a full idle period.
void ServerHarness::NoteClosed(Client& c, bool in_turn, bool was_serving) {
  if (in_turn) {
    c.fate = Fate::kFinished;
    return;
  }
  if (!was_serving) {
    c.fate = Fate::kAborted;
    return;
  }
  const std::optional<Duration> timeout = config_.server.connection.idle_timeout;
  const Duration idle = clock_.Now() - c.last_activity;
  const std::optional<Duration> send_timeout = config_.server.connection.send_timeout;
  const std::optional<Duration> stalled = StalledFor(c);
  FUZZ_CHECK((timeout && idle >= *timeout) || (send_timeout && stalled && *stalled >= *send_timeout),
             "client %zu closed by a timer after %s without a byte moving (idle timeout %s), "
             "output stalled %s (send timeout %s)", c.index, TimeText(idle).c_str(),
             TimeText(timeout).c_str(), TimeText(stalled).c_str(),
             TimeText(send_timeout).c_str());
  c.fate = Fate::kIdleClosed;
  ++expected_timed_out_;
}

// Timers fire on time, so a connection idle for the idle timeout, or whose
// output has waited for the send timeout, is closed by now.
void ServerHarness::CheckIdleRule() {
  const std::optional<Duration> timeout = config_.server.connection.idle_timeout;
  const std::optional<Duration> send_timeout = config_.server.connection.send_timeout;
  if (!serving()) return;
  for (const Client& c : clients_) {
    if (c.fate != Fate::kServed) continue;
    const Duration idle = clock_.Now() - c.last_activity;
    FUZZ_CHECK(!timeout || idle < *timeout, "client %zu still open after %s idle (timeout %s)",
               c.index, TimeText(idle).c_str(), TimeText(timeout).c_str());
    const std::optional<Duration> stalled = StalledFor(c);
    FUZZ_CHECK(!send_timeout || !stalled || *stalled < *send_timeout,
               "client %zu: output stalled %s, still open (send timeout %s)", c.index,
               TimeText(stalled).c_str(), TimeText(send_timeout).c_str());
  }
}

void ServerHarness::CheckDrainDeadline() {
  if (!drain_started_ || clock_.Now() < *drain_started_ + config_.drain_timeout) return;
  FUZZ_CHECK(finished(), "drain started at %s still running at %s (timeout %s)",
             TimeText(drain_started_).c_str(), TimeText(clock_.Now()).c_str(),
             TimeText(config_.drain_timeout).c_str());
}

void ServerHarness::CheckCounters() {
  const EchoServerStats s = server_->stats();
  uint64_t open = 0, bytes_in = 0, bytes_out = 0;
  for (const Client& c : clients_) {
    open += c.fate == Fate::kServed ? 1 : 0;
    bytes_in += drain_started_ ? c.read_before_drain : c.server_read;
    bytes_out += c.server_wrote;
  }
  FUZZ_CHECK(s.open == open, "open: server says %zu, clients see %llu", s.open,
             static_cast<unsigned long long>(open));
  FUZZ_CHECK(s.accepted == expected_served_ && s.refused == expected_refused_,
             "total/refused: server says %llu/%llu, clients see %llu/%llu",
             static_cast<unsigned long long>(s.accepted), static_cast<unsigned long long>(s.refused),
             static_cast<unsigned long long>(expected_served_),
             static_cast<unsigned long long>(expected_refused_));
  // While draining, idle timers may still close connections (counted);
  // which closes they were is not visible from outside.
  FUZZ_CHECK(drain_started_ ? s.timed_out >= expected_timed_out_
                                 : s.timed_out == expected_timed_out_,
             "timed out: server says %llu, clients saw %llu",
             static_cast<unsigned long long>(s.timed_out),
             static_cast<unsigned long long>(expected_timed_out_));
  FUZZ_CHECK(s.bytes_in == bytes_in && s.bytes_out == bytes_out,
             "bytes in/out: server says %llu/%llu, clients see %llu/%llu",
             static_cast<unsigned long long>(s.bytes_in), static_cast<unsigned long long>(s.bytes_out),
             static_cast<unsigned long long>(bytes_in), static_cast<unsigned long long>(bytes_out));
}

void ServerHarness::Finale() {
  listener_.ClearFailures();  // Whatever ran out is back.
  if (serving()) CheckServiceResumes();
  ReadEverything();
  if (!finished()) {
    StopSignal();
    Settle();
    LetTimePass(config_.drain_timeout);
  }
  FUZZ_CHECK(reports_ == 1, "the lifecycle reported its end %d times", reports_);
  for (const Client& c : clients_) CheckFinalEcho(c);
  CheckNothingLeftOpen();
}

// Once the back-off has passed, every waiting client is taken (served or
// refused), and a new client is answered.
void ServerHarness::CheckServiceResumes() {
  LetTimePass(EchoServer::kAcceptBackoff);
  Settle();
  FUZZ_CHECK(listener_.pending() == 0,
             "%zu clients still wait to be accepted after the back-off", listener_.pending());
  Connect("a different host", kMaxClients + 1);
  Settle();
  if (!clients_.empty()) Send(clients_.back(), 16);
}

// Every client shuts down its side and reads until EOF.
void ServerHarness::ReadEverything() {
  for (Client& c : clients_) ShutDown(c);
  int quiet_turns = 0;
  for (int turn = 0; turn < kMaxSettleTurns && quiet_turns < 3; ++turn) {
    const bool busy = Turn();
    bool progress = false;
    bool open = false;
    for (Client& c : clients_) {
      for (size_t before = c.received + 1; before != c.received && !c.eof;) {
        before = c.received;
        Receive(c, 4096);
        progress |= before != c.received || c.eof;
      }
      open |= !c.reset && !c.eof;
    }
    if (!open) break;
    quiet_turns = busy || progress ? 0 : quiet_turns + 1;
  }
}

// A client that did not reset got EOF; one that the server closed gracefully
// got back every byte the server read before any drain.
void ServerHarness::CheckFinalEcho(const Client& c) const {
  if (c.reset) return;
  FUZZ_CHECK(c.fate != Fate::kWaiting, "client %zu was never accepted", c.index);
  FUZZ_CHECK(c.eof, "client %zu: no EOF (fate %d, got %zu of %zu)", c.index,
             static_cast<int>(c.fate), c.received, c.sent);
  if (c.fate == Fate::kFinished) {
    FUZZ_CHECK(c.received == c.read_before_drain,
               "client %zu: the server read %llu bytes, echoed %zu", c.index,
               static_cast<unsigned long long>(c.read_before_drain), c.received);
  }
  if (c.fate == Fate::kRefused || c.fate == Fate::kDropped) {
    FUZZ_CHECK(c.received == 0, "client %zu: refused, yet got %zu bytes", c.index, c.received);
  }
}

// Once the server is gone, so is every descriptor it was given or opened.
void ServerHarness::CheckNothingLeftOpen() {
  lifecycle_.reset();
  server_.reset();
  listener_.Sweep();
  for (const FakeListener::Connection& c : listener_.connections()) {
    FUZZ_CHECK(c.state != FakeListener::State::kHandedOut,
               "server descriptor %d was never closed", c.server_fd);
  }
  FUZZ_CHECK(listener_.live_reserves() == 0, "%zu reserve descriptors left open",
             listener_.live_reserves());
}

}  // namespace
}  // namespace echo

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  echo::FuzzInput input(data, size);
  const echo::Config config = echo::DecodeConfig(input);
  echo::ServerHarness harness(config, input);
  harness.Run();
  return 0;
}
