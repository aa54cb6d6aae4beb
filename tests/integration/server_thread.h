// server_thread.h: ServerThread, an in-process EchoServer on its own libev
// loop and thread, listening on a loopback address with a kernel-chosen port.
//
// EchoServer is single-threaded, so only the loop thread ever touches it.
// The test thread talks to that thread in exactly two ways, both race-free:
//   - Stop() sends an ev::async (libev's thread-safe wake-up), whose callback
//     stops the server and breaks the loop; then it joins the thread;
//   - stats() reads a snapshot the loop thread publishes under a mutex each
//     time the loop is about to block (an ev::prepare), and once more when it
//     stops, so the snapshot is current whenever the server is idle.

#ifndef ECHO_LAB_TESTS_INTEGRATION_SERVER_THREAD_H_
#define ECHO_LAB_TESTS_INTEGRATION_SERVER_THREAD_H_

#include <ev++.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "src/posix/socket_address.h"
#include "src/posix/unique_fd.h"
#include "src/server/echo_server.h"
#include "tests/integration/deadline.h"

namespace echo {
namespace testing {

class ServerThread {
 public:
  // Opens a listener on numeric `host` port 0 and serves it on a new thread.
  // Returns null, with the reason in `*error`, if it cannot listen.
  static std::unique_ptr<ServerThread> Start(const std::string& host, std::string* error,
                                            const EchoServerConfig& config = {});

  // Stops the server and joins its thread.
  ~ServerThread();

  ServerThread(const ServerThread&) = delete;
  ServerThread& operator=(const ServerThread&) = delete;

  // The bound address, port resolved.
  const SocketAddress& address() const { return address_; }
  uint16_t port() const { return address_.port(); }

  // Stops the server (closing every connection) and joins the loop thread.
  // Idempotent. Call from the thread that called Start().
  void Stop();

  // The server's stats when its loop last went idle (or stopped).
  // Callable from any thread.
  EchoServerStats stats() const;

  // Waits until `done(stats())` holds; returns whether it did before
  // `deadline`. `*last` (if not null) receives the last snapshot seen.
  bool WaitForStats(const std::function<bool(const EchoServerStats&)>& done,
                    Deadline deadline, EchoServerStats* last = nullptr) const;

 private:
  ServerThread(const SocketAddress& address, EchoServerConfig config);

  // Loop thread: owns the EchoServer for as long as the loop runs.
  void Run(UniqueFd listener);
  void OnStopRequested(ev::async& watcher, int revents);
  void OnAboutToBlock(ev::prepare& watcher, int revents);
  void Publish(const EchoServerStats& stats);

  const SocketAddress address_;
  const EchoServerConfig config_;
  // Declared before the watchers so that it is destroyed after them.
  ev::dynamic_loop loop_;
  ev::async stop_request_;
  ev::prepare publisher_;
  EchoServer* server_ = nullptr;  // Loop thread only; set while Run() runs.

  mutable std::mutex mutex_;
  EchoServerStats published_;  // Guarded by mutex_.

  std::thread thread_;
  bool stopped_ = false;  // Owner thread only.
};

}  // namespace testing
}  // namespace echo

#endif  // ECHO_LAB_TESTS_INTEGRATION_SERVER_THREAD_H_
