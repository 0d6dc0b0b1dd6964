#pragma once

#include <span>
#include <vector>

namespace hoplab::processing {

// One second-order section, transposed direct form II, a0 = 1.
struct Biquad {
    double b0 = 1, b1 = 0, b2 = 0, a1 = 0, a2 = 0;
};

// 2nd-order Butterworth low-pass by the bilinear transform with pre-warping (scipy.signal.butter(2, cutoff_hz,
// fs=sample_rate_hz)). Throws std::invalid_argument unless 0 < cutoff_hz < 0.45·sample_rate_hz.
Biquad butterworth_lowpass2(double cutoff_hz, double sample_rate_hz);

// Zero-phase forward–backward filtering with scipy's default edge handling (sosfiltfilt: odd extension of
// 3·(2·sections + 1) = 9 samples, initial state from the step steady state). Throws std::invalid_argument when the
// signal is not longer than the padding or holds a non-finite value.
std::vector<double> filtfilt(const Biquad& section, std::span<const double> x);

}  // namespace hoplab::processing
