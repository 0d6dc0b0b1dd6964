#!/usr/bin/python3
"""Golden values for the range-of-variation TTS (Ross & Guskiewicz 2003; METHODS §4.8) in
tests/processing/test_stability.cpp.

The landing of oracle 4.8-A rectified about BW, |F - BW| = 300 e^(-t/0.25) N, sampled at 1 kHz for
3 s from touchdown; numpy.polyfit fits the unbounded cubic; TTS is the first sample where the cubic
is within the reference range (10 N and 40 N). Prints the values the test embeds.
"""
import numpy as np

fs = 1000.0
t = np.arange(3000) / fs
rectified = 300.0 * np.exp(-t / 0.25)
cubic = np.polyfit(t, rectified, 3)
fit = np.polyval(cubic, t)
for reference in (10.0, 40.0):
    inside = np.nonzero(fit <= reference)[0]
    print(f"reference range {reference:g} N: TTS {inside[0] / fs:.3f} s" if inside.size else
          f"reference range {reference:g} N: never")
print("cubic coefficients (t^3 .. t^0):", " ".join(f"{c:.9g}" for c in cubic))
