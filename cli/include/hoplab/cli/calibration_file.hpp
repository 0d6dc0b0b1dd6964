#pragma once

#include <hoplab/calibration/plate_calibration.hpp>

#include <filesystem>

namespace hoplab::cli {

// Reads a plate calibration file (TOML, docs/calibration.md). Throws std::runtime_error when the
// file cannot be opened and calibration::CalibrationError naming the file, field and value when it
// is not a valid calibration.
calibration::PlateCalibration read_calibration_file(const std::filesystem::path& file);

}  // namespace hoplab::cli
