#pragma once

// C3D reader (devices-protocols-formats.md §4): header, parameter section and analog data in Intel,
// DEC and MIPS processor formats, integer or float storage, and FORCE_PLATFORM TYPES 1–4.

#include <hoplab/calibration/plate_calibration.hpp>

#include <array>
#include <cstddef>
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace hoplab::interchange {

// A file that cannot be read: the message names the file, the section or parameter and the byte
// offset.
class C3dError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

enum class C3dProcessor { intel, dec, mips };

struct C3dParameter {
    int type = 0;                 // −1 char, 1 byte, 2 int16, 4 float
    std::vector<int> dimensions;  // first index fastest; empty for a scalar
    std::vector<double> numbers;  // the values of a numeric parameter, in stored order
    std::vector<std::string>
        text;  // a char parameter split by its first dimension, trailing blanks removed
};

// One force platform: the wrench in the plate's own frame exactly as the vendor defines it (for
// AMTI/Bertec TYPE-2/4 and Kistler TYPE-3: z down into the plate; in every shared sample a standing
// subject gives Fz < 0, so a z-up, load-positive frame is a half turn about x), forces in N and
// moments in N·m about the transducer origin; COP in metres in that frame, relative to the plate
// origin (subtract origin_m's x and y for the surface centre). TYPE-1
// moments are rebuilt from its COP channels with METHODS §6.1.
struct C3dForcePlate {
    int type = 0;
    std::array<double, 12> corners_m{};  // lab frame, corners 1–4 × (x, y, z)
    std::array<double, 3>
        origin_m{};  // FORCE_PLATFORM:ORIGIN in metres (TYPE-3: a, b, az0); a positive z is negated
    std::vector<int> channels;  // 1-based ANALOG channel numbers
    std::optional<std::array<double, 36>>
        cal_matrix;  // TYPE-4, row-major as applied: wrench = C · channels
    std::vector<calibration::Wrench> wrenches;  // one per analog sample
};

class C3dFile {
  public:
    // Throws C3dError (file, section/parameter, byte offset) for a truncated file, a bad parameter
    // block, a missing required parameter or an unsupported plate type.
    static C3dFile read(const std::filesystem::path& path);
    static C3dFile parse(std::span<const unsigned char> bytes, std::string_view file_name);

    C3dProcessor processor() const { return processor_; }
    double point_rate_hz() const { return point_rate_hz_; }
    double analog_rate_hz() const {
        return analog_rate_hz_;
    }  // ANALOG:RATE, or header rate × samples per frame
    std::size_t analog_channel_count() const { return analog_labels_.size(); }
    std::size_t analog_sample_count() const { return analog_sample_count_; }
    const std::vector<std::string>& analog_labels() const { return analog_labels_; }
    // Scaled values of a 0-based channel: (stored − OFFSET) × SCALE × GEN_SCALE, in ANALOG:UNITS.
    std::vector<double> analog(std::size_t channel) const;
    // nullptr when the group or parameter is absent.
    const C3dParameter* parameter(const std::string& group, const std::string& name) const;
    const std::vector<C3dForcePlate>& force_plates() const { return plates_; }

  private:
    std::string file_name_;
    C3dProcessor processor_ = C3dProcessor::intel;
    double point_rate_hz_ = 0;
    double analog_rate_hz_ = 0;
    std::size_t analog_sample_count_ = 0;
    std::vector<std::string> analog_labels_;
    std::vector<double> analog_;  // scaled, sample-major: analog_sample_count_ × channel count
    std::map<std::string, C3dParameter> parameters_;  // key "GROUP:NAME", upper case
    std::vector<C3dForcePlate> plates_;
};

// COP of one plate sample (METHODS §6.1 with z_s = origin_m z, or az0 for TYPE-3), in the plate
// frame relative to the plate origin; nullopt when |Fz| < threshold_n.
std::optional<calibration::CentreOfPressure> centre_of_pressure(const C3dForcePlate& plate,
                                                                std::size_t sample,
                                                                double threshold_n);

}  // namespace hoplab::interchange
