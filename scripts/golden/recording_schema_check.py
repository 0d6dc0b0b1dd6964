#!/usr/bin/python3
"""Check a hoplab session file against docs/recording-format.md with nothing but h5py and numpy.

Usage: /usr/bin/python3 scripts/golden/recording_schema_check.py FILE.h5 [--complete]

Walks every group, dataset and attribute the format document lists, checks types, shapes, units and the
cross-references (block table against raw rows, one start index per device, ...). --complete also requires what a
cleanly closed file has (closed_utc, stream summary attributes, no trial still "recording").
Prints one line per problem and exits 1, or prints "schema ok: ..." and exits 0.
"""

import json
import sys

import h5py
import numpy as np

PROTOCOLS = {"single-leg-hop", "repeated-hops", "drop-jump", "cmj", "landing", "quiet-stance"}
LIMBS = {"left", "right", "both"}
RAW_FORMATS = {"int32_counts": ("count", np.int32), "float32_volts": ("V", np.float32),
               "float32_newtons": ("N", np.float32)}
CONTACT_COLUMNS = ["index", "start_s", "end_s", "contact_time_s", "peak_force_N", "peak_force_bw", "time_to_peak_s",
                   "impulse_Ns", "loading_rate_bw_per_s", "flight_time_before_s", "flight_time_after_s",
                   "jump_height_m", "rsi"]


class Checker:
    def __init__(self, path, complete):
        self.path = path
        self.complete = complete
        self.problems = []
        self.groups = self.datasets = self.attributes = 0
        self.version = 1

    def problem(self, where, text):
        self.problems.append(f"{where}: {text}")

    def attr(self, obj, name, kind, required=True):
        where = f"{obj.name}@{name}"
        if name not in obj.attrs:
            if required:
                self.problem(where, "missing attribute")
            return None
        self.attributes += 1
        value = obj.attrs[name]
        if kind in ("str", "strs") and self.version >= 2:
            # Format 2 stores text in the checksummed object header, never in the global heap.
            info = h5py.check_string_dtype(obj.attrs.get_id(name).dtype)
            if info is not None and info.length is None:
                self.problem(where, "variable-length string (format 2 writes fixed-length UTF-8)")
        if kind == "str":
            if isinstance(value, bytes):
                value = value.decode("utf-8")
            if not isinstance(value, str):
                self.problem(where, f"expected a string, found {type(value).__name__}")
                return None
        elif kind == "int":
            if not isinstance(value, (np.integer, int)):
                self.problem(where, f"expected an integer, found {type(value).__name__}")
                return None
            value = int(value)
        elif kind == "float":
            if not isinstance(value, (np.floating, float)):
                self.problem(where, f"expected a float, found {type(value).__name__}")
                return None
            value = float(value)
        elif kind == "strs":
            value = [v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in np.atleast_1d(value)]
        elif kind == "uints":
            value = np.atleast_1d(value)
            if value.size and value.dtype.kind != "u":
                self.problem(where, f"expected unsigned integers, found {value.dtype}")
            value = [int(v) for v in value]
        return value

    def group(self, parent, name, required=True):
        if name not in parent:
            if required:
                self.problem(f"{parent.name.rstrip('/')}/{name}", "missing group")
            return None
        obj = parent[name]
        if not isinstance(obj, h5py.Group):
            self.problem(obj.name, "expected a group")
            return None
        self.groups += 1
        return obj

    def dataset(self, parent, name, unit=None, required=True):
        if name not in parent:
            if required:
                self.problem(f"{parent.name.rstrip('/')}/{name}", "missing dataset")
            return None
        obj = parent[name]
        if not isinstance(obj, h5py.Dataset):
            self.problem(obj.name, "expected a dataset")
            return None
        self.datasets += 1
        found = self.attr(obj, "unit", "str")
        if unit is not None and found is not None and found != unit:
            self.problem(f"{obj.name}@unit", f"expected '{unit}', found '{found}'")
        return obj

    def table(self, parent, name, fields, unit=None, required=True):
        obj = self.dataset(parent, name, unit, required)
        if obj is None:
            return None
        if obj.dtype.names is None or list(obj.dtype.names) != fields:
            self.problem(obj.name, f"expected fields {fields}, found {obj.dtype.names}")
        if obj.ndim != 1 or obj.maxshape[0] is not None:
            self.problem(obj.name, "expected a 1-D table growing along its first dimension")
        units = self.attr(obj, "column_units", "strs")
        if units is not None and len(units) != len(fields):
            self.problem(f"{obj.name}@column_units", f"{len(units)} entries for {len(fields)} columns")
        return obj

    def time_series(self, parent, name, unit, columns):
        obj = self.dataset(parent, name, unit)
        if obj is None:
            return None
        expected_ndim = 1 if columns == 0 else 2
        if obj.ndim != expected_ndim or (columns and obj.shape[1] != columns):
            self.problem(obj.name, f"expected rows x {columns}, found shape {obj.shape}")
        if obj.dtype != np.float64:
            self.problem(obj.name, f"expected float64, found {obj.dtype}")
        for attr, kind in (("conversion", "float"), ("offset", "float"), ("resolution", "float"),
                           ("starting_time", "float"), ("rate", "float")):
            self.attr(obj, attr, kind)
        return obj

    def text(self, parent, name, content_type):
        obj = self.dataset(parent, name, "")
        if obj is None:
            return None
        kind = self.attr(obj, "content_type", "str")
        if kind is not None and kind != content_type:
            self.problem(f"{obj.name}@content_type", f"expected '{content_type}', found '{kind}'")
        value = obj[()]
        return value.decode("utf-8") if isinstance(value, bytes) else value

    def run(self, f):
        self.groups += 1
        fmt = self.attr(f, "format", "str")
        if fmt != "hoplab-recording":
            self.problem("/@format", f"expected 'hoplab-recording', found {fmt!r}")
            return
        version = self.attr(f, "format_version", "int")
        if version not in (1, 2):
            self.problem("/@format_version", f"this checker knows formats 1 and 2, found {version}")
        else:
            self.version = version
        for name in ("software_name", "software_version", "created_utc", "lab", "operator", "notes"):
            self.attr(f, name, "str")
        self.attr(f, "closed_utc", "str", required=self.complete)
        self.attr(f, "recovered_utc", "str", required=False)

        athlete = self.group(f, "athlete")
        if athlete is not None:
            self.attr(athlete, "id", "str")
            self.attr(athlete, "notes", "str")
            self.attr(athlete, "mass_kg", "float", required=False)
            limb = self.attr(athlete, "involved_limb", "str", required=False)
            if limb is not None and limb not in ("left", "right"):
                self.problem("/athlete@involved_limb", f"unknown limb {limb!r}")

        devices = {}
        group = self.group(f, "devices")
        for name, device in (group.items() if group is not None else []):
            devices[name] = self.device(device)

        streams = self.group(f, "streams", required=False)
        if streams is not None:
            if sorted(streams.keys()) != sorted(devices.keys()):
                self.problem("/streams", f"streams {sorted(streams.keys())} do not match devices {sorted(devices)}")
            for name, stream in streams.items():
                if name in devices:
                    self.stream(stream, devices[name])

        trials = self.group(f, "trials")
        for _, trial in (trials.items() if trials is not None else []):
            self.trial(trial, list(devices.keys()))

        # Every dataset anywhere has a unit, including ones this checker does not know.
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset) and "unit" not in obj.attrs:
                self.problem(obj.name, "dataset without a 'unit' attribute")
        f.visititems(visit)

    def device(self, device):
        self.groups += 1
        for name in ("model", "serial", "transport"):
            self.attr(device, name, "str")
        rate = self.attr(device, "rate_hz", "float")
        if rate is not None and not rate > 0:
            self.problem(f"{device.name}@rate_hz", f"must be > 0, found {rate}")
        channels = self.attr(device, "channel_names", "strs") or []
        units = self.attr(device, "units", "strs") or []
        raw_format = self.attr(device, "raw_format", "str")
        if raw_format not in RAW_FORMATS:
            self.problem(f"{device.name}@raw_format", f"unknown raw format {raw_format!r}")
            raw_unit = None
        else:
            raw_unit = RAW_FORMATS[raw_format][0]
        if len(units) != len(channels) or any(u != raw_unit for u in units):
            self.problem(f"{device.name}@units", f"expected {len(channels)} x '{raw_unit}', found {units}")
        limb = self.attr(device, "limb", "str", required=False)
        if limb is not None and limb not in ("left", "right"):
            self.problem(f"{device.name}@limb", f"unknown limb {limb!r}")
        calibration = self.group(device, "calibration")
        if calibration is not None:
            self.text(calibration, "toml", "application/toml")
            self.dataset(calibration, "offsets", raw_unit)
        tares = self.table(device, "tares", ["utc", "offsets", "noise_sd"], raw_unit)
        if tares is not None and tares.dtype["offsets"].shape != (len(channels),):
            self.problem(tares.name, f"offsets hold {tares.dtype['offsets'].shape}, expected ({len(channels)},)")
        return {"channels": len(channels), "raw_format": raw_format, "rate_hz": rate}

    def stream(self, stream, device):
        self.groups += 1
        self.attr(stream, "device", "str")
        for name in ("samples_written", "gap_count", "missing_samples"):
            self.attr(stream, name, "int", required=self.complete)
        raw_unit, raw_type = RAW_FORMATS.get(device["raw_format"], (None, None))
        raw = self.dataset(stream, "raw", raw_unit)
        rows = 0
        if raw is not None:
            if raw.ndim != 2 or raw.shape[1] != device["channels"] or raw.maxshape != (None, device["channels"]):
                self.problem(raw.name, f"expected rows x {device['channels']} growing, found {raw.shape} "
                                       f"max {raw.maxshape}")
            if raw_type is not None and raw.dtype != raw_type:
                self.problem(raw.name, f"expected {np.dtype(raw_type)}, found {raw.dtype}")
            if raw.chunks is None:
                self.problem(raw.name, "expected chunked storage")
            for attr, kind in (("conversion", "float"), ("offset", "float"), ("resolution", "float"),
                               ("rate", "float")):
                self.attr(raw, attr, kind)
            self.attr(raw, "channel_names", "strs")
            rows = raw.shape[0]
        blocks = self.table(stream, "blocks",
                            ["first_sample_index", "n_samples", "device_time_ns", "host_time_ns", "first_row"], "ns")
        if blocks is not None and blocks.shape[0]:
            table = blocks[()]
            expected_rows = np.concatenate(([0], np.cumsum(table["n_samples"].astype(np.uint64))[:-1]))
            if not np.array_equal(table["first_row"], expected_rows):
                self.problem(blocks.name, "first_row is not the running sum of n_samples")
            # A crash can leave a block row whose samples were not all flushed, never the reverse.
            if int(table["first_row"][-1]) > rows:
                self.problem(blocks.name, f"last block starts at row {int(table['first_row'][-1])} beyond {rows} rows")
            if np.any(np.diff(table["first_sample_index"].astype(np.int64)) <= 0):
                self.problem(blocks.name, "first_sample_index is not increasing")
            if self.complete:
                for name in ("clock_device_reference_ns", "clock_blocks"):
                    self.attr(stream, name, "int")
                for name in ("clock_host_at_reference_ns", "clock_slope", "clock_drift_ppm", "clock_residual_sd_ns"):
                    self.attr(stream, name, "float")
        self.table(stream, "gaps", ["first_missing_index", "count", "reason"], "sample")

    def trial(self, trial, devices):
        self.groups += 1
        protocol = self.attr(trial, "protocol", "str")
        if protocol is not None and protocol not in PROTOCOLS:
            self.problem(f"{trial.name}@protocol", f"unknown protocol {protocol!r}")
        limb = self.attr(trial, "limb", "str")
        if limb is not None and limb not in LIMBS:
            self.problem(f"{trial.name}@limb", f"unknown limb {limb!r}")
        for name in ("start_utc", "notes"):
            self.attr(trial, name, "str")
        start = self.attr(trial, "start_sample_index", "uints")
        if start is not None and len(start) != len(devices):
            self.problem(f"{trial.name}@start_sample_index", f"{len(start)} entries for {len(devices)} devices")
        listed = self.attr(trial, "devices", "strs")
        if listed is not None and listed != devices:
            self.problem(f"{trial.name}@devices", f"expected {devices}, found {listed}")
        status = self.attr(trial, "status", "str")
        recording = status == "recording"
        if status is not None and not (recording or status == "complete" or
                                       (status.startswith("aborted: ") and len(status) > len("aborted: "))):
            self.problem(f"{trial.name}@status", f"unexpected status {status!r}")
        if recording and self.complete:
            self.problem(f"{trial.name}@status", "still 'recording' in a closed file")
        if not recording:
            self.attr(trial, "stop_utc", "str", required=not status.startswith("aborted: writer stopped"))
            stop = self.attr(trial, "stop_sample_index", "uints")
            if stop is not None and len(stop) != len(devices):
                self.problem(f"{trial.name}@stop_sample_index", f"{len(stop)} entries for {len(devices)} devices")
        force = self.group(trial, "force")
        if force is not None:
            if sorted(force.keys()) != sorted(devices):
                self.problem(force.name, f"plates {sorted(force.keys())} do not match devices {sorted(devices)}")
            for _, plate in force.items():
                self.groups += 1
                self.attr(plate, "device", "str")
                self.attr(plate, "calibration", "str")
                threshold = self.attr(plate, "cop_threshold_n", "float")
                series = [self.time_series(plate, "force", "N", 3), self.time_series(plate, "moment", "N.m", 3),
                          self.time_series(plate, "cop", "m", 2), self.time_series(plate, "free_moment", "N.m", 0)]
                if series[2] is not None:
                    self.attr(series[2], "threshold_n", "float")
                if all(s is not None for s in series):
                    lengths = {s.shape[0] for s in series}
                    if len(lengths) != 1 and not recording:
                        self.problem(plate.name, f"series of different lengths {sorted(lengths)}")
                    n = min(lengths)
                    if n and threshold is not None:
                        fz = series[0][:n, 2]
                        cop = series[2][:n]
                        undefined = np.isnan(cop[:, 0])
                        if not np.array_equal(undefined, fz < threshold):
                            self.problem(series[2].name, "NaN rows are not exactly the rows with Fz < threshold")
        self.table(trial, "events", ["kind", "time_s"], "s", required=not recording and
                            not status.startswith("aborted: writer stopped"))
        metrics = self.group(trial, "metrics", required=False)
        if metrics is not None:
            self.attr(metrics, "software_name", "str")
            self.attr(metrics, "software_version", "str")
            self.table(metrics, "contacts", CONTACT_COLUMNS, None)
            text = self.text(metrics, "analysis_json", "application/json")
            if text is not None:
                try:
                    json.loads(text)
                except ValueError as error:
                    self.problem(f"{metrics.name}/analysis_json", f"not JSON: {error}")


def main(argv):
    if len(argv) < 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    checker = Checker(argv[1], "--complete" in argv[2:])
    try:
        with h5py.File(argv[1], "r") as f:
            checker.run(f)
    except OSError as error:
        print(f"{argv[1]}: cannot open: {error}")
        return 1
    for line in checker.problems:
        print(line)
    if checker.problems:
        print(f"schema FAILED: {len(checker.problems)} problems")
        return 1
    print(f"schema ok: {checker.groups} groups, {checker.datasets} datasets, {checker.attributes} attributes checked")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
