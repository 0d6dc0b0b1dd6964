#include "test_session.hpp"

#include <unistd.h>
#include <cmath>
#include <limits>
#include <random>

namespace hoplab::recording::testing {

ScratchDir::ScratchDir() {
    std::random_device seed;
    path_ = std::filesystem::temp_directory_path() /
            ("hoplab-recording-test-" + std::to_string(::getpid()) + "-" + std::to_string(seed()));
    std::filesystem::create_directories(path_);
}

ScratchDir::~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
}

SessionInfo make_session() {
    SessionInfo session;
    session.athlete.id = "athlete-007";
    session.athlete.mass_kg = 71.25;
    session.athlete.involved_limb = processing::Limb::left;
    session.athlete.notes = "ACL reconstruction, 6 months";
    session.operator_name = "R. Physio";
    session.lab = "Movement lab 2";
    session.notes = "pre-return-to-sport";
    session.created_utc = "2026-11-23T01:30:00.000Z";
    return session;
}

std::vector<DeviceInfo> make_devices(RawFormat format) {
    std::vector<DeviceInfo> devices(2);
    const char* names[] = {"left", "right"};
    for (std::size_t i = 0; i < devices.size(); ++i) {
        devices[i].name = names[i];
        devices[i].model = "SIM-6";
        devices[i].serial = "SN-" + std::to_string(100 + i);
        devices[i].transport = "tcp";
        devices[i].rate_hz = 1000.0;
        devices[i].channel_names = {"fx", "fy", "fz", "mx", "my", "mz"};
        devices[i].raw_format = format;
        devices[i].limb = i == 0 ? processing::Limb::left : processing::Limb::right;
        devices[i].calibration = calibration::PlateCalibration::six_channel_diagonal(
            devices[i].serial, {0.01, 0.01, 0.02, 0.001, 0.001, 0.0005},
            {12.0 + static_cast<double>(i), -3.0, 250.0, 0.0, 1.0, -2.0}, -0.040);
    }
    return devices;
}

std::int32_t raw_count(std::size_t device, std::uint64_t sample, std::size_t channel) {
    // Every 97th sample of channel 0 is an extreme value; the rest a mix of signs and magnitudes.
    if (channel == 0 && sample % 97 == 0) {
        return sample % 194 == 0 ? std::numeric_limits<std::int32_t>::min()
                                 : std::numeric_limits<std::int32_t>::max();
    }
    const std::uint64_t mixed = (sample + 1) * 2654435761ULL + channel * 40503ULL + device * 977ULL;
    return static_cast<std::int32_t>(static_cast<std::int64_t>(mixed % 16777216ULL) - 8388608);
}

std::vector<std::int32_t> raw_counts(std::size_t device, std::uint64_t first, std::size_t n,
                                     std::size_t channels) {
    std::vector<std::int32_t> values;
    values.reserve(n * channels);
    for (std::size_t k = 0; k < n; ++k) {
        for (std::size_t c = 0; c < channels; ++c) {
            values.push_back(raw_count(device, first + k, c));
        }
    }
    return values;
}

std::vector<float> raw_volts(std::size_t device, std::uint64_t first, std::size_t n,
                             std::size_t channels) {
    std::vector<float> values;
    values.reserve(n * channels);
    for (std::size_t k = 0; k < n; ++k) {
        for (std::size_t c = 0; c < channels; ++c) {
            values.push_back(static_cast<float>(raw_count(device, first + k, c)) * 1.1920929e-7F);
        }
    }
    return values;
}

std::vector<calibration::Wrench> trial_wrenches(std::size_t device, std::uint64_t first,
                                                std::size_t n) {
    std::vector<calibration::Wrench> out;
    out.reserve(n);
    for (std::size_t k = 0; k < n; ++k) {
        const double t = static_cast<double>(first + k) / 1000.0;
        const double phase =
            std::sin(2.0 * 3.141592653589793 * 1.7 * t + static_cast<double>(device));
        const double fz = phase > 0.0 ? 1500.0 * phase : 0.0;  // half the time in the air
        out.push_back(calibration::Wrench{12.5 * phase, -3.25 * phase, fz, 0.05 * fz * phase,
                                          -0.1 * fz, 0.7 * phase});
    }
    return out;
}

}  // namespace hoplab::recording::testing
