#pragma once

// Power spectrum (Welch 1967) and Winter's residual analysis for choosing a low-pass cutoff
// (METHODS §1.2, §1.4). FFTW stays inside the .cpp: plans are RAII objects, created under one
// process-wide mutex (FFTW's planner is not thread-safe) with FFTW_ESTIMATE; executing a plan is
// thread-safe on separate buffers.

#include <cstddef>
#include <optional>
#include <span>
#include <vector>

namespace hoplab::processing {

struct PowerSpectrum {
    std::vector<double> frequency_hz;
    std::vector<double>
        density;  // one-sided power spectral density, N²/Hz (scipy scaling="density")
    std::size_t segment_samples = 0;
    std::size_t segments = 0;
};

// scipy.signal.welch with periodic Hann window, 50 % overlap, constant detrend, one-sided density,
// mean average. segment_samples defaults to the next power of two ≥ 1 s of samples (METHODS §1.4),
// capped at the signal length. Throws std::invalid_argument for sample_rate_hz ≤ 0, fewer than 8
// samples, a segment < 8 samples, non-finite samples.
PowerSpectrum welch_psd(std::span<const double> x, double sample_rate_hz,
                        std::optional<std::size_t> segment_samples = std::nullopt);

struct ResidualAnalysis {
    std::vector<double> cutoff_hz;   // candidate design cutoffs of a 2nd-order zero-lag Butterworth
    std::vector<double> residual_n;  // RMS of (signal − filtered), same unit as the signal
    double noise_rms_n = 0;  // intercept at 0 Hz of the line fitted to the high-cutoff region
    double fit_from_hz = 0;  // start of that region
    std::optional<double>
        suggested_cutoff_hz;  // first cutoff where the residual falls to the intercept (linear
                              // interpolation on the grid); null when it never does
};

// Winter (2009): residual R(fc) for fc = min_cutoff_hz, min_cutoff_hz + step_hz, … < 0.45·fs; a
// least-squares line through the points with fc ≥ fit_from_hz (default: the upper half of the grid)
// extrapolated to 0 Hz. Throws std::invalid_argument for a bad rate or grid, or a signal the filter
// cannot take (see ZeroPhaseFilter).
ResidualAnalysis residual_analysis(std::span<const double> x, double sample_rate_hz,
                                   double min_cutoff_hz = 1.0, double step_hz = 1.0,
                                   std::optional<double> fit_from_hz = std::nullopt);

}  // namespace hoplab::processing
