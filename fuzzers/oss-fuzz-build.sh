#!/bin/bash -eu
# fuzzers/oss-fuzz-build.sh - the build script for OSS-Fuzz and ClusterFuzzLite
# (their build.sh): every target, its dictionary and its seed corpus into $OUT.
#
# Their environment decides everything: $CC and $CFLAGS (sanitizer and coverage flags
# included), $LIB_FUZZING_ENGINE (libFuzzer, AFL++ or honggfuzz), $OUT, and $WORK for
# intermediate files. So this Makefile's own sanitizer and coverage flags are emptied
# (FUZZ_SAN, FUZZ_INSTR) and the libraries are linked statically, since the machines
# that run the targets do not have the -dev packages. The project Dockerfile needs:
#   RUN apt-get update && apt-get install -y make libssl-dev zlib1g-dev libjansson-dev zip
cd "$(dirname "$0")/.."
build=${WORK:-/tmp}/wsspec-build
make -j"$(nproc)" fuzz B="$build" FUZZ_CC="$CC" CFLAGS="$CFLAGS" FUZZ_SAN= FUZZ_INSTR= \
    LIB_FUZZING_ENGINE="$LIB_FUZZING_ENGINE" \
    FUZZ_LIBS="-Wl,-Bstatic -ljansson -lssl -lcrypto -lz -Wl,-Bdynamic -ldl -lpthread"
for src in fuzzers/*_fuzzer.c; do
    t=$(basename "$src" _fuzzer.c)
    cp "$build/fuzz/${t}_fuzzer" "$OUT/"
    [ -f "fuzzers/$t.dict" ] && cp "fuzzers/$t.dict" "$OUT/${t}_fuzzer.dict"
    if [ -d "corpus/$t" ]; then
        (cd "corpus/$t" && zip -q -r "$OUT/${t}_fuzzer_seed_corpus.zip" .)
    fi
done
# script_fuzzer and script_server_fuzzer read the case catalogue at start-up from cases/
# beside the binary.
rm -rf "$OUT/cases" && cp -r cases "$OUT/"
