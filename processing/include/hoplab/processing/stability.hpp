#pragma once

// Landing and stance stability from one plate's full force vector and centre of pressure:
// the dynamic postural stability index (METHODS §4.9) and the centre-of-pressure path (§4.10).
// Axes are the plate's: x medio-lateral and y antero-posterior when the plate is set up that way
// (the caller maps plate axes to ML/AP; hoplab's plates are installed with x across the walkway).

#include <cstddef>
#include <optional>
#include <span>
#include <vector>

namespace hoplab::processing {

// Centre of pressure in metres from the plate's surface centre.
struct CopPoint {
    double x_m = 0, y_m = 0;
};

// One plate's samples over a trial; every span has the same length. The COP is nullopt where Fz
// was below the plate's COP threshold.
struct PlateKinetics {
    std::span<const double> fx_n, fy_n, fz_n;
    std::span<const std::optional<CopPoint>> cop;
};

// Owning storage for PlateKinetics, filled sample by sample.
struct PlateSeries {
    std::vector<double> fx_n, fy_n, fz_n;
    std::vector<std::optional<CopPoint>> cop;

    void push_back(double fx, double fy, double fz, std::optional<CopPoint> point) {
        fx_n.push_back(fx);
        fy_n.push_back(fy);
        fz_n.push_back(fz);
        cop.push_back(point);
    }
    [[nodiscard]] PlateKinetics view() const { return {fx_n, fy_n, fz_n, cop}; }
};

struct PosturalStability {
    double mlsi = 0, apsi = 0, vsi = 0, dpsi = 0;  // dimensionless (÷ BW)
    double window_s = 0;
};

// Wikstrom et al. (2005) over [touchdown, touchdown + window_s): MLSI = √(ΣFx²/n)/BW,
// APSI = √(ΣFy²/n)/BW, VSI = √(Σ(BW − Fz)²/n)/BW, DPSI = √((ΣFx² + ΣFy² + Σ(BW − Fz)²)/n)/BW.
// nullopt when the record ends before the window does. Throws std::invalid_argument for spans of
// different lengths, a touchdown outside the record, a body weight or sample rate ≤ 0.
std::optional<PosturalStability> dynamic_postural_stability(const PlateKinetics& plate,
                                                            double sample_rate_hz,
                                                            std::size_t touchdown_index,
                                                            double body_weight_n,
                                                            double window_s = 3.0);

struct CopPath {
    double start_s = 0, end_s = 0;          // the analysis window, seconds from the record start
    double path_length_m = 0;               // Σ ‖COP_{k+1} − COP_k‖
    double mean_speed_m_s = 0;              // path length / window duration
    double ml_range_m = 0, ap_range_m = 0;  // max − min of x and of y
};

// METHODS §4.10 over samples [first, last] (inclusive), the COP low-passed at `cutoff_hz`
// (2nd-order zero-lag Butterworth on the window; nullopt cutoff: unfiltered). nullopt when any
// sample of the window has an undefined COP (the athlete stepped or unloaded) or the window does
// not fit in the record. Throws std::invalid_argument for spans of different lengths, first ≥ last,
// a sample rate ≤ 0, or a cutoff the filter cannot be designed for.
std::optional<CopPath> cop_path(const PlateKinetics& plate, double sample_rate_hz,
                                std::size_t first, std::size_t last,
                                std::optional<double> cutoff_hz);

// Time to stabilisation by the band rule (METHODS §4.8) on one low-passed force component over an
// analysis window that starts at touchdown and ends at the end of the record or at stepping off:
// the time from the window's first sample to the first sample t* from which |component_n −
// reference_n| ≤ band_n holds to the window's last sample. Vertical: reference BW; horizontal (ML,
// AP): reference 0; band 5 % BW by default. nullopt ("not stabilised within the trial") when fewer
// than hold_s of in-band samples follow t* (a last sample out of band included). Throws
// std::invalid_argument for an empty window, a band < 0, hold_s < 0 or a sample rate ≤ 0.
std::optional<double> band_time_to_stabilisation(std::span<const double> component_n,
                                                 double reference_n, double band_n,
                                                 double sample_rate_hz, double hold_s);

// Resultant vector time to stabilisation √(TTS_ML² + TTS_AP² + TTS_V²) (METHODS §4.8; reported by
// e.g. Gribble et al. 2012), seconds; null when any component is null.
std::optional<double> resultant_time_to_stabilisation(std::optional<double> ml_s,
                                                      std::optional<double> ap_s,
                                                      std::optional<double> vertical_s);

// Time to stabilisation by the range-of-variation method (Ross & Guskiewicz 2003): an unbounded
// least-squares cubic in time fitted to `rectified_n` (|force − its stable mean| from touchdown,
// sampled at sample_rate_hz); the result is the time of the first sample at which the cubic is
// within `reference_range_n` (max − min of the force in stable stance). nullopt when the cubic
// never gets there. Throws std::invalid_argument for fewer than 4 samples, a sample rate ≤ 0 or a
// negative range.
std::optional<double> polynomial_time_to_stabilisation(std::span<const double> rectified_n,
                                                       double sample_rate_hz,
                                                       double reference_range_n);

}  // namespace hoplab::processing
