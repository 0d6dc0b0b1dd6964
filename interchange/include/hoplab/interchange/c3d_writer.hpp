#pragma once

// C3D writer (devices-protocols-formats.md §4): force platforms only, so that any C3D reader
// (ezc3d, BTK, py-c3d, Visual3D, this module's C3dFile) computes the same forces and centre of
// pressure as hoplab. Intel processor format, float storage, no 3D points.

#include <hoplab/calibration/plate_calibration.hpp>

#include <array>
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace hoplab::interchange {

// One plate's trial in hoplab's plate frame (calibration/plate_calibration.hpp: z up, ground
// reaction, moments in N·m about the transducer origin `surface_height_m` below the surface
// centre).
struct C3dPlateExport {
    std::string label;  // e.g. "left": the analog labels become Fx_left … Mz_left
    double surface_height_m = 0;
    // Where the plate's surface centre lies in the file's lab frame (x, y, z up), and its size
    // along the plate's x and y (for FORCE_PLATFORM:CORNERS; a COP is independent of them).
    std::array<double, 3> centre_lab_m{};
    double size_x_m = 0.6, size_y_m = 0.4;
    std::vector<calibration::Wrench> wrenches;
};

struct C3dExport {
    double analog_rate_hz = 0;
    std::vector<C3dPlateExport> plates;  // every plate has the same number of samples
    std::string software;                // MANUFACTURER:SOFTWARE, e.g. "hoplab 0.1.0"
    std::string description;             // TRIAL:DESCRIPTION, e.g. the source file and trial id
};

// The file's bytes. Each plate is a FORCE_PLATFORM TYPE-2 (Fx Fy Fz Mx My Mz) in the C3D plate
// frame, z down into the plate (hoplab's frame turned half a turn about x: Fy, Fz, My, Mz change
// sign), ORIGIN = (0, 0, −surface_height_m), POINT:UNITS "m" so moments are in N·m. Samples are
// grouped into frames so the 16-bit frame count holds them (up to 100 analog samples per frame).
// Throws std::invalid_argument for no plate, unequal sample counts, no samples, a rate ≤ 0, a
// label that is not 1–8 characters of A-Z a-z 0-9 _ -, or a sample count no frame grouping can
// hold without padding.
std::vector<unsigned char> c3d_bytes(const C3dExport& trial);

// Writes c3d_bytes(trial) to `path`; throws C3dError naming the path when it cannot be written.
void write_c3d(const std::filesystem::path& path, const C3dExport& trial);

}  // namespace hoplab::interchange
