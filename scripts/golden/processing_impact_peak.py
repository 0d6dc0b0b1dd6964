#!/usr/bin/python3
"""Golden values for METHODS oracle 4.1-B with the default 50 Hz filter (tests/processing/test_impact_peak.cpp).

A landing at 1 kHz: 300 samples of flight (0 N), then the sum of two half-sines from touchdown
(600 N over 20 ms, 1800 N over 200 ms), then 300 samples of flight. The force is low-passed over the
whole record with scipy's zero-phase 2nd-order Butterworth at 50 Hz (sosfiltfilt, default edges);
the contact is the run of raw samples >= 20 N; the impact peak is the first peak of the filtered
contact (scipy.signal.find_peaks, prominence >= 0.10 BW with BW = 80 kg x 9.80665) in the first
40 % of the contact, before the global maximum. Prints the values the test embeds.
"""
import math

import numpy as np
from scipy import signal

fs = 1000.0
t = np.arange(200) / fs
contact = 1800 * np.sin(np.pi * t / 0.2) + np.where(t < 0.02, 600 * np.sin(np.pi * t / 0.02), 0.0)
f = np.concatenate([np.zeros(300), contact, np.zeros(300)])
sos = signal.butter(2, 50.0, fs=fs, output="sos")
y = signal.sosfiltfilt(sos, f)
on = f >= 20.0
begin = int(np.argmax(on))
end = begin + int(np.argmin(on[begin:]))
segment = y[begin:end]
bw = 80 * 9.80665
peaks, props = signal.find_peaks(segment, prominence=0.10 * bw)
global_max = int(np.argmax(segment))
search_end = math.ceil(0.40 * len(segment))
impact = [p for p in peaks if p < min(search_end, global_max)][0]
prominence = props["prominences"][list(peaks).index(impact)]
print(f"contact samples {begin}..{end} ({end - begin})")
print(f"impact peak: sample {begin + impact}, {segment[impact]:.12f} N, prominence {prominence:.6f} N")
print(f"active peak: sample {begin + global_max}, {segment[global_max]:.12f} N")
# Forefoot-like contact: the single half-sine alone has no impact peak.
print(f"single half-sine peaks with that prominence before its maximum: "
      f"{[p for p in signal.find_peaks(signal.sosfiltfilt(sos, np.concatenate([np.zeros(300), 1800 * np.sin(np.pi * t / 0.2), np.zeros(300)]))[begin:end], prominence=0.10 * bw)[0] if p < 99]}")
