#include <hoplab/interchange/c3d_reader.hpp>
#include <hoplab/interchange/c3d_writer.hpp>

#include <algorithm>
#include <bit>
#include <cctype>
#include <cstdint>
#include <fstream>
#include <stdexcept>

namespace hoplab::interchange {
namespace {

constexpr std::size_t kBlock = 512;
constexpr std::size_t kMaxFrames = 65535;  // the header's last-frame word is 16 bits
constexpr std::size_t kMaxSamplesPerFrame = 100;
constexpr int kChar = -1, kInt16 = 2, kFloat = 4;

// Little-endian (Intel, processor type 84) byte sink.
class Sink {
  public:
    void u8(std::uint8_t value) { bytes_.push_back(value); }
    void i8(int value) { u8(static_cast<std::uint8_t>(static_cast<std::int8_t>(value))); }
    void u16(std::uint16_t value) {
        u8(static_cast<std::uint8_t>(value & 0xffU));
        u8(static_cast<std::uint8_t>(value >> 8U));
    }
    void i16(int value) { u16(static_cast<std::uint16_t>(static_cast<std::int16_t>(value))); }
    void f32(double value) {
        const auto bits = std::bit_cast<std::uint32_t>(static_cast<float>(value));
        u16(static_cast<std::uint16_t>(bits & 0xffffU));
        u16(static_cast<std::uint16_t>(bits >> 16U));
    }
    void text(std::string_view value) { bytes_.insert(bytes_.end(), value.begin(), value.end()); }
    void pad_to_block() { bytes_.resize((bytes_.size() + kBlock - 1) / kBlock * kBlock, 0); }
    std::size_t size() const { return bytes_.size(); }
    std::vector<unsigned char>& bytes() { return bytes_; }

  private:
    std::vector<unsigned char> bytes_;
};

// The parameter section: group and parameter records, each linked to the next by a byte offset.
class Parameters {
  public:
    void group(int id, std::string_view name, std::string_view description) {
        Sink record;
        record.i8(static_cast<int>(name.size()));
        record.i8(-id);
        record.text(name);
        record.i16(static_cast<int>(3 + description.size()));
        record.u8(static_cast<std::uint8_t>(description.size()));
        record.text(description);
        append(record);
    }
    void numbers(int group, std::string_view name, int type, const std::vector<int>& dimensions,
                 const std::vector<double>& values) {
        Sink data;
        for (double value : values) {
            if (type == kInt16) {
                data.i16(static_cast<int>(value));
            } else {
                data.f32(value);
            }
        }
        parameter(group, name, type, dimensions, data);
    }
    // A char parameter: one string, or an array padded to the longest (at least 1 character).
    void strings(int group, std::string_view name, const std::vector<std::string>& values) {
        std::size_t width = 1;
        for (const auto& value : values) {
            width = std::max(width, value.size());
        }
        Sink data;
        for (const auto& value : values) {
            data.text(value);
            data.text(std::string(width - value.size(), ' '));
        }
        std::vector<int> dimensions{static_cast<int>(width)};
        if (values.size() != 1) {
            dimensions.push_back(static_cast<int>(values.size()));
        }
        parameter(group, name, kChar, dimensions, data);
    }
    void text(int group, std::string_view name, std::string_view value) {
        strings(group, name, {std::string(value)});
    }

    // The section with its 4-byte header, padded to whole blocks; the last record's link is 0.
    Sink section() const {
        Sink out;
        const std::size_t blocks = (4 + records_.size() + kBlock - 1) / kBlock;
        out.u8(1);
        out.u8(0x50);
        out.u8(static_cast<std::uint8_t>(blocks));
        out.u8(84);  // Intel
        out.bytes().insert(out.bytes().end(), records_.begin(), records_.end());
        out.bytes()[4 + last_link_] = 0;
        out.bytes()[4 + last_link_ + 1] = 0;
        out.pad_to_block();
        return out;
    }

  private:
    void parameter(int group, std::string_view name, int type, const std::vector<int>& dimensions,
                   Sink& data) {
        Sink record;
        record.i8(static_cast<int>(name.size()));
        record.i8(group);
        record.text(name);
        record.i16(static_cast<int>(2 + 2 + dimensions.size() + data.size() + 1));
        record.i8(type);
        record.u8(static_cast<std::uint8_t>(dimensions.size()));
        for (int dimension : dimensions) {
            record.u8(static_cast<std::uint8_t>(dimension));
        }
        record.bytes().insert(record.bytes().end(), data.bytes().begin(), data.bytes().end());
        record.u8(0);  // no description
        append(record);
    }
    void append(Sink& record) {
        last_link_ = records_.size() + 2 + static_cast<std::size_t>(record.bytes()[0]);
        records_.insert(records_.end(), record.bytes().begin(), record.bytes().end());
    }

    std::vector<unsigned char> records_;
    std::size_t last_link_ = 0;
};

bool valid_label(const std::string& label) {
    return !label.empty() && label.size() <= 8 &&
           std::all_of(label.begin(), label.end(), [](unsigned char c) {
               return std::isalnum(c) != 0 || c == '_' || c == '-';
           });
}

// The fewest analog samples per frame that divides the samples into at most kMaxFrames frames.
std::size_t samples_per_frame(std::size_t samples) {
    for (std::size_t per_frame = 1; per_frame <= kMaxSamplesPerFrame; ++per_frame) {
        if (samples % per_frame == 0 && samples / per_frame <= kMaxFrames) {
            return per_frame;
        }
    }
    throw std::invalid_argument(
        "c3d_bytes: " + std::to_string(samples) +
        " samples cannot be split into at most 65535 frames of up to 100 samples each without "
        "padding; export a shorter range");
}

void check(const C3dExport& trial) {
    if (trial.plates.empty()) {
        throw std::invalid_argument("c3d_bytes: no plate to export");
    }
    if (!(trial.analog_rate_hz > 0)) {
        throw std::invalid_argument("c3d_bytes: analog_rate_hz = " +
                                    std::to_string(trial.analog_rate_hz) + " (must be > 0)");
    }
    const std::size_t samples = trial.plates.front().wrenches.size();
    if (samples == 0) {
        throw std::invalid_argument("c3d_bytes: plate '" + trial.plates.front().label +
                                    "' has no samples");
    }
    for (const auto& plate : trial.plates) {
        if (!valid_label(plate.label)) {
            throw std::invalid_argument("c3d_bytes: plate label '" + plate.label +
                                        "' must be 1-8 characters of A-Z a-z 0-9 _ -");
        }
        if (plate.wrenches.size() != samples) {
            throw std::invalid_argument("c3d_bytes: plate '" + plate.label + "' has " +
                                        std::to_string(plate.wrenches.size()) +
                                        " samples, plate '" + trial.plates.front().label +
                                        "' has " + std::to_string(samples));
        }
    }
    if (trial.description.size() > 255 || trial.software.size() > 255) {
        throw std::invalid_argument("c3d_bytes: description or software longer than 255 bytes");
    }
}

}  // namespace

std::vector<unsigned char> c3d_bytes(const C3dExport& trial) {
    check(trial);
    const std::size_t samples = trial.plates.front().wrenches.size();
    const std::size_t per_frame = samples_per_frame(samples);
    const std::size_t frames = samples / per_frame;
    const std::size_t plates = trial.plates.size();
    const std::size_t channels = 6 * plates;
    const double frame_rate_hz = trial.analog_rate_hz / static_cast<double>(per_frame);

    enum Group { kPoint = 1, kAnalog, kForcePlatform, kTrial, kManufacturer };
    Parameters parameters;
    parameters.group(kPoint, "POINT", "3-D point parameters");
    parameters.group(kAnalog, "ANALOG", "Analog data parameters");
    parameters.group(kForcePlatform, "FORCE_PLATFORM", "Force platform parameters");
    parameters.group(kTrial, "TRIAL", "Trial parameters");
    parameters.group(kManufacturer, "MANUFACTURER", "Software that wrote the file");

    // The data-start block is known once the section's size is: two passes over the same records.
    const auto build = [&](std::size_t data_block) {
        Parameters p = parameters;
        p.numbers(kPoint, "USED", kInt16, {}, {0});
        p.numbers(kPoint, "SCALE", kFloat, {}, {-1});
        p.numbers(kPoint, "RATE", kFloat, {}, {frame_rate_hz});
        p.numbers(kPoint, "DATA_START", kInt16, {}, {static_cast<double>(data_block)});
        p.numbers(kPoint, "FRAMES", kInt16, {},
                  {static_cast<double>(static_cast<std::int16_t>(frames))});
        p.text(kPoint, "UNITS", "m");
        std::vector<std::string> labels, descriptions, units;
        for (const auto& plate : trial.plates) {
            for (const char* channel : {"Fx", "Fy", "Fz", "Mx", "My", "Mz"}) {
                labels.push_back(std::string(channel) + "_" + plate.label);
                descriptions.push_back("plate " + plate.label + " " + channel);
                units.emplace_back(channel[0] == 'F' ? "N" : "Nm");
            }
        }
        p.numbers(kAnalog, "USED", kInt16, {}, {static_cast<double>(channels)});
        p.strings(kAnalog, "LABELS", labels);
        p.strings(kAnalog, "DESCRIPTIONS", descriptions);
        p.numbers(kAnalog, "SCALE", kFloat, {static_cast<int>(channels)},
                  std::vector<double>(channels, 1.0));
        p.numbers(kAnalog, "OFFSET", kInt16, {static_cast<int>(channels)},
                  std::vector<double>(channels, 0.0));
        p.numbers(kAnalog, "GEN_SCALE", kFloat, {}, {1});
        p.strings(kAnalog, "UNITS", units);
        p.numbers(kAnalog, "RATE", kFloat, {}, {trial.analog_rate_hz});
        p.text(kAnalog, "FORMAT", "SIGNED");

        std::vector<double> types, corners, origins, channel_numbers;
        for (std::size_t i = 0; i < plates; ++i) {
            const auto& plate = trial.plates[i];
            types.push_back(2);
            // Corners 1–4 lie in the plate's (+x +y), (−x +y), (−x −y), (+x −y) quadrants of its
            // z-down frame; in the z-up lab frame the plate's y is the lab's −y.
            const double hx = plate.size_x_m / 2, hy = plate.size_y_m / 2;
            for (const auto& [x, y] : {std::pair{hx, hy}, {-hx, hy}, {-hx, -hy}, {hx, -hy}}) {
                corners.push_back(plate.centre_lab_m[0] + x);
                corners.push_back(plate.centre_lab_m[1] - y);
                corners.push_back(plate.centre_lab_m[2]);
            }
            origins.insert(origins.end(), {0.0, 0.0, -plate.surface_height_m});
            for (std::size_t k = 0; k < 6; ++k) {
                channel_numbers.push_back(static_cast<double>(6 * i + k + 1));
            }
        }
        const int n = static_cast<int>(plates);
        p.numbers(kForcePlatform, "USED", kInt16, {}, {static_cast<double>(plates)});
        p.numbers(kForcePlatform, "TYPE", kInt16, {n}, types);
        p.numbers(kForcePlatform, "ZERO", kInt16, {2}, {0, 0});  // no baseline subtraction
        p.numbers(kForcePlatform, "CORNERS", kFloat, {3, 4, n}, corners);
        p.numbers(kForcePlatform, "ORIGIN", kFloat, {3, n}, origins);
        p.numbers(kForcePlatform, "CHANNEL", kInt16, {6, n}, channel_numbers);
        // The frame range as two 16-bit words (low, high), as Vicon writes it.
        p.numbers(kTrial, "ACTUAL_START_FIELD", kInt16, {2}, {1, 0});
        p.numbers(kTrial, "ACTUAL_END_FIELD", kInt16, {2},
                  {static_cast<double>(static_cast<std::int16_t>(frames)), 0});
        p.numbers(kTrial, "CAMERA_RATE", kFloat, {}, {frame_rate_hz});
        if (!trial.description.empty()) {
            p.text(kTrial, "DESCRIPTION", trial.description);
        }
        p.text(kManufacturer, "COMPANY", "hoplab");
        if (!trial.software.empty()) {
            p.text(kManufacturer, "SOFTWARE", trial.software);
        }
        return p.section();
    };
    Sink section = build(0);
    const std::size_t data_block = 2 + section.size() / kBlock;
    section = build(data_block);

    Sink out;
    out.u8(2);  // the parameter section starts in block 2
    out.u8(0x50);
    out.u16(0);                                                 // 3-D points
    out.u16(static_cast<std::uint16_t>(channels * per_frame));  // analog values per frame
    out.u16(1);                                                 // first frame
    out.u16(static_cast<std::uint16_t>(frames));                // last frame
    out.u16(0);                                                 // maximum interpolation gap
    out.f32(-1.0);                                              // negative scale: float storage
    out.u16(static_cast<std::uint16_t>(data_block));
    out.u16(static_cast<std::uint16_t>(per_frame));
    out.f32(frame_rate_hz);
    out.pad_to_block();
    out.bytes().insert(out.bytes().end(), section.bytes().begin(), section.bytes().end());
    for (std::size_t s = 0; s < samples; ++s) {
        for (const auto& plate : trial.plates) {
            // hoplab's z-up frame to the C3D plate's z-down frame: a half turn about x.
            const auto& w = plate.wrenches[s];
            for (double value : {w.fx_n, -w.fy_n, -w.fz_n, w.mx_nm, -w.my_nm, -w.mz_nm}) {
                out.f32(value);
            }
        }
    }
    out.pad_to_block();
    return std::move(out.bytes());
}

void write_c3d(const std::filesystem::path& path, const C3dExport& trial) {
    const auto bytes = c3d_bytes(trial);
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    if (!file) {
        throw C3dError(path.string() + ": cannot create the file");
    }
    file.write(reinterpret_cast<const char*>(bytes.data()),
               static_cast<std::streamsize>(bytes.size()));
    if (!file.flush()) {
        throw C3dError(path.string() + ": write failed");
    }
}

}  // namespace hoplab::interchange
