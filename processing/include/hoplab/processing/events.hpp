#pragma once

// Contact and flight detection (METHODS §3) on the unfiltered vertical force.
//
// 1. above[k] = F[k] ≥ θ_on while in flight, F[k] ≥ θ_off while in contact (θ_on = θ_off +
// hysteresis).
// 2. Run-length encoding; contact runs shorter than min_contact_s become flight, then flight runs
// shorter than
//    min_flight_s between two contacts become contact (double taps), in that fixed order.
// 3. θ = max(threshold_floor_n, |μ0| + k·σ0), μ0 and σ0 from the flight samples 20 ms in from each
// flight edge of a
//    first detection at the floor; exactly one re-detection, so the result is deterministic.
// Crossing instants are interpolated linearly between the bracketing samples (crossing_time_s).

#include <hoplab/processing/trial_analysis.hpp>

#include <cstddef>
#include <optional>
#include <span>
#include <vector>

namespace hoplab::processing {

// One run of samples [begin, end) in one state, after debouncing. Runs alternate and cover the
// whole record.
struct StateRun {
    bool contact = false;
    std::size_t begin = 0, end = 0;
};

struct EventDetection {
    double threshold_N = 0;     // θ_off: take-off level
    double threshold_on_N = 0;  // θ_on: touchdown level (θ_off + hysteresis)
    std::vector<StateRun> runs;
    std::size_t merged_flights = 0;  // double taps merged by min_flight_s
    std::optional<double> flight_noise_mean_N, flight_noise_sd_N;
    std::size_t flight_noise_samples = 0;
};

// Throws std::invalid_argument for sample_rate_hz ≤ 0, an empty signal, or a sample that is NaN
// or ±inf ("vertical force sample <index> is not finite", the first such sample). The finite
// check, the first detection and the flight-noise sums share one pass over the record in L1-sized
// chunks; the re-detection, when the noise raises θ above the floor, is a second scan.
EventDetection detect_events(std::span<const double> fz_n, double sample_rate_hz,
                             const AnalysisSettings& settings);

// Told about the first detection (at the threshold floor) while its pass over the record runs, so
// that work on a contact's samples can be done while they are still in cache. contact(begin, end)
// is called for each raw contact [begin, end) at least min_contact_s long, in order, as the pass
// leaves it; scanned(up_to) after each stretch of the pass, once samples [0, up_to) are known to
// be finite. These are the floor detection's contacts: the debouncing or a re-detection at a
// raised θ may still merge, move or drop them.
class ContactObserver {
  public:
    virtual ~ContactObserver() = default;
    virtual void contact(std::size_t begin, std::size_t end) = 0;
    virtual void scanned(std::size_t up_to) = 0;
};

// As above, telling `observer` about the floor detection's contacts during the pass.
EventDetection detect_events(std::span<const double> fz_n, double sample_rate_hz,
                             const AnalysisSettings& settings, ContactObserver& observer);

// Time (s from the first sample) where the straight line between samples sample−1 and sample
// crosses level_n. Throws std::invalid_argument when sample is 0 or past the end.
double crossing_time_s(std::span<const double> fz_n, std::size_t sample, double level_n,
                       double sample_rate_hz);

// The same from the two samples' values: before_n = fz_n[sample − 1], at_n = fz_n[sample]
// (sample ≥ 1); bit for bit the result above.
double crossing_time_s(double before_n, double at_n, std::size_t sample, double level_n,
                       double sample_rate_hz);

}  // namespace hoplab::processing
