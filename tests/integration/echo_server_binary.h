// echo_server_binary.h: starting the echo_server binary under test.
//
// ServerBinary() finds it in the runfiles tree; StartEchoServer() runs it on
// port 0 and reads the port from its startup line, so tests never pick a
// port themselves.

#ifndef ECHO_LAB_TESTS_INTEGRATION_ECHO_SERVER_BINARY_H_
#define ECHO_LAB_TESTS_INTEGRATION_ECHO_SERVER_BINARY_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/integration/deadline.h"
#include "tests/integration/server_process.h"

namespace echo {
namespace testing {

// A file of the runfiles tree (workspace "echo_lab"), e.g.
// "tools/load/echo_load".
std::string RunfilesPath(const std::string& workspace_relative);

// The server binary under test, from the runfiles tree.
std::string ServerBinary();

// Parses the port out of the startup line, which must be `prefix` + PORT,
// e.g. "echo_server: listening on 127.0.0.1:" + "41234".
::testing::AssertionResult ParseListeningLine(const std::string& line,
                                              const std::string& prefix,
                                              uint16_t* port);

// Runs `[launcher...] echo_server --port 0 extra_args...` and waits for its
// startup line, which must name `shown_host` (IPv6 in brackets); warnings
// may precede it. `launcher`
// (e.g. {"/usr/bin/prlimit", "--nofile=64", "--"}) execs the server in its
// own process, so `child` is the server itself.
::testing::AssertionResult StartEchoServer(
    const std::vector<std::string>& extra_args, const std::string& shown_host,
    Deadline deadline, std::unique_ptr<ChildProcess>* child, uint16_t* port,
    const std::vector<std::string>& launcher = {});

}  // namespace testing
}  // namespace echo

#endif  // ECHO_LAB_TESTS_INTEGRATION_ECHO_SERVER_BINARY_H_
