// fake_peer.h: FakePeer and FakeSocket, a scriptable stand-in for the kernel
// end of a connection, shared by unit tests and fuzz harnesses.
//
// A test owns a FakePeer and hands the connection under test a FakeSocket on
// it. The peer holds a script of what each read and write call will see
// (bytes, EAGAIN, EINTR, EOF, an errno) and records what the connection did:
// the bytes it wrote, whether it shut down or closed, and any call made after
// close. Raw outcomes go through the same RetryInterrupted/IoResultFromRaw
// translation as the POSIX socket, so EINTR handling is the real code's.
// Like libc, which leaves errno untouched when a call succeeds, the peer can
// leave a stale errno (EINTR, EAGAIN...) behind every success, so code that
// reads errno without a failed result is caught.
//
// After warm-up the peer allocates nothing per step: inbound bytes live in one
// buffer and steps are small records, so fuzzers can run it at full speed.

#ifndef ECHO_LAB_TESTING_FAKE_PEER_H_
#define ECHO_LAB_TESTING_FAKE_PEER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "src/core/socket.h"

namespace echo {

class FakePeer {
 public:
  // What an unscripted write call does.
  enum class IdleWrites { kAcceptAll, kWouldBlock };

  FakePeer() = default;
  FakePeer(const FakePeer&) = delete;
  FakePeer& operator=(const FakePeer&) = delete;

  // Forgets script and observations, keeping allocated capacity.
  void Reset();

  // A socket whose calls follow this peer's script. The peer must outlive it.
  [[nodiscard]] std::unique_ptr<Socket> NewSocket();

  // ---- Script for reads (consumed in order; unscripted reads see EAGAIN) ----
  void Send(const void* bytes, size_t size);  // Read calls return these bytes.
  void Send(const std::string& bytes) { Send(bytes.data(), bytes.size()); }
  void ReadWouldBlock();           // One read sees EAGAIN.
  void ReadInterrupted();          // One read sees EINTR.
  void CloseSendingSide();         // Every later read sees EOF.
  void ReadFails(int error_code);  // One read fails with this errno.

  // ---- Script for writes (consumed in order; unscripted: idle_writes) ----
  void AcceptUpTo(size_t count);    // One write takes at most `count` bytes.
  void WriteWouldBlock();           // One write sees EAGAIN.
  void WriteInterrupted();          // One write sees EINTR.
  void WriteFails(int error_code);  // One write fails with this errno.
  void set_idle_writes(IdleWrites mode) { idle_writes_ = mode; }

  // ---- What errno holds after a success (0 unless set) ----
  // Every read (data or EOF), write or shutdown that succeeds sets errno,
  // and the RawIo's saved_errno, to `error_code`, as a real call does when an
  // earlier failure left that value there. Failures report their own errno.
  void set_stale_errno(int error_code) { stale_errno_ = error_code; }

  // ---- Observations ----
  const std::string& received() const { return received_; }  // bytes written
  bool shut_down() const { return shut_down_; }
  bool closed() const { return closed_; }
  // Calls made on the socket after Close(): must always be 0.
  int calls_after_close() const { return calls_after_close_; }
  int read_calls() const { return read_calls_; }
  // Read calls answered with EOF (CloseSendingSide).
  int eof_reads() const { return eof_reads_; }
  // Calls answered with a scripted error (ReadFails, WriteFails).
  int read_errors() const { return read_errors_; }
  int write_errors() const { return write_errors_; }
  int write_calls() const { return write_calls_; }
  // Bytes scripted with Send() that no read has taken yet.
  size_t unread() const;
  // Bytes scripted with Send(), and how many of them reads have taken.
  size_t sent() const { return inbound_.size(); }
  size_t taken() const { return inbound_taken_; }

 private:
  friend class FakeSocket;
  enum class Kind : uint8_t { kData, kWouldBlock, kInterrupted, kEof, kError };
  struct Step {
    Kind kind;
    int error_code;
    size_t length;  // kData: bytes left in this step; writes: max accepted.
  };

  RawIo Succeeded(long value);  // `value` with the stale errno left.
  RawIo NextRead(uint8_t* buffer, size_t capacity);
  RawIo NextWrite(ByteView bytes);
  RawIo Shutdown();
  void Close();
  bool NoteCallAfterClose();

  std::vector<Step> reads_;
  size_t next_read_ = 0;
  std::string inbound_;  // Bytes of every kData step, in order.
  size_t inbound_taken_ = 0;
  std::vector<Step> writes_;
  size_t next_write_ = 0;
  IdleWrites idle_writes_ = IdleWrites::kAcceptAll;
  int stale_errno_ = 0;

  std::string received_;
  bool shut_down_ = false;
  bool closed_ = false;
  int calls_after_close_ = 0;
  int read_calls_ = 0;
  int eof_reads_ = 0;
  int read_errors_ = 0;
  int write_errors_ = 0;
  int write_calls_ = 0;
};

}  // namespace echo

#endif  // ECHO_LAB_TESTING_FAKE_PEER_H_
