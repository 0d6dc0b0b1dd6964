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
    : serial_("uncalibrated"),
      provenance_("identity: gain 1, offset 0, no calibration"),
      offsets_(6, 0.0),
      gains_(6, 1.0),
      matrix_(identity()),
      inverse_(identity()) {}

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

Wrench kistler_wrench(std::span<const double, 8> k, double a_m, double b_m) {
    Wrench w;
    w.fx_n = k[0] + k[1];
    w.fy_n = k[2] + k[3];
    w.fz_n = k[4] + k[5] + k[6] + k[7];
    w.mx_nm = b_m * (k[4] + k[5] - k[6] - k[7]);
    w.my_nm = a_m * (-k[4] + k[5] + k[6] - k[7]);
    w.mz_nm = b_m * (-k[0] + k[1]) + a_m * (k[2] - k[3]);
    return w;
}

namespace {

void check_kistler_geometry(double a_m, double b_m, double az0_m, const std::string& source) {
    if (!(a_m > 0 && a_m <= 1.0) || !(b_m > 0 && b_m <= 1.0)) {
        throw CalibrationError(source + ": [geometry] a_m = " + format_number(a_m) +
                               ", b_m = " + format_number(b_m) +
                               ": sensor offsets must be above 0 and at most 1 m");
    }
    if (!(az0_m > -0.5 && az0_m <= 0)) {
        throw CalibrationError(source + ": [geometry] az0_m = " + format_number(az0_m) +
                               ": must be from −0.5 to 0 m (Kistler's z points down, so the "
                               "surface lies at negative z)");
    }
}

// ISO 8601 calendar date, optionally followed by a time ("2026-11-23", "2026-11-23T10:00:00Z").
bool is_iso_date(std::string_view text) {
    const auto digits = [&](std::size_t from, std::size_t count) {
        for (std::size_t i = from; i < from + count; ++i) {
            if (i >= text.size() || text[i] < '0' || text[i] > '9') {
                return false;
            }
        }
        return true;
    };
    if (!digits(0, 4) || text.size() < 10 || text[4] != '-' || !digits(5, 2) || text[7] != '-' ||
        !digits(8, 2) || (text.size() > 10 && text[10] != 'T')) {
        return false;
    }
    const int month = (text[5] - '0') * 10 + (text[6] - '0');
    const int day = (text[8] - '0') * 10 + (text[9] - '0');
    return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

void check_record(const CalibrationRecord& record, const std::string& source) {
    if (!record.date.empty() && !is_iso_date(record.date)) {
        throw CalibrationError(source + ": field 'date' = \"" + record.date +
                               "\": expected an ISO 8601 date such as 2026-11-23");
    }
    for (std::size_t i = 0; i < record.checks.size(); ++i) {
        const auto& check = record.checks[i];
        const std::string where = source + ": [[checks]] " + std::to_string(i + 1);
        if (!is_iso_date(check.date)) {
            throw CalibrationError(where + " date = \"" + check.date +
                                   "\": expected an ISO 8601 date such as 2026-11-23");
        }
        if (check.kind.empty()) {
            throw CalibrationError(where + ": missing field 'kind'");
        }
    }
}

}  // namespace

PlateCalibration PlateCalibration::with_record(CalibrationRecord record) const {
    check_record(record, "calibration record of '" + serial_ + "'");
    PlateCalibration copy = *this;
    copy.record_ = std::move(record);
    return copy;
}

PlateCalibration PlateCalibration::kistler_eight_channel(std::string serial,
                                                         std::array<double, 8> gain_n_per_count,
                                                         std::array<double, 8> offset_counts,
                                                         double a_m, double b_m, double az0_m) {
    const std::string source = "kistler_eight_channel(" + serial + ")";
    for (std::size_t i = 0; i < kKistlerChannels; ++i) {
        if (!(gain_n_per_count[i] > 0) || !std::isfinite(gain_n_per_count[i]) ||
            !std::isfinite(offset_counts[i])) {
            throw CalibrationError(source + ": gain[" + std::to_string(i) +
                                   "] = " + format_number(gain_n_per_count[i]) + ", offset " +
                                   format_number(offset_counts[i]) +
                                   ": gains must be positive, every value finite");
        }
    }
    check_kistler_geometry(a_m, b_m, az0_m, source);
    PlateCalibration plate;
    plate.model_ = PlateModel::kistler_eight_channel;
    plate.serial_ = std::move(serial);
    plate.provenance_ = "Kistler 8-channel";
    plate.gains_.assign(gain_n_per_count.begin(), gain_n_per_count.end());
    plate.offsets_.assign(offset_counts.begin(), offset_counts.end());
    plate.sensor_a_m_ = a_m;
    plate.sensor_b_m_ = b_m;
    plate.surface_height_m_ = -az0_m;
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
    if (model != "six_channel" && model != "load_cells" && model != "kistler_eight_channel") {
        throw CalibrationError(source + ": field 'model' is '" + model.value_or("") +
                               "'; expected six_channel, kistler_eight_channel or load_cells");
    }
    PlateCalibration plate;
    plate.serial_ = root["serial"].value_or(std::string());
    if (plate.serial_.empty()) {
        throw CalibrationError(source + ": missing field 'serial'");
    }
    plate.provenance_ = root["provenance"].value_or(std::string());
    const auto text_field = [&](const toml::node_view<toml::node>& node, const std::string& name) {
        if (!node) {
            return std::string();
        }
        const auto value = node.value<std::string>();
        if (!value) {
            throw CalibrationError(source + ": field '" + name + "' must be a string");
        }
        return *value;
    };
    plate.record_.date = text_field(root["date"], "date");
    plate.record_.calibrated_by = text_field(root["calibrated_by"], "calibrated_by");
    plate.record_.method = text_field(root["method"], "method");
    if (const auto checks = root["checks"]; checks) {
        auto* array = checks.as_array();
        if (array == nullptr) {
            throw CalibrationError(source + ": 'checks' must be an array of tables ([[checks]])");
        }
        for (std::size_t i = 0; i < array->size(); ++i) {
            auto* table = (*array)[i].as_table();
            const std::string where = "[[checks]] " + std::to_string(i + 1) + " ";
            if (table == nullptr) {
                throw CalibrationError(source + ": " + where + "is not a table");
            }
            const toml::node_view<toml::node> view{table};
            CalibrationCheck check;
            check.date = text_field(view["date"], where + "date");
            check.kind = text_field(view["kind"], where + "kind");
            check.detail = text_field(view["detail"], where + "detail");
            const auto result = text_field(view["result"], where + "result");
            if (result != "pass" && result != "fail") {
                throw CalibrationError(source + ": " + where + "result = \"" + result +
                                       "\": expected \"pass\" or \"fail\"");
            }
            check.pass = result == "pass";
            plate.record_.checks.push_back(std::move(check));
        }
    }
    check_record(plate.record_, source);
    const auto* channels = root["channels"].as_table();
    if (channels == nullptr) {
        throw CalibrationError(source + ": missing table [channels]");
    }
    const bool cells = model == "load_cells";
    const bool kistler = model == "kistler_eight_channel";
    std::size_t count = kistler ? kKistlerChannels : 6;
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
    if (kistler) {
        if (geometry == nullptr) {
            throw CalibrationError(source + ": missing table [geometry]");
        }
        const auto field = [&](const char* key) {
            const auto value = (*geometry)[key].value<double>();
            if (!value || !std::isfinite(*value)) {
                throw CalibrationError(source + ": [geometry] " + key +
                                       ": missing or not a finite number");
            }
            return *value;
        };
        plate.model_ = PlateModel::kistler_eight_channel;
        plate.sensor_a_m_ = field("a_m");
        plate.sensor_b_m_ = field("b_m");
        const double az0 = field("az0_m");
        check_kistler_geometry(plate.sensor_a_m_, plate.sensor_b_m_, az0, source);
        plate.surface_height_m_ = -az0;
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
    // [[checks]] tables come last: TOML puts everything after a table header into that table.
    const auto checks_text = [&] {
        std::string out;
        for (const auto& check : record_.checks) {
            out += "\n[[checks]]\ndate = " + quoted(check.date) + "\nkind = " + quoted(check.kind) +
                   "\nresult = " + (check.pass ? "\"pass\"" : "\"fail\"") +
                   "\ndetail = " + quoted(check.detail) + "\n";
        }
        return out;
    };
    const bool cells = model_ == PlateModel::load_cells;
    const bool kistler = model_ == PlateModel::kistler_eight_channel;
    std::string text = "format = \"hoplab-calibration\"\nversion = 1\nmodel = ";
    text += cells     ? "\"load_cells\"\n"
            : kistler ? "\"kistler_eight_channel\"\n"
                      : "\"six_channel\"\n";
    text += "serial = " + quoted(serial_) + "\n";
    text += "provenance = " + quoted(provenance_) + "\n";
    if (!record_.date.empty()) {
        text += "date = " + quoted(record_.date) + "\n";
    }
    if (!record_.calibrated_by.empty()) {
        text += "calibrated_by = " + quoted(record_.calibrated_by) + "\n";
    }
    if (!record_.method.empty()) {
        text += "method = " + quoted(record_.method) + "\n";
    }
    text += "\n[channels]\n";
    if (kistler) {
        text +=
            "names = [\"fx12\", \"fx34\", \"fy14\", \"fy23\", \"fz1\", \"fz2\", \"fz3\", "
            "\"fz4\"]\n";
    } else if (!cells) {
        text += "names = [\"fx\", \"fy\", \"fz\", \"mx\", \"my\", \"mz\"]\n";
    }
    text += "gain = " + array_text(gains_) + "\n";
    text += "offset = " + array_text(offsets_) + "\n\n[geometry]\n";
    if (cells) {
        text += "cell_x_m = " + array_text(cell_x_m_) + "\n";
        return text + "cell_y_m = " + array_text(cell_y_m_) + "\n" + checks_text();
    }
    if (kistler) {
        text += "a_m = " + format_number(sensor_a_m_) + "\n";
        text += "b_m = " + format_number(sensor_b_m_) + "\n";
        return text + "az0_m = " + format_number(-surface_height_m_) + "\n" + checks_text();
    }
    text += "surface_height_m = " + format_number(surface_height_m_) + "\n\n[matrix]\nrows = [\n";
    for (std::size_t r = 0; r < 6; ++r) {
        text += "  " + array_text(std::span<const double>(matrix_.data() + r * 6, 6)) + ",\n";
    }
    return text + "]\n" + checks_text();
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
    if (model_ == PlateModel::kistler_eight_channel) {
        std::array<double, kKistlerChannels> channels{};
        for (std::size_t c = 0; c < kKistlerChannels; ++c) {
            channels[c] = (raw[c] - offsets_[c]) * gains_[c];
        }
        // Kistler's frame (z down, action) → hoplab's (z up, reaction): rotate 180° about x
        // (F → (Fx, −Fy, −Fz), M → (Mx, −My, −Mz)), then negate for the reaction.
        const Wrench k = kistler_wrench(channels, sensor_a_m_, sensor_b_m_);
        return Wrench{-k.fx_n, k.fy_n, k.fz_n, -k.mx_nm, k.my_nm, k.mz_nm};
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
    if (model_ == PlateModel::kistler_eight_channel) {
        // Back to Kistler's frame, then the "no-warp" channel set (METHODS oracle 6-B): equal
        // x shears, the free moment in the y shears, fz1 − fz2 + fz3 − fz4 = 0.
        const double fx = -load.fx_n, fy = load.fy_n, fz = load.fz_n;
        const double mx = -load.mx_nm, my = load.my_nm, mz = load.mz_nm;
        const double p = mx / sensor_b_m_, q = my / sensor_a_m_;
        const std::array<double, kKistlerChannels> channels{fx / 2,
                                                            fx / 2,
                                                            (fy + mz / sensor_a_m_) / 2,
                                                            (fy - mz / sensor_a_m_) / 2,
                                                            (fz + p - q) / 4,
                                                            (fz + p + q) / 4,
                                                            (fz - p + q) / 4,
                                                            (fz - p - q) / 4};
        std::vector<double> raw(kKistlerChannels);
        for (std::size_t c = 0; c < kKistlerChannels; ++c) {
            raw[c] = offsets_[c] + channels[c] / gains_[c];
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
