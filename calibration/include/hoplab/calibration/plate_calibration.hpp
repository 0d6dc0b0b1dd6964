#pragma once

// Axis convention: the lab frame, z up, force = ground reaction on the body, so Fz > 0 when someone stands on the
// plate; x and y in the plate's surface. Moments are about the plate's transducer origin, which lies
// `surface_height_m` below the surface centre.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace hoplab::calibration {

struct Wrench {
    double fx_n = 0, fy_n = 0, fz_n = 0, mx_nm = 0, my_nm = 0, mz_nm = 0;
    bool operator==(const Wrench&) const = default;
};

// Centre of pressure on the surface, relative to the surface centre, and the free moment about the vertical.
struct CentreOfPressure {
    double x_m = 0, y_m = 0, free_moment_nm = 0;
};

enum class PlateModel { six_channel };

// A calibration file or value that cannot be used, naming the source, field and value.
class CalibrationError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A six-channel plate (Fx Fy Fz Mx My Mz): per channel a zero offset (raw units, set by tare) and a gain (N or N·m
// per raw unit), then a 6×6 calibration (cross-talk) matrix: load = C · ((raw − offset) ∘ gain).
class PlateCalibration {
public:
    PlateCalibration();  // an identity plate (gain 1, offset 0): a placeholder value, not a usable calibration
    static PlateCalibration from_toml(std::string_view text, std::string_view source_name);
    std::string to_toml() const;  // lossless: from_toml(to_toml()) == *this
    static PlateCalibration six_channel_diagonal(std::string serial, std::array<double, 6> gain_per_count,
                                                 std::array<double, 6> offset_counts, double origin_z_m);

    PlateModel model() const { return PlateModel::six_channel; }
    const std::string& serial() const { return serial_; }
    std::size_t channel_count() const { return 6; }
    std::span<const double> offsets() const { return offsets_; }
    std::span<const double> gains() const { return gains_; }
    const std::array<double, 36>& matrix() const { return matrix_; }  // row-major
    double surface_height_m() const { return surface_height_m_; }
    const std::string& provenance() const { return provenance_; }  // date, who, method as text
    PlateCalibration with_offsets(std::vector<double> offsets) const;

    Wrench to_wrench(std::span<const double> raw_sample) const;
    // raw_interleaved: out.size() × channel_count() values. No allocation.
    void to_wrenches(std::span<const double> raw_interleaved, std::span<Wrench> out) const;
    void to_wrenches(std::span<const std::int32_t> raw_interleaved, std::span<Wrench> out) const;
    std::optional<CentreOfPressure> centre_of_pressure(const Wrench& w, double threshold_n) const;
    // The raw sample this plate reads for a load (inverse model), for simulators and tests.
    std::vector<double> to_raw(const Wrench& load) const;

    bool operator==(const PlateCalibration&) const = default;

private:
    std::string serial_;
    std::string provenance_;
    std::vector<double> offsets_;
    std::vector<double> gains_;
    std::array<double, 36> matrix_{};
    std::array<double, 36> inverse_{};
    double surface_height_m_ = 0;
};

}  // namespace hoplab::calibration
