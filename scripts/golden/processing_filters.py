#!/usr/bin/python3
"""Golden vectors for hoplab's processing filters (run with Debian's /usr/bin/python3: numpy, scipy).

Writes tests/golden/processing/filters.json: input signals and scipy.signal outputs for
sosfiltfilt (Butterworth orders 2, 3, 4), filtfilt with the iirnotch, butter's transfer functions,
and Welch spectra with hoplab's default segment (next power of two >= 1 s). Re-run after changing
any case; the C++ tests compare within 1e-9 relative.
"""
import json
import pathlib

import numpy as np
import scipy
from scipy import signal

OUT = pathlib.Path(__file__).resolve().parents[2] / "tests" / "golden" / "processing" / "filters.json"
FS = 1000.0


def hop_signal(n, seed):
    """Half-sine contacts (250 ms, 2000 N) every 600 ms plus seeded white noise (sigma 3 N) and a 50 Hz hum."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) / FS
    phase = np.mod(t, 0.6)
    contact = np.where(phase < 0.25, 2000.0 * np.sin(np.pi * phase / 0.25), 0.0)
    return contact + rng.normal(0.0, 3.0, n) + 4.0 * np.sin(2 * np.pi * 50.0 * t)


def main():
    cases = []
    x = hop_signal(3000, 20261123)
    ramp = np.linspace(0.0, 100.0, 500)
    short = np.array([5.0, 800.0, 790.0, 810.0, 805.0, 20.0, 0.0, 3.0, 1.0, 700.0, 650.0])
    for order, cutoff, name, data in [
        (2, 50.0, "hop_butter2_50", x),
        (4, 20.0, "hop_butter4_20", x),
        (3, 30.0, "hop_butter3_30", x),
        (2, 50.0, "ramp_butter2_50", ramp),
        (2, 50.0, "short_butter2_50", short),
        (2, 10.0, "hop_butter2_10", x),
    ]:
        sos = signal.butter(order, cutoff, fs=FS, output="sos")
        cases.append({"name": name, "kind": "butter", "order": order, "cutoff_hz": cutoff,
                      "input": data.tolist(), "output": signal.sosfiltfilt(sos, data).tolist()})
    b, a = signal.iirnotch(50.0, 30.0, fs=FS)
    cases.append({"name": "hop_notch50", "kind": "notch", "notch_hz": 50.0, "q": 30.0,
                  "input": x.tolist(), "output": signal.filtfilt(b, a, x).tolist()})
    transfer = []
    for order, cutoff in [(2, 50.0), (3, 30.0), (4, 50.0), (2, 20.0), (6, 100.0)]:
        b, a = signal.butter(order, cutoff, fs=FS)
        transfer.append({"order": order, "cutoff_hz": cutoff, "b": b.tolist(), "a": a.tolist()})
    welch = []
    for name, data, fs in [("hop", x, FS), ("hop_250hz", x[::4], FS / 4)]:
        nperseg = 1 << int(np.ceil(np.log2(fs)))
        nperseg = min(nperseg, len(data))
        f, p = signal.welch(data, fs=fs, nperseg=nperseg)
        welch.append({"name": name, "sample_rate_hz": fs, "segment": nperseg, "input": data.tolist(),
                      "frequency_hz": f.tolist(), "density": p.tolist()})
    # Oracle 1-F: Winter's residual analysis, same grid (1 Hz steps from 1 Hz to < 0.45 fs) and fit region
    # (upper half of the grid) as hoplab::processing::residual_analysis.
    rng = np.random.default_rng(1)
    t = np.arange(5000) / FS
    s = 300 * np.sin(2 * np.pi * 2 * t) + 100 * np.sin(2 * np.pi * 5 * t) + rng.normal(0.0, 5.0, t.size)
    cutoffs = np.arange(1.0, 0.45 * FS, 1.0)
    residual = []
    for fc in cutoffs:
        b, a = signal.butter(2, fc, fs=FS)
        residual.append(np.sqrt(np.mean((s - signal.filtfilt(b, a, s)) ** 2)))
    residual = np.array(residual)
    fit_from = cutoffs[len(cutoffs) // 2]
    sel = cutoffs >= fit_from
    slope, intercept = np.polyfit(cutoffs[sel], residual[sel], 1)
    i = int(np.argmax(residual <= intercept))
    suggested = cutoffs[i - 1] + (residual[i - 1] - intercept) / (residual[i - 1] - residual[i])
    residual_case = {"input": s.tolist(), "noise_sd": 5.0, "cutoff_hz": cutoffs.tolist(),
                     "residual": residual.tolist(), "fit_from_hz": fit_from, "intercept": intercept,
                     "suggested_cutoff_hz": suggested}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"generator": "scripts/golden/processing_filters.py",
                               "scipy": scipy.__version__, "numpy": np.__version__,
                               "sample_rate_hz": FS, "filters": cases, "butter_transfer": transfer,
                               "welch": welch, "residual": residual_case}))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
