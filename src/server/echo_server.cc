#include "src/server/echo_server.h"

#include <fcntl.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <utility>

#include "src/core/bug_injection.h"
#include "src/posix/listener.h"
#include "src/posix/posix_socket.h"
#include "src/server/log.h"

namespace echo {
namespace {

// Accepts per listener event, so a connection storm cannot starve the
// clients already being served.
constexpr int kMaxAcceptsPerEvent = 64;

int EventsFor(Interest interest) {
  return (interest.read ? ev::READ : 0) | (interest.write ? ev::WRITE : 0);
}

// The core's clock. Monotonic, because the core requires that time never
// goes back, and ev_now() follows the wall clock (a clock step would close
// busy connections as idle, or keep idle ones open). ev_timer itself runs on
// monotonic time, so deadlines and timers agree.
Millis MonotonicNow() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// How long accepting pauses when refusing a client failed too (ENFILE, or no
// reserve descriptor): the listener would otherwise stay readable and spin.
constexpr double kAcceptBackoffSeconds = 0.1;

UniqueFd OpenReserveFd() {
  return UniqueFd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
}

}  // namespace

struct EchoServer::Client {
  Client(EchoServer* server, UniqueFd fd, const EchoConnection::Options& options)
      : server(server),
        fd(fd.get()),
        driver(std::make_unique<PosixSocket>(std::move(fd)), options,
               MonotonicNow()),
        watcher(server->loop_),
        idle_timer(server->loop_) {
    watcher.set<Client, &Client::OnReady>(this);
    idle_timer.set<Client, &Client::OnTimer>(this);
  }

  void OnReady(ev::io& /*watcher*/, int revents) {
    server->OnClientReady(this, revents);
  }
  void OnTimer(ev::timer& /*watcher*/, int /*revents*/) {
    server->OnClientTimer(this);
  }

  EchoServer* server;
  uint64_t id = 0;  // For debug logs: the n-th connection accepted.
  int fd;  // Owned by driver's socket; kept for the watcher.
  ConnectionDriver driver;
  ev::io watcher;
  // One timer per connection, armed for the idle deadline and re-armed only
  // when it fires (libev manual, "Be smart about timeouts", method 2): most
  // events move the deadline without touching the timer.
  ev::timer idle_timer;
  ClientList::iterator position;
};

EchoServer::EchoServer(ev::loop_ref loop, UniqueFd listener,
                       EchoServerConfig config)
    : loop_(loop),
      config_(config),
      listener_(std::move(listener)),
      reserve_fd_(OpenReserveFd()),
      listener_watcher_(loop),
      accept_backoff_(loop),
      reaper_(loop),
      read_buffer_(config.read_buffer_size > 0 ? config.read_buffer_size : 1) {
  listener_watcher_.set<EchoServer, &EchoServer::OnListenerReady>(this);
  if (listener_.valid()) listener_watcher_.start(listener_.get(), ev::READ);
  reaper_.set<EchoServer, &EchoServer::ReapRetired>(this);
  accept_backoff_.set<EchoServer, &EchoServer::ResumeAccepting>(this);
}

EchoServer::~EchoServer() { Stop(); }

void EchoServer::Stop() {
  listener_watcher_.stop();
  accept_backoff_.stop();
  listener_.reset();
  reaper_.stop();
  for (auto& client : clients_) {
    client->watcher.stop();
    client->idle_timer.stop();
    client->driver.Abort();
  }
  // Not inside any client callback here, so destroying is safe.
  for (auto& client : clients_) {
    stats_.bytes_in += client->driver.connection().bytes_received();
    stats_.bytes_out += client->driver.connection().bytes_sent();
  }
  clients_.clear();
  retired_.clear();
  stats_.open = 0;
  on_drained_ = nullptr;
}

void EchoServer::Drain(std::function<void()> on_drained) {
  listener_watcher_.stop();
  accept_backoff_.stop();
  listener_.reset();
  on_drained_ = std::move(on_drained);
  const Millis now = MonotonicNow();
  for (auto it = clients_.begin(); it != clients_.end();) {
    Client* client = (it++)->get();  // Rearm may retire (and unlink) it.
    Rearm(client, client->driver.Drain(now));
  }
  NotifyIfDrained();
}

// Runs the drain callback once, when the last connection is gone.
void EchoServer::NotifyIfDrained() {
  if (!on_drained_ || !clients_.empty()) return;
  const std::function<void()> done = std::exchange(on_drained_, nullptr);
  done();
}

EchoServerStats EchoServer::stats() const {
  EchoServerStats stats = stats_;
  for (const auto& client : clients_) {
    stats.bytes_in += client->driver.connection().bytes_received();
    stats.bytes_out += client->driver.connection().bytes_sent();
  }
  return stats;
}

void EchoServer::OnListenerReady(ev::io& /*watcher*/, int /*revents*/) {
  AcceptPending();
}

void EchoServer::AcceptPending() {
  for (int i = 0; i < kMaxAcceptsPerEvent; ++i) {
    AcceptResult result = AcceptConnection(listener_.get());
    switch (result.status) {
      case AcceptStatus::kAccepted:
        if (clients_.size() >= config_.max_connections) {
          Refuse(std::move(result.fd), "connection limit reached");
        } else {
          refusing_ = false;
          Adopt(std::move(result.fd));
        }
        break;
      case AcceptStatus::kWouldBlock:
        return;
      case AcceptStatus::kConnectionGone:
        break;
      case AcceptStatus::kOutOfDescriptors:
        RefuseOnePending();
        return;
      case AcceptStatus::kFailed:
        Log(LogLevel::kError, "accept failed: %s", std::strerror(result.system_code));
        return;
    }
  }
}

// Out of descriptors: the pending client would keep the listener readable
// and the loop spinning. Free the reserve descriptor, accept the client and
// close it at once (it sees a clean close), then take the reserve back.
void EchoServer::RefuseOnePending() {
  reserve_fd_.reset();
  AcceptResult result = AcceptConnection(listener_.get());
  if (result.status == AcceptStatus::kAccepted) {
    Refuse(std::move(result.fd), "out of file descriptors");
  }
  reserve_fd_ = OpenReserveFd();
  if (result.status == AcceptStatus::kOutOfDescriptors) {
    // The reserve did not help (system-wide ENFILE, no memory, or no reserve
    // descriptor): pause accepting briefly instead of spinning.
    if (!refusing_) {
      Log(LogLevel::kWarn, "cannot accept: %s; pausing accepts",
          std::strerror(result.system_code));
      refusing_ = true;
    }
    listener_watcher_.stop();
    accept_backoff_.start(kAcceptBackoffSeconds, 0.0);
  }
}

void EchoServer::ResumeAccepting(ev::timer& /*watcher*/, int /*revents*/) {
  if (listener_.valid()) listener_watcher_.start(listener_.get(), ev::READ);
}

// Closes a client we will not serve. It sees the connection close at once
// (EOF, or a reset if it had already sent data), which is the clean refusal
// TCP offers; the first refusal of a spell is logged, not every one.
void EchoServer::Refuse(UniqueFd fd, const char* why) {
  fd.reset();
  ++stats_.refused;
  if (!refusing_) {
    Log(LogLevel::kWarn, "refusing new connections: %s (%zu open)", why,
        clients_.size());
    refusing_ = true;
  }
}

void EchoServer::Adopt(UniqueFd fd) {
  ++stats_.accepted;
  ++stats_.open;
  auto client =
      std::make_unique<Client>(this, std::move(fd), config_.connection);
  Client* raw = client.get();
  raw->id = stats_.accepted;
  Log(LogLevel::kDebug, "connection %llu opened (%zu open)",
      static_cast<unsigned long long>(raw->id), clients_.size() + 1);
  raw->position = clients_.insert(clients_.end(), std::move(client));
  raw->watcher.start(raw->fd, EventsFor(raw->driver.interest()));
  Rearm(raw, raw->driver.interest());
}

void EchoServer::OnClientReady(Client* client, int revents) {
  const Millis now = MonotonicNow();
  Interest interest = client->driver.interest();
  if (revents & ev::READ) {
    interest = client->driver.OnReadable(
        {read_buffer_.data(), read_buffer_.size()}, now);
  }
  if ((revents & ev::WRITE) && interest.write) {
    interest = client->driver.OnWritable(now);
  }
  Rearm(client, interest);
}

void EchoServer::OnClientTimer(Client* client) {
  const Millis now = MonotonicNow();
  const Interest interest = client->driver.OnTimer(now);
  Rearm(client, interest);
}

// Points the client's watcher at what its connection wants, or retires it,
// and keeps its timer armed for the driver's deadline. The timer is re-armed
// only when it is not running (it fires early after activity, and is then
// re-armed for the later deadline), or while lingering, whose deadline is
// sooner than any idle deadline the timer may be set for.
void EchoServer::Rearm(Client* client, Interest interest) {
  if (interest.none()) {
#if ECHO_BUG_USE_AFTER_FREE  // INJECTED BUG USE_AFTER_FREE
    // Destroys the client inside its own callback, then touches it.
    client->watcher.stop();
    client->idle_timer.stop();
    --stats_.open;
    clients_.erase(client->position);
    if (client->watcher.events != 0) ++stats_.refused;
    return;
#endif
    Retire(client);
    return;
  }
  const int events = EventsFor(interest);
  if (events != client->watcher.events) client->watcher.set(events);
  const Millis deadline = client->driver.Deadline();
  if (deadline >= 0 && (!client->idle_timer.is_active() || client->driver.lingering())) {
    const Millis wait = std::max<Millis>(0, deadline - MonotonicNow());
    client->idle_timer.start(wait / 1000.0, 0.0);
  }
}

void EchoServer::Retire(Client* client) {
  client->watcher.stop();
  client->idle_timer.stop();
  const EchoConnection& connection = client->driver.connection();
  stats_.bytes_in += connection.bytes_received();
  stats_.bytes_out += connection.bytes_sent();
  if (connection.close_reason() == CloseReason::kIdleTimeout) ++stats_.timed_out;
  Log(LogLevel::kDebug, "connection %llu closed: %s, %llu bytes in, %llu out",
      static_cast<unsigned long long>(client->id),
      CloseReasonName(connection.close_reason()),
      static_cast<unsigned long long>(connection.bytes_received()),
      static_cast<unsigned long long>(connection.bytes_sent()));
  retired_.push_back(std::move(*client->position));
  clients_.erase(client->position);
  --stats_.open;
  reaper_.start();
}

// Outside every client callback: destroys retired clients, then reports a
// finished drain (whose handler may stop the server and destroy the rest).
void EchoServer::ReapRetired(ev::prepare& /*watcher*/, int /*revents*/) {
  retired_.clear();
  reaper_.stop();
  NotifyIfDrained();
}

}  // namespace echo
