#!/usr/bin/env bash
# itest_fuzz_smoke.sh - `make fuzz fuzz-smoke`: every target built with libFuzzer (clang,
# ASan+UBSan) and run for FUZZ_SECONDS (default 10) on its corpus. Skipped (exit 77)
# when clang or its libFuzzer runtime is missing - the corpus replay (itest_corpus.sh)
# still runs every input with gcc then. Adds about 2 to 3 minutes to `make test`.
set -u
cd "$(dirname "$0")/.."
cc=${FUZZ_CC:-clang}
if ! command -v "$cc" >/dev/null 2>&1; then
    echo "skip: $cc not found (install clang for the fuzz smoke run)"
    exit 77
fi
probe=$(mktemp -d "${TMPDIR:-/tmp}/wsspec-fuzzprobe.XXXXXX")
trap 'rm -rf "$probe"' EXIT
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n)\n{ (void)d; (void)n; return 0; }\n' \
    >"$probe/p.c"
if ! "$cc" -fsanitize=fuzzer,address,undefined -o "$probe/p" "$probe/p.c" >"$probe/log" 2>&1; then
    echo "skip: $cc cannot link -fsanitize=fuzzer (no libFuzzer runtime): $(head -1 "$probe/log")"
    exit 77
fi
# tests/run is not started through $(MAKE): drop the outer make's flags (jobserver).
env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make --no-print-directory -s -j2 FUZZ_CC="$cc" fuzz ||
    exit 1
env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make --no-print-directory -s FUZZ_CC="$cc" \
    FUZZ_SECONDS="${FUZZ_SECONDS:-10}" fuzz-smoke
