#include "fuzz/connection_actions.h"

#include <cerrno>
#include <cstring>
#include <iterator>
#include <optional>

namespace echo {
namespace {

constexpr WriteQueue::Watermarks kWatermarks[] = {
    {0, 1}, {2, 7}, {16, 64}, {100, 1000}, {1024, 4096}, {16 * 1024, 64 * 1024},
};
// Index 0 (what a short input decodes to) is a moderate size; the one- and
// three-byte buffers that split every read are there, but cost more runs.
constexpr size_t kReadBufferSizes[] = {16, 512, 4096, 1, 3, 16 * 1024};
constexpr std::optional<Duration> kIdleTimeouts[] = {std::nullopt, Duration(50),
                                                    Duration(1000)};
// Shares the idle timeout's byte: existing inputs keep their timeout, and
// a zero byte (a short input) still means a clean errno.
constexpr int kStaleErrnos[] = {0, EINTR, EAGAIN};
// The same byte again: shorter and longer than each idle timeout.
constexpr std::optional<Duration> kSendTimeouts[] = {std::nullopt, Duration(30),
                                                    Duration(700)};

// Events are listed more than once: they are what moves bytes, and a
// scenario made mostly of script steps would rarely exercise the driver.
constexpr ActionKind kOpcodes[] = {
    ActionKind::kPeerSends,        ActionKind::kPeerSends,
    ActionKind::kReadWouldBlock,   ActionKind::kReadInterrupted,
    ActionKind::kPeerShutsDown,    ActionKind::kReadFails,
    ActionKind::kWriteAccepts,     ActionKind::kWriteAccepts,
    ActionKind::kWriteWouldBlock,  ActionKind::kWriteInterrupted,
    ActionKind::kWriteFails,       ActionKind::kSocketReadable,
    ActionKind::kSocketReadable,   ActionKind::kSocketReadable,
    ActionKind::kSocketWritable,   ActionKind::kSocketWritable,
    ActionKind::kOwnerDrains,      ActionKind::kTimePasses,
    ActionKind::kOwnerAborts,
};

constexpr int kReadErrors[] = {ECONNRESET, ETIMEDOUT, EIO};
constexpr int kWriteErrors[] = {EPIPE, ECONNRESET, ENOBUFS};

template <typename T, size_t N>
const T& Pick(const T (&table)[N], FuzzInput& input) {
  return table[input.Below(N)];
}

const char* ErrnoName(int code) {
  switch (code) {
    case ECONNRESET: return "ECONNRESET";
    case ETIMEDOUT: return "ETIMEDOUT";
    case EIO: return "EIO";
    case EINTR: return "EINTR";
    case EAGAIN: return "EAGAIN";
    case EPIPE: return "EPIPE";
    case ENOBUFS: return "ENOBUFS";
    default: return "errno";
  }
}

}  // namespace

ConnectionSetup DecodeSetup(FuzzInput& input) {
  ConnectionSetup setup;
  setup.options.watermarks = Pick(kWatermarks, input);
  setup.read_buffer_size = Pick(kReadBufferSizes, input);
  const uint8_t timing = input.Byte();
  setup.options.idle_timeout = kIdleTimeouts[timing % std::size(kIdleTimeouts)];
  setup.stale_errno =
      kStaleErrnos[timing / std::size(kIdleTimeouts) % std::size(kStaleErrnos)];
  setup.options.send_timeout =
      kSendTimeouts[timing / 9 % std::size(kSendTimeouts)];
  return setup;
}

Action DecodeAction(FuzzInput& input) {
  Action action;
  action.kind = Pick(kOpcodes, input);
  switch (action.kind) {
    case ActionKind::kPeerSends:
    case ActionKind::kTimePasses:
      action.amount = static_cast<uint32_t>(input.ScaledSize());
      break;
    case ActionKind::kWriteAccepts:
      action.amount = static_cast<uint32_t>(input.ScaledSize()) - 1;
      break;
    case ActionKind::kReadFails:
      action.error_code = Pick(kReadErrors, input);
      break;
    case ActionKind::kWriteFails:
      action.error_code = Pick(kWriteErrors, input);
      break;
    default:
      break;
  }
  return action;
}

std::string DescribeAction(const Action& action) {
  const std::string amount = std::to_string(action.amount);
  switch (action.kind) {
    case ActionKind::kPeerSends: return "peer sends " + amount + " bytes";
    case ActionKind::kReadWouldBlock: return "next read returns EAGAIN";
    case ActionKind::kReadInterrupted: return "next read returns EINTR";
    case ActionKind::kPeerShutsDown: return "peer shuts down its sending side (EOF)";
    case ActionKind::kReadFails:
      return std::string("next read returns ") + ErrnoName(action.error_code);
    case ActionKind::kWriteAccepts: return "next write accepts " + amount;
    case ActionKind::kWriteWouldBlock: return "next write returns EAGAIN";
    case ActionKind::kWriteInterrupted: return "next write returns EINTR";
    case ActionKind::kWriteFails:
      return std::string("next write returns ") + ErrnoName(action.error_code);
    case ActionKind::kSocketReadable: return "socket readable";
    case ActionKind::kSocketWritable: return "socket writable";
    case ActionKind::kTimePasses: return amount + " ms pass, the timer fires";
    case ActionKind::kOwnerAborts: return "owner aborts the connection";
    case ActionKind::kOwnerDrains: return "owner drains the connection (server stopping)";
  }
  return "unknown action";
}

std::string DescribeSetup(const ConnectionSetup& setup) {
  const auto& w = setup.options.watermarks;
  return "setup: watermarks low " + std::to_string(w.low) + " / high " +
         std::to_string(w.high) + ", read buffer " +
         std::to_string(setup.read_buffer_size) + ", idle timeout " +
         (setup.options.idle_timeout
              ? std::to_string(setup.options.idle_timeout->count()) + " ms"
              : std::string("none")) +
         (setup.options.send_timeout
              ? ", send timeout " + std::to_string(setup.options.send_timeout->count()) + " ms"
              : std::string()) +
         (setup.stale_errno != 0
              ? std::string(", errno after success ") + ErrnoName(setup.stale_errno)
              : std::string());
}

}  // namespace echo
