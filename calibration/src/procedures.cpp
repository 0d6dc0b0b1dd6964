#include <hoplab/calibration/procedures.hpp>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace hoplab::calibration {
namespace {

std::string format_value(double value, int decimals) {
    std::ostringstream text;
    text.setf(std::ios::fixed);
    text.precision(decimals);
    text << value;
    return text.str();
}

}  // namespace

TareOutcome tare(const PlateCalibration& calibration, std::span<const double> raw, double sample_rate_hz,
                 const TareLimits& limits) {
    const std::size_t channels = calibration.channel_count();
    if (!(sample_rate_hz > 0)) {
        throw std::invalid_argument("tare: sample rate must be positive");
    }
    if (raw.empty() || raw.size() % channels != 0) {
        throw std::invalid_argument("tare: the window must hold whole samples of " + std::to_string(channels) +
                                    " channels");
    }
    const std::size_t n = raw.size() / channels;
    TareOutcome outcome;
    if (static_cast<double>(n) < limits.min_window_s * sample_rate_hz) {
        outcome.refusal = "window of " + format_value(static_cast<double>(n) / sample_rate_hz, 2) +
                          " s is shorter than " + format_value(limits.min_window_s, 2) + " s";
        return outcome;
    }
    std::vector<double> mean(channels, 0.0), sd(channels, 0.0);
    for (std::size_t s = 0; s < n; ++s) {
        for (std::size_t c = 0; c < channels; ++c) {
            mean[c] += raw[s * channels + c];
        }
    }
    for (double& m : mean) {
        m /= static_cast<double>(n);
    }
    // Fz of every sample with the new zero: its SD and linear slope tell a quiet empty plate from a loaded one.
    const auto tared = calibration.with_offsets(mean);
    double fz_sum = 0, fz_sq = 0, t_fz = 0, t_sum = 0, t_sq = 0;
    for (std::size_t s = 0; s < n; ++s) {
        for (std::size_t c = 0; c < channels; ++c) {
            const double d = raw[s * channels + c] - mean[c];
            sd[c] += d * d;
        }
        const double fz = tared.to_wrench(raw.subspan(s * channels, channels)).fz_n;
        const double t = static_cast<double>(s) / sample_rate_hz;
        fz_sum += fz;
        fz_sq += fz * fz;
        t_fz += t * fz;
        t_sum += t;
        t_sq += t * t;
    }
    const auto nd = static_cast<double>(n);
    for (double& v : sd) {
        v = std::sqrt(v / (nd - 1));
    }
    const double fz_sd = std::sqrt(std::max(0.0, (fz_sq - fz_sum * fz_sum / nd) / (nd - 1)));
    const double slope = (nd * t_fz - t_sum * fz_sum) / (nd * t_sq - t_sum * t_sum);
    if (fz_sd > limits.max_fz_noise_sd_n) {
        outcome.refusal = "too noisy or loaded: Fz SD " + format_value(fz_sd, 2) + " N > " +
                          format_value(limits.max_fz_noise_sd_n, 2) + " N (step off the plate)";
        return outcome;
    }
    if (std::abs(slope) > limits.max_fz_drift_n_per_s) {
        outcome.refusal = "drifting: Fz changes by " + format_value(slope, 2) + " N/s (limit " +
                          format_value(limits.max_fz_drift_n_per_s, 2) + " N/s)";
        return outcome;
    }
    const auto previous = calibration.offsets();
    const bool had_zero = std::any_of(previous.begin(), previous.end(), [](double v) { return v != 0.0; });
    if (had_zero) {
        // The same window read through the previous zero: a person standing still shows up as a large Fz.
        const double shift = calibration.to_wrench(mean).fz_n;
        if (std::abs(shift) > limits.max_zero_shift_n) {
            outcome.refusal = "plate loaded: Fz = " + format_value(shift, 1) + " N against the previous zero (limit " +
                              format_value(limits.max_zero_shift_n, 1) + " N)";
            return outcome;
        }
    }
    outcome.calibration = tared;
    outcome.offsets = mean;
    outcome.noise_sd = sd;
    outcome.fz_noise_sd_n = fz_sd;
    return outcome;
}

}  // namespace hoplab::calibration
