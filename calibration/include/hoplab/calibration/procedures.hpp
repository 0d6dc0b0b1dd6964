#pragma once

#include <hoplab/calibration/plate_calibration.hpp>

#include <optional>
#include <span>
#include <string>
#include <vector>

namespace hoplab::calibration {

// When a tare is refused. A loaded plate shows either body sway (Fz noise well above an empty plate's) or a zero that
// moved far from the previous tare; a drifting amplifier shows a slope.
struct TareLimits {
    double max_fz_noise_sd_n = 5.0;    // an empty plate reads ~1–2 N SD; quiet stance sways by more
    double max_zero_shift_n = 100.0;   // vs the previous tare (ignored when there was none: all offsets 0)
    double max_fz_drift_n_per_s = 2.0; // linear slope of Fz over the window
    double min_window_s = 1.0;
};

struct TareOutcome {
    std::optional<std::string> refusal;  // why the tare was refused; everything else is empty then
    std::optional<PlateCalibration> calibration;  // the tared copy
    std::vector<double> offsets;   // per raw channel, raw units
    std::vector<double> noise_sd;  // per raw channel, raw units (N−1)
    double fz_noise_sd_n = 0;
};

// Zero offsets from a quiet unloaded window of raw samples (row-major, channel_count() per sample).
// Throws std::invalid_argument for a window whose size is not whole samples or a rate ≤ 0.
TareOutcome tare(const PlateCalibration& calibration, std::span<const double> raw_interleaved,
                 double sample_rate_hz, const TareLimits& limits);

}  // namespace hoplab::calibration
