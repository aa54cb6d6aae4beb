#!/usr/bin/env python3
"""tools/dev: the single entry point for working on echo-lab.

Run through tools/dev, which installs packages first where needed. Each
subcommand lives in the module that add_parsers() names; --help on any of
them exits 0, a usage error exits 2, a failure 1.
"""

import argparse
import os
import shlex
import sys

import common
import fuzz_commands
import hunt_faults_commands
import measure_commands
import test_command


def run(server_flags):
    """Builds and runs the echo server; its flags are the server's own
    (tools/dev run --help shows them)."""
    command = common.bazel_command("gcc", "run", "--ui_event_filters=-info,-stdout,-stderr",
                                   "--noshow_progress", "//:echo_server", "--", *server_flags)
    os.chdir(common.ROOT)
    os.execvp(command[0], command)


def parser():
    top = argparse.ArgumentParser(prog="tools/dev", description=__doc__.splitlines()[0])
    subparsers = top.add_subparsers(dest="command", metavar="COMMAND", required=True)
    subparsers.add_parser("setup", help="install the Debian packages of tools/packages.txt",
                          description="Install the Debian packages of tools/packages.txt that "
                                      "are missing (done by tools/dev itself).")
    subparsers.add_parser("run", help="build and run the echo server (tools/dev run --help: its flags)",
                          add_help=False)
    test_command.add_parsers(subparsers)
    fuzz_commands.add_parsers(subparsers)
    hunt_faults_commands.add_parsers(subparsers)
    measure_commands.add_parsers(subparsers)
    return top


def main(argv):
    if argv[:1] == ["run"]:
        run(argv[1:])
    args = parser().parse_args(argv)
    if args.command == "setup":
        return 0  # Only --help or a usage error reach here; tools/dev installs.
    args.command_line = " ".join(["tools/dev"] + [shlex.quote(arg) for arg in argv])
    try:
        return args.handler(args)
    except common.Failure as failure:
        print("dev: error: %s" % failure, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
