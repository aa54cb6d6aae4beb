#include "tools/load/testing/faulty_echo_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

namespace echo {
namespace load {
namespace testing {
namespace {

constexpr size_t kMaxPending = 1 << 20;

}  // namespace

// One accepted connection.
struct FaultyEchoServer::Client {
  UniqueFd fd;
  uint64_t echoed = 0;        // Bytes of the echo produced so far.
  std::string pending;        // Produced, not yet written.
  bool stop_echoing = false;  // kCloseEarly or kStall reached: input is
                              // discarded (kCloseEarly: FIN once pending is out).
  bool write_shut = false;
  bool peer_eof = false;  // The client shut down: flush, then drop it.
  bool done = false;      // Drop it now.
};

bool FaultyEchoServer::Reading(const Client& client) {
  return client.pending.size() < kMaxPending && !client.peer_eof;
}

FaultyEchoServer::FaultyEchoServer(Fault fault, uint64_t at) : fault_(fault), at_(at) {
  listener_.reset(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  int pipe_fds[2];
  if (!listener_.valid() ||
      ::bind(listener_.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::listen(listener_.get(), SOMAXCONN) != 0 ||
      ::getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0 ||
      ::pipe2(pipe_fds, O_CLOEXEC | O_NONBLOCK) != 0) {
    error_ = std::string("cannot listen: ") + std::strerror(errno);
    return;
  }
  stop_read_.reset(pipe_fds[0]);
  stop_write_.reset(pipe_fds[1]);
  port_ = ntohs(address.sin_port);
  thread_ = std::thread([this] { Serve(); });
}

FaultyEchoServer::~FaultyEchoServer() {
  if (thread_.joinable()) {
    (void)!::write(stop_write_.get(), "x", 1);
    thread_.join();
  }
}

void FaultyEchoServer::Serve() {
  std::vector<std::unique_ptr<Client>> clients;
  std::vector<char> buffer(64 * 1024);
  while (true) {
    std::vector<pollfd> entries = {{stop_read_.get(), POLLIN, 0}, {listener_.get(), POLLIN, 0}};
    for (const auto& client : clients) {
      // Backpressure, so a client that sends without reading cannot make
      // the pending echo grow without bound.
      const short events = static_cast<short>((Reading(*client) ? POLLIN : 0) |
                                              (client->pending.empty() ? 0 : POLLOUT));
      entries.push_back({client->fd.get(), events, 0});
    }
    if (::poll(entries.data(), entries.size(), 1000) < 0 && errno != EINTR) return;
    if (entries[0].revents != 0) return;  // Stopping.
    while (entries[1].revents != 0) {
      const int fd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) break;
      clients.push_back(std::make_unique<Client>());
      clients.back()->fd.reset(fd);
    }
    for (size_t i = 0; i + 2 < entries.size(); ++i) {
      Serve(*clients[i], entries[i + 2].revents, buffer);
    }
    clients.erase(std::remove_if(clients.begin(), clients.end(),
                                 [](const std::unique_ptr<Client>& c) { return c->done; }),
                  clients.end());
  }
}

void FaultyEchoServer::Serve(Client& client, short revents, std::vector<char>& buffer) const {
  if ((revents & (POLLIN | POLLHUP | POLLERR)) && Reading(client)) {
    const ssize_t n = ::recv(client.fd.get(), buffer.data(), buffer.size(), 0);
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
      client.done = true;
      return;
    }
    if (n == 0) client.peer_eof = true;
    for (ssize_t k = 0; k < n && !client.stop_echoing; ++k, ++client.echoed) {
      char byte = buffer[static_cast<size_t>(k)];
      if (fault_ == Fault::kFlipByte && client.echoed == at_) byte ^= 0x01;
      if (fault_ != Fault::kFlipByte && client.echoed == at_) {
        client.stop_echoing = true;  // The rest of the input is discarded.
        break;
      }
      client.pending.push_back(byte);
    }
  }
  if (!client.pending.empty()) {
    const ssize_t n =
        ::send(client.fd.get(), client.pending.data(), client.pending.size(), MSG_NOSIGNAL);
    if (n > 0) client.pending.erase(0, static_cast<size_t>(n));
    if (n < 0 && errno != EAGAIN && errno != EINTR) client.done = true;
  }
  // A FIN, not a close: closing with unread input would send a reset, and
  // the client must see exactly `at` bytes and then EOF.
  if (fault_ == Fault::kCloseEarly && client.stop_echoing && client.pending.empty() &&
      !client.write_shut) {
    ::shutdown(client.fd.get(), SHUT_WR);
    client.write_shut = true;
  }
  if (client.peer_eof && client.pending.empty()) client.done = true;
}

}  // namespace testing
}  // namespace load
}  // namespace echo
