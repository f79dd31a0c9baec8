# tests/lib-fuzz-nightly.sh - sourced by itest_fuzz_smoke.sh (libFuzzer) and
# itest_fuzz_afl.sh (AFL++): fuzzers/nightly.sh (`make fuzz-nightly`) for a few seconds
# with one engine on one core, on the close target. A clean target must give its
# summary line and exit 0; a target that crashes on inputs starting with 'x' must give
# exit 1 and name the crashing input - a real find, the engine has to make that input;
# a target the engine cannot run must give exit 2, not a green night that fuzzed nothing.
#
# nightly_probe ENGINE CC BINVAR BINDIR OK_REGEX CRASH_REGEX SCRATCH
#   ENGINE      libfuzzer or afl (nightly.sh's ENGINES)
#   CC          links the crashing target with -fsanitize=fuzzer for that engine
#   BINVAR      the variable nightly.sh reads the targets' directory from, BINDIR its value
#   OK_REGEX    the clean target's summary line (grep -E)
#   CRASH_REGEX the line naming the crashing input (grep -E)
# Prints what failed and returns 1, or returns 0.
nightly_probe() {
    local engine=$1 cc=$2 binvar=$3 bindir=$4 ok_re=$5 crash_re=$6 dir=$7
    _nightly() { # targets' dir, out dir, expected exit status, line expected in its log, what
        env -u MAKEFLAGS ENGINES="$engine" JOBS=1 FUZZ_SECONDS=4 "$binvar=$1" OUT="$2" \
            bash fuzzers/nightly.sh close >"$2.log" 2>&1
        local rc=$?
        if [ $rc != "$3" ] || ! grep -Eq "$4" "$2.log"; then
            echo "FAIL: fuzzers/nightly.sh ($engine) on $5: exit $rc (expected $3), or no line matching: $4"
            sed 's/^/    | /' "$2.log"
            return 1
        fi
    }
    _nightly "$bindir" "$dir/ok" 0 "$ok_re" "a clean target" || return 1
    grep '^nightly: close' "$dir/ok.log"
    mkdir -p "$dir/bad"
    printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n)\n{ if (n && d[0] == 0x78) __builtin_trap(); return 0; }\n' \
        >"$dir/bad.c"
    AFL_QUIET=1 "$cc" -fsanitize=fuzzer -o "$dir/bad/close_fuzzer" "$dir/bad.c" || return 1
    _nightly "$dir/bad" "$dir/crash" 1 "$crash_re" "a crashing target" || return 1
    # a "target" the engine cannot run: the night fuzzed nothing, so it is not green
    mkdir -p "$dir/dead"
    printf '#!/bin/sh\nexit 3\n' >"$dir/dead/close_fuzzer"
    chmod +x "$dir/dead/close_fuzzer"
    _nightly "$dir/dead" "$dir/dead-run" 2 '^nightly: an engine did not run for: close$' \
        "a target it cannot run" || return 1
    echo "nightly.sh ($engine): clean target exit 0, crashing target exit 1 with its input named," \
        "a target it cannot run exit 2"
}
