// server_fuzzer.cc: the `server` fuzz target. The real EchoServer and libev
// loop, in-process, serving clients over socketpair()s (no network).
//
// Input: byte 0 picks the output watermarks, byte 1 the number of clients
// (1-4); then up to kMaxActions pairs (opcode, argument), the argument's low
// bits naming a client: send N bytes, read up to N bytes, shut down the
// sending side, reset (close with unread data), run one loop iteration, or
// drain the server (what SIGTERM does).
// Oracles:
//   - every client receives exactly a prefix of what it sent (byte i of a
//     client's stream is a pattern of i and the client's id);
//   - at the end every client that did not reset shuts down its side and
//     must get its whole stream back, then EOF; after a drain, a prefix of
//     it (what the server had read), then EOF;
//   - a drain reports completion exactly once, once no connection is left;
//   - the server ends with no open connection and has closed every one of
//     its descriptors (a leaked descriptor is a finding).

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include <ev++.h>

#include "fuzz/fuzz_check.h"
#include "fuzz/fuzz_input.h"
#include "src/posix/unique_fd.h"
#include "src/server/echo_server.h"

namespace echo {
namespace {

constexpr size_t kMaxActions = 64;
constexpr size_t kMaxClients = 4;
constexpr size_t kMaxBytesPerClient = 256 * 1024;
constexpr int kMaxIdleTurns = 2000;

constexpr WriteQueue::Watermarks kWatermarks[] = {
    {0, 1}, {100, 1000}, {1024, 4096}, {16 * 1024, 64 * 1024}};

uint8_t StreamByte(size_t client, size_t offset) {
  return static_cast<uint8_t>((offset % 251) * 131 + 17 * client + 7);
}

struct Client {
  UniqueFd fd;
  int server_fd = -1;  // The server's end, to check it gets closed.
  size_t id = 0;
  size_t sent = 0;
  size_t received = 0;
  bool shut_down = false;
  bool reset = false;
  bool eof = false;
};

void Send(Client& c, size_t n) {
  if (c.reset || c.shut_down || c.sent + n > kMaxBytesPerClient) return;
  uint8_t chunk[4096];
  n = std::min(n, sizeof(chunk));
  for (size_t i = 0; i < n; ++i) chunk[i] = StreamByte(c.id, c.sent + i);
  const ssize_t written = ::send(c.fd.get(), chunk, n, MSG_NOSIGNAL);
  if (written > 0) c.sent += static_cast<size_t>(written);
}

// Reads up to `n` bytes; returns how many arrived.
size_t Receive(Client& c, size_t n) {
  if (c.reset || c.eof) return 0;
  uint8_t chunk[4096];
  n = std::min(n, sizeof(chunk));
  const ssize_t got = ::recv(c.fd.get(), chunk, n, 0);
  if (got == 0) c.eof = true;
  if (got <= 0) return 0;
  for (ssize_t i = 0; i < got; ++i) {
    FUZZ_CHECK(chunk[i] == StreamByte(c.id, c.received + i),
               "client %zu: echo byte %zu is wrong", c.id,
               c.received + static_cast<size_t>(i));
  }
  c.received += static_cast<size_t>(got);
  FUZZ_CHECK(c.received <= c.sent, "client %zu got %zu bytes, sent %zu", c.id,
             c.received, c.sent);
  return static_cast<size_t>(got);
}

void Reset(Client& c) {
  if (c.reset) return;
  c.reset = true;
  c.fd.reset();  // Unread echo in our buffer: the server's next I/O fails.
}

std::vector<Client> Connect(EchoServer& server, size_t count) {
  std::vector<Client> clients(count);
  for (size_t i = 0; i < count; ++i) {
    int pair[2];
    FUZZ_CHECK(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                            0, pair) == 0,
               "socketpair: %s", std::strerror(errno));
    // Small kernel buffers, so backpressure and short writes really happen.
    const int size = 4096;
    for (int fd : pair) ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
    clients[i].id = i;
    clients[i].fd.reset(pair[0]);
    clients[i].server_fd = pair[1];
    server.Adopt(UniqueFd(pair[1]));
  }
  return clients;
}

// Every client that did not reset shuts down and reads until EOF; each must
// get its whole stream back, or after a server drain a prefix of it (every
// byte received is checked against the stream as it arrives).
void DrainAll(ev::loop_ref loop, std::vector<Client>& clients, bool server_drained) {
  for (Client& c : clients) {
    if (!c.reset && !c.shut_down) ::shutdown(c.fd.get(), SHUT_WR);
    c.shut_down = true;
  }
  for (int idle = 0; idle < kMaxIdleTurns;) {
    loop.run(ev::NOWAIT);
    bool progress = false;
    bool pending = false;
    for (Client& c : clients) {
      while (Receive(c, 4096) > 0) progress = true;
      pending |= !c.reset && !c.eof;
    }
    if (!pending) break;
    idle = progress ? 0 : idle + 1;
  }
  for (const Client& c : clients) {
    if (c.reset) continue;
    FUZZ_CHECK(c.eof, "client %zu: no EOF after its half-close (got %zu of %zu)",
               c.id, c.received, c.sent);
    if (!server_drained) {
      FUZZ_CHECK(c.received == c.sent, "client %zu: sent %zu, echoed %zu", c.id,
                 c.sent, c.received);
    }
  }
}

void CheckEverythingClosed(ev::loop_ref loop, EchoServer& server,
                           const std::vector<Client>& clients) {
  // Reset clients end with a failed read or write; give the loop the turns
  // to see them.
  for (int turn = 0; turn < kMaxIdleTurns && server.stats().open > 0; ++turn) {
    loop.run(ev::NOWAIT);
  }
  FUZZ_CHECK(server.stats().open == 0, "%zu connections still open",
             server.stats().open);
  for (const Client& c : clients) {
    // Nothing has opened a descriptor since Connect(), so a server number
    // that is still valid was leaked, not reused.
    FUZZ_CHECK(::fcntl(c.server_fd, F_GETFD) == -1 && errno == EBADF,
               "client %zu: server descriptor %d was never closed", c.id,
               c.server_fd);
  }
}

void Run(const uint8_t* data, size_t size) {
  static ev::dynamic_loop* loop = new ev::dynamic_loop(EVFLAG_AUTO);
  FuzzInput input(data, size);
  EchoServerConfig config;
  config.connection.watermarks = kWatermarks[input.Below(4)];
  config.read_buffer_size = 1024;
  EchoServer server(*loop, UniqueFd(), config);
  std::vector<Client> clients = Connect(server, 1 + input.Below(kMaxClients));
  bool draining = false;
  int drained = 0;
  for (size_t i = 0; i < kMaxActions && !input.empty(); ++i) {
    const uint8_t opcode = input.Byte();
    Client& c = clients[(opcode >> 3) % clients.size()];
    switch (opcode & 7) {
      case 0: case 1: Send(c, input.ScaledSize()); break;
      case 2: case 3: Receive(c, input.ScaledSize()); break;
      case 4:
        if (!c.reset && !c.shut_down) ::shutdown(c.fd.get(), SHUT_WR);
        c.shut_down = true;
        break;
      case 5: Reset(c); break;
      case 6: loop->run(ev::NOWAIT); break;
      default:
        if (!draining) server.Drain([&drained] { ++drained; });
        draining = true;
        break;
    }
  }
  DrainAll(*loop, clients, draining);
  CheckEverythingClosed(*loop, server, clients);
  if (draining) {
    // The report comes from the loop, after the last connection is reaped.
    for (int turn = 0; turn < 3; ++turn) loop->run(ev::NOWAIT);
    FUZZ_CHECK(drained == 1, "drain reported %d times", drained);
  }
}

}  // namespace
}  // namespace echo

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  echo::Run(data, size);
  return 0;
}
