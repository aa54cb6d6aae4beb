#include "src/server/echo_server.h"

#include <fcntl.h>

#include <cstdio>
#include <cstring>
#include <utility>

#include "src/posix/listener.h"
#include "src/posix/posix_socket.h"

namespace echo {
namespace {

// Accepts per listener event, so a connection storm cannot starve the
// clients already being served.
constexpr int kMaxAcceptsPerEvent = 64;

int EventsFor(Interest interest) {
  return (interest.read ? ev::READ : 0) | (interest.write ? ev::WRITE : 0);
}

UniqueFd OpenReserveFd() {
  return UniqueFd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
}

}  // namespace

struct EchoServer::Client {
  Client(EchoServer* server, UniqueFd fd, WriteQueue::Watermarks watermarks)
      : server(server),
        fd(fd.get()),
        driver(std::make_unique<PosixSocket>(std::move(fd)), watermarks),
        watcher(server->loop_) {
    watcher.set<Client, &Client::OnReady>(this);
  }

  void OnReady(ev::io& /*watcher*/, int revents) {
    server->OnClientReady(this, revents);
  }

  EchoServer* server;
  int fd;  // Owned by driver's socket; kept for the watcher.
  ConnectionDriver driver;
  ev::io watcher;
  ClientList::iterator position;
};

EchoServer::EchoServer(ev::loop_ref loop, UniqueFd listener,
                       EchoServerConfig config)
    : loop_(loop),
      config_(config),
      listener_(std::move(listener)),
      reserve_fd_(OpenReserveFd()),
      listener_watcher_(loop),
      reaper_(loop),
      read_buffer_(config.read_buffer_size > 0 ? config.read_buffer_size : 1) {
  listener_watcher_.set<EchoServer, &EchoServer::OnListenerReady>(this);
  listener_watcher_.start(listener_.get(), ev::READ);
  reaper_.set<EchoServer, &EchoServer::ReapRetired>(this);
}

EchoServer::~EchoServer() { Stop(); }

void EchoServer::Stop() {
  listener_watcher_.stop();
  listener_.reset();
  reaper_.stop();
  for (auto& client : clients_) {
    client->watcher.stop();
    client->driver.Abort();
  }
  // Not inside any client callback here, so destroying is safe.
  clients_.clear();
  retired_.clear();
  stats_.open = 0;
}

EchoServerStats EchoServer::stats() const { return stats_; }

void EchoServer::OnListenerReady(ev::io& /*watcher*/, int /*revents*/) {
  AcceptPending();
}

void EchoServer::AcceptPending() {
  for (int i = 0; i < kMaxAcceptsPerEvent; ++i) {
    AcceptResult result = AcceptConnection(listener_.get());
    switch (result.status) {
      case AcceptStatus::kAccepted:
        Serve(std::move(result.fd));
        break;
      case AcceptStatus::kWouldBlock:
        return;
      case AcceptStatus::kConnectionGone:
        break;
      case AcceptStatus::kOutOfDescriptors:
        RefuseOnePending();
        return;
      case AcceptStatus::kFailed:
        std::fprintf(stderr, "echo_server: accept failed: %s\n",
                     std::strerror(result.system_code));
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
  if (result.status == AcceptStatus::kAccepted) ++stats_.refused;
  result.fd.reset();
  reserve_fd_ = OpenReserveFd();
}

void EchoServer::Serve(UniqueFd fd) {
  ++stats_.accepted;
  ++stats_.open;
  auto client = std::make_unique<Client>(this, std::move(fd), config_.watermarks);
  Client* raw = client.get();
  raw->position = clients_.insert(clients_.end(), std::move(client));
  raw->watcher.start(raw->fd, EventsFor(raw->driver.interest()));
}

void EchoServer::OnClientReady(Client* client, int revents) {
  Interest interest = client->driver.interest();
  if (revents & ev::READ) {
    interest = client->driver.OnReadable({read_buffer_.data(), read_buffer_.size()});
  }
  if ((revents & ev::WRITE) && interest.write) {
    interest = client->driver.OnWritable();
  }
  if (interest.none()) {
    Retire(client);
    return;
  }
  const int events = EventsFor(interest);
  if (events != client->watcher.events) client->watcher.set(events);
}

void EchoServer::Retire(Client* client) {
  client->watcher.stop();
  retired_.push_back(std::move(*client->position));
  clients_.erase(client->position);
  --stats_.open;
  reaper_.start();
}

void EchoServer::ReapRetired(ev::prepare& /*watcher*/, int /*revents*/) {
  retired_.clear();
  reaper_.stop();
}

}  // namespace echo
