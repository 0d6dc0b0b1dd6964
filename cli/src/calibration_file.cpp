#include <hoplab/cli/calibration_file.hpp>

#include <fmt/format.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace hoplab::cli {

calibration::PlateCalibration read_calibration_file(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        throw std::runtime_error(
            fmt::format("{}: cannot open the calibration file", file.string()));
    }
    std::ostringstream text;
    text << in.rdbuf();
    return calibration::PlateCalibration::from_toml(text.str(), file.string());
}

}  // namespace hoplab::cli
