#include "trial_force.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <string>

namespace hoplab::recording {

void TrialForceRows::set(const calibration::PlateCalibration& calibration, double cop_threshold_n,
                         std::span<const calibration::Wrench> samples) {
    constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
    const std::size_t n = samples.size();
    force.resize(3 * n);
    moment.resize(3 * n);
    cop.resize(2 * n);
    free_moment.resize(n);
    for (std::size_t k = 0; k < n; ++k) {
        const auto& w = samples[k];
        force[3 * k] = w.fx_n;
        force[3 * k + 1] = w.fy_n;
        force[3 * k + 2] = w.fz_n;
        moment[3 * k] = w.mx_nm;
        moment[3 * k + 1] = w.my_nm;
        moment[3 * k + 2] = w.mz_nm;
        const auto point = calibration.centre_of_pressure(w, cop_threshold_n);
        cop[2 * k] = point ? point->x_m : kNaN;
        cop[2 * k + 1] = point ? point->y_m : kNaN;
        free_moment[k] = point ? point->free_moment_nm : kNaN;
    }
}

template <class Raw>
void TrialForceRows::calibrate(const calibration::PlateCalibration& calibration,
                               double cop_threshold_n, std::span<const Raw> raw_interleaved) {
    const std::size_t channels = calibration.channel_count();
    if (raw_interleaved.size() % channels != 0) {
        throw std::invalid_argument("trial force: " + std::to_string(raw_interleaved.size()) +
                                    " raw values are not whole rows of " +
                                    std::to_string(channels) + " channels");
    }
    // Raw values widen to double exactly (int32 counts and float32 both), then one calibration
    // call per row: the arithmetic the daemon's ingest path used when it calibrated as samples
    // arrived.
    raw_.resize(raw_interleaved.size());
    std::copy(raw_interleaved.begin(), raw_interleaved.end(), raw_.begin());
    wrenches_.resize(raw_interleaved.size() / channels);
    calibration.to_wrenches(raw_, wrenches_);
    set(calibration, cop_threshold_n, wrenches_);
}

template void TrialForceRows::calibrate<std::int32_t>(const calibration::PlateCalibration&, double,
                                                      std::span<const std::int32_t>);
template void TrialForceRows::calibrate<float>(const calibration::PlateCalibration&, double,
                                               std::span<const float>);

}  // namespace hoplab::recording
