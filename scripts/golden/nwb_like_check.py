#!/usr/bin/python3
"""Checks a `hoplab export --to nwb` file against its source recording with h5py alone.

usage: nwb_like_check.py SOURCE.h5 EXPORT.h5

Every exported trial's force, moment, COP and free moment must equal the source's datasets
exactly (both are float64), each TimeSeries must carry NWB's data attributes (unit, conversion,
offset, resolution) and a starting_time with rate and unit "seconds" equal to the trial's offset
from the session start, and /intervals/trials must list the trials. Prints one line per trial and
"nwb-like ok: ..." or the problems; exit code 0 or 1.
"""
import sys
from datetime import datetime

import h5py
import numpy as np


def text(value):
    if isinstance(value, np.ndarray) and value.shape == ():
        value = value[()]
    return value.decode() if isinstance(value, bytes) else value


def utc(value):
    """Seconds since the epoch of an ISO 8601 UTC time such as 2026-11-23T01:30:00.000Z."""
    return datetime.fromisoformat(text(value).replace("Z", "+00:00")).timestamp()


def main(source_path, export_path):
    problems = []
    compared = 0
    with h5py.File(source_path, "r") as src, h5py.File(export_path, "r") as out:
        start = utc(src.attrs["created_utc"])
        if text(out["session_start_time"][()]) != text(src.attrs["created_utc"]):
            problems.append("session_start_time differs from the source's created_utc")
        table = out["intervals/trials"]
        ids = [text(v) for v in table["trial_id"][:]]
        colnames = [text(v) for v in table.attrs["colnames"]]
        if colnames != ["start_time", "stop_time", "trial_id", "protocol", "limb", "status"]:
            problems.append(f"/intervals/trials@colnames = {colnames}")
        for row, trial_id in enumerate(ids):
            trial = src["trials"][trial_id]
            offset = utc(trial.attrs["start_utc"]) - start
            if abs(table["start_time"][row] - offset) > 1e-9:
                problems.append(f"{trial_id}: start_time {table['start_time'][row]} != {offset}")
            if text(table["protocol"][row]) != text(trial.attrs["protocol"]):
                problems.append(f"{trial_id}: protocol differs")
            for device, plate in trial["force"].items():
                for name in ("force", "moment", "cop", "free_moment"):
                    series = out["acquisition"][f"{trial_id}_{device}_{name}"]
                    data = series["data"]
                    expected = plate[name][:]
                    if not np.array_equal(data[:], expected, equal_nan=True):
                        problems.append(f"{series.name}/data differs from {plate[name].name}")
                    if text(data.attrs["unit"]) != text(plate[name].attrs["unit"]):
                        problems.append(f"{series.name}/data@unit {text(data.attrs['unit'])} != "
                                        f"{text(plate[name].attrs['unit'])}")
                    for attr in ("conversion", "offset", "resolution"):
                        if attr not in data.attrs:
                            problems.append(f"{series.name}/data@{attr} missing")
                    if text(series.attrs["neurodata_type"]) != "TimeSeries":
                        problems.append(f"{series.name}@neurodata_type")
                    t0 = series["starting_time"]
                    if text(t0.attrs["unit"]) != "seconds" or t0.attrs["rate"] != plate[name].attrs["rate"]:
                        problems.append(f"{series.name}/starting_time rate or unit")
                    if abs(t0[()] - (offset + plate[name].attrs["starting_time"])) > 1e-9:
                        problems.append(f"{series.name}/starting_time {t0[()]} != {offset}")
                    compared += data.size
            print(f"{trial_id}: {len(trial['force'])} plates, starts {offset:.3f} s after the "
                  f"session start")
    if problems:
        print(f"nwb-like FAILED: {len(problems)} problems")
        for problem in problems:
            print("  " + problem)
        return 1
    print(f"nwb-like ok: {len(ids)} trials, {compared} values equal to the source")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
