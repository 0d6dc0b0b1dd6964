#pragma once

#include <hoplab/calibration/plate_calibration.hpp>

#include <cstddef>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace hoplab::cli {

// What `hoplab recalibrate` does: recompute every trial's calibrated force of a recording from its
// stored raw streams through another calibration, re-run the analysis and write a new recording.
struct RecalibrationRequest {
    std::filesystem::path source;
    std::filesystem::path output;  // must not exist
    // Device name → the calibration to use. Devices not named keep the calibration stored in the
    // file.
    std::map<std::string, calibration::PlateCalibration> calibrations;
    // By default each trial keeps the zero offsets in effect when it was recorded (the session's
    // tares): a new calibration changes sensitivities and crosstalk, not the zero of that day. True
    // uses the offsets written in the new calibration files instead.
    bool offsets_from_calibration = false;
};

struct RecalibrationSummary {
    std::vector<std::string> recalibrated_devices;
    std::size_t trials = 0;
    std::size_t trials_analysed = 0;
    std::size_t raw_samples_copied = 0;
};

// Throws recording::RecordingError for a source that cannot be read or has no raw streams, and
// std::invalid_argument naming the device for a calibration of an unknown device or with another
// channel count than the device's stream.
RecalibrationSummary recalibrate_recording(const RecalibrationRequest& request);

}  // namespace hoplab::cli
