#pragma once

#include <hoplab/calibration/plate_calibration.hpp>

#include <optional>
#include <span>
#include <string>
#include <vector>

namespace hoplab::calibration {

// When a tare is refused. A loaded plate shows either body sway (Fz noise well above an empty
// plate's) or a zero that moved far from the previous tare; a drifting amplifier shows a slope.
struct TareLimits {
    double max_fz_noise_sd_n = 5.0;  // an empty plate reads ~1–2 N SD; quiet stance sways by more
    double max_zero_shift_n =
        100.0;  // vs the previous tare (ignored when there was none: all offsets 0)
    double max_fz_drift_n_per_s = 2.0;  // linear slope of Fz over the window
    double min_window_s = 1.0;
};

struct TareOutcome {
    std::optional<std::string> refusal;  // why the tare was refused; everything else is empty then
    std::optional<PlateCalibration> calibration;  // the tared copy
    std::vector<double> offsets;                  // per raw channel, raw units
    std::vector<double> noise_sd;                 // per raw channel, raw units (N−1)
    double fz_noise_sd_n = 0;
};

// Zero offsets from a quiet unloaded window of raw samples (row-major, channel_count() per sample).
// Throws std::invalid_argument for a window whose size is not whole samples or a rate ≤ 0.
TareOutcome tare(const PlateCalibration& calibration, std::span<const double> raw_interleaved,
                 double sample_rate_hz, const TareLimits& limits);

}  // namespace hoplab::calibration

namespace hoplab::calibration {

// One settled reading of a load cell (or a plate's summed vertical channel) under a known static
// load.
struct KnownLoadStep {
    double force_n = 0;     // applied load: certified mass × local g
    double reading = 0;     // settled mean output, raw units (counts)
    bool ascending = true;  // false for the unloading (descending) half of a cycle
};

struct KnownWeightLimits {
    double full_scale_n = 0;               // rated or calibrated range; > 0
    double max_nonlinearity_pct_fs = 0.5;  // METHODS §7 step 5
    double max_hysteresis_pct_fs = 0.5;
};

// The inverse model F = offset_n + sensitivity_n_per_count · reading, fitted by OLS on every step
// (METHODS §7).
struct KnownWeightFit {
    double sensitivity_n_per_count =
        0;  // negative when the wiring is reversed: accepted, the sign is recorded here
    double offset_n = 0;
    double r_squared = 0;
    double residual_sd_n = 0;             // divisor n − 2
    double bfsl_nonlinearity_pct_fs = 0;  // max |residual| of the fit, % of full scale
    double terminal_nonlinearity_pct_fs =
        0;  // ascending curve vs the line through its zero and full-load outputs,
            // in output units as % of the output span (the industry definition)
    std::optional<double>
        hysteresis_n;  // max |descending − ascending| at the same load; nullopt: no pairs
    std::optional<double> hysteresis_pct_fs;
    std::size_t step_count = 0;
    bool pass = false;  // both non-linearities and the hysteresis within the limits
};

struct KnownWeightOutcome {
    std::optional<std::string>
        refusal;  // fewer than 3 distinct loads, or readings not monotonic in load
    std::optional<KnownWeightFit> fit;
};

// Throws std::invalid_argument when full_scale_n ≤ 0 or a value is not finite.
KnownWeightOutcome fit_known_weights(std::span<const KnownLoadStep> steps,
                                     const KnownWeightLimits& limits);

// A known load at a known position on the surface (metres from the surface centre) and the plate's
// mean raw sample.
struct VerificationLoad {
    double fx_n = 0, fy_n = 0, fz_n = 0;
    double x_m = 0, y_m = 0;
    std::vector<double> raw_sample;  // channel_count() values
};

struct VerificationResult {
    std::vector<double> force_error_n;  // per load: |F_measured − F_applied| (vector norm)
    std::vector<double> cop_error_m;    // per load: distance between measured and applied COP
    double max_force_error_n = 0;
    double max_cop_error_m = 0;
};

// Throws std::invalid_argument when a load's Fz is below threshold_n (its COP is undefined) or a
// sample has the wrong number of channels.
VerificationResult verify(const PlateCalibration& calibration,
                          std::span<const VerificationLoad> loads, double threshold_n);

struct DriftCheck {
    double zero_change_n = 0;  // after − before
    double drift_n_per_s = 0;
    bool warning =
        false;  // |Δzero| ≥ max(2 N, θ/4) (METHODS §7 step 6; oracle 7-C warns at exactly 5 N)
};

// Zero (unloaded Fz) before and after a trial. Throws std::invalid_argument when time_after_s ≤
// time_before_s.
DriftCheck check_drift(double zero_before_n, double time_before_s, double zero_after_n,
                       double time_after_s, double threshold_n);

}  // namespace hoplab::calibration
