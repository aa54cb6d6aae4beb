#include "src/core/write_queue.h"

#include <algorithm>
#include <cstring>

namespace echo {
namespace {

// A queue that was empty starts with a block sized for the append at hand
// (at least kFirstBlockSize), since most echoes are written out at once and
// the block freed again. Once bytes accumulate, further blocks are at least
// kMinBlockSize so that small appends share them. A larger append always
// gets a block of its own size: every byte is copied exactly once.
constexpr size_t kFirstBlockSize = 256;
constexpr size_t kMinBlockSize = 4096;
// Block-vector capacity kept when the queue empties: enough to refill
// without reallocating, small enough for an idle connection to ignore.
constexpr size_t kKeptBlockSlots = 2;

}  // namespace

WriteQueue::WriteQueue(Watermarks watermarks) : watermarks_(watermarks) {
  watermarks_.high = std::max<size_t>(watermarks_.high, 1);
  watermarks_.low = std::min(watermarks_.low, watermarks_.high);
}

void WriteQueue::Append(ByteView bytes) {
  const uint8_t* from = bytes.data;
  size_t remaining = bytes.size;
  if (remaining > 0 && head_ < blocks_.size()) {
    Block& tail = blocks_.back();
    const size_t n = std::min(remaining, tail.capacity - tail.end);
    if (n > 0) {
      std::memcpy(tail.bytes.get() + tail.end, from, n);
      tail.end += n;
      from += n;
      remaining -= n;
    }
  }
  if (remaining > 0) {
    Block block;
    block.capacity =
        std::max(remaining, empty() ? kFirstBlockSize : kMinBlockSize);
    block.bytes.reset(new uint8_t[block.capacity]);
    std::memcpy(block.bytes.get(), from, remaining);
    block.end = remaining;
    blocks_.push_back(std::move(block));
  }
  size_ += bytes.size;
  UpdatePaused();
}

ByteView WriteQueue::Front() const {
  if (head_ == blocks_.size()) return {};
  const Block& head = blocks_[head_];
  return {head.bytes.get() + head.begin, head.end - head.begin};
}

void WriteQueue::Consume(size_t count) {
  count = std::min(count, size_);
  size_ -= count;
  while (count > 0) {
    Block& block = blocks_[head_];
    const size_t n = std::min(count, block.end - block.begin);
    block.begin += n;
    count -= n;
    if (block.begin == block.end) {
      block = Block();  // Frees the bytes now; the slot goes later.
      ++head_;
    }
  }
  if (head_ == blocks_.size()) {
    blocks_.clear();
    head_ = 0;
    if (blocks_.capacity() > kKeptBlockSlots) {
      // A burst left a long vector behind: an idle connection keeps little.
      std::vector<Block>().swap(blocks_);
    }
  } else if (head_ * 2 >= blocks_.size()) {
    // Each erase moves no more blocks than it removes: amortized O(1).
    blocks_.erase(blocks_.begin(), blocks_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }
  UpdatePaused();
}

void WriteQueue::Clear() { Consume(size_); }

void WriteQueue::UpdatePaused() {
  if (size_ >= watermarks_.high) {
    paused_ = true;
  } else if (size_ <= watermarks_.low) {
    paused_ = false;
  }
}

}  // namespace echo
