#include <hoplab/calibration/plate_calibration.hpp>

#include <toml++/toml.h>
#include <Eigen/Dense>

#include <cmath>
#include <iomanip>
#include <limits>
#include <sstream>

namespace hoplab::calibration {
namespace {

constexpr std::string_view kFormat = "hoplab-calibration";
constexpr std::int64_t kVersion = 1;

std::array<double, 36> identity() {
    std::array<double, 36> m{};
    for (int i = 0; i < 6; ++i) {
        m[static_cast<std::size_t>(i * 7)] = 1.0;
    }
    return m;
}

std::array<double, 36> invert(const std::array<double, 36>& m, std::string_view source) {
    Eigen::Matrix<double, 6, 6, Eigen::RowMajor> a(m.data());
    Eigen::FullPivLU<Eigen::Matrix<double, 6, 6>> lu(a);
    if (!lu.isInvertible()) {
        throw CalibrationError(std::string(source) +
                               ": [matrix] rows: the calibration matrix is singular");
    }
    Eigen::Matrix<double, 6, 6, Eigen::RowMajor> inverse = lu.inverse();
    std::array<double, 36> out{};
    std::copy(inverse.data(), inverse.data() + 36, out.begin());
    return out;
}

std::vector<double> numbers(const toml::table& table, std::string_view key, std::size_t count,
                            std::string_view where) {
    const auto* array = table[key].as_array();
    if (array == nullptr) {
        throw CalibrationError(std::string(where) + ": missing field '" + std::string(key) +
                               "' (an array of " + std::to_string(count) + " numbers)");
    }
    if (array->size() != count) {
        throw CalibrationError(std::string(where) + " " + std::string(key) + ": has " +
                               std::to_string(array->size()) + " values, needs " +
                               std::to_string(count));
    }
    std::vector<double> out;
    for (std::size_t i = 0; i < count; ++i) {
        const auto value = (*array)[i].value<double>();
        if (!value || !std::isfinite(*value)) {
            throw CalibrationError(std::string(where) + " " + std::string(key) + "[" +
                                   std::to_string(i) + "]: not a finite number");
        }
        out.push_back(*value);
    }
    return out;
}

std::string format_number(double value) {
    std::ostringstream text;
    text << std::setprecision(std::numeric_limits<double>::max_digits10) << value;
    std::string s = text.str();
    if (s.find_first_of(".eEn") == std::string::npos) {
        s += ".0";  // keep TOML floats floats
    }
    return s;
}

std::string array_text(std::span<const double> values) {
    std::string text = "[";
    for (std::size_t i = 0; i < values.size(); ++i) {
        text += (i ? ", " : "") + format_number(values[i]);
    }
    return text + "]";
}

}  // namespace

PlateCalibration::PlateCalibration()
    : offsets_(6, 0.0), gains_(6, 1.0), matrix_(identity()), inverse_(identity()) {}

PlateCalibration PlateCalibration::six_channel_diagonal(std::string serial,
                                                        std::array<double, 6> gain_per_count,
                                                        std::array<double, 6> offset_counts,
                                                        double origin_z_m) {
    PlateCalibration plate;
    plate.serial_ = std::move(serial);
    plate.gains_.assign(gain_per_count.begin(), gain_per_count.end());
    plate.offsets_.assign(offset_counts.begin(), offset_counts.end());
    plate.surface_height_m_ = -origin_z_m;
    plate.provenance_ = "factory diagonal calibration";
    for (double gain : plate.gains_) {
        if (!(gain > 0) || !std::isfinite(gain)) {
            throw CalibrationError("six_channel_diagonal: gains must be positive and finite");
        }
    }
    return plate;
}

PlateCalibration PlateCalibration::six_channel(std::string serial,
                                               const std::array<double, 36>& matrix_row_major,
                                               std::array<double, 6> gain_per_count,
                                               std::array<double, 6> offset_counts,
                                               double surface_height_m) {
    const std::string source = "six_channel(" + serial + ")";
    for (std::size_t i = 0; i < 36; ++i) {
        if (!std::isfinite(matrix_row_major[i])) {
            throw CalibrationError(source + ": matrix[" + std::to_string(i) + "] is not finite");
        }
    }
    for (std::size_t i = 0; i < 6; ++i) {
        if (!(gain_per_count[i] > 0) || !std::isfinite(gain_per_count[i]) ||
            !std::isfinite(offset_counts[i])) {
            throw CalibrationError(
                source + ": gain[" + std::to_string(i) + "] = " + format_number(gain_per_count[i]) +
                ", offset " + format_number(offset_counts[i]) + ": gains must be positive, finite");
        }
    }
    if (!(surface_height_m >= 0 && surface_height_m < 0.5)) {
        throw CalibrationError(source + ": surface_height_m = " + format_number(surface_height_m) +
                               ": must be from 0 to 0.5 m");
    }
    PlateCalibration plate;
    plate.serial_ = std::move(serial);
    plate.gains_.assign(gain_per_count.begin(), gain_per_count.end());
    plate.offsets_.assign(offset_counts.begin(), offset_counts.end());
    plate.surface_height_m_ = surface_height_m;
    plate.matrix_ = matrix_row_major;
    plate.inverse_ = invert(plate.matrix_, source);
    plate.provenance_ = "full calibration matrix";
    return plate;
}

PlateCalibration PlateCalibration::load_cell_plate(std::string serial,
                                                   std::span<const LoadCell> cells) {
    const std::string source = "load_cell_plate(" + serial + ")";
    if (cells.size() < 3 || cells.size() > kMaxLoadCells) {
        throw CalibrationError(source + ": " + std::to_string(cells.size()) + " cells; 3 to " +
                               std::to_string(kMaxLoadCells) + " are supported");
    }
    PlateCalibration plate;
    plate.model_ = PlateModel::load_cells;
    plate.serial_ = std::move(serial);
    plate.provenance_ = "load cells";
    plate.gains_.clear();
    plate.offsets_.clear();
    for (std::size_t i = 0; i < cells.size(); ++i) {
        const auto& cell = cells[i];
        if (!(cell.gain_n_per_count > 0) || !std::isfinite(cell.gain_n_per_count) ||
            !std::isfinite(cell.offset_counts) || !std::isfinite(cell.x_m) ||
            !std::isfinite(cell.y_m)) {
            throw CalibrationError(source + ": cell " + std::to_string(i) +
                                   " gain = " + format_number(cell.gain_n_per_count) +
                                   ": gains must be positive and every value finite");
        }
        plate.gains_.push_back(cell.gain_n_per_count);
        plate.offsets_.push_back(cell.offset_counts);
        plate.cell_x_m_.push_back(cell.x_m);
        plate.cell_y_m_.push_back(cell.y_m);
    }
    plate.check_cell_geometry(source);
    return plate;
}

void PlateCalibration::check_cell_geometry(const std::string& source) const {
    // Cells on one line leave the moment about that line unobservable: the position covariance must
    // be full rank.
    const auto n = static_cast<double>(cell_x_m_.size());
    double mx = 0, my = 0;
    for (std::size_t i = 0; i < cell_x_m_.size(); ++i) {
        mx += cell_x_m_[i] / n;
        my += cell_y_m_[i] / n;
    }
    double sxx = 0, syy = 0, sxy = 0;
    for (std::size_t i = 0; i < cell_x_m_.size(); ++i) {
        sxx += (cell_x_m_[i] - mx) * (cell_x_m_[i] - mx);
        syy += (cell_y_m_[i] - my) * (cell_y_m_[i] - my);
        sxy += (cell_x_m_[i] - mx) * (cell_y_m_[i] - my);
    }
    if (!(sxx * syy - sxy * sxy > 1e-6 * (sxx + syy) * (sxx + syy))) {
        throw CalibrationError(
            source +
            ": [geometry] cell positions lie on one line; the centre of pressure is "
            "undefined");
    }
}

PlateCalibration PlateCalibration::from_toml(std::string_view text, std::string_view source_name) {
    const std::string source(source_name);
    toml::table root;
    try {
        root = toml::parse(text, source);
    } catch (const toml::parse_error& error) {
        throw CalibrationError(source + ":" + std::to_string(error.source().begin.line) + ": " +
                               std::string(error.description()));
    }
    if (root["format"].value<std::string>() != std::string(kFormat)) {
        throw CalibrationError(source + ": field 'format' must be \"" + std::string(kFormat) +
                               "\"");
    }
    const auto version = root["version"].value<std::int64_t>();
    if (!version || *version != kVersion) {
        throw CalibrationError(
            source + ": field 'version' must be 1 (this library reads calibration format 1)");
    }
    const auto model = root["model"].value<std::string>();
    if (model != "six_channel" && model != "load_cells") {
        throw CalibrationError(source + ": field 'model' is '" + model.value_or("") +
                               "'; expected six_channel or load_cells");
    }
    PlateCalibration plate;
    plate.serial_ = root["serial"].value_or(std::string());
    if (plate.serial_.empty()) {
        throw CalibrationError(source + ": missing field 'serial'");
    }
    plate.provenance_ = root["provenance"].value_or(std::string());
    const auto* channels = root["channels"].as_table();
    if (channels == nullptr) {
        throw CalibrationError(source + ": missing table [channels]");
    }
    const bool cells = model == "load_cells";
    std::size_t count = 6;
    if (cells) {
        const auto* gain_array = (*channels)["gain"].as_array();
        count = gain_array == nullptr ? 0 : gain_array->size();
        if (count < 3 || count > kMaxLoadCells) {
            throw CalibrationError(source + ": [channels] gain: " + std::to_string(count) +
                                   " load cells; 3 to " + std::to_string(kMaxLoadCells) +
                                   " are supported");
        }
        plate.model_ = PlateModel::load_cells;
    }
    plate.gains_ = numbers(*channels, "gain", count, source + ": [channels]");
    for (std::size_t i = 0; i < count; ++i) {
        if (!(plate.gains_[i] > 0)) {
            throw CalibrationError(source + ": [channels] gain[" + std::to_string(i) + "] = " +
                                   format_number(plate.gains_[i]) + ": gains must be positive");
        }
    }
    plate.offsets_ = numbers(*channels, "offset", count, source + ": [channels]");
    const auto* geometry = root["geometry"].as_table();
    if (cells) {
        if (geometry == nullptr) {
            throw CalibrationError(source + ": missing table [geometry]");
        }
        plate.cell_x_m_ = numbers(*geometry, "cell_x_m", count, source + ": [geometry]");
        plate.cell_y_m_ = numbers(*geometry, "cell_y_m", count, source + ": [geometry]");
        plate.check_cell_geometry(source);
        return plate;
    }
    if (geometry == nullptr || !(*geometry)["surface_height_m"].value<double>()) {
        throw CalibrationError(source + ": missing field [geometry] surface_height_m");
    }
    plate.surface_height_m_ = *(*geometry)["surface_height_m"].value<double>();
    if (!(plate.surface_height_m_ >= 0 && plate.surface_height_m_ < 0.5)) {
        throw CalibrationError(
            source + ": [geometry] surface_height_m = " + format_number(plate.surface_height_m_) +
            ": must be from 0 to 0.5 m (the origin lies below the surface)");
    }
    if (const auto* matrix = root["matrix"].as_table()) {
        const auto* rows = (*matrix)["rows"].as_array();
        if (rows == nullptr || rows->size() != 6) {
            throw CalibrationError(source + ": [matrix] rows must be 6 arrays of 6 numbers, has " +
                                   std::to_string(rows ? rows->size() : 0) + " rows");
        }
        for (std::size_t r = 0; r < 6; ++r) {
            const auto* row = (*rows)[r].as_array();
            if (row == nullptr || row->size() != 6) {
                throw CalibrationError(source + ": [matrix] rows[" + std::to_string(r) +
                                       "] must have 6 numbers");
            }
            for (std::size_t c = 0; c < 6; ++c) {
                const auto value = (*row)[c].value<double>();
                if (!value || !std::isfinite(*value)) {
                    throw CalibrationError(source + ": [matrix] rows[" + std::to_string(r) + "][" +
                                           std::to_string(c) + "]: not a finite number");
                }
                plate.matrix_[r * 6 + c] = *value;
            }
        }
        plate.inverse_ = invert(plate.matrix_, source);
    }
    return plate;
}

std::string PlateCalibration::to_toml() const {
    const auto quoted = [](const std::string& value) {
        std::string out = "\"";
        for (char c : value) {
            if (c == '"' || c == '\\') {
                out += '\\';
                out += c;
            } else if (c == '\n') {
                out += "\\n";
            } else if (static_cast<unsigned char>(c) >= 0x20) {
                out += c;
            }
        }
        return out + "\"";
    };
    const bool cells = model_ == PlateModel::load_cells;
    std::string text = "format = \"hoplab-calibration\"\nversion = 1\nmodel = ";
    text += cells ? "\"load_cells\"\n" : "\"six_channel\"\n";
    text += "serial = " + quoted(serial_) + "\n";
    text += "provenance = " + quoted(provenance_) + "\n\n[channels]\n";
    if (!cells) {
        text += "names = [\"fx\", \"fy\", \"fz\", \"mx\", \"my\", \"mz\"]\n";
    }
    text += "gain = " + array_text(gains_) + "\n";
    text += "offset = " + array_text(offsets_) + "\n\n[geometry]\n";
    if (cells) {
        text += "cell_x_m = " + array_text(cell_x_m_) + "\n";
        return text + "cell_y_m = " + array_text(cell_y_m_) + "\n";
    }
    text += "surface_height_m = " + format_number(surface_height_m_) + "\n\n[matrix]\nrows = [\n";
    for (std::size_t r = 0; r < 6; ++r) {
        text += "  " + array_text(std::span<const double>(matrix_.data() + r * 6, 6)) + ",\n";
    }
    return text + "]\n";
}

PlateCalibration PlateCalibration::with_offsets(std::vector<double> offsets) const {
    if (offsets.size() != channel_count()) {
        throw std::invalid_argument("with_offsets: " + std::to_string(channel_count()) +
                                    " offsets needed, got " + std::to_string(offsets.size()));
    }
    PlateCalibration copy = *this;
    copy.offsets_ = std::move(offsets);
    return copy;
}

Wrench PlateCalibration::to_wrench(std::span<const double> raw) const {
    if (model_ == PlateModel::load_cells) {
        Wrench w;
        for (std::size_t i = 0; i < offsets_.size(); ++i) {
            const double f = (raw[i] - offsets_[i]) * gains_[i];
            w.fz_n += f;
            w.mx_nm += cell_y_m_[i] * f;
            w.my_nm -= cell_x_m_[i] * f;
        }
        return w;
    }
    std::array<double, 6> scaled{};
    for (std::size_t c = 0; c < 6; ++c) {
        scaled[c] = (raw[c] - offsets_[c]) * gains_[c];
    }
    std::array<double, 6> load{};
    for (std::size_t r = 0; r < 6; ++r) {
        double sum = 0;
        for (std::size_t c = 0; c < 6; ++c) {
            sum += matrix_[r * 6 + c] * scaled[c];
        }
        load[r] = sum;
    }
    return Wrench{load[0], load[1], load[2], load[3], load[4], load[5]};
}

void PlateCalibration::to_wrenches(std::span<const double> raw, std::span<Wrench> out) const {
    const std::size_t n = channel_count();
    if (raw.size() != out.size() * n) {
        throw std::invalid_argument("to_wrenches: raw values are not " + std::to_string(n) +
                                    " per output sample");
    }
    for (std::size_t s = 0; s < out.size(); ++s) {
        out[s] = to_wrench(raw.subspan(s * n, n));
    }
}

void PlateCalibration::to_wrenches(std::span<const std::int32_t> raw, std::span<Wrench> out) const {
    const std::size_t n = channel_count();
    if (raw.size() != out.size() * n) {
        throw std::invalid_argument("to_wrenches: raw values are not " + std::to_string(n) +
                                    " per output sample");
    }
    std::array<double, kMaxLoadCells> sample{};  // covers 6 channels too; no per-sample allocation
    for (std::size_t s = 0; s < out.size(); ++s) {
        for (std::size_t c = 0; c < n; ++c) {
            sample[c] = raw[s * n + c];
        }
        out[s] = to_wrench(std::span<const double>(sample.data(), n));
    }
}

std::optional<CentreOfPressure> PlateCalibration::centre_of_pressure(const Wrench& w,
                                                                     double threshold_n) const {
    if (!(w.fz_n >= threshold_n)) {
        return std::nullopt;
    }
    // METHODS §6.1 with the surface at z_s = surface_height_m above the origin.
    const double zs = surface_height_m_;
    CentreOfPressure cop;
    cop.x_m = (zs * w.fx_n - w.my_nm) / w.fz_n;
    cop.y_m = (zs * w.fy_n + w.mx_nm) / w.fz_n;
    cop.free_moment_nm = w.mz_nm - cop.x_m * w.fy_n + cop.y_m * w.fx_n;
    return cop;
}

std::optional<CentreOfPressure> centre_of_pressure_at(const Wrench& w, double surface_z_m,
                                                      double threshold_n) {
    if (!(std::abs(w.fz_n) >= threshold_n)) {
        return std::nullopt;
    }
    CentreOfPressure cop;
    cop.x_m = (surface_z_m * w.fx_n - w.my_nm) / w.fz_n;
    cop.y_m = (surface_z_m * w.fy_n + w.mx_nm) / w.fz_n;
    cop.free_moment_nm = w.mz_nm - cop.x_m * w.fy_n + cop.y_m * w.fx_n;
    return cop;
}

std::vector<double> PlateCalibration::to_raw(const Wrench& load) const {
    if (model_ == PlateModel::load_cells) {
        // Cells carry vertical force only: the minimum-norm cell forces with ΣF = Fz, ΣyF = Mx,
        // −ΣxF = My.
        const auto n = static_cast<Eigen::Index>(offsets_.size());
        Eigen::MatrixXd a(3, n);
        for (Eigen::Index i = 0; i < n; ++i) {
            const auto k = static_cast<std::size_t>(i);
            a(0, i) = 1.0;
            a(1, i) = cell_y_m_[k];
            a(2, i) = -cell_x_m_[k];
        }
        const Eigen::Vector3d b(load.fz_n, load.mx_nm, load.my_nm);
        const Eigen::VectorXd f = a.transpose() * (a * a.transpose()).ldlt().solve(b);
        std::vector<double> raw(offsets_.size());
        for (std::size_t i = 0; i < raw.size(); ++i) {
            raw[i] = offsets_[i] + f(static_cast<Eigen::Index>(i)) / gains_[i];
        }
        return raw;
    }
    const std::array<double, 6> l{load.fx_n,  load.fy_n,  load.fz_n,
                                  load.mx_nm, load.my_nm, load.mz_nm};
    std::vector<double> raw(6);
    for (std::size_t r = 0; r < 6; ++r) {
        double scaled = 0;
        for (std::size_t c = 0; c < 6; ++c) {
            scaled += inverse_[r * 6 + c] * l[c];
        }
        raw[r] = offsets_[r] + scaled / gains_[r];
    }
    return raw;
}

}  // namespace hoplab::calibration
