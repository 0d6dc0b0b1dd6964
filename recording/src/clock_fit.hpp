#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>

namespace hoplab::recording {

// Least-squares line host_time_ns ≈ host_at_reference_ns + slope × (device_time_ns −
// device_reference_ns) over the block table (one point per received block). Sums are kept in
// seconds relative to the first block so a day-long session stays well conditioned in double
// precision.
class ClockFit {
  public:
    // One block's point: the device time of its LAST sample against the host time it was
    // received. A block leaves the device only once its last sample is taken, so the line's offset
    // holds the transport delay alone; with the first sample's time it would also hold the block's
    // duration, and plates sending different block lengths would map to host times that differ
    // by the difference of their block durations.
    void add_block(std::int64_t first_sample_device_time_ns, std::uint32_t n_samples,
                   double rate_hz, std::int64_t host_time_ns) {
        const double span_ns =
            n_samples > 0 ? static_cast<double>(n_samples - 1) * 1e9 / rate_hz : 0.0;
        add(first_sample_device_time_ns + static_cast<std::int64_t>(std::llround(span_ns)),
            host_time_ns);
    }

    struct Line {
        std::int64_t device_reference_ns;
        double host_at_reference_ns;
        double slope;           // host ns per device ns; 1 + drift
        double residual_sd_ns;  // scatter of receipt times about the line (network and scheduling
                                // jitter)
        std::uint64_t blocks;
    };

    // nullopt before the first block. With one block (or all blocks at one device time) the slope
    // is 1.
    std::optional<Line> line() const {
        if (n_ == 0) {
            return std::nullopt;
        }
        const double n = static_cast<double>(n_);
        const double denominator = n * sxx_ - sx_ * sx_;
        const double slope = denominator > 0.0 ? (n * sxy_ - sx_ * sy_) / denominator : 1.0;
        const double intercept_s = (sy_ - slope * sx_) / n;
        // Residual sum of squares from the sums: Σ(y − a − b·x)².
        const double rss = syy_ - 2.0 * intercept_s * sy_ - 2.0 * slope * sxy_ +
                           n * intercept_s * intercept_s + 2.0 * intercept_s * slope * sx_ +
                           slope * slope * sxx_;
        const double sd_s = n_ > 2 ? std::sqrt(std::max(rss, 0.0) / (n - 2.0)) : 0.0;
        return Line{device_reference_ns_,
                    static_cast<double>(host_reference_ns_) + intercept_s * 1e9, slope, sd_s * 1e9,
                    n_};
    }

  private:
    // One (device time, host time) point; add_block says which device time a block contributes.
    void add(std::int64_t device_time_ns, std::int64_t host_time_ns) {
        if (n_ == 0) {
            device_reference_ns_ = device_time_ns;
            host_reference_ns_ = host_time_ns;
        }
        const double x = static_cast<double>(device_time_ns - device_reference_ns_) * 1e-9;
        const double y = static_cast<double>(host_time_ns - host_reference_ns_) * 1e-9;
        ++n_;
        sx_ += x;
        sy_ += y;
        sxx_ += x * x;
        sxy_ += x * y;
        syy_ += y * y;
    }

    std::uint64_t n_ = 0;
    std::int64_t device_reference_ns_ = 0;
    std::int64_t host_reference_ns_ = 0;
    double sx_ = 0, sy_ = 0, sxx_ = 0, sxy_ = 0, syy_ = 0;
};

}  // namespace hoplab::recording
