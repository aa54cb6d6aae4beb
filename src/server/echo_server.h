// echo_server.h: EchoServer, the libev adapter that serves echo connections.
//
// It gets clients from an Acceptor and serves each with a ConnectionDriver.
// The echo logic is the I/O-free core; what is here is the server's policy
// (the connection limit, refusals, the reserve descriptor, backing off when
// descriptors run out or accept() fails, idle timers, draining, closing a
// connection the loop cannot watch) and the translation of libev
// readiness into driver calls and of driver Interest into watcher events.
// Clients come only through the Acceptor and time only through the Clock, so
// a fuzzer drives all of this policy with a FakeListener and a FakeClock.
//
// Ownership is explicit: the server owns every Client. A client that finishes
// inside its own callback is only moved to a retired list there; the list is
// emptied from a prepare watcher, outside any client callback, so no object
// is destroyed while one of its member functions is running.
//
// Single-threaded: every method runs on the loop's thread.

#ifndef ECHO_LAB_SERVER_ECHO_SERVER_H_
#define ECHO_LAB_SERVER_ECHO_SERVER_H_

#include <ev++.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "src/core/connection_driver.h"
#include "src/core/echo_connection.h"
#include "src/core/monotonic_time.h"
#include "src/core/write_queue.h"
#include "src/posix/acceptor.h"
#include "src/posix/unique_fd.h"
#include "src/server/clock.h"
#include "src/server/log.h"
#include "src/server/watch_check.h"

namespace echo {

struct EchoServerConfig {
  EchoConnection::Options connection;   // Output bound and idle timeout.
  size_t read_buffer_size = 64 * 1024;  // One buffer shared by all clients.
  size_t max_connections = 10000;       // Clients beyond are refused.
  // Clients beyond this many from one source (AcceptResult::peer_group)
  // are refused; 0: no limit.
  size_t max_connections_per_ip = 0;
};

struct EchoServerStats {
  size_t open = 0;         // Connections being served now.
  // Of those, drained ones that sent everything and their FIN, waiting for
  // the client to close (see ConnectionDriver, lingering).
  size_t lingering = 0;
  uint64_t accepted = 0;   // Connections served in total.
  uint64_t refused = 0;    // Closed at once: connection limit or no descriptor.
  uint64_t timed_out = 0;  // Closed by the idle or the send timeout.
  // Closed because the event loop could not watch them (EV_ERROR: epoll
  // refused the descriptor, e.g. fs.epoll.max_user_watches reached).
  uint64_t loop_errors = 0;
  uint64_t bytes_in = 0;   // Read from clients.
  uint64_t bytes_out = 0;  // Written back.
};

class EchoServer {
 public:
  // How long accepting pauses when even the reserve descriptor cannot make
  // room to refuse a client (system-wide ENFILE, no memory, no reserve):
  // the listener would otherwise stay readable and the loop spin.
  static constexpr Duration kAcceptBackoff = std::chrono::milliseconds(100);

  // Serves the clients of `acceptor` on `loop`, timing with `clock`; both
  // must outlive the server. Starts watching at once; the caller runs the
  // loop.
  EchoServer(ev::loop_ref loop, Acceptor* acceptor, Clock* clock,
             EchoServerConfig config);
  // Closes the acceptor and every connection.
  ~EchoServer();

  EchoServer(const EchoServer&) = delete;
  EchoServer& operator=(const EchoServer&) = delete;

  // Stops accepting and closes every connection now. Afterwards the server
  // holds no watcher, so a loop with nothing else to watch returns.
  void Stop();

  // Stops accepting; every connection stops reading, writes what it has
  // queued and closes cleanly. `on_drained` runs once no connection is left:
  // at once if there is none, otherwise from the loop, outside every client
  // callback (so it may call Stop()). Stop() still ends the drain early,
  // dropping what is queued.
  void Drain(std::function<void()> on_drained);

  EchoServerStats stats() const;

 private:
  struct Client;
  using ClientList = std::list<std::unique_ptr<Client>>;

  void OnListenerReady(ev::io& watcher, int revents);
  void AcceptPending();
  void RefuseOnePending();
  void Refuse(UniqueFd fd, const char* why);
  void StopAccepting();
  void PauseAccepting();
  void ResumeAccepting();
  void WatchListener();
  void Adopt(UniqueFd fd, std::string peer_group);
  bool OverPeerLimit(const std::string& peer_group) const;
  void WarnAboutAccepting(LogLevel level, const char* format, ...)
      __attribute__((format(printf, 3, 4)));
  void OnClientReady(Client* client, int revents);
  void OnClientLoopError(Client* client);
  void OnClientTimer(Client* client);
  void Rearm(Client* client, Interest interest);
  void Retire(Client* client);
  void NotifyIfDrained();
  void ReapRetired(ev::prepare& watcher, int revents);

  ev::loop_ref loop_;
  Acceptor* acceptor_;
  Clock* clock_;
  EchoServerConfig config_;
  bool accepting_ = true;  // Until Drain() or Stop().
  // Held open so that, when descriptors run out, one can be freed to accept
  // and close a pending client instead of spinning on EMFILE.
  UniqueFd reserve_fd_;
  ev::io listener_watcher_;
  std::unique_ptr<Timer> accept_backoff_;  // Resumes accepting after a pause.
  ev::prepare reaper_;
  // Started with the listener's and each new client's watcher (watch_check.h).
  WatchCheck watch_check_;
  std::vector<uint8_t> read_buffer_;
  ClientList clients_;
  std::unordered_map<std::string, size_t> clients_per_peer_;  // Non-zero only.
  std::vector<std::unique_ptr<Client>> retired_;
  EchoServerStats stats_;  // bytes_in/out count retired connections only.
  bool refusing_ = false;  // Logged once per spell of refusals.
  LogRateLimit accept_warnings_{std::chrono::seconds(1)};
  bool loop_error_logged_ = false;  // Only the first is logged; all counted.
  std::function<void()> on_drained_;  // Set while draining.
};

}  // namespace echo

#endif  // ECHO_LAB_SERVER_ECHO_SERVER_H_
