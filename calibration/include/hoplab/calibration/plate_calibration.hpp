#pragma once

// Axis convention: the lab frame, z up, force = ground reaction on the body, so Fz > 0 when someone
// stands on the plate; x and y in the plate's surface. Moments are about the plate's transducer
// origin, which lies `surface_height_m` below the surface centre. Every model reports in this
// frame; the Kistler model converts from Kistler's own (z down, action force): x is Kistler's x,
// y is minus Kistler's y (a rotation of 180° about x), and the force changes sign.

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

// Centre of pressure on the surface, relative to the surface centre, and the free moment about the
// vertical.
struct CentreOfPressure {
    double x_m = 0, y_m = 0, free_moment_nm = 0;
};

enum class PlateModel { six_channel, kistler_eight_channel, load_cells };

// METHODS §6.3 in Kistler's plate frame (z down, the load the subject applies): the wrench about
// the sensor-plane origin from the eight calibrated channels fx12, fx34, fy14, fy23, fz1–fz4 (N),
// sensor 1 at (+a, +b), 2 at (−a, +b), 3 at (−a, −b), 4 at (+a, −b). Shared by the Kistler plate
// model and the C3D TYPE-3 reader.
Wrench kistler_wrench(std::span<const double, 8> channels_n, double a_m, double b_m);

// A check of the calibration after it was made (verification run, drift check, …).
struct CalibrationCheck {
    std::string date;  // ISO 8601, "2026-11-23" or "2026-11-23T10:00:00Z"
    std::string kind;  // e.g. "verification", "drift"
    bool pass = false;
    std::string detail;  // the figures, e.g. "max force error 0.05 N, COP 0.01 mm"
    bool operator==(const CalibrationCheck&) const = default;
};

// Who made a calibration, when and how, and what checked it since: the `date`, `calibrated_by`,
// `method` fields and `[[checks]]` tables of a calibration file (each optional; validated when
// present).
struct CalibrationRecord {
    std::string date;  // ISO 8601
    std::string calibrated_by;
    std::string method;
    std::vector<CalibrationCheck> checks;
    bool operator==(const CalibrationRecord&) const = default;
};

// One vertical load cell of a home-built plate: its position on the surface (metres from the
// surface centre, lab axes) and its linear model F = gain · (raw − offset), F in N along +z.
struct LoadCell {
    double x_m = 0, y_m = 0;
    double gain_n_per_count = 1;
    double offset_counts = 0;
};

// A calibration file or value that cannot be used, naming the source, field and value.
class CalibrationError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// A six-channel plate (Fx Fy Fz Mx My Mz): per channel a zero offset (raw units, set by tare) and a
// gain (N or N·m per raw unit), then a 6×6 calibration (cross-talk) matrix: load = C · ((raw −
// offset) ∘ gain).
class PlateCalibration {
  public:
    // An identity six-channel plate (gain 1, offset 0, serial "uncalibrated"): a default for
    // containers and analysis-only files, not a calibration; its TOML reads back.
    PlateCalibration();
    static PlateCalibration from_toml(std::string_view text, std::string_view source_name);
    std::string to_toml() const;  // lossless: from_toml(to_toml()) == *this
    static PlateCalibration six_channel_diagonal(std::string serial,
                                                 std::array<double, 6> gain_per_count,
                                                 std::array<double, 6> offset_counts,
                                                 double origin_z_m);
    // A six-channel plate with a full calibration matrix (row-major, load = C · ((raw − offset) ∘
    // gain)). Throws CalibrationError for a gain ≤ 0, a non-finite value, a singular matrix or a
    // surface height outside 0–0.5 m.
    static PlateCalibration six_channel(std::string serial,
                                        const std::array<double, 36>& matrix_row_major,
                                        std::array<double, 6> gain_per_count,
                                        std::array<double, 6> offset_counts,
                                        double surface_height_m);

    // A plate of 3 to kMaxLoadCells vertical load cells (METHODS §7): Fz = ΣFᵢ, Mx = ΣyᵢFᵢ, My =
    // −ΣxᵢFᵢ about the surface centre (surface height 0), no shear. Throws CalibrationError for
    // fewer than 3 or more than kMaxLoadCells cells, a gain ≤ 0, a non-finite value or cells on one
    // line (COP undefined).
    static constexpr std::size_t kMaxLoadCells = 16;
    static PlateCalibration load_cell_plate(std::string serial, std::span<const LoadCell> cells);

    // A Kistler-style 8-channel plate (METHODS §6.3): raw channels fx12, fx34, fy14, fy23, fz1–fz4,
    // each (raw − offset) · gain in N; sensors at (±a, ±b) from the centre; the top surface at
    // az0 (< 0, Kistler's z points down). Throws CalibrationError for a gain ≤ 0, a non-finite
    // value, a or b ≤ 0 or beyond 1 m, or az0 outside (−0.5, 0] m.
    static constexpr std::size_t kKistlerChannels = 8;
    static PlateCalibration kistler_eight_channel(std::string serial,
                                                  std::array<double, 8> gain_n_per_count,
                                                  std::array<double, 8> offset_counts, double a_m,
                                                  double b_m, double az0_m);

    PlateModel model() const { return model_; }
    const std::string& serial() const { return serial_; }
    std::size_t channel_count() const { return offsets_.size(); }  // 6, or the number of load cells
    // Load cells only (empty for six-channel plates): cell positions, metres from the surface
    // centre.
    std::span<const double> cell_x_m() const { return cell_x_m_; }
    std::span<const double> cell_y_m() const { return cell_y_m_; }
    std::span<const double> offsets() const { return offsets_; }
    std::span<const double> gains() const { return gains_; }
    const std::array<double, 36>& matrix() const { return matrix_; }  // row-major
    double surface_height_m() const { return surface_height_m_; }
    // Kistler only: the sensor offsets a, b from the centre (0 for the other models).
    double sensor_a_m() const { return sensor_a_m_; }
    double sensor_b_m() const { return sensor_b_m_; }
    const std::string& provenance() const { return provenance_; }  // free text
    const CalibrationRecord& record() const { return record_; }
    // A copy carrying `record`; throws CalibrationError for a date that is not ISO 8601 or a check
    // without a kind.
    PlateCalibration with_record(CalibrationRecord record) const;
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
    void check_cell_geometry(
        const std::string& source) const;  // throws CalibrationError naming source
    PlateModel model_ = PlateModel::six_channel;
    std::vector<double> cell_x_m_;
    std::vector<double> cell_y_m_;
    std::string serial_;
    std::string provenance_;
    std::vector<double> offsets_;
    std::vector<double> gains_;
    std::array<double, 36> matrix_{};
    std::array<double, 36> inverse_{};
    double surface_height_m_ = 0;
    double sensor_a_m_ = 0, sensor_b_m_ = 0;
    CalibrationRecord record_;
};

// METHODS §6.1 in any frame: the point on the surface plane z = surface_z_m (same frame and origin
// as the moments) where a wrench measured about the origin acts, and the free moment about the
// vertical. nullopt when |Fz| is below threshold_n, so it serves action (z-down) and reaction
// (z-up) data alike.
std::optional<CentreOfPressure> centre_of_pressure_at(const Wrench& w, double surface_z_m,
                                                      double threshold_n);

}  // namespace hoplab::calibration
