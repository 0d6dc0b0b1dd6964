#!/usr/bin/python3
"""Context switches and CPU per second of each hoplabd thread during a lab-load run (docs/performance.md).

usage: acquisition_wakeups.py [--seconds S] [--wait S] [PID]

Without PID, waits up to --wait seconds for a `hoplabd` child of a running hoplab_acquisition_bench
(the newest one). Reads voluntary_ctxt_switches (the thread slept: one wake-up each) and
nonvoluntary_ctxt_switches (preempted) from /proc/PID/task/TID/status twice, S seconds apart, and
prints the rate per thread with the thread's name (/proc/PID/task/TID/comm), and each thread's CPU
(utime + stime from /proc/PID/task/TID/stat, clock ticks of SC_CLK_TCK) over the same interval as % of
one core.
"""
import argparse
import os
import sys
import time


def newest_hoplabd():
    best = None
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/comm") as f:
                if f.read().strip() != "hoplabd":
                    continue
            with open(f"/proc/{pid}/stat") as f:
                start = int(f.read().rsplit(")", 1)[1].split()[19])
        except OSError:
            continue
        if best is None or start > best[0]:
            best = (start, int(pid))
    return best[1] if best else None


def switches(pid):
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                name = f.read().strip()
            fields = {}
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                for line in f:
                    key, _, value = line.partition(":")
                    fields[key] = value.strip()
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                stat = f.read().rsplit(")", 1)[1].split()
            ticks = int(stat[11]) + int(stat[12])  # utime + stime
            out[int(tid)] = (name, int(fields["voluntary_ctxt_switches"]),
                             int(fields["nonvoluntary_ctxt_switches"]), ticks)
        except (OSError, KeyError):
            continue
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("pid", nargs="?", type=int)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--wait", type=float, default=60.0)
    args = parser.parse_args()
    pid = args.pid
    deadline = time.monotonic() + args.wait
    while pid is None and time.monotonic() < deadline:
        pid = newest_hoplabd()
        if pid is None:
            time.sleep(0.2)
    if pid is None:
        sys.exit("no hoplabd process found")
    before = switches(pid)
    time.sleep(args.seconds)
    after = switches(pid)
    print(f"hoplabd pid {pid}, {args.seconds:.0f} s: context switches per second and CPU per thread")
    tick_s = 1.0 / os.sysconf("SC_CLK_TCK")
    total_v = total_n = total_cpu = 0.0
    for tid in sorted(after):
        if tid not in before:
            continue
        name, v1, n1, t1 = after[tid]
        _, v0, n0, t0 = before[tid]
        v, n = (v1 - v0) / args.seconds, (n1 - n0) / args.seconds
        cpu = 100.0 * (t1 - t0) * tick_s / args.seconds
        total_v += v
        total_n += n
        total_cpu += cpu
        print(f"  tid {tid:>7} {name:<16} voluntary {v:8.1f}/s  involuntary {n:6.1f}/s  "
              f"CPU {cpu:6.2f} %")
    print(f"  total                    voluntary {total_v:8.1f}/s  involuntary {total_n:6.1f}/s  "
          f"CPU {total_cpu:6.2f} %")


if __name__ == "__main__":
    main()
