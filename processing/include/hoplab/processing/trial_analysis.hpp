#pragma once

// Per-contact and per-trial ground-reaction metrics (METHODS.md §2–§4). Events are detected on the unfiltered
// force; peaks and loading rates use a zero-phase 2nd-order Butterworth (50 Hz design cutoff), time to stabilisation a
// 10 Hz one. Times are seconds from the first sample of the input.

#include <hoplab/processing/protocol.hpp>

#include <optional>
#include <span>
#include <string>
#include <vector>

namespace hoplab::processing {

struct AnalysisSettings {
    double threshold_floor_n = 20.0;  // θ = max(floor, |μ0| + k·σ0), μ0 and σ0 from the detected flights
    double threshold_noise_factor = 5.0;
    double min_contact_s = 0.050;
    double min_flight_s = 0.050;
    double peak_cutoff_hz = 50.0;
    double stabilisation_cutoff_hz = 10.0;
    double stabilisation_band_bw = 0.05;   // TTS band: ±5 % of body weight
    double stabilisation_hold_s = 1.0;     // in-band data needed after t*
    double weighing_window_s = 1.0;
    double weighing_max_sd_fraction = 0.015;
    double weighing_max_half_difference = 0.005;
    double stance_min_s = 1.0;  // a contact this long that follows no measured flight is a stance, not a hop
    double gravity_m_s2 = 9.80665;
    std::optional<double> body_mass_kg;  // operator-entered mass: body-weight source of last resort
};

struct ContactMetrics {
    int index = 0;
    double start_s = 0;  // touchdown (interpolated θ crossing)
    double end_s = 0;    // take-off
    double contact_time_s = 0;
    std::optional<double> peak_force_N, peak_force_bw, time_to_peak_s, impulse_Ns, net_impulse_Ns,
        loading_rate_bw_per_s, flight_time_before_s, flight_time_after_s, jump_height_m, rsi;
};

struct LandingMetrics {
    double start_s = 0;
    std::optional<double> peak_force_N, peak_force_bw, time_to_peak_s, loading_rate_bw_per_s,
        time_to_stabilisation_s;
};

struct TrialSummary {
    int contacts = 0;
    std::optional<double> mean_contact_time_s, mean_peak_force_N, mean_flight_time_s, mean_jump_height_m, mean_rsi;
    std::optional<double> cv_contact_time_pct, cv_jump_height_pct;  // within-set variability (sample SD / mean)
};

struct TrialAnalysis {
    std::string id;
    std::string source;
    Protocol protocol = Protocol::repeated_hops;
    Limb limb = Limb::both;
    double sample_rate_hz = 0;
    std::optional<double> body_weight_N;
    std::string body_weight_source;  // "quiet stance at 1.20-2.20 s", "operator mass", or why none
    double threshold_N = 0;
    std::optional<ContactMetrics> initial_push_off;  // the push from quiet stance before the first hop
    std::vector<ContactMetrics> contacts;
    std::optional<LandingMetrics> landing;
    TrialSummary summary;
    std::vector<std::string> quality_flags;
    AnalysisSettings settings;  // provenance: every parameter used
};

// fz_n: tared, calibrated vertical force (N, z up), uniformly sampled. Throws std::invalid_argument naming the problem
// for sample_rate_hz ≤ 0, non-finite samples or fewer samples than 0.2 s.
TrialAnalysis analyze_trial(std::span<const double> fz_n, double sample_rate_hz, Protocol protocol, Limb limb,
                            const AnalysisSettings& settings = {});

}  // namespace hoplab::processing
