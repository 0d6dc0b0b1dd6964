#pragma once

#include <hoplab/calibration/plate_calibration.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace hoplab::recording {

// The calibrated columns of a trial's rows as /trials/<id>/force/<device> stores them (row-major):
// force Fx,Fy,Fz (N) and moment Mx,My,Mz (N·m) in the plate's frame, the centre of pressure x,y (m)
// and the free moment (N·m), both NaN where Fz is below the threshold (undefined there).
//
// The one place where the stored trial force is computed: SessionWriter::append_trial_force
// (callers that calibrate themselves), the writer's derivation from the raw rows at end_trial and
// recover() for a trial cut short by a crash all go through it, so the three give the same bits.
class TrialForceRows {
  public:
    // Replaces the content with `samples` through `calibration`'s surface height.
    void set(const calibration::PlateCalibration& calibration, double cop_threshold_n,
             std::span<const calibration::Wrench> samples);
    // Replaces the content with raw rows (channel_count() values each, in the stream's unit)
    // calibrated through `calibration`. Throws std::invalid_argument when raw_interleaved.size() is
    // not a whole number of rows.
    template <class Raw>
    void calibrate(const calibration::PlateCalibration& calibration, double cop_threshold_n,
                   std::span<const Raw> raw_interleaved);

    std::size_t rows() const { return free_moment.size(); }

    std::vector<double> force;        // 3 per row
    std::vector<double> moment;       // 3 per row
    std::vector<double> cop;          // 2 per row
    std::vector<double> free_moment;  // 1 per row

  private:
    std::vector<double> raw_;
    std::vector<calibration::Wrench> wrenches_;
};

extern template void TrialForceRows::calibrate<std::int32_t>(const calibration::PlateCalibration&,
                                                             double, std::span<const std::int32_t>);
extern template void TrialForceRows::calibrate<float>(const calibration::PlateCalibration&, double,
                                                      std::span<const float>);

}  // namespace hoplab::recording
