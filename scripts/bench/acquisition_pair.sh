#!/bin/bash
# Back-to-back lab-load runs of several hoplabd builds (docs/performance.md, session 8).
#
# usage: acquisition_pair.sh TAG OUT_DIR DAEMON[@BENCH] ...
#
# Runs `BENCH --hoplabd DAEMON --phases lab --lab-s 30` for each DAEMON in turn, the whole list twice
# (A B A B: the machine drifts by ±25 % over minutes, so only differences inside a round count), with
# acquisition_wakeups.py sampling each thread's CPU and switches for 20 s from 6 s in. BENCH defaults
# to build-acqbench/bin/hoplab_acquisition_bench; give the bench of the daemon's own build when the
# live message format differs between builds. Each DAEMON must be a file named `hoplabd` (the wake-up
# script finds the daemon by that name): copy each build to its own directory, e.g. /tmp/before/hoplabd.
# Writes OUT_DIR/TAG-<daemon's directory>-<round>.{txt,json,wakeups.txt} and prints one line per run:
# daemon CPU | live p50 p99 (ms) | each thread's CPU.
set -u
tag=$1; out=$2; shift 2
here=$(cd "$(dirname "$0")" && pwd)
default_bench="$here/../../build-acqbench/bin/hoplab_acquisition_bench"
mkdir -p "$out"
for round in 1 2; do
  for spec in "$@"; do
    bin=${spec%@*}; bench=$default_bench; [[ "$spec" == *@* ]] && bench=${spec#*@}
    name=$(basename "$(dirname "$bin")")
    f=$out/$tag-$name-$round
    work=$(mktemp -d)
    "$bench" --hoplabd "$bin" --phases lab --lab-s 30 --work-dir "$work" --json "$f.json" > "$f.txt" 2>&1 &
    bench_pid=$!
    sleep 6
    /usr/bin/python3 "$here/acquisition_wakeups.py" --seconds 20 > "$f.wakeups.txt" 2>&1
    wait $bench_pid
    rm -rf "$work"
    echo "$name r$round: $(grep 'daemon CPU' "$f.txt" | sed 's/.*daemon CPU//') | $(grep latency_live "$f.txt" | awk '{print $3, $6}') | $(grep -E '^  tid' "$f.wakeups.txt" | awk '{print $NF, $(NF-1)}' | tr '\n' ' ')"
  done
done
