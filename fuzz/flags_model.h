// flags_model.h: a second, independent reading of echo_server's documented
// command line, the reference the `flags` fuzz target holds
// ParseServerFlags() to.
//
// It is written from the documentation (the --help text, the ranges in the
// error messages, the contracts in server_flags.h and flag_table.h), not
// from the parsing code: it calls nothing in src/cli/ or server_flags.cc and
// borrows only their result types. The grammar it reads:
//
//   argv        --help and -h ask for help, --version for the version; the
//               first of these, or the first error, decides; nothing after
//               it is looked at. They take no value: "--help=..." is the
//               error "--help takes no value". Any other argument is a
//               flag, written --flag=VALUE or --flag VALUE (the next
//               argument, whatever it looks like); a repeated flag keeps
//               its last value, but every value given is checked.
//   NUMBER      "0", or decimal digits not starting with 0 (no sign, no
//               space, nothing after).
//   --bind            a numeric IPv4 or IPv6 literal (inet_pton); an IPv6
//                     one may end in %ZONE, ZONE being the name of an
//                     interface of this host, or else its index (a NUMBER).
//                     Refused: multicast (224.0.0.0/4, ff00::/8), broadcast
//                     (255.255.255.255 and every interface's broadcast
//                     address), both also IPv4-mapped (::ffff:a.b.c.d); a
//                     link-local address (fe80::/10) without a zone, and a
//                     zone on any other address.
//   --port            NUMBER, 0 to 65535.
//   --queue-limit     NUMBER with an optional binary unit k/K (2^10), m/M
//                     (2^20) or g/G (2^30); 16k to 1024m.
//   --socket-buffer   "0", or like --queue-limit from 1 byte to 64m.
//   --idle-timeout    NUMBER of seconds with an optional "." and 1 to 3
//                     decimals, 0 to 604800 s, kept as milliseconds; 0 is
//                     never (no timeout).
//   --send-timeout    like --idle-timeout.
//   --max-connections NUMBER, 1 to 1000000.
//   --max-connections-per-ip NUMBER, 0 to 1000000.
//   --drain-timeout   like --idle-timeout, 0 to 3600 s.
//   --log-level       error, warn, info or debug.
//
// Unknown flags (an argument starting with '-') and other arguments are
// usage errors, and so is a flag without a value at the end of argv.

#ifndef ECHO_LAB_FUZZ_FLAGS_MODEL_H_
#define ECHO_LAB_FUZZ_FLAGS_MODEL_H_

#include <string>
#include <vector>

#include "src/server/server_flags.h"

namespace echo {

struct ExpectedFlags {
  FlagParseResult::Action action = FlagParseResult::Action::kRun;
  ServerOptions options;     // kRun: every field, defaults as documented.
  std::string error_prefix;  // kUsageError: how the message must begin,
                             // e.g. "--port: ", "unknown flag ",
                             // "unexpected argument ", "--port needs a value".
};

// What the documented grammar says `args` (argv without the program name)
// must give.
ExpectedFlags ModelServerFlags(const std::vector<std::string>& args);

}  // namespace echo

#endif  // ECHO_LAB_FUZZ_FLAGS_MODEL_H_
