"""Writes the HDF5 files hoplab must refuse with a clear error (tests/cli/test_import_export.cpp):

foreign.h5  -- another program's file: a dataset, no hoplab root attributes.
newer.h5    -- a hoplab recording claiming format_version 99 (newer than this hoplab reads).

Run with Debian's /usr/bin/python3 (h5py): /usr/bin/python3 scripts/golden/interchange_foreign_h5.py
"""
import pathlib

import h5py
import numpy as np

out = pathlib.Path(__file__).resolve().parents[2] / "tests" / "golden" / "interchange"
out.mkdir(parents=True, exist_ok=True)

with h5py.File(out / "foreign.h5", "w") as f:
    f.attrs["creator"] = "another program"
    f.create_dataset("analog/fz", data=np.linspace(0.0, 700.0, 100))

with h5py.File(out / "newer.h5", "w") as f:
    f.attrs["format"] = "hoplab-recording"
    f.attrs["format_version"] = np.int64(99)
    f.attrs["software_version"] = "9.0.0"
    f.create_group("devices")
    f.create_group("trials")
