// write_queue_fuzzer.cc: the `write_queue` fuzz target, a differential test
// of WriteQueue against a model too simple to be wrong (a std::string and a
// boolean for the watermark hysteresis).
//
// Input: byte 0 picks low, byte 1 picks high (0..255 each, clamped as the
// queue documents); then pairs (opcode, argument): append `ScaledSize()`
// bytes, consume an amount, consume exactly Front().size, or clear. After
// every operation size, room (0 exactly while paused, so the hysteresis
// shows in it) and the front bytes must agree, and at the end the full
// contents drained through Front/Consume.

#include <algorithm>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_check.h"
#include "fuzz/fuzz_input.h"
#include "src/core/write_queue.h"

namespace echo {
namespace {

constexpr size_t kMaxOperations = 1024;
constexpr size_t kMaxModelBytes = 1 << 20;

struct Model {
  std::string bytes;
  size_t low = 0;
  size_t high = 1;
  bool paused = false;

  void Update() {
    if (bytes.size() >= high) paused = true;
    else if (bytes.size() <= low) paused = false;
  }
  size_t room() const { return paused ? 0 : high - bytes.size(); }
};

void CheckAgrees(const WriteQueue& queue, const Model& model) {
  FUZZ_CHECK(queue.size() == model.bytes.size(), "size %zu, model %zu",
             queue.size(), model.bytes.size());
  FUZZ_CHECK(queue.empty() == model.bytes.empty(), "empty() disagrees");
  FUZZ_CHECK(queue.room() == model.room(), "room %zu, model %zu (%s) at size %zu",
             queue.room(), model.room(), model.paused ? "paused" : "not paused",
             queue.size());
  const ByteView front = queue.Front();
  FUZZ_CHECK(front.empty() == model.bytes.empty(), "Front() empty disagrees");
  FUZZ_CHECK(front.size <= model.bytes.size(), "Front() longer than the queue");
  FUZZ_CHECK(model.bytes.compare(0, front.size,
                                 reinterpret_cast<const char*>(front.data),
                                 front.size) == 0,
             "Front() bytes differ from the model's head");
}

void Run(const uint8_t* data, size_t size) {
  FuzzInput input(data, size);
  Model model;
  WriteQueue::Watermarks watermarks{input.Byte(), input.Byte()};
  WriteQueue queue(watermarks);
  model.high = std::max<size_t>(watermarks.high, 1);
  model.low = std::min<size_t>(watermarks.low, model.high);
  uint8_t next_byte = 0;
  for (size_t i = 0; i < kMaxOperations && !input.empty(); ++i) {
    const uint8_t opcode = input.Below(4);
    if (opcode == 0) {  // Append
      const size_t n = input.ScaledSize();
      if (model.bytes.size() + n > kMaxModelBytes) continue;
      std::string chunk(n, '\0');
      for (char& c : chunk) c = static_cast<char>(next_byte++);
      queue.Append({reinterpret_cast<const uint8_t*>(chunk.data()), n});
      model.bytes += chunk;
    } else if (opcode == 1) {  // Consume an arbitrary amount (may overshoot)
      const size_t n = input.ScaledSize() - 1;
      queue.Consume(n);
      model.bytes.erase(0, n);
    } else if (opcode == 2) {  // Consume what one write would take
      const size_t n = queue.Front().size;
      queue.Consume(n);
      model.bytes.erase(0, n);
    } else {
      queue.Clear();
      model.bytes.clear();
    }
    model.Update();
    CheckAgrees(queue, model);
  }
  // Drain completely through Front/Consume: contents must match in order.
  std::string drained;
  while (!queue.empty()) {
    const ByteView front = queue.Front();
    FUZZ_CHECK(!front.empty(), "non-empty queue with empty Front()");
    drained.append(reinterpret_cast<const char*>(front.data), front.size);
    queue.Consume(front.size);
  }
  FUZZ_CHECK(drained == model.bytes, "drained %zu bytes differing from the model",
             drained.size());
}

}  // namespace
}  // namespace echo

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  echo::Run(data, size);
  return 0;
}
