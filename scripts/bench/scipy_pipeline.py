#!/usr/bin/python3
"""The reference scipy/numpy pipeline of METHODS.md, timed on the benchmark signals.

Pipeline (what a lab script does): 2nd-order Butterworth 50 Hz run forward and backward over the whole record
(scipy.signal.sosfiltfilt, effective order 4), contacts by a 20 N threshold on the unfiltered force with the
METHODS §3 minimum durations, and the per-contact peak of the filtered force.

  scipy_pipeline.py --write-signals DIR   writes hops_<n>.f64 (raw float64) for n in 1e5, 1e6, 1e7
  scipy_pipeline.py --signals DIR         times filter / events / whole pipeline, prints JSON {case: {n: samples/s}}

The signal (the same formula as bench/processing/processing_bench.cpp): 2 s stance at 700 N, hops of a 0.25 s,
2000 N half-sine and a 0.35 s flight, 2 s landing stance, white noise sigma 2 N (numpy default_rng(20261123)).
"""
import argparse
import json
import pathlib
import time

import numpy as np
from scipy import signal

FS = 1000.0
SIZES = (100_000, 1_000_000, 10_000_000)


def make_signal(n):
    k = np.arange(n)
    stance = 2000
    phase = (k - stance) % 600
    hops = np.where(phase < 250, 2000.0 * np.sin(np.pi * phase / 250.0), 0.0)
    f = np.where((k >= stance) & (k + stance < n), hops, 700.0)
    return f + np.random.default_rng(20261123).normal(0.0, 2.0, n)


SOS = signal.butter(2, 50.0, fs=FS, output="sos")


def filtered(f):
    return signal.sosfiltfilt(SOS, f)


def events(f, threshold=20.0, min_contact=50, min_flight=50):
    above = f >= threshold
    edges = np.flatnonzero(np.diff(above.astype(np.int8))) + 1
    bounds = np.concatenate(([0], edges, [f.size]))
    states = above[bounds[:-1]]
    lengths = np.diff(bounds)
    states = np.where(states & (lengths < min_contact), False, states)
    keep = np.concatenate(([True], states[1:] != states[:-1]))
    bounds = np.concatenate((bounds[:-1][keep], [f.size]))
    states = states[keep]
    lengths = np.diff(bounds)
    inner = np.zeros(states.size, bool)
    inner[1:-1] = True
    states = np.where(~states & inner & (lengths < min_flight), True, states)
    keep = np.concatenate(([True], states[1:] != states[:-1]))
    bounds = np.concatenate((bounds[:-1][keep], [f.size]))
    states = states[keep]
    return bounds[:-1][states], bounds[1:][states]


def pipeline(f):
    y = filtered(f)
    begin, end = events(f)
    return [float(y[b:e].max()) for b, e in zip(begin, end)]


def rate(func, f, min_time=1.0, repetitions=1):
    """Samples per second: the mean over a block of calls lasting at least min_time; with several
    repetitions, the best block (on a shared machine the best block is the one least disturbed)."""
    best = 0.0
    for _ in range(repetitions):
        runs = 0
        start = time.perf_counter()
        while True:
            func(f)
            runs += 1
            elapsed = time.perf_counter() - start
            if elapsed >= min_time and runs >= 2:
                best = max(best, f.size * runs / elapsed)
                break
    return best


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--write-signals", type=pathlib.Path)
    parser.add_argument("--signals", type=pathlib.Path)
    parser.add_argument("--min-time", type=float, default=1.0)
    parser.add_argument("--repetitions", type=int, default=1)
    args = parser.parse_args()
    if args.write_signals:
        args.write_signals.mkdir(parents=True, exist_ok=True)
        for n in SIZES:
            make_signal(n).astype("<f8").tofile(args.write_signals / f"hops_{n}.f64")
        return
    results = {"filter": {}, "events": {}, "pipeline": {}}
    for n in SIZES:
        f = (np.fromfile(args.signals / f"hops_{n}.f64", dtype="<f8") if args.signals else make_signal(n))
        results["filter"][n] = rate(filtered, f, args.min_time, args.repetitions)
        results["events"][n] = rate(events, f, args.min_time, args.repetitions)
        results["pipeline"][n] = rate(pipeline, f, args.min_time, args.repetitions)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
