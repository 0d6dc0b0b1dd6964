#pragma once

// Left/right per contact in a bilateral two-plate trial (issue #3 item 7; METHODS §3, §4.1, §4.3,
// §5.1): each plate's contacts are detected on its own unfiltered Fz with the events method of
// trial_analysis.hpp (its own threshold θ from its own flights), then a left contact and a right
// contact are paired when each overlaps the other for more samples than it overlaps any other
// contact of the opposite plate. A contact that no opposite contact overlaps that way (a hop landed
// on one foot, a double contact on one plate) is listed alone, unpaired: never dropped, never
// matched to an invented partner.
//
// Include <hoplab/processing/trial_analysis.hpp> (which includes this header) for AnalysisSettings
// and TrialAnalysis.

#include <hoplab/processing/protocol.hpp>
#include <hoplab/processing/symmetry.hpp>

#include <cstddef>
#include <optional>
#include <span>
#include <vector>

namespace hoplab::processing {

struct AnalysisSettings;
struct TrialAnalysis;

// One contact on one plate. Times are seconds from the first sample; forces in newtons, z up.
struct LimbContact {
    std::size_t first_sample = 0, end_sample = 0;  // the contact's samples [first, end)
    // Interpolated crossings of θ_on (touchdown) and θ (take-off); null where the record starts or
    // ends inside the contact.
    std::optional<double> touchdown_s, take_off_s;
    // take-off − touchdown, and ∫Fz dt between them (trapezoid, interpolated ends at θ); null
    // unless both edges are in the record.
    std::optional<double> contact_time_s, impulse_Ns;
    // Largest value of the zero-phase low-passed Fz (AnalysisSettings::peak_cutoff_hz) in the
    // contact; null when a sample reaches saturation_limit_n, or when the filter cannot run (cutoff
    // ≥ 0.45 × the rate, or a record no longer than the filter's edge padding).
    std::optional<double> peak_force_N;
    bool saturated = false;
};

struct BilateralContact {
    int index = 0;  // from 1, in the order of the contacts' first samples
    // nullopt on one side: the contact is unpaired (no contact on that plate overlaps it most while
    // it overlaps that contact most).
    std::optional<LimbContact> left, right;
    // left touchdown − right touchdown in milliseconds (positive: the right foot landed first);
    // null unless both touchdowns are in the record.
    std::optional<double> onset_difference_ms;
    // Left against right with symmetry_row: "peak_force_N" (no direction), "contact_time_s" (lower
    // is better), "impulse_Ns" (no direction). An unpaired contact keeps its one value; its indices
    // are null.
    std::vector<SymmetryRow> symmetry;

    [[nodiscard]] bool paired() const { return left.has_value() && right.has_value(); }
};

// Pairs the contacts of two plates' vertical forces (tared, calibrated, N, z up, both sampled at
// sample_rate_hz on one clock). Uses settings' threshold, hysteresis, minimum durations, peak
// cutoff and saturation limit. Throws std::invalid_argument for spans of different lengths, fewer
// than 10 samples, a non-finite sample (naming the plate and the sample), or a sample rate ≤ 0.
std::vector<BilateralContact> pair_contacts(std::span<const double> left_fz_n,
                                            std::span<const double> right_fz_n,
                                            double sample_rate_hz, const AnalysisSettings& settings,
                                            std::optional<Limb> involved = std::nullopt,
                                            const SymmetrySettings& symmetry = {});

// analyze_trial of the summed force (limb `both`, no single plate for DPSI/COP) plus its
// bilateral_contacts from pair_contacts, with one quality flag per unpaired contact. Throws as
// analyze_trial and pair_contacts do.
TrialAnalysis analyze_bilateral_trial(std::span<const double> left_fz_n,
                                      std::span<const double> right_fz_n, double sample_rate_hz,
                                      Protocol protocol, const AnalysisSettings& settings,
                                      std::optional<Limb> involved = std::nullopt,
                                      const SymmetrySettings& symmetry = {});

}  // namespace hoplab::processing
