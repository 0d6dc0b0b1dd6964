#!/usr/bin/python3
"""Runs hoplab_processing_bench and the scipy reference pipeline on the same signals, in the same run, and prints
one table of throughput (samples/s) and the ratio C++ / scipy. Builds nothing.

  /usr/bin/python3 scripts/bench/processing_vs_scipy.py BUILD_DIR [--min-time SECONDS] [--repetitions N]
                                                                  [--processes P]

With --repetitions N each side measures every case N times (blocks of at least --min-time seconds) and reports its
best block: on a shared machine the best block is the least disturbed one, for Python and C++ alike. With
--processes P each side does that in P processes, C++ and Python alternating, and keeps each case's best: on the
shared virtual machines this was written on, the same binary ran up to ~20 % faster or slower from one process to
the next, which repetitions inside one process do not see.
"""
import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build_dir", type=pathlib.Path)
    parser.add_argument("--min-time", default="1.0")
    parser.add_argument("--repetitions", type=int, default=1)
    parser.add_argument("--processes", type=int, default=1)
    args = parser.parse_args()
    bench = args.build_dir / "bin" / "hoplab_processing_bench"
    if not bench.exists():
        sys.exit(f"{bench} not found: build the hoplab_processing_bench target first")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, HERE / "scipy_pipeline.py", "--write-signals", tmp], check=True)
        env = dict(os.environ, HOPLAB_BENCH_SIGNAL_DIR=tmp)
        cpp, ref = {}, {}
        for _ in range(args.processes):
            out = subprocess.run([bench, "--benchmark_format=json", f"--benchmark_min_time={args.min_time}",
                                  f"--benchmark_repetitions={args.repetitions}"],
                                 env=env, check=True, capture_output=True, text=True).stdout
            for b in json.loads(out)["benchmarks"]:
                if b.get("run_type", "iteration") != "iteration":
                    continue  # mean / median / stddev rows of repeated runs
                name, n = b["run_name"].split("/") if "run_name" in b else b["name"].split("/")
                rates = cpp.setdefault(name, {})
                rates[int(n)] = max(rates.get(int(n), 0.0), b["items_per_second"])
            scipy_out = subprocess.run([sys.executable, HERE / "scipy_pipeline.py", "--signals", tmp,
                                        "--min-time", str(args.min_time), "--repetitions", str(args.repetitions)],
                                       check=True, capture_output=True, text=True).stdout
            for case, values in json.loads(scipy_out).items():
                rates = ref.setdefault(case, {})
                for n, v in values.items():
                    rates[int(n)] = max(rates.get(int(n), 0.0), v)
    rows = [("filtering (zero-phase Butterworth, whole record)", "FilterWholeRecord", "filter"),
            ("event detection", "EventDetection", "events"),
            ("per-trial: literal C++ port of the scipy pipeline", "PortOfScipy", "pipeline"),
            ("per-trial: hoplab analyze_trial (every metric)", "AnalyzeTrial", "pipeline")]
    print(f"| case | samples | hoplab C++ (samples/s) | scipy/numpy (samples/s) | ratio |")
    print("|---|---|---|---|---|")
    for label, cpp_name, ref_name in rows:
        for n in sorted(cpp[cpp_name]):
            c = cpp[cpp_name][n]
            r = ref[ref_name][n]
            print(f"| {label} | {n:.0e} | {c:.3g} | {r:.3g} | {c / r:.1f}x |")


if __name__ == "__main__":
    main()
