// faulty_echo_server.h: FaultyEchoServer, an in-test echo server on
// 127.0.0.1 (kernel-chosen port) that misbehaves on purpose, to prove that
// echo_load notices: a verifier that cannot fail proves nothing.
//
// One thread, one poll() loop, non-blocking sockets. Every connection is
// echoed faithfully except for the configured fault.

#ifndef ECHO_LAB_TOOLS_LOAD_TESTING_FAULTY_ECHO_SERVER_H_
#define ECHO_LAB_TOOLS_LOAD_TESTING_FAULTY_ECHO_SERVER_H_

#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "src/posix/unique_fd.h"

namespace echo {
namespace load {
namespace testing {

enum class Fault {
  kFlipByte,    // Byte `at` of each connection's echo has its low bit flipped.
  kCloseEarly,  // Each connection is closed (FIN) once `at` bytes are echoed.
  kStall,       // Each connection stops echoing once `at` bytes are echoed,
                // and stays open.
};

class FaultyEchoServer {
 public:
  FaultyEchoServer(Fault fault, uint64_t at);
  // Stops the thread and closes every socket.
  ~FaultyEchoServer();

  FaultyEchoServer(const FaultyEchoServer&) = delete;
  FaultyEchoServer& operator=(const FaultyEchoServer&) = delete;

  // Empty if listening, else why not.
  const std::string& error() const { return error_; }
  uint16_t port() const { return port_; }

 private:
  struct Client;

  // The server's thread: accepts and serves until the destructor stops it.
  void Serve();
  // Serves one client that poll() reported `revents` for.
  void Serve(Client& client, short revents, std::vector<char>& buffer) const;
  // Whether `client`'s input is read now (not while its echo is backed up).
  static bool Reading(const Client& client);

  const Fault fault_;
  const uint64_t at_;
  UniqueFd listener_;
  UniqueFd stop_read_;   // The loop's wakeup: readable once stopping.
  UniqueFd stop_write_;
  uint16_t port_ = 0;
  std::string error_;
  std::thread thread_;
};

}  // namespace testing
}  // namespace load
}  // namespace echo

#endif  // ECHO_LAB_TOOLS_LOAD_TESTING_FAULTY_ECHO_SERVER_H_
