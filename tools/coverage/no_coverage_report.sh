#!/usr/bin/env bash
# Stands in for Bazel's coverage report generator, which cannot be fetched.
echo "bazel coverage is not supported in this workspace" >&2
exit 1
