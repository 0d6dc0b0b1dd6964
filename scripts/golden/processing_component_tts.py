#!/usr/bin/python3
"""Golden values for time to stabilisation on the horizontal components (METHODS §4.8, band rule
with reference 0 N) in tests/processing/test_component_tts.cpp.

A single-leg hop onto one plate at 1 kHz: 1.5 s of stance at BW = 784.532 N (Fx = Fy = 0), 0.4 s of
flight (all zero), then 5 s of landing from sample 1900 with (t = (k - 1900)/fs)
    Fz = BW + 300 e^(-t/0.25)                    (oracle 4.8-A)
    Fx = 300 e^(-t/0.25) cos(2 pi 3 t)          (oracle 4.8-D's damped oscillation, about 0)
    Fy = 150 e^(-t/0.4) sin(2 pi 2 t)
Each component is low-passed over the whole record with scipy.signal.sosfiltfilt (2nd-order
Butterworth, 10 Hz design cutoff, scipy's default padding); the band rule is applied from the
landing's first sample to the end of the record: t* is the first sample after the last one with
|F - reference| > 0.05 BW, and at least 1 s of in-band samples must follow it. The golden values
are t* in seconds from the landing's first sample (sample 1900), so the test adds the interpolated
touchdown's lead itself. Run: /usr/bin/python3 scripts/golden/processing_component_tts.py
"""
import json
import pathlib

import numpy as np
import scipy
from scipy import signal

fs = 1000.0
bw = 784.532
band = 0.05 * bw
touchdown = 1900
n = 6900

t = (np.arange(n) - touchdown) / fs
landing = np.arange(n) >= touchdown
stance = np.arange(n) < 1500
tl = np.where(landing, t, 0.0)
fz = np.where(landing, bw + 300.0 * np.exp(-tl / 0.25), np.where(stance, bw, 0.0))
fx = np.where(landing, 300.0 * np.exp(-tl / 0.25) * np.cos(2 * np.pi * 3 * tl), 0.0)
fy = np.where(landing, 150.0 * np.exp(-tl / 0.4) * np.sin(2 * np.pi * 2 * tl), 0.0)

sos = signal.butter(2, 10.0, fs=fs, output="sos")


def band_tts(component, reference):
    y = signal.sosfiltfilt(sos, component)[touchdown:]
    outside = np.nonzero(np.abs(y - reference) > band)[0]
    stable_from = outside[-1] + 1 if outside.size else 0
    assert (y.size - stable_from) / fs >= 1.0
    return stable_from / fs


golden = {
    "description": "band TTS (s from the landing's first sample, sample 1900) of the 10 Hz "
                   "sosfiltfilt-filtered components; see scripts/golden/processing_component_tts.py",
    "scipy_version": scipy.__version__,
    "ml_s": band_tts(fx, 0.0),
    "ap_s": band_tts(fy, 0.0),
    "vertical_s": band_tts(fz, bw),
}
out = pathlib.Path(__file__).resolve().parents[2] / "tests" / "golden" / "processing" / "component_tts.json"
out.write_text(json.dumps(golden, indent=2) + "\n")
print(json.dumps(golden, indent=2))
