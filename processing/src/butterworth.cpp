#include <hoplab/processing/butterworth.hpp>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>
#include <string>

namespace hoplab::processing {

Biquad butterworth_lowpass2(double cutoff_hz, double sample_rate_hz) {
    if (!(sample_rate_hz > 0) || !(cutoff_hz > 0) || !(cutoff_hz < 0.45 * sample_rate_hz)) {
        throw std::invalid_argument("Butterworth low-pass: cutoff " + std::to_string(cutoff_hz) +
                                    " Hz must lie between 0 and 0.45 × the sample rate (" +
                                    std::to_string(sample_rate_hz) + " Hz)");
    }
    const double k = std::tan(std::numbers::pi * cutoff_hz / sample_rate_hz);
    const double norm = 1.0 / (1.0 + std::numbers::sqrt2 * k + k * k);
    Biquad s;
    s.b0 = k * k * norm;
    s.b1 = 2.0 * s.b0;
    s.b2 = s.b0;
    s.a1 = 2.0 * (k * k - 1.0) * norm;
    s.a2 = (1.0 - std::numbers::sqrt2 * k + k * k) * norm;
    return s;
}

namespace {

// Runs the section over `x` in place, starting from the state a constant input x0 would have reached.
void run(const Biquad& s, std::vector<double>& x, double x0) {
    const double gain = (s.b0 + s.b1 + s.b2) / (1.0 + s.a1 + s.a2);
    // Steady state of the transposed direct form II for a unit step (scipy's sosfilt_zi), scaled by x0.
    double z1 = (gain - s.b0) * x0;
    double z2 = (s.b2 - s.a2 * gain) * x0;
    for (double& v : x) {
        const double in = v;
        const double out = s.b0 * in + z1;
        z1 = s.b1 * in - s.a1 * out + z2;
        z2 = s.b2 * in - s.a2 * out;
        v = out;
    }
}

}  // namespace

std::vector<double> filtfilt(const Biquad& section, std::span<const double> x) {
    constexpr std::size_t kPad = 9;
    if (x.size() <= kPad) {
        throw std::invalid_argument("zero-phase filter: the signal has " + std::to_string(x.size()) +
                                    " samples; it must be longer than the 9-sample edge padding");
    }
    std::vector<double> ext(x.size() + 2 * kPad);
    const std::size_t n = x.size();
    for (std::size_t k = 0; k < n; ++k) {
        if (!std::isfinite(x[k])) {
            throw std::invalid_argument("zero-phase filter: sample " + std::to_string(k) + " is not finite");
        }
        ext[kPad + k] = x[k];
    }
    for (std::size_t k = 1; k <= kPad; ++k) {
        ext[kPad - k] = 2.0 * x[0] - x[k];
        ext[kPad + n - 1 + k] = 2.0 * x[n - 1] - x[n - 1 - k];
    }
    run(section, ext, ext.front());
    std::reverse(ext.begin(), ext.end());
    run(section, ext, ext.front());
    std::reverse(ext.begin(), ext.end());
    return std::vector<double>(ext.begin() + kPad, ext.begin() + static_cast<std::ptrdiff_t>(kPad + n));
}

}  // namespace hoplab::processing
