#include "tests/integration/server_thread.h"

#include <utility>

#include "src/posix/listener.h"
#include "src/server/libev_clock.h"

namespace echo {
namespace testing {

std::unique_ptr<ServerThread> ServerThread::Start(
    const std::string& host, std::string* error, const EchoServerConfig& config) {
  const auto address = SocketAddress::Parse(host, 0);
  if (!address) {
    *error = "'" + host + "' is not a numeric address";
    return nullptr;
  }
  // Opened here, not on the loop thread, so that failure is reported to the
  // caller and the port is known before any client connects.
  ListenResult listen = OpenListener(*address);
  if (!listen.error.empty()) {
    *error = listen.error;
    return nullptr;
  }
  std::unique_ptr<ServerThread> server(
      new ServerThread(*listen.bound, config));
  // Watchers are started above (in the constructor) before the thread
  // exists; std::thread's start orders all of it before the loop runs.
  server->thread_ =
      std::thread(&ServerThread::Run, server.get(), std::move(listen.fd));
  return server;
}

ServerThread::ServerThread(const SocketAddress& address,
                           EchoServerConfig config)
    : address_(address),
      config_(config),
      stop_request_(loop_),
      publisher_(loop_) {
  stop_request_.set<ServerThread, &ServerThread::OnStopRequested>(this);
  stop_request_.start();
  publisher_.set<ServerThread, &ServerThread::OnAboutToBlock>(this);
  publisher_.start();
}

ServerThread::~ServerThread() { Stop(); }

void ServerThread::Stop() {
  if (stopped_) return;
  stopped_ = true;
  if (!thread_.joinable()) return;  // Start() failed to create it.
  stop_request_.send();
  thread_.join();
}

EchoServerStats ServerThread::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return published_;
}

bool ServerThread::WaitForStats(
    const std::function<bool(const EchoServerStats&)>& done, Deadline deadline,
    EchoServerStats* last) const {
  EchoServerStats seen;
  const bool held = PollUntil(
      [&] {
        seen = stats();
        return done(seen);
      },
      deadline);
  if (last != nullptr) *last = seen;
  return held;
}

void ServerThread::Run(UniqueFd listener) {
  LibevClock clock(loop_);
  ListenerAcceptor acceptor(std::move(listener));
  EchoServer server(loop_, &acceptor, &clock, config_);
  server_ = &server;
  loop_.run(0);
  server_ = nullptr;
}

void ServerThread::OnStopRequested(ev::async& /*watcher*/, int /*revents*/) {
  server_->Stop();
  Publish(server_->stats());
  publisher_.stop();
  stop_request_.stop();
  loop_.break_loop(ev::ALL);
}

void ServerThread::OnAboutToBlock(ev::prepare& /*watcher*/, int /*revents*/) {
  Publish(server_->stats());
}

void ServerThread::Publish(const EchoServerStats& stats) {
  std::lock_guard<std::mutex> lock(mutex_);
  published_ = stats;
}

}  // namespace testing
}  // namespace echo
