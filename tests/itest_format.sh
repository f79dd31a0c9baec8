#!/usr/bin/env bash
# itest_format.sh - every C file of the project is formatted as .clang-format says
# (`make format` fixes them). Exit 77 (skip) without clang-format - an error under
# CI=true (tests/run), where .ci/deps installs it.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v clang-format >/dev/null 2>&1; then
    echo "skip: clang-format not installed (apt-get install clang-format)"
    exit 77
fi
mapfile -t files < <(git ls-files '*.c' '*.h' 2>/dev/null || find reference harness tests fuzzers -name '*.[ch]')
[ ${#files[@]} -gt 50 ] || { echo "FAIL: only ${#files[@]} C files found"; exit 1; }
bad=()
for f in "${files[@]}"; do
    clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if [ ${#bad[@]} -gt 0 ]; then
    echo "FAIL: not formatted (make format): ${bad[*]}"
    exit 1
fi
echo "${#files[@]} C files formatted as .clang-format says"
