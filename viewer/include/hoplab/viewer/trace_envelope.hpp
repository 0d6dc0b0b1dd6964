#pragma once

// Min/max envelope of a uniformly sampled trace for drawing one pixel column at a time
// (PlotJuggler-style): levels of argmin/argmax indices are precomputed once, each level's bin
// kLevelFactor times the previous one's, so a view of any zoom costs O(columns · levels ·
// kLevelFactor) and never touches more than a few raw samples per column. Every column's minimum
// and maximum are the exact extremes of the raw samples it covers (a one-sample spike survives
// any zoom).

#include <hoplab/viewer/comparison_model.hpp>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace hoplab::viewer {

class TraceEnvelope {
  public:
    static constexpr std::size_t kLevelFactor = 4;

    // values: one sample per 1/rate_hz s, the first at start_s. Throws std::invalid_argument for
    // rate_hz ≤ 0 or non-finite, or more than 2^32 − 1 samples (indices are stored as 32 bits).
    TraceEnvelope(std::vector<double> values, double rate_hz, double start_s = 0.0);

    double rate_hz() const { return rate_hz_; }
    double start_s() const { return start_s_; }
    // Time of the last sample; start_s() for an empty trace.
    double end_s() const;
    std::size_t size() const { return values_.size(); }
    const std::vector<double>& values() const { return values_; }

    // The samples with time in [t0_s, t1_s] drawn in `columns` pixel columns: the raw samples when
    // they number at most 2·columns, otherwise per column its minimum and maximum sample in time
    // order (x = the sample's own time, s). Empty when the interval holds no sample. Throws
    // std::invalid_argument for columns = 0 or t1_s < t0_s.
    std::vector<Point> view(double t0_s, double t1_s, std::size_t columns) const;

    // Smallest and largest sample with time in [t0_s, t1_s], for the y-axis range; nullopt when
    // the interval holds no sample.
    struct Extremes {
        double min = 0, max = 0;
    };
    std::optional<Extremes> extremes(double t0_s, double t1_s) const;

  private:
    struct Level {
        std::size_t bin = 0;  // raw samples per entry
        std::vector<std::uint32_t> argmin, argmax;
    };
    struct IndexRange {
        std::size_t first = 0, end = 0;  // [first, end)
    };
    IndexRange indices(double t0_s, double t1_s) const;
    // Indices of the smallest and largest sample in [first, end), end > first.
    std::pair<std::size_t, std::size_t> min_max(std::size_t first, std::size_t end) const;

    std::vector<double> values_;
    double rate_hz_;
    double start_s_;
    std::vector<Level>
        levels_;  // bins kLevelFactor, kLevelFactor², … while a level has ≥ 2 entries
};

}  // namespace hoplab::viewer
