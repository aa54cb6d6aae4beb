// modes.h: the seven ways echo_load exercises a server, and RunLoad(), which
// runs the one the options name.
//
// Each mode is a function over a Session, written as its phases in order
// (connect, the measured phase, the wind-down) and returning the report.
// Related modes share one file: bulk and ping-pong are the same pipelined
// exchange (ping-pong is one message in flight, timed); integrity and
// half-close are the same fixed-size transfer (half-close ends with
// shutdown and EOF instead of random sizes).

#ifndef ECHO_LAB_TOOLS_LOAD_MODES_H_
#define ECHO_LAB_TOOLS_LOAD_MODES_H_

#include "tools/load/report.h"
#include "tools/load/session.h"

namespace echo {
namespace load {

// Runs session.options().mode to the end. Every failure is in the
// report's errors; the run itself always completes.
LoadReport RunLoad(Session& session);

LoadReport RunPipelined(Session& session);    // bulk, ping-pong
LoadReport RunTransfer(Session& session);     // integrity, half-close
LoadReport RunSlowReaders(Session& session);  // slow-readers
LoadReport RunChurn(Session& session);        // churn
LoadReport RunIdle(Session& session);         // idle

}  // namespace load
}  // namespace echo

#endif  // ECHO_LAB_TOOLS_LOAD_MODES_H_
