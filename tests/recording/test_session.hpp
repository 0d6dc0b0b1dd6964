#pragma once

// Shared fixtures of the recording tests: a scratch folder, a two-plate session and deterministic
// sample data.

#include <hoplab/recording/session_writer.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace hoplab::recording::testing {

// A fresh folder under the system temp dir, removed with everything in it when the object goes.
class ScratchDir {
  public:
    ScratchDir();
    ~ScratchDir();
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;
    std::filesystem::path file(const std::string& name) const { return path_ / name; }

  private:
    std::filesystem::path path_;
};

SessionInfo make_session();
// "left" and "right": 6 channels fx..mz at 1000 Hz, int32 counts, on the left and right limb.
std::vector<DeviceInfo> make_devices(RawFormat format = RawFormat::int32_counts);

// Deterministic raw values for a device's samples [first, first + n): value(sample, channel) covers
// negative, positive and extreme int32 values so a lossy conversion anywhere shows.
std::vector<std::int32_t> raw_counts(std::size_t device, std::uint64_t first, std::size_t n,
                                     std::size_t channels);
std::vector<float> raw_volts(std::size_t device, std::uint64_t first, std::size_t n,
                             std::size_t channels);
std::int32_t raw_count(std::size_t device, std::uint64_t sample, std::size_t channel);

// Calibrated samples k = first .. first + n of a hop-like trace: Fz goes from 0 N (flight, COP
// undefined) up to about 1500 N, with moments so the COP moves.
std::vector<calibration::Wrench> trial_wrenches(std::size_t device, std::uint64_t first,
                                                std::size_t n);

}  // namespace hoplab::recording::testing
