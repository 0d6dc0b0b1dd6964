#!/usr/bin/python3
"""Compares two builds of a Google Benchmark program case by case, alternating them process by process.

  /usr/bin/python3 scripts/bench/alternate_builds.py FILTER ROUNDS BENCH_A BENCH_B [--signal-dir DIR]

Each round runs BENCH_A, then BENCH_B, each as its own process (--benchmark_filter=FILTER, six blocks of at least
0.05 s) and keeps each process's best CPU time. Prints both builds' minimum and median over the rounds and the
median of the per-round ratios B / A. On the shared virtual machines hoplab is developed on, the speed of the same
binary drifts by ±25 % over minutes and from process to process; two builds run minutes apart cannot be compared,
and a ratio taken round by round, over many rounds, is what is left. --signal-dir points HOPLAB_BENCH_SIGNAL_DIR
(hoplab_processing_bench) at the signals written by scipy_pipeline.py --write-signals.
"""
import argparse
import json
import os
import statistics
import subprocess


def best_cpu_time(bench, case, env):
    out = subprocess.run([bench, f"--benchmark_filter={case}", "--benchmark_min_time=0.05",
                          "--benchmark_repetitions=6", "--benchmark_format=json"],
                         env=env, check=True, capture_output=True, text=True).stdout
    times = [b["cpu_time"] for b in json.loads(out)["benchmarks"] if b.get("run_type") == "iteration"]
    if not times:
        raise SystemExit(f"{bench}: no benchmark matches {case!r}")
    return min(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("filter")
    parser.add_argument("rounds", type=int)
    parser.add_argument("bench_a")
    parser.add_argument("bench_b")
    parser.add_argument("--signal-dir")
    args = parser.parse_args()
    env = dict(os.environ)
    if args.signal_dir:
        env["HOPLAB_BENCH_SIGNAL_DIR"] = args.signal_dir
    a, b = [], []
    for _ in range(args.rounds):
        a.append(best_cpu_time(args.bench_a, args.filter, env))
        b.append(best_cpu_time(args.bench_b, args.filter, env))
    for name, times in ((args.bench_a, a), (args.bench_b, b)):
        print(f"{name}: min {min(times):.4g}, median {statistics.median(times):.4g} "
              f"(rounds: {' '.join(f'{t:.4g}' for t in times)})")
    ratios = [y / x for x, y in zip(a, b)]
    print(f"B / A: median of the per-round ratios {statistics.median(ratios):.3f}, "
          f"ratio of the minima {min(b) / min(a):.3f}")


if __name__ == "__main__":
    main()
