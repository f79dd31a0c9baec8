#!/usr/bin/env bash
# fuzzers/nightly.sh [TARGET...] - `make fuzz-nightly`: the long run, every core busy.
#
# For each target in turn (all of them when none is named), for FUZZ_SECONDS each
# (default 3600), on JOBS cores (default: all):
#   libFuzzer  half the cores (at least one): -fork=N workers sharing a corpus directory
#              seeded from corpus/<target>/, with the target's dictionary;
#   AFL++      the other half, when afl-fuzz and the `make fuzz-afl` builds are there:
#              one main instance (-M) and secondaries (-S), the first secondary with
#              the CmpLog build (-c) for magic values.
# Then one line per target (exec/s, coverage, crashes) and, where the engines found
# new inputs, the command that minimises them into corpus/ (`make corpus-merge` with
# CORPUS_EXTRA). Crashes, leaks and timeouts are kept under OUT; the exit status is 1
# when any engine found one, so a scheduled CI job goes red, and 2 when an engine could
# not run (bad arguments, a refused environment) - a night that fuzzed nothing is red too.
#
# Environment: FUZZ_SECONDS, JOBS, OUT (default build/nightly), ENGINES (both, the
# default; libfuzzer or afl: that engine alone on all JOBS cores), FUZZ_BIN (build/fuzz),
# FUZZ_AFL_BIN (build/fuzz-afl), FUZZ_CMPLOG_BIN (build/fuzz-afl-cmplog).
set -uo pipefail
cd "$(dirname "$0")/.."
SECS=${FUZZ_SECONDS:-3600}
JOBS=${JOBS:-$(nproc)}
OUT=${OUT:-build/nightly}
BIN=${FUZZ_BIN:-build/fuzz}
AFLB=${FUZZ_AFL_BIN:-build/fuzz-afl}
CMPB=${FUZZ_CMPLOG_BIN:-build/fuzz-afl-cmplog}
case $SECS in '' | *[!0-9]*) echo "nightly: FUZZ_SECONDS must be a number of seconds" >&2; exit 2 ;; esac
case $JOBS in '' | *[!0-9]* | 0) echo "nightly: JOBS must be a positive number" >&2; exit 2 ;; esac
ENGINES=${ENGINES:-both}
case $ENGINES in both | libfuzzer | afl) ;;
*) echo "nightly: ENGINES must be both, libfuzzer or afl" >&2; exit 2 ;; esac
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    for f in fuzzers/*_fuzzer.c; do
        f=${f#fuzzers/}
        targets+=("${f%_fuzzer.c}")
    done
fi

# libFuzzer gets half the cores, AFL++ the rest - all of them when AFL++ is missing;
# ENGINES=libfuzzer or afl gives one engine every core.
afl=1
if ! command -v afl-fuzz >/dev/null; then
    [ "$ENGINES" = afl ] && { echo "nightly: ENGINES=afl needs afl-fuzz (apt-get install afl++)" >&2; exit 2; }
    afl=0
    [ "$ENGINES" = both ] && echo "nightly: afl-fuzz not found (apt-get install afl++): libFuzzer only"
fi
case $ENGINES in
libfuzzer) afl=0 lf_jobs=$JOBS afl_jobs=0 ;;
afl) lf_jobs=0 afl_jobs=$JOBS ;;
*)
    lf_jobs=$(((JOBS + 1) / 2))
    afl_jobs=$((JOBS - lf_jobs))
    [ $afl = 1 ] && [ $afl_jobs -gt 0 ] || { afl=0; lf_jobs=$JOBS; }
    ;;
esac
export AFL_SKIP_CPUFREQ=1 AFL_NO_UI=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
    AFL_NO_AFFINITY=1

found=0 broken=()
mkdir -p "$OUT"
summary=$OUT/summary.txt
: >"$summary"
for t in "${targets[@]}"; do
    [ "$lf_jobs" = 0 ] || [ -x "$BIN/${t}_fuzzer" ] ||
        { echo "nightly: $BIN/${t}_fuzzer missing: run make fuzz" >&2; exit 2; }
    [ "$ENGINES" != afl ] || [ -x "$AFLB/${t}_fuzzer" ] ||
        { echo "nightly: $AFLB/${t}_fuzzer missing: run make fuzz-afl" >&2; exit 2; }
    dict=()
    [ -f "fuzzers/$t.dict" ] && dict=("fuzzers/$t.dict")
    # Each run reports only its own finds and rates: earlier artifacts and AFL++ state
    # go (keep what they found with corpus-merge); libFuzzer's corpus directory stays
    # and grows from night to night.
    lf=$OUT/libfuzzer/$t
    a=$OUT/afl/$t
    rm -rf "$lf/artifacts" "$a" "$a".*.log
    mkdir -p "$lf/corpus" "$lf/artifacts"
    [ -d "corpus/$t" ] && cp -n "corpus/$t"/* "$lf/corpus/" 2>/dev/null
    pids=() logs=()
    if [ "$lf_jobs" -gt 0 ]; then
        fork=()
        [ "$lf_jobs" -gt 1 ] && fork=(-fork="$lf_jobs" -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
        ldict=()
        [ ${#dict[@]} -gt 0 ] && ldict=(-dict="${dict[0]}")
        "$BIN/${t}_fuzzer" "${fork[@]}" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 \
            "${ldict[@]}" -artifact_prefix="$lf/artifacts/" "$lf/corpus" >"$lf.log" 2>&1 &
        pids+=($!)
        logs+=("$lf.log")
    fi
    if [ $afl = 1 ] && [ -x "$AFLB/${t}_fuzzer" ]; then
        mkdir -p "$a"
        xdict=()
        [ ${#dict[@]} -gt 0 ] && xdict=(-x "${dict[0]}")
        # -V: stop after SECS; -t: a run over 10 s is a hang; -m none: memory is bounded
        # by the targets themselves (the ASan builds reserve terabytes of address space)
        common=(-i "corpus/$t" -o "$a" "${xdict[@]}" -V "$SECS" -t 10000 -m none)
        for i in $(seq 1 "$afl_jobs"); do
            if [ "$i" = 1 ]; then
                role=(-M main)
            elif [ "$i" = 2 ] && [ -x "$CMPB/${t}_fuzzer" ]; then
                role=(-S cmplog -c "$CMPB/${t}_fuzzer")
            else
                role=(-S "s$i")
            fi
            # afl-fuzz refuses sanitizer options it did not set (make test sets them)
            env -u ASAN_OPTIONS -u UBSAN_OPTIONS -u MSAN_OPTIONS \
                afl-fuzz "${role[@]}" "${common[@]}" -- "$AFLB/${t}_fuzzer" >"$a.$i.log" 2>&1 &
            pids+=($!)
            logs+=("$a.$i.log")
        done
    fi
    # an engine that could not start (or stopped at a crash: then the finds say so)
    errs=0
    for i in "${!pids[@]}"; do
        wait "${pids[$i]}" && continue
        errs=$((errs + 1))
        echo "nightly: $t: ${logs[$i]} ended with an error:" >&2
        grep -v '^ *$' "${logs[$i]}" | tail -5 | sed 's/^/    | /' >&2
    done

    # libFuzzer: the last status line (fork mode prints "#N: cov: C ft: F corp: ...")
    line=$(printf '%-20s' "$t")
    lf_bad=0
    if [ "$lf_jobs" -gt 0 ]; then
        st=$(grep -E '^#[0-9]+.*cov: ' "$lf.log" | tail -1)
        lf_cov=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<<"$st")
        lf_ft=$(sed -n 's/.*ft: \([0-9]*\).*/\1/p' <<<"$st")
        lf_execs=$(sed -n 's/^#\([0-9]*\).*/\1/p' <<<"$st")
        lf_bad=$(find "$lf/artifacts" -type f | wc -l)
        line+=$(printf ' libFuzzer %6s exec/s cov %4s ft %5s, %s finds' \
            "$((${lf_execs:-0} / (SECS > 0 ? SECS : 1)))" "${lf_cov:-?}" "${lf_ft:-?}" "$lf_bad")
    fi
    afl_bad=0
    if [ -d "$a" ]; then
        execs=0 edges=0
        for s in "$a"/*/fuzzer_stats; do
            [ -f "$s" ] || continue
            e=$(sed -n 's/^execs_done *: *//p' "$s")
            execs=$((execs + ${e:-0}))
            g=$(sed -n 's/^edges_found *: *//p' "$s")
            [ "${g:-0}" -gt "$edges" ] && edges=$g
        done
        afl_bad=$(find "$a" -path '*/crashes/id:*' -o -path '*/hangs/id:*' | wc -l)
        [ "$lf_jobs" -gt 0 ] && line+=';'
        line+=$(printf ' AFL++ %6s exec/s edges %4s, %s finds' "$((execs / (SECS > 0 ? SECS : 1)))" \
            "$edges" "$afl_bad")
    fi
    echo "nightly: $line" | tee -a "$summary"
    # an engine that ended with an error and found nothing did not run: a night that
    # fuzzed nothing must not look like a clean one
    if [ "$errs" -gt 0 ] && [ "$lf_bad" = 0 ] && [ "$afl_bad" = 0 ]; then
        broken+=("$t")
        echo "    an engine did not run (see its log above)" | tee -a "$summary"
    fi
    if [ "$lf_bad" -gt 0 ] || [ "$afl_bad" -gt 0 ]; then
        found=1
        find "$lf/artifacts" "$a" \( -path "$lf/artifacts/*" -o -path '*/crashes/id:*' \
            -o -path '*/hangs/id:*' \) -type f 2>/dev/null | sed 's/^/    crash, leak or hang: /' |
            tee -a "$summary"
    fi
    # the finds, for corpus-merge
    mkdir -p "$OUT/merge/$t"
    cp "$lf/corpus"/* "$OUT/merge/$t/" 2>/dev/null
    [ -d "$a" ] && find "$a" -path '*/queue/id:*' -type f -exec cp {} "$OUT/merge/$t/" \;
done
echo "nightly: summary in $summary; to keep the new inputs (minimised):"
echo "    CORPUS_EXTRA=$OUT/merge make corpus-merge"
[ ${#broken[@]} -gt 0 ] && echo "nightly: an engine did not run for: ${broken[*]}"
if [ $found = 1 ]; then
    echo "nightly: FOUND crashes, leaks or hangs: replay each with build/fuzz-replay/<target>_fuzzer FILE"
    exit 1
fi
[ ${#broken[@]} -eq 0 ] || exit 2
