/* blocking_ping_client.c: the ping-pong yardstick of `tools/dev bench`, the
 * least work a client can do per round trip: one blocking write(), blocking
 * read()s until the echo is whole, one clock read.
 * usage: blocking_ping_client PORT SECONDS [MESSAGE_SIZE]   (default 64)
 * prints {"messages":N,"seconds":S,"msgs_per_s":X,"p50_us":Y,"p99_us":Z} */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ns(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

static int compare(const void* a, const void* b) {
  const int64_t x = *(const int64_t*)a, y = *(const int64_t*)b;
  return (x > y) - (x < y);
}

/* Nearest rank: the smallest sample with at least `per_mille` of them at or
 * below it (as echo_load computes its percentiles). */
static double percentile_us(const int64_t* sorted, size_t n, unsigned per_mille) {
  size_t rank = (per_mille * n + 999) / 1000;
  if (rank < 1) rank = 1;
  return n ? (double)sorted[rank - 1] / 1000.0 : 0.0;
}

static int connect_to(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const int on = 1;
  if (fd < 0 || connect(fd, (struct sockaddr*)&address, sizeof(address)) != 0 ||
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) != 0) {
    fprintf(stderr, "blocking_ping_client: 127.0.0.1:%d: %s\n", port, strerror(errno));
    exit(1);
  }
  return fd;
}

/* One round trip: false (after saying why) if the echo did not come back. */
static int round_trip(int fd, const char* message, char* echo, size_t size) {
  if (write(fd, message, size) != (ssize_t)size) {
    fprintf(stderr, "blocking_ping_client: write: %s\n", strerror(errno));
    return 0;
  }
  for (size_t got = 0; got < size;) {
    const ssize_t n = read(fd, echo + got, size - got);
    if (n <= 0) {
      fprintf(stderr, "blocking_ping_client: read: %s\n", n ? strerror(errno) : "EOF");
      return 0;
    }
    got += (size_t)n;
  }
  if (memcmp(message, echo, size) != 0) {
    fprintf(stderr, "blocking_ping_client: the echo differs from the message\n");
    return 0;
  }
  return 1;
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: blocking_ping_client PORT SECONDS [MESSAGE_SIZE]\n");
    return 2;
  }
  const size_t size = argc > 3 ? (size_t)atol(argv[3]) : 64;
  char* message = malloc(size ? size : 1);
  char* echo = malloc(size ? size : 1);
  for (size_t i = 0; i < size; ++i) message[i] = (char)('a' + i % 26);
  const int fd = connect_to(atoi(argv[1]));
  size_t count = 0, capacity = 1 << 20;
  int64_t* samples = malloc(capacity * sizeof(*samples));
  const int64_t start = now_ns(), end = start + (int64_t)(atof(argv[2]) * 1e9);
  int64_t sent = start, done = start;
  while (done < end) {
    if (!round_trip(fd, message, echo, size)) return 1;
    done = now_ns();
    if (count == capacity) samples = realloc(samples, (capacity *= 2) * sizeof(*samples));
    if (samples == NULL) return 1;
    samples[count++] = done - sent;
    sent = done;
  }
  qsort(samples, count, sizeof(*samples), compare);
  const double seconds = (double)(done - start) / 1e9;
  printf("{\"messages\":%zu,\"seconds\":%.6f,\"msgs_per_s\":%.1f,\"p50_us\":%.2f,"
         "\"p99_us\":%.2f}\n",
         count, seconds, (double)count / seconds, percentile_us(samples, count, 500),
         percentile_us(samples, count, 990));
  /* Freed, so that a LeakSanitizer build (bazel test --config=asan) ends
     clean: its report at exit would replace this exit status. */
  free(samples);
  free(echo);
  free(message);
  close(fd);
  return 0;
}
