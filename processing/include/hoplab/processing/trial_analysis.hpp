#pragma once

// Per-contact and per-trial ground-reaction metrics (METHODS.md §2–§4).
//
// Events (touchdown, take-off) are detected on the unfiltered force with one threshold θ =
// max(floor, |μ0| + k·σ0) (μ0, σ0 from the detected flights, one re-detection), sub-sample linear
// interpolation at every crossing, then minimum-duration debouncing (short contacts become flight,
// then short flights become contact). Peaks, time to peak and loading rates use a zero-phase
// 2nd-order Butterworth (50 Hz design cutoff) and time to stabilisation a 10 Hz one. Only a window
// around each contact is filtered, with a margin long enough for the filter transient to decay
// below 1e-9 of its peak, so the values equal whole-record filtering to 1e-9 relative (tested).
// Impulse and impulse-based heights integrate the unfiltered force with the trapezoid rule. Times
// are seconds from the first sample of the input. Force is the ground reaction on the body, z up,
// in newtons.

#include <hoplab/processing/bilateral_contacts.hpp>
#include <hoplab/processing/protocol.hpp>
#include <hoplab/processing/stability.hpp>

#include <optional>
#include <span>
#include <string>
#include <vector>

namespace hoplab::processing {

struct AnalysisSettings {
    double threshold_floor_n =
        20.0;  // θ = max(floor, |μ0| + k·σ0), μ0 and σ0 from the detected flights
    double threshold_noise_factor = 5.0;
    // Schmitt-trigger hysteresis: a contact starts at θ + hysteresis_n and ends at θ; 0 = METHODS
    // default (one θ).
    double hysteresis_n = 0.0;
    double min_contact_s = 0.050;
    double min_flight_s = 0.050;
    double peak_cutoff_hz =
        50.0;  // design cutoff of the 2nd-order zero-lag Butterworth for peaks/loading rates
    double stabilisation_cutoff_hz = 10.0;
    double stabilisation_band_bw = 0.05;  // TTS band: ±5 % of body weight
    double stabilisation_hold_s = 1.0;    // in-band data needed after t*
    double weighing_window_s = 1.0;
    double weighing_max_sd_fraction = 0.015;  // SD ≤ 1.5 % of the window mean
    double weighing_max_half_difference =
        0.005;  // |mean(1st half) − mean(2nd half)| ≤ 0.5 % of the mean
    // A stance that begins with a touchdown (stepping on) is weighed from this long after it.
    double weighing_skip_after_touchdown_s = 0.5;
    double operator_mass_tolerance =
        0.05;  // stance vs entered mass disagreement that raises a flag
    double stance_min_s =
        1.0;  // a contact this long that follows no measured flight is a stance, not a hop
    double cmj_onset_sd_factor = 5.0;    // Owen et al. 2014: first sample below BW − 5·SD ...
    double cmj_onset_backoff_s = 0.030;  // ... then 30 ms earlier
    double gravity_m_s2 = 9.80665;
    std::optional<double> body_mass_kg;  // operator-entered mass: body-weight source of last resort
    // Plate/ADC limit: a contact with any sample at or beyond it is flagged and its peak and
    // loading rate are null.
    std::optional<double> saturation_limit_n;
    // Impact peak (METHODS §4.1): a local maximum of the filtered force in the first
    // impact_search_fraction of the contact, before the global maximum, with a prominence of at
    // least impact_min_prominence_bw × BW.
    double impact_search_fraction = 0.40;
    double impact_min_prominence_bw = 0.10;
    // Stability from the tested plate's full force vector and COP (METHODS §4.9, §4.10), computed
    // when analyze_trial is given that plate.
    double dpsi_window_s = 3.0;       // from the landing's touchdown
    double cop_cutoff_hz = 10.0;      // zero-lag low-pass of the COP
    double landing_cop_from_s = 1.0;  // landing COP path window, from touchdown …
    double landing_cop_to_s = 4.0;    // … to touchdown + this
    double stance_cop_trim_s = 0.5;   // quiet stance: the stance minus this at each end
};

struct ContactMetrics {
    int index = 0;
    double start_s =
        0;  // touchdown (interpolated θ crossing); 0 when the record starts in this contact
    double end_s = 0;  // take-off (interpolated θ crossing)
    double contact_time_s = 0;
    std::optional<double> peak_force_N, peak_force_bw, time_to_peak_s, impulse_Ns, net_impulse_Ns,
        loading_rate_bw_per_s, instantaneous_loading_rate_bw_per_s, flight_time_before_s,
        flight_time_after_s, jump_height_m, jump_height_impulse_m, take_off_velocity_m_s, rsi;
    // The impact peak before the active (global) peak; null when the contact has none (forefoot
    // contacts) or no body weight is known.
    std::optional<double> impact_peak_N, impact_peak_bw, time_to_impact_peak_s;
    bool saturated = false;
};

struct LandingMetrics {
    double start_s = 0;
    std::optional<double> peak_force_N, peak_force_bw, time_to_peak_s, loading_rate_bw_per_s,
        time_to_stabilisation_s,             // band method (the default; see provenance)
        time_to_stabilisation_sequential_s,  // sequential averaging (Colby et al. 1999), same band
        time_to_stabilisation_polynomial_s;  // range of variation + cubic (Ross & Guskiewicz 2003)
    // Band method on the tested plate's horizontal components (reference 0 N, same band, low-pass,
    // hold and window as the vertical; x = ML, y = AP) and the resultant vector
    // √(ML² + AP² + V²) of the three band values; null without the plate.
    std::optional<double> time_to_stabilisation_ml_s, time_to_stabilisation_ap_s,
        time_to_stabilisation_resultant_s;
    std::optional<double>
        stance_end_s;  // step-off, when the athlete leaves the plate after the landing
    std::optional<double> impact_peak_N, impact_peak_bw, time_to_impact_peak_s;
    // From the tested plate's Fx, Fy and COP, when analyze_trial was given them.
    std::optional<PosturalStability> stability;  // DPSI over dpsi_window_s from touchdown
    std::optional<CopPath> cop_path;             // touchdown + landing_cop_from_s … _to_s
};

// Countermovement-jump phases (McMahon et al. 2018 names), integrated from the Owen onset.
struct CmjPhases {
    double onset_s = 0;
    double take_off_s = 0;
    std::optional<double> unweighting_s, braking_s, propulsion_s;  // durations
    std::optional<double> unweighting_impulse_Ns, braking_impulse_Ns,
        propulsion_impulse_Ns;  // net of BW
    std::optional<double> take_off_velocity_m_s, jump_height_impulse_m, jump_height_flight_m,
        rsi_mod;
    double time_to_take_off_s = 0;
};

struct TrialSummary {
    int contacts = 0;
    std::optional<double> mean_contact_time_s, mean_peak_force_N, mean_flight_time_s,
        mean_jump_height_m, mean_rsi;
    std::optional<double> cv_contact_time_pct, cv_jump_height_pct,
        cv_rsi_pct;  // within-set (sample SD / mean)
    // Fatigue: (mean of the last third − mean of the first third) / first third × 100, hops ≥ 6.
    std::optional<double> fatigue_rsi_pct, fatigue_contact_time_pct, fatigue_jump_height_pct;
};

struct TrialAnalysis {
    std::string id;
    std::string source;
    Protocol protocol = Protocol::repeated_hops;
    Limb limb = Limb::both;
    double sample_rate_hz = 0;
    std::optional<double> body_weight_N;
    std::string body_weight_source;  // "quiet stance 0.000 s to 1.000 s", "final stance …",
                                     // "operator mass", or why none
    std::optional<double> body_weight_sd_N;
    double threshold_N = 0;
    std::optional<double> flight_noise_mean_N,
        flight_noise_sd_N;  // unloaded plate, from the flights
    std::optional<ContactMetrics>
        initial_push_off;                  // the push from quiet stance before the first hop
    std::vector<ContactMetrics> contacts;  // hops: touchdown from a flight … take-off into a flight
    std::optional<LandingMetrics> landing;
    std::optional<CmjPhases> cmj;
    std::optional<CopPath> stance_cop_path;  // quiet stance, from the tested plate's COP
    // Left/right per contact (analyze_bilateral_trial); null when the trial was not analysed from
    // two plates' forces.
    std::optional<std::vector<BilateralContact>> bilateral_contacts;
    TrialSummary summary;
    std::vector<std::string> quality_flags;
    AnalysisSettings settings;  // provenance: every parameter used
};

// fz_n: tared, calibrated vertical force (N, z up), uniformly sampled. Throws std::invalid_argument
// naming the problem for sample_rate_hz ≤ 0, non-finite samples, fewer samples than 0.2 s (or 10),
// or settings that cannot be used (non-positive cutoffs or durations). A cutoff at or above
// 0.45·sample_rate_hz (low-rate load-cell boards) makes the metrics that need it null with a
// quality flag. A trial without a flight gives no contacts and a quality flag, never an invented
// number. `plate`: the one plate under the tested limb (its fz_n equal to `fz_n`), for the landing
// DPSI and COP paths; omitted for summed or vertical-only force. Throws std::invalid_argument when
// its spans do not match fz_n.
TrialAnalysis analyze_trial(std::span<const double> fz_n, double sample_rate_hz, Protocol protocol,
                            Limb limb, const AnalysisSettings& settings = {},
                            const std::optional<PlateKinetics>& plate = std::nullopt);

}  // namespace hoplab::processing
