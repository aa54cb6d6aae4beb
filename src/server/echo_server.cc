#include "src/server/echo_server.h"

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <utility>

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

}  // namespace

struct EchoServer::Client {
  Client(EchoServer* server, UniqueFd fd, const EchoConnection::Options& options)
      : server(server),
        fd(fd.get()),
        driver(std::make_unique<PosixSocket>(std::move(fd)), options,
               server->clock_->Now()),
        watcher(server->loop_),
        idle_timer(server->clock_->NewTimer([this] { this->server->OnClientTimer(this); })) {
    watcher.set<Client, &Client::OnReady>(this);
  }

  void OnReady(ev::io& /*watcher*/, int revents) {
    server->OnClientReady(this, revents);
  }

  EchoServer* server;
  uint64_t id = 0;  // For debug logs: the n-th connection accepted.
  std::string peer_group;  // Its source, for the per-address limit.
  int fd;  // Owned by driver's socket; kept for the watcher.
  ConnectionDriver driver;
  ev::io watcher;
  // One timer per connection, armed for the idle deadline and re-armed only
  // when it fires (libev manual, "Be smart about timeouts", method 2): most
  // events move the deadline without touching the timer.
  std::unique_ptr<Timer> idle_timer;
  Instant armed_for;  // The deadline idle_timer runs for, while it runs.
  ClientList::iterator position;
};

EchoServer::EchoServer(ev::loop_ref loop, Acceptor* acceptor, Clock* clock,
                       EchoServerConfig config)
    : loop_(loop),
      acceptor_(acceptor),
      clock_(clock),
      config_(config),
      reserve_fd_(acceptor->OpenReserve()),
      listener_watcher_(loop),
      accept_backoff_(clock->NewTimer([this] { ResumeAccepting(); })),
      reaper_(loop),
      watch_check_(loop),
      read_buffer_(config.read_buffer_size > 0 ? config.read_buffer_size : 1) {
  reaper_.set<EchoServer, &EchoServer::ReapRetired>(this);
  listener_watcher_.set<EchoServer, &EchoServer::OnListenerReady>(this);
  WatchListener();
}

// Starts the listener's watcher. If the kernel refuses to watch it, libev
// reports EV_ERROR only after its next poll returns: watch_check_ makes
// that poll not block (see echo_server.h).
void EchoServer::WatchListener() {
  listener_watcher_.start(acceptor_->ready_fd(), ev::READ);
  watch_check_.Start();
}

EchoServer::~EchoServer() { Stop(); }

// Stops watching and closes the acceptor, for good.
void EchoServer::StopAccepting() {
  listener_watcher_.stop();
  accept_backoff_->Stop();
  if (accepting_) acceptor_->Close();
  accepting_ = false;
}

void EchoServer::Stop() {
  StopAccepting();
  reaper_.stop();
  watch_check_.Stop();
  for (auto& client : clients_) {
    client->watcher.stop();
    client->idle_timer->Stop();
    client->driver.Abort();
  }
  // Not inside any client callback here, so destroying is safe.
  for (auto& client : clients_) {
    stats_.bytes_in += client->driver.connection().bytes_received();
    stats_.bytes_out += client->driver.connection().bytes_sent();
  }
  clients_.clear();
  clients_per_peer_.clear();
  retired_.clear();
  stats_.open = 0;
  on_drained_ = nullptr;
}

void EchoServer::Drain(std::function<void()> on_drained) {
  StopAccepting();
  on_drained_ = std::move(on_drained);
  const Instant now = clock_->Now();
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
    stats.lingering += client->driver.lingering() ? 1 : 0;
  }
  return stats;
}

void EchoServer::OnListenerReady(ev::io& /*watcher*/, int revents) {
  if (revents & ev::ERROR) {
    // The kernel refused to watch the listener (epoll_ctl failed, e.g.
    // ENOMEM) and libev stopped its watcher: without a retry, no client
    // would be accepted again while the process kept running.
    WarnAboutAccepting(LogLevel::kError, "cannot watch the listener; retrying");
    PauseAccepting();
    return;
  }
  AcceptPending();
}

void EchoServer::AcceptPending() {
  for (int i = 0; i < kMaxAcceptsPerEvent; ++i) {
    AcceptResult result = acceptor_->Accept();
    switch (result.status) {
      case AcceptStatus::kAccepted:
        if (clients_.size() >= config_.max_connections) {
          Refuse(std::move(result.fd), "connection limit reached");
        } else if (OverPeerLimit(result.peer_group)) {
          Refuse(std::move(result.fd), "too many connections from one address");
        } else {
          refusing_ = false;
          Adopt(std::move(result.fd), std::move(result.peer_group));
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
        // Nothing says the listener stops being readable: pause, or spin.
        WarnAboutAccepting(LogLevel::kError, "accept failed: %s; pausing accepts",
                           std::strerror(result.system_code));
        PauseAccepting();
        return;
    }
  }
}

// Out of descriptors: the pending client would keep the listener readable
// and the loop spinning. Free the reserve descriptor, accept the client and
// close it at once (it sees a clean close), then take the reserve back.
void EchoServer::RefuseOnePending() {
  reserve_fd_.reset();
  AcceptResult result = acceptor_->Accept();
  if (result.status == AcceptStatus::kAccepted) {
    Refuse(std::move(result.fd), "out of file descriptors");
  }
  reserve_fd_ = acceptor_->OpenReserve();
  if (result.status == AcceptStatus::kOutOfDescriptors) {
    // The reserve did not help (system-wide ENFILE, no memory, or no reserve
    // descriptor): pause accepting briefly instead of spinning.
    if (!refusing_) {
      WarnAboutAccepting(LogLevel::kWarn, "cannot accept: %s; pausing accepts",
                         std::strerror(result.system_code));
      refusing_ = true;
    }
    PauseAccepting();
  }
}

void EchoServer::PauseAccepting() {
  listener_watcher_.stop();
  accept_backoff_->Start(kAcceptBackoff);
}

void EchoServer::ResumeAccepting() {
  if (!accepting_) return;
  if (!reserve_fd_.valid()) reserve_fd_ = acceptor_->OpenReserve();
  WatchListener();
}

// Closes a client we will not serve. It sees the connection close at once
// (EOF, or a reset if it had already sent data), which is the clean refusal
// TCP offers; the first refusal of a spell is logged, not every one.
void EchoServer::Refuse(UniqueFd fd, const char* why) {
  fd.reset();
  ++stats_.refused;
  if (!refusing_) {
    WarnAboutAccepting(LogLevel::kWarn, "refusing new connections: %s (%zu open)", why,
                       clients_.size());
    refusing_ = true;
  }
}

// Clients can make these happen at will (reconnecting at the limit, say):
// one line per second at most, with a count of those held back.
void EchoServer::WarnAboutAccepting(LogLevel level, const char* format, ...) {
  if (!LogEnabled(level) || !accept_warnings_.Allow(clock_->Now())) return;
  char message[512];
  va_list args;
  va_start(args, format);
  std::vsnprintf(message, sizeof(message), format, args);
  va_end(args);
  const uint64_t suppressed = accept_warnings_.TakeSuppressed();
  if (suppressed == 0) {
    Log(level, "%s", message);
  } else {
    Log(level, "%s (%llu similar lines suppressed)", message,
        static_cast<unsigned long long>(suppressed));
  }
}

bool EchoServer::OverPeerLimit(const std::string& peer_group) const {
  if (config_.max_connections_per_ip == 0 || peer_group.empty()) return false;
  const auto it = clients_per_peer_.find(peer_group);
  return it != clients_per_peer_.end() && it->second >= config_.max_connections_per_ip;
}

void EchoServer::Adopt(UniqueFd fd, std::string peer_group) {
  if (!peer_group.empty()) ++clients_per_peer_[peer_group];
  ++stats_.accepted;
  ++stats_.open;
  auto client =
      std::make_unique<Client>(this, std::move(fd), config_.connection);
  Client* raw = client.get();
  raw->id = stats_.accepted;
  raw->peer_group = std::move(peer_group);
  Log(LogLevel::kDebug, "connection %llu opened (%zu open)",
      static_cast<unsigned long long>(raw->id), clients_.size() + 1);
  raw->position = clients_.insert(clients_.end(), std::move(client));
  raw->watcher.start(raw->fd, EventsFor(raw->driver.interest()));
  watch_check_.Start();
  Rearm(raw, raw->driver.interest());
}

void EchoServer::OnClientReady(Client* client, int revents) {
  if (revents & ev::ERROR) {
    OnClientLoopError(client);
    return;
  }
  const Instant now = clock_->Now();
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

// libev could not watch the client's descriptor and has stopped its
// watcher: no event will ever come for it again, so left alone it would
// sit until its idle timeout, or for ever without one. It cannot be served;
// close it.
void EchoServer::OnClientLoopError(Client* client) {
  ++stats_.loop_errors;
  if (!loop_error_logged_) {
    Log(LogLevel::kWarn,
        "the event loop cannot watch connection %llu; closing it (the next "
        "ones are only counted, as loop errors)",
        static_cast<unsigned long long>(client->id));
    loop_error_logged_ = true;
  }
  client->driver.Abort();
  Retire(client);
}

void EchoServer::OnClientTimer(Client* client) {
  const Instant now = clock_->Now();
  const Interest interest = client->driver.OnTimer(now);
  Rearm(client, interest);
}

// Points the client's watcher at what its connection wants, or retires it,
// and keeps its timer armed for the driver's deadline. The timer is re-armed
// only when it is not running (it fires early after activity, and is then
// re-armed for the later deadline), or when the deadline moved earlier.
void EchoServer::Rearm(Client* client, Interest interest) {
  if (interest.none()) {
    Retire(client);
    return;
  }
  const int events = EventsFor(interest);
  if (events != client->watcher.events) client->watcher.set(events);
  // Activity only moves a deadline later, and then the timer fires early and
  // is re-armed. A deadline that moves earlier (output starts waiting under
  // a send timeout shorter than the idle timeout, or a linger starts) re-arms
  // it now.
  const std::optional<Instant> deadline = client->driver.Deadline();
  if (deadline && (!client->idle_timer->active() || *deadline < client->armed_for)) {
    client->idle_timer->Start(*deadline - clock_->Now());
    client->armed_for = *deadline;
  }
}

void EchoServer::Retire(Client* client) {
  client->watcher.stop();
  client->idle_timer->Stop();
  const EchoConnection& connection = client->driver.connection();
  stats_.bytes_in += connection.bytes_received();
  stats_.bytes_out += connection.bytes_sent();
  if (connection.close_reason() == CloseReason::kIdleTimeout ||
      connection.close_reason() == CloseReason::kSendTimeout) {
    ++stats_.timed_out;
  }
  Log(LogLevel::kDebug, "connection %llu closed: %s, %llu bytes in, %llu out",
      static_cast<unsigned long long>(client->id),
      CloseReasonName(connection.close_reason()),
      static_cast<unsigned long long>(connection.bytes_received()),
      static_cast<unsigned long long>(connection.bytes_sent()));
  if (!client->peer_group.empty()) {
    const auto it = clients_per_peer_.find(client->peer_group);
    if (--it->second == 0) clients_per_peer_.erase(it);
  }
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
