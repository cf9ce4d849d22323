#!/bin/sh
# run_fuzz.sh: runs the libFuzzer target of the model loader for a bounded time on a corpus made
# of the given seed models (copied into a fresh temporary directory). Usage: FUZZER SEED...
set -eu
fuzzer=$1
shift
dir=$(mktemp -d "${TMPDIR:-/tmp}/bnn-fuzz.XXXXXX")
trap 'rm -rf "$dir"' EXIT
for s in "$@"; do cp "$s" "$dir/"; done
"$fuzzer" -max_total_time="${FUZZ_SECONDS:-20}" -rss_limit_mb=2048 -timeout=20 -print_final_stats=1 "$dir"
