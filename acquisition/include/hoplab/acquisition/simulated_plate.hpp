#pragma once

#include <hoplab/calibration/plate_calibration.hpp>

#include <string>

namespace hoplab::acquisition {

// The factory calibration of hoplab's simulated six-channel plate (Fx Fy Fz Mx My Mz, counts → N
// and N·m), with the amplifier's zero offsets in counts. The simulator streams counts through the
// inverse of this model; the daemon's simulated-lab configuration uses the same gains with zero
// offsets, so a tare is what recovers the offsets.
calibration::PlateCalibration simulated_plate_calibration(const std::string& serial,
                                                          bool with_offsets);

}  // namespace hoplab::acquisition
