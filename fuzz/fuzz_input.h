// fuzz_input.h: FuzzInput, a cursor that turns fuzzer bytes into choices.
//
// Every read is total: past the end it returns zeros, so any byte string
// decodes to some valid scenario and the fuzzer never wastes inputs on
// "too short" rejections. Integers are mapped into their valid range with
// modulo (the Envoy convention), keeping a small mutation a small change.

#ifndef ECHO_LAB_FUZZ_FUZZ_INPUT_H_
#define ECHO_LAB_FUZZ_FUZZ_INPUT_H_

#include <cstddef>
#include <cstdint>

namespace echo {

class FuzzInput {
 public:
  FuzzInput(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  bool empty() const { return offset_ >= size_; }
  size_t remaining() const { return empty() ? 0 : size_ - offset_; }

  uint8_t Byte() { return empty() ? 0 : data_[offset_++]; }

  // A value in [0, `bound`), or 0 if `bound` is 0.
  uint32_t Below(uint32_t bound) { return bound == 0 ? 0 : Byte() % bound; }

  // A 16-bit little-endian value.
  uint16_t U16() {
    const uint16_t low = Byte();
    return static_cast<uint16_t>(low | (Byte() << 8));
  }

  // A size with a wide but cheap range: 1..64 scaled by 1, 4, 16 or 64
  // (so 1..4096), so one byte reaches both tiny and watermark-crossing sizes.
  size_t ScaledSize() {
    const uint8_t b = Byte();
    return static_cast<size_t>(1 + (b & 0x3f)) << (2 * (b >> 6));
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t offset_ = 0;
};

}  // namespace echo

#endif  // ECHO_LAB_FUZZ_FUZZ_INPUT_H_
