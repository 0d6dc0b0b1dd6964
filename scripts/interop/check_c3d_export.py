#!/usr/bin/python3
"""Checks `hoplab export --to c3d` with an independent C3D reader.

Reads each exported C3D with py-c3d (https://github.com/EmbodiedCognition/py-c3d, `pip install c3d`;
not a Debian package, so this is a manual interoperability check, not part of the test suite) and
compares it with the recording read by h5py:
  * forces and moments: the C3D plate frame is z down, so (Fx, -Fy, -Fz, Mx, -My, -Mz) must equal
    the recording's /trials/<id>/force/<device>/{force,moment};
  * centre of pressure: computed here from the C3D analog channels and FORCE_PLATFORM:ORIGIN with
    the textbook formulas (x = (-My + z0*Fx)/Fz, y = (Mx + z0*Fy)/Fz, z0 = ORIGIN z) and compared
    with the recording's /trials/<id>/force/<device>/cop (x, -y).

usage: check_c3d_export.py RECORDING.h5 EXPORT_FOLDER
"""
import sys
from pathlib import Path

import c3d
import h5py
import numpy as np


def text(value):
    return value.decode() if isinstance(value, bytes) else value


def check(recording, folder):
    worst_force = worst_moment = worst_cop = 0.0
    cop_samples = 0
    with h5py.File(recording, "r") as f:
        for trial_id, trial in f["trials"].items():
            path = Path(folder) / f"{trial_id}.c3d"
            with open(path, "rb") as handle:
                reader = c3d.Reader(handle)
                analog = np.concatenate([a for _, _, a in reader.read_frames()], axis=1)  # channels x samples
                labels = [label.strip() for label in reader.analog_labels]
                origin = reader.get("FORCE_PLATFORM:ORIGIN").float_array.reshape(-1, 3)
                channel = reader.get("FORCE_PLATFORM:CHANNEL").int16_array.reshape(-1, 6)
                rate = reader.analog_rate
            for p, device in enumerate(trial["force"].keys()):
                plate = trial["force"][device]
                force = plate["force"][:]
                moment = plate["moment"][:]
                cop = plate["cop"][:]
                rows = min(force.shape[0], analog.shape[1])
                columns = channel[p] - 1
                assert labels[columns[0]] == f"Fx_{device}", (labels[columns[0]], device)
                c = analog[columns, :rows].T.astype(np.float64)
                sign = np.array([1, -1, -1, 1, -1, -1])
                back = c * sign
                worst_force = max(worst_force, np.max(np.abs(back[:, :3] - force[:rows]) /
                                                      np.maximum(np.abs(force[:rows]), 1.0)))
                worst_moment = max(worst_moment, np.max(np.abs(back[:, 3:] - moment[:rows]) /
                                                        np.maximum(np.abs(moment[:rows]), 1.0)))
                z0 = origin[p, 2]
                fx, fy, fz, mx, my = c[:, 0], c[:, 1], c[:, 2], c[:, 3], c[:, 4]
                defined = np.isfinite(cop[:rows, 0])
                with np.errstate(divide="ignore", invalid="ignore"):
                    x = (-my + z0 * fx) / fz
                    y = (mx + z0 * fy) / fz
                if defined.any():
                    worst_cop = max(worst_cop,
                                    np.max(np.abs(x[defined] - cop[:rows][defined, 0])),
                                    np.max(np.abs(-y[defined] - cop[:rows][defined, 1])))
                    cop_samples += int(defined.sum())
                print(f"{path.name}: plate {device}: {rows} samples at {rate:g} Hz, "
                      f"peak Fz {np.max(-c[:, 2]):.1f} N (recording {np.max(force[:rows, 2]):.1f} N), "
                      f"ORIGIN z {z0:.4f} m")
    print(f"worst relative force difference {worst_force:.2e}, moment {worst_moment:.2e}; "
          f"worst COP difference {worst_cop:.2e} m over {cop_samples} samples")
    return worst_force < 1e-6 and worst_moment < 1e-6 and worst_cop < 1e-4


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(0 if check(sys.argv[1], sys.argv[2]) else 1)
