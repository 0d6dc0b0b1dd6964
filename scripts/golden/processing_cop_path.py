#!/usr/bin/python3
"""Golden value for the filtered case of METHODS oracle 4.10-A (tests/processing/test_stability.cpp).

The COP circle (r = 0.02 m, 0.5 Hz, 1 kHz, 2001 samples) through scipy's zero-phase 2nd-order
Butterworth at 10 Hz (sosfiltfilt, default edges), then the path length. Prints the value the test
embeds.
"""
import numpy as np
from scipy import signal

fs, r, f = 1000.0, 0.02, 0.5
t = np.arange(2001) / fs
x = r * np.cos(2 * np.pi * f * t)
y = r * np.sin(2 * np.pi * f * t)
sos = signal.butter(2, 10.0, fs=fs, output="sos")
xf = signal.sosfiltfilt(sos, x)
yf = signal.sosfiltfilt(sos, y)
path = np.sum(np.hypot(np.diff(xf), np.diff(yf)))
print(f"unfiltered path {np.sum(np.hypot(np.diff(x), np.diff(y))):.12f} m")
print(f"10 Hz zero-phase path {path:.12f} m")
