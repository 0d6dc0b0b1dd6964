#include <hoplab/interchange/c3d_reader.hpp>

#include <algorithm>
#include <bit>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>

namespace hoplab::interchange {
namespace {

constexpr std::size_t kBlock = 512;

class Bytes {
  public:
    Bytes(std::span<const unsigned char> bytes, std::string file, C3dProcessor processor)
        : bytes_(bytes), file_(std::move(file)), processor_(processor) {}

    void need(std::size_t offset, std::size_t count, std::string_view what) const {
        if (offset + count > bytes_.size()) {
            throw C3dError(file_ + ": " + std::string(what) + " at byte " + std::to_string(offset) +
                           ": file truncated (" + std::to_string(bytes_.size()) + " bytes)");
        }
    }
    std::uint8_t u8(std::size_t offset, std::string_view what) const {
        need(offset, 1, what);
        return bytes_[offset];
    }
    std::int8_t i8(std::size_t offset, std::string_view what) const {
        return static_cast<std::int8_t>(u8(offset, what));
    }
    std::int16_t i16(std::size_t offset, std::string_view what) const {
        need(offset, 2, what);
        const unsigned lo = bytes_[offset], hi = bytes_[offset + 1];
        const unsigned value = processor_ == C3dProcessor::mips ? (lo << 8U) | hi : (hi << 8U) | lo;
        return static_cast<std::int16_t>(value);
    }
    std::uint16_t u16(std::size_t offset, std::string_view what) const {
        return static_cast<std::uint16_t>(i16(offset, what));
    }
    // DEC (VAX F) floats: the two 16-bit words are swapped relative to IEEE little-endian and the
    // exponent bias is larger by 2, hence the division by 4.
    float f32(std::size_t offset, std::string_view what) const {
        need(offset, 4, what);
        std::array<unsigned char, 4> b{};
        std::copy_n(bytes_.begin() + static_cast<std::ptrdiff_t>(offset), 4, b.begin());
        std::array<unsigned char, 4> le{};
        switch (processor_) {
            case C3dProcessor::intel:
                le = b;
                break;
            case C3dProcessor::mips:
                le = {b[3], b[2], b[1], b[0]};
                break;
            case C3dProcessor::dec:
                le = {b[2], b[3], b[0], b[1]};
                break;
        }
        const float value = std::bit_cast<float>(le);
        return processor_ == C3dProcessor::dec ? value / 4.0F : value;
    }
    std::string text(std::size_t offset, std::size_t count, std::string_view what) const {
        need(offset, count, what);
        return {reinterpret_cast<const char*>(bytes_.data() + offset), count};
    }
    const std::string& file() const { return file_; }

  private:
    std::span<const unsigned char> bytes_;
    std::string file_;
    C3dProcessor processor_;
};

std::string trim(std::string s) {
    while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) {
        s.pop_back();
    }
    return s;
}

std::string upper(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return s;
}

}  // namespace

C3dFile C3dFile::read(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw C3dError(path.string() + ": cannot open");
    }
    const std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(in)),
                                           std::istreambuf_iterator<char>());
    return parse(bytes, path.string());
}

const C3dParameter* C3dFile::parameter(const std::string& group, const std::string& name) const {
    const auto found = parameters_.find(upper(group) + ":" + upper(name));
    return found == parameters_.end() ? nullptr : &found->second;
}

std::vector<double> C3dFile::analog(std::size_t channel) const {
    if (channel >= analog_labels_.size()) {
        throw std::out_of_range(file_name_ + ": analog channel " + std::to_string(channel) +
                                " of " + std::to_string(analog_labels_.size()));
    }
    std::vector<double> values(analog_sample_count_);
    for (std::size_t s = 0; s < analog_sample_count_; ++s) {
        values[s] = analog_[s * analog_labels_.size() + channel];
    }
    return values;
}

C3dFile C3dFile::parse(std::span<const unsigned char> bytes, std::string_view file_name) {
    C3dFile file;
    file.file_name_ = std::string(file_name);
    const std::string name(file_name);
    Bytes probe(bytes, name, C3dProcessor::intel);
    const std::size_t parameter_start =
        (std::size_t{probe.u8(0, "header: parameter block pointer")} - 1) * kBlock;
    if (probe.u8(1, "header: key byte") != 0x50) {
        throw C3dError(name + ": header at byte 1: key byte is not 0x50, not a C3D file");
    }
    const int processor_code =
        probe.u8(parameter_start + 3, "parameter section header: processor type");
    if (processor_code < 84 || processor_code > 86) {
        throw C3dError(name + ": parameter section header at byte " +
                       std::to_string(parameter_start + 3) + ": processor type " +
                       std::to_string(processor_code) + " (expected 84, 85 or 86)");
    }
    file.processor_ = static_cast<C3dProcessor>(processor_code - 84);
    const Bytes in(bytes, name, file.processor_);

    // Parameter section: group records (negative id) and parameter records (positive id = their
    // group).
    const std::size_t block_count =
        in.u8(parameter_start + 2, "parameter section header: block count");
    const std::size_t section_end = parameter_start + block_count * kBlock;
    std::map<int, std::string> groups;
    struct Pending {
        int group_id;
        std::string name;
        C3dParameter value;
    };
    std::vector<Pending> pending;
    std::size_t at = parameter_start + 4;
    while (at + 2 <= section_end) {
        const int name_length = std::abs(in.i8(at, "parameter record: name length"));
        if (name_length == 0) {
            break;
        }
        const int id = in.i8(at + 1, "parameter record: id");
        const std::string record_name =
            upper(in.text(at + 2, static_cast<std::size_t>(name_length), "parameter name"));
        const std::size_t next_field = at + 2 + static_cast<std::size_t>(name_length);
        const int next = in.i16(next_field, "parameter record: offset to next");
        if (id < 0) {
            groups[-id] = record_name;
        } else {
            Pending p{id, record_name, {}};
            std::size_t cursor = next_field + 2;
            p.value.type = in.i8(cursor, "parameter " + record_name + ": type");
            if (p.value.type != -1 && p.value.type != 1 && p.value.type != 2 && p.value.type != 4) {
                throw C3dError(name + ": parameter " + record_name + " at byte " +
                               std::to_string(cursor) + ": bad type " +
                               std::to_string(p.value.type));
            }
            const std::size_t dimension_count =
                in.u8(cursor + 1, "parameter " + record_name + ": dimensions");
            cursor += 2;
            std::size_t count = 1;
            for (std::size_t d = 0; d < dimension_count; ++d) {
                p.value.dimensions.push_back(
                    in.u8(cursor + d, "parameter " + record_name + ": dimension"));
                count *= static_cast<std::size_t>(p.value.dimensions.back());
            }
            cursor += dimension_count;
            const std::size_t element = static_cast<std::size_t>(std::abs(p.value.type));
            in.need(cursor, count * element, "parameter " + record_name + ": data");
            if (p.value.type == -1) {
                const std::size_t width =
                    dimension_count > 0 ? static_cast<std::size_t>(p.value.dimensions[0]) : 1;
                for (std::size_t i = 0; width > 0 && i < count; i += width) {
                    p.value.text.push_back(trim(in.text(cursor + i, width, record_name)));
                }
            } else {
                for (std::size_t i = 0; i < count; ++i) {
                    const std::size_t offset = cursor + i * element;
                    p.value.numbers.push_back(p.value.type == 1   ? in.i8(offset, record_name)
                                              : p.value.type == 2 ? in.i16(offset, record_name)
                                                                  : in.f32(offset, record_name));
                }
            }
            pending.push_back(std::move(p));
        }
        if (next <= 0) {
            break;
        }
        at = next_field + static_cast<std::size_t>(next);
    }
    for (auto& p : pending) {
        const auto group = groups.find(p.group_id);
        if (group != groups.end()) {
            file.parameters_[group->second + ":" + p.name] = std::move(p.value);
        }
    }
    const auto number = [&](const std::string& group,
                            const std::string& key) -> std::optional<double> {
        const auto* p = file.parameter(group, key);
        if (p == nullptr || p->numbers.empty()) {
            return std::nullopt;
        }
        return p->numbers.front();
    };
    const auto require = [&](const std::string& group,
                             const std::string& key) -> const C3dParameter& {
        const auto* p = file.parameter(group, key);
        if (p == nullptr) {
            throw C3dError(name + ": parameter " + group + ":" + key +
                           " (parameter section at byte " + std::to_string(parameter_start) +
                           "): missing");
        }
        return *p;
    };

    // Header words (1-based): 2 points, 3 analog values per frame, 4–5 frames, 7–8 scale, 9 data
    // start, 10 analog samples per frame, 11–12 rate.
    const std::size_t point_count = in.u16(2, "header: point count");
    const std::size_t analog_per_frame = in.u16(4, "header: analog values per frame");
    const std::size_t first_frame = in.u16(6, "header: first frame");
    const std::size_t last_frame = in.u16(8, "header: last frame");
    const float point_scale = number("POINT", "SCALE").has_value()
                                  ? static_cast<float>(*number("POINT", "SCALE"))
                                  : in.f32(12, "header: point scale");
    const std::size_t data_block = in.u16(16, "header: data start block");
    const std::size_t samples_per_frame = in.u16(18, "header: analog samples per frame");
    file.point_rate_hz_ = in.f32(20, "header: frame rate");
    const std::size_t analog_channels =
        samples_per_frame > 0 ? analog_per_frame / samples_per_frame : 0;
    file.analog_rate_hz_ =
        number("ANALOG", "RATE")
            .value_or(file.point_rate_hz_ * static_cast<double>(samples_per_frame));
    const std::size_t frames = last_frame >= first_frame ? last_frame - first_frame + 1 : 0;
    const bool floats = point_scale < 0;
    const std::size_t value_size = floats ? 4 : 2;
    const std::size_t frame_size = (point_count * 4 + analog_per_frame) * value_size;
    const std::size_t data_start = (data_block - 1) * kBlock;
    in.need(data_start, frames * frame_size,
            "data section (" + std::to_string(frames) + " frames)");

    for (std::size_t c = 0; c < analog_channels; ++c) {
        const auto* labels = file.parameter("ANALOG", "LABELS");
        file.analog_labels_.push_back(labels && c < labels->text.size()
                                          ? labels->text[c]
                                          : std::string("A").append(std::to_string(c + 1)));
    }
    const auto per_channel = [&](const std::string& key, double fallback) {
        std::vector<double> values(analog_channels, fallback);
        if (const auto* p = file.parameter("ANALOG", key)) {
            for (std::size_t c = 0; c < analog_channels && c < p->numbers.size(); ++c) {
                values[c] = p->numbers[c];
            }
        }
        return values;
    };
    const auto scale = per_channel("SCALE", 1.0);
    const auto offset = per_channel("OFFSET", 0.0);
    const double gen_scale = number("ANALOG", "GEN_SCALE").value_or(1.0);
    const auto* format = file.parameter("ANALOG", "FORMAT");
    const bool unsigned_ints =
        format != nullptr && !format->text.empty() && upper(format->text[0]) == "UNSIGNED";
    file.analog_sample_count_ = frames * samples_per_frame;
    file.analog_.resize(file.analog_sample_count_ * analog_channels);
    for (std::size_t f = 0; f < frames; ++f) {
        const std::size_t base = data_start + f * frame_size + point_count * 4 * value_size;
        for (std::size_t s = 0; s < samples_per_frame; ++s) {
            for (std::size_t c = 0; c < analog_channels; ++c) {
                const std::size_t offset_bytes = base + (s * analog_channels + c) * value_size;
                double stored = 0;
                if (floats) {
                    stored = in.f32(offset_bytes, "analog data");
                } else if (unsigned_ints) {
                    stored = in.u16(offset_bytes, "analog data");
                } else {
                    stored = in.i16(offset_bytes, "analog data");
                }
                file.analog_[(f * samples_per_frame + s) * analog_channels + c] =
                    (stored - offset[c]) * scale[c] * gen_scale;
            }
        }
    }

    // Force platforms.
    const auto* used = file.parameter("FORCE_PLATFORM", "USED");
    const std::size_t plate_count =
        used && !used->numbers.empty() ? static_cast<std::size_t>(used->numbers[0]) : 0;
    const auto* units = file.parameter("POINT", "UNITS");
    const double metres_per_unit =
        units && !units->text.empty() && upper(units->text[0]) == "MM" ? 1e-3 : 1.0;
    for (std::size_t i = 0; i < plate_count; ++i) {
        const std::string where = "FORCE_PLATFORM plate " + std::to_string(i + 1);
        C3dForcePlate plate;
        const auto& types = require("FORCE_PLATFORM", "TYPE");
        if (types.numbers.size() <= i) {
            throw C3dError(name + ": parameter FORCE_PLATFORM:TYPE: no entry for plate " +
                           std::to_string(i + 1));
        }
        plate.type = static_cast<int>(types.numbers[i]);
        if (plate.type < 1 || plate.type > 4) {
            throw C3dError(name + ": parameter FORCE_PLATFORM:TYPE: plate " +
                           std::to_string(i + 1) + " has type " + std::to_string(plate.type) +
                           "; types 1–4 are supported");
        }
        const std::size_t width = plate.type == 3 ? 8 : 6;
        const auto& corners = require("FORCE_PLATFORM", "CORNERS");
        const auto& origin = require("FORCE_PLATFORM", "ORIGIN");
        const auto& channel = require("FORCE_PLATFORM", "CHANNEL");
        if (corners.numbers.size() < 12 * (i + 1) || origin.numbers.size() < 3 * (i + 1) ||
            channel.dimensions.empty() || static_cast<std::size_t>(channel.dimensions[0]) < width ||
            channel.numbers.size() < static_cast<std::size_t>(channel.dimensions[0]) * (i + 1)) {
            throw C3dError(name + ": " + where + ": CORNERS, ORIGIN or CHANNEL too short");
        }
        for (std::size_t k = 0; k < 12; ++k) {
            plate.corners_m[k] = corners.numbers[12 * i + k] * metres_per_unit;
        }
        for (std::size_t k = 0; k < 3; ++k) {
            plate.origin_m[k] = origin.numbers[3 * i + k] * metres_per_unit;
        }
        // C3D's ORIGIN points from the transducer origin up to the surface in the z-down plate
        // frame, so z ≤ 0; AMTI's legacy sheets (and c3d.org's own TYPE-2/TYPE-4 samples, z = +37.5
        // mm) give it positive. BTK and ezc3d negate a positive z for TYPES 1–4; so does this
        // reader, since those are the files it is asked to read.
        if (plate.type != 3 && plate.origin_m[2] > 0) {
            plate.origin_m[2] = -plate.origin_m[2];
        }
        const auto stride = static_cast<std::size_t>(channel.dimensions[0]);
        for (std::size_t k = 0; k < width; ++k) {
            const int ch = static_cast<int>(channel.numbers[stride * i + k]);
            if (ch < 1 || static_cast<std::size_t>(ch) > analog_channels) {
                throw C3dError(name + ": parameter FORCE_PLATFORM:CHANNEL: plate " +
                               std::to_string(i + 1) + " names analog channel " +
                               std::to_string(ch) + " of " + std::to_string(analog_channels));
            }
            plate.channels.push_back(ch);
        }
        // TYPE-4: CAL_MATRIX (6,6,n) first index fastest; element (row r, column c) is stored at r
        // + 6·c.
        std::array<double, 36> matrix{};
        for (std::size_t k = 0; k < 6; ++k) {
            matrix[k * 7] = 1.0;
        }
        if (plate.type == 4) {
            const auto& cal = require("FORCE_PLATFORM", "CAL_MATRIX");
            if (cal.numbers.size() < 36 * (i + 1)) {
                throw C3dError(name + ": parameter FORCE_PLATFORM:CAL_MATRIX: " +
                               std::to_string(cal.numbers.size()) + " values, plate " +
                               std::to_string(i + 1) + " needs 36");
            }
            for (std::size_t r = 0; r < 6; ++r) {
                for (std::size_t c = 0; c < 6; ++c) {
                    matrix[r * 6 + c] = cal.numbers[36 * i + r + 6 * c];
                }
            }
            plate.cal_matrix = matrix;
        }
        // The channels are already scaled to physical units, so the plate model has unit gain and
        // zero offset.
        const auto model = calibration::PlateCalibration::six_channel(
            where, matrix, {1, 1, 1, 1, 1, 1}, {0, 0, 0, 0, 0, 0}, 0.0);
        std::vector<double> sample(width);
        plate.wrenches.resize(file.analog_sample_count_);
        for (std::size_t s = 0; s < file.analog_sample_count_; ++s) {
            for (std::size_t k = 0; k < width; ++k) {
                sample[k] = file.analog_[s * analog_channels +
                                         static_cast<std::size_t>(plate.channels[k] - 1)];
            }
            calibration::Wrench w;
            if (plate.type == 3) {
                // METHODS §6.3 in the C3D plate frame: sensors at (±a, ±b) with ORIGIN = (a, b,
                // az0); moments about the sensor-plane origin.
                w = calibration::kistler_wrench(std::span<const double, 8>(sample.data(), 8),
                                                plate.origin_m[0], plate.origin_m[1]);
            } else if (plate.type == 1) {
                // Fx Fy Fz COPx COPy Tz: invert METHODS §6.1 with z_s = ORIGIN z.
                const double zs = plate.origin_m[2];
                const double cx = sample[3] * metres_per_unit, cy = sample[4] * metres_per_unit;
                w.fx_n = sample[0];
                w.fy_n = sample[1];
                w.fz_n = sample[2];
                w.my_nm = zs * w.fx_n - cx * w.fz_n;
                w.mx_nm = cy * w.fz_n - zs * w.fy_n;
                w.mz_nm = sample[5] * metres_per_unit + cx * w.fy_n - cy * w.fx_n;
            } else {
                w = model.to_wrench(sample);
                // Moment channels come in force × POINT:UNITS (N·mm for mm files).
                w.mx_nm *= metres_per_unit;
                w.my_nm *= metres_per_unit;
                w.mz_nm *= metres_per_unit;
            }
            plate.wrenches[s] = w;
        }
        file.plates_.push_back(std::move(plate));
    }
    return file;
}

std::optional<calibration::CentreOfPressure> centre_of_pressure(const C3dForcePlate& plate,
                                                                std::size_t sample,
                                                                double threshold_n) {
    return calibration::centre_of_pressure_at(plate.wrenches.at(sample), plate.origin_m[2],
                                              threshold_n);
}

}  // namespace hoplab::interchange
