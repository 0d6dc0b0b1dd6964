#pragma once

#include <hoplab/calibration/plate_calibration.hpp>

#include <optional>
#include <string>

namespace hoplab::acquisition {

// The factory calibration of hoplab's simulated six-channel plate (Fx Fy Fz Mx My Mz, counts → N
// and N·m), with the amplifier's zero offsets in counts. The simulator streams counts through the
// inverse of this model; the daemon's simulated-lab configuration uses the same gains with zero
// offsets, so a tare is what recovers the offsets. `fz_gain_n_per_count` and `fz_offset_counts`
// replace the vertical channel's gain and offset (a plate whose true calibration differs from the
// configured one, for known-weight fit tests); they throw std::invalid_argument unless the gain is
// positive and both are finite.
calibration::PlateCalibration simulated_plate_calibration(
    const std::string& serial, bool with_offsets,
    std::optional<double> fz_gain_n_per_count = std::nullopt,
    std::optional<double> fz_offset_counts = std::nullopt);

}  // namespace hoplab::acquisition
