#!/usr/bin/env bash
# fuzzers/corpus-seed.sh - `make corpus-seed`: seed corpus/<target>/ from a real run.
#
# Starts `wsspec echo` and runs the whole catalogue against it with WSSPEC_RECORD_DIR
# set, so both sides record what they received, one file per connection
# (reference/echo/wire_record.h): the echo endpoint the clients' handshakes and masked
# frames, the test peer the 101 responses and unmasked frames. fuzzers/corpus_split.py
# then cuts those streams into seeds for each target (handshake blocks, single frames,
# whole connections, text payloads, close payloads, ...), adds the case files and the
# run's wsspec.json, and writes them into corpus/<target>/ named by their SHA-1.
# Seeds are added to what is there; `make corpus-merge` minimises afterwards.
#
# Environment: WSSPEC (default build/wsspec), CORPUS (default corpus), SEED (the run's
# --seed, default 1: the same seed records the same bytes).
set -euo pipefail
cd "$(dirname "$0")/.."
WSSPEC=${WSSPEC:-$PWD/build/wsspec}
CORPUS=${CORPUS:-corpus}
[ -x "$WSSPEC" ] || { echo "corpus-seed: $WSSPEC missing: run make first" >&2; exit 2; }
command -v python3 >/dev/null || { echo "corpus-seed: needs python3" >&2; exit 2; }

REC=$(mktemp -d "${TMPDIR:-/tmp}/wsspec-record.XXXXXX")
. tests/lib-echo-server.sh
trap 'echo_cleanup; rm -rf "$REC"' EXIT
mkdir -p "$REC/wire"
export WSSPEC_RECORD_DIR=$REC/wire

echo_start "$WSSPEC" --listen 127.0.0.1:0 || exit 2
echo "corpus-seed: recording the catalogue against $ECHO_URL"
# The verdicts do not matter here, only the bytes: a failing case (exit 1) is still a
# seed. Exit 2 is not a verdict (broken case files, an interrupted run, no target): the
# recording is incomplete, so nothing is added.
rc=0
"$WSSPEC" run "$ECHO_URL" --seed "${SEED:-1}" --report-dir "$REC/report" --format json -q || rc=$?
if [ "$rc" != 0 ] && [ "$rc" != 1 ]; then
    echo "corpus-seed: wsspec run exited $rc: the recording is incomplete, no seeds added" >&2
    exit 2
fi
echo_stop || echo "corpus-seed: wsspec echo exited with status $ECHO_RC"
unset WSSPEC_RECORD_DIR

n=$(find "$REC/wire" -type f | wc -l)
echo "corpus-seed: $n connection recordings"
python3 fuzzers/corpus_split.py "$REC/wire" "$REC/report/wsspec.json" cases "$CORPUS"
