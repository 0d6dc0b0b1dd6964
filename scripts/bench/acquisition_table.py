#!/usr/bin/python3
"""Markdown table of a hoplab_acquisition_bench results file (docs/performance.md).

usage: acquisition_table.py RESULTS.json [LONG_RESULTS.json ...]

Prints one row per figure with its goal and the same-run reference it is compared with. Each further
file, from `hoplab_acquisition_bench --long [--trial-s S]`, adds its 10-minute peak RSS series.
"""
import json
import sys


def plates(samples_per_s):
    return samples_per_s / 2000.0  # one plate: 8 channels at 2 kHz = 2000 rows/s


def sustained_row(refs, rate, goal):
    """The uncompressed append sustained for one TCP step (results from session 10 on)."""
    sustained = refs.get("raw_hdf5_uncompressed_sustained")
    if sustained:
        raw = sustained["samples_per_s_median"]
        print(f"| | | raw HDF5 append, uncompressed, sustained {sustained['min_seconds_per_run']:.0f} s: "
              f"{raw:,.0f} samples/s | {rate / raw:.3f} | {goal} |")


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    with open(argv[1]) as f:
        r = json.load(f)
    print(f"Run {r['date_utc']}, {r['cpus']} CPUs, load average {r['load_average_start']} at start, "
          f"{r['load_average_end']} at end.\n")
    print("| figure | measured | same-run reference | ratio | goal |")
    print("|---|---|---|---|---|")
    refs = r.get("references", {})
    tcp = r.get("tcp")
    if tcp and "zero_loss_samples_per_s" in tcp:
        rate = tcp["zero_loss_samples_per_s"]
        deflate = refs["raw_hdf5_shuffle_deflate1"]["samples_per_s_median"]
        raw = refs["raw_hdf5_uncompressed"]["samples_per_s_median"]
        print(f"| TCP zero-loss ingest ({tcp['zero_loss_mode']}, {tcp['devices']} connections, "
              f"{tcp['samples_per_frame']}-sample frames) | {rate:,.0f} samples/s = "
              f"{plates(rate):,.0f} plates | raw HDF5 append, shuffle+deflate 1: {deflate:,.0f} samples/s | "
              f"{rate / deflate:.2f} | ≥ 0.50 |")
        # The 0.25 goal compares like with like: the uncompressed ingest, below.
        print(f"| | | raw HDF5 append, uncompressed: {raw:,.0f} samples/s | {rate / raw:.3f} | |")
        sustained_row(refs, rate, "")
        if "as_data_frames_samples_per_s" in refs.get("iperf3", {}):
            ip = refs["iperf3"]
            print(f"| | | iperf3 loopback: {ip['bytes_per_s'] / 1e9:.2f} GB/s = "
                  f"{ip['as_data_frames_samples_per_s']:,.0f} samples/s | "
                  f"{rate / ip['as_data_frames_samples_per_s']:.3f} | |")
    raw_tcp = r.get("tcp_uncompressed")
    if raw_tcp and "zero_loss_samples_per_s" in raw_tcp:
        rate = raw_tcp["zero_loss_samples_per_s"]
        raw = refs["raw_hdf5_uncompressed"]["samples_per_s_median"]
        print(f"| TCP zero-loss ingest, `compress_raw = false` ({raw_tcp['zero_loss_mode']}, "
              f"{raw_tcp['devices']} connections, {raw_tcp['samples_per_frame']}-sample frames) | "
              f"{rate:,.0f} samples/s = {plates(rate):,.0f} plates | raw HDF5 append, uncompressed: "
              f"{raw:,.0f} samples/s | {rate / raw:.3f} | ≥ 0.25 |")
        sustained_row(refs, rate, "≥ 0.25")
    udp = r.get("udp")
    if udp:
        best = udp.get("zero_loss_datagrams_per_s")
        steps = ", ".join(f"{s['sent_frames_per_s'] / 1e3:.0f}k/s lost {s['samples_lost']}"
                          for s in udp["steps"])
        print(f"| UDP zero-loss ({udp['samples_per_datagram']} samples per datagram) | "
              f"{best:,.0f} datagrams/s | steps: {steps} | | ≥ 200,000 datagrams/s |" if best else
              f"| UDP zero-loss | none | steps: {steps} | | ≥ 200,000 datagrams/s |")
    lab = r.get("lab")
    if not lab:
        return
    print(f"| daemon CPU, {lab['devices']} plates × 8 ch × {lab['rate_hz']:.0f} Hz, "
          f"{lab['duration_s']:.0f} s | {lab['daemon_cpu_percent_of_one_core']:.2f} % of one core | | | < 2 % |")
    for key, label, goal in (("latency_live", "frame → live WebSocket", "p99 < 20 ms"),
                             ("latency_swmr", "frame → SWMR-visible row", "")):
        l = lab.get(key, {})
        if "p50_ms" in l:
            print(f"| {label} | p50 {l['p50_ms']:.1f} ms, p99 {l['p99_ms']:.1f} ms, max {l['max_ms']:.1f} ms "
                  f"({l['frames']} frames) | | | {goal} |")
    mem = lab["memory"]
    print(f"| daemon peak RSS (VmHWM), {lab['duration_s']:.0f} s | {mem[-1]['vm_hwm_kib'] / 1024:.1f} MiB "
          f"(at {mem[0]['t_s']:.0f} s: {mem[0]['vm_hwm_kib'] / 1024:.1f} MiB) | | | independent of length |")
    for name in argv[2:]:
        with open(name) as f:
            long = json.load(f)
        lab = long["lab"]
        trials = (f"a new trial every {lab['trial_s']:.0f} s ({lab['trials']} trials)"
                  if lab.get("trial_s") else "one trial")
        series = ", ".join(f"{m['t_s']:.0f} s {m['vm_hwm_kib'] / 1024:.1f}" for m in lab["memory"])
        print(f"| daemon peak RSS over {lab['duration_s']:.0f} s, {trials} (`--long`, {long['date_utc']}) | "
              f"VmHWM MiB: {series} | | | flat |")
        print(f"| daemon CPU over that run | {lab['daemon_cpu_percent_of_one_core']:.2f} % of one core | | | < 2 % |")

if __name__ == "__main__":
    main(sys.argv)
