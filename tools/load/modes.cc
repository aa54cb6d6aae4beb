#include "tools/load/modes.h"

namespace echo {
namespace load {

LoadReport RunLoad(Session& session) {
  switch (session.options().mode) {
    case Mode::kBulk:
    case Mode::kPingPong:
      return RunPipelined(session);
    case Mode::kIntegrity:
    case Mode::kHalfClose:
      return RunTransfer(session);
    case Mode::kSlowReaders:
      return RunSlowReaders(session);
    case Mode::kChurn:
      return RunChurn(session);
    case Mode::kIdle:
      return RunIdle(session);
  }
  return session.BaseReport();
}

}  // namespace load
}  // namespace echo
