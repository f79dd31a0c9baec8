#!/usr/bin/env bash
# fuzzers/corpus-merge.sh TARGET... - `make corpus-merge`: minimise corpus/<target>/.
#
# For each target, libFuzzer's -merge=1 keeps the smallest set of inputs that reaches
# every feature (edge, edge counter bucket, comparison) the whole set reaches, and
# writes them named by the SHA-1 of their content; that set replaces corpus/<target>/.
# Inputs found elsewhere (a nightly run, a crash reproducer) join the merge through
# CORPUS_EXTRA: a directory holding <target>/ subdirectories, e.g. the nightly run's.
#
# Environment: FUZZ_BIN (default build/fuzz), CORPUS (default corpus), CORPUS_EXTRA,
# MERGE_MAX_LEN (inputs longer than this are cut; default 65536: the seeds are at most
# 16 KiB, and a corpus of long inputs makes every run slower). The inputs listed in
# fuzzers/regressions.txt are always kept.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${FUZZ_BIN:-build/fuzz}
CORPUS=${CORPUS:-corpus}
for t in "$@"; do
    fuzzer=$BIN/${t}_fuzzer
    [ -x "$fuzzer" ] || { echo "corpus-merge: $fuzzer missing: run make fuzz" >&2; exit 2; }
    dirs=()
    [ -d "$CORPUS/$t" ] && dirs+=("$CORPUS/$t")
    [ -n "${CORPUS_EXTRA:-}" ] && [ -d "$CORPUS_EXTRA/$t" ] && dirs+=("$CORPUS_EXTRA/$t")
    [ ${#dirs[@]} -gt 0 ] || { echo "corpus-merge: $t: no inputs"; continue; }
    out=$(mktemp -d "${TMPDIR:-/tmp}/wsspec-merge.XXXXXX")
    # Inputs already in the output directory are kept as they are: the regression
    # inputs go there first (fuzzers/regressions.txt), so no merge drops them.
    while read -r path _; do
        case $path in "$CORPUS/$t/"*) [ -f "$path" ] && cp "$path" "$out/" ;; esac
    done < <(grep -v '^#' fuzzers/regressions.txt | sed "s|^corpus/|$CORPUS/|")
    before=$(find "${dirs[@]}" -type f -exec cat {} + | wc -c)
    # case_parse: a catalogue file hits each directive many times, so counting hits
    # (-use_counters) keeps thousands of whole files (about 5 MB); edges alone keep a
    # few hundred (about 120 KB) - the committed corpus stays a few MB in all.
    flags=()
    [ "$t" = case_parse ] && flags=(-use_counters=0)
    if ! nice -n 19 "$fuzzer" -merge=1 -max_len="${MERGE_MAX_LEN:-65536}" -timeout=10 \
        -rss_limit_mb=4096 "${flags[@]}" "$out" "${dirs[@]}" >"$out.log" 2>&1; then
        echo "corpus-merge: $t: merge failed (a crashing input?):" >&2
        tail -20 "$out.log" >&2
        rm -rf "$out" "$out.log"
        exit 1
    fi
    rm -f "$out.log"
    mkdir -p "$CORPUS/$t"
    find "$CORPUS/$t" -type f -delete
    find "$out" -type f -exec mv -t "$CORPUS/$t" {} +
    rm -rf "$out"
    n=$(find "$CORPUS/$t" -type f | wc -l)
    after=$(find "$CORPUS/$t" -type f -exec cat {} + | wc -c)
    echo "corpus-merge: $t: $n inputs, $after bytes (from $before bytes)"
done
