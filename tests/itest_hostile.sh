#!/usr/bin/env bash
# itest_hostile.sh - `wsspec run` against hostile targets (tests/interop/hostile.py):
# silent, garbage, half a frame then close, an endless frame, a message flood. Every case
# still ends with a verdict within its deadlines, the run exits 1, the peer's memory stays
# bounded. Uses the plain build: ASan's shadow memory would make the memory figure
# meaningless (the sanitized build runs the same paths in itest_run.sh).
set -u
cd "$(dirname "$0")/.."
exec /usr/bin/python3 tests/interop/hostile.py "${WSSPEC_PLAIN:-$PWD/build/wsspec}"
