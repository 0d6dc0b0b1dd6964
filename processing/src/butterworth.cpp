#include <hoplab/processing/butterworth.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <complex>
#include <numbers>
#include <stdexcept>
#include <string>

namespace hoplab::processing {
namespace {

void check_cutoff(double cutoff_hz, double sample_rate_hz) {
    if (!(sample_rate_hz > 0) || !std::isfinite(sample_rate_hz)) {
        throw std::invalid_argument("low-pass design: sample rate must be positive, not " +
                                    std::to_string(sample_rate_hz) + " Hz");
    }
    if (!(cutoff_hz > 0) || !(cutoff_hz < 0.45 * sample_rate_hz)) {
        throw std::invalid_argument("low-pass design: cutoff " + std::to_string(cutoff_hz) +
                                    " Hz must lie between 0 and 0.45 × the sample rate (" +
                                    std::to_string(sample_rate_hz) + " Hz)");
    }
}

double dc_gain(const Biquad& s) {
    return (s.b0 + s.b1 + s.b2) / (1.0 + s.a1 + s.a2);
}

// scipy.signal.sosfilt_zi: the transposed-direct-form-II state of each section in steady state for
// a unit step at the cascade input (each section sees the DC gain of the ones before it).
std::vector<double> steady_state(std::span<const Biquad> sections) {
    std::vector<double> zi;
    zi.reserve(2 * sections.size());
    double scale = 1.0;
    for (const auto& s : sections) {
        const double gain = dc_gain(s);
        zi.push_back(scale * (gain - s.b0));
        zi.push_back(scale * (s.b2 - s.a2 * gain));
        scale *= gain;
    }
    return zi;
}

void check_sections(std::span<const Biquad> sections) {
    if (sections.empty()) {
        throw std::invalid_argument("IIR filter: the cascade has no sections");
    }
}

// One section over [first, last) of `x` in place, forward (step = +1) or backward (step = −1),
// starting from the steady state `z1`, `z2` scaled by the first sample the pass sees.
void run_forward(const Biquad s, double* x, std::size_t n, double z1, double z2) {
    for (std::size_t k = 0; k < n; ++k) {
        const double in = x[k];
        const double out = s.b0 * in + z1;
        z1 = s.b1 * in - s.a1 * out + z2;
        z2 = s.b2 * in - s.a2 * out;
        x[k] = out;
    }
}

void run_backward(const Biquad s, double* x, std::size_t n, double z1, double z2) {
    for (std::size_t k = n; k-- > 0;) {
        const double in = x[k];
        const double out = s.b0 * in + z1;
        z1 = s.b1 * in - s.a1 * out + z2;
        z2 = s.b2 * in - s.a2 * out;
        x[k] = out;
    }
}

struct LaneStates {
    std::array<double, 4> z1{}, z2{};
};

// One section over four independent buffers in lockstep (step +1 forward, −1 backward from the
// given pointers). The four recursions are independent, so their latencies overlap; coefficients
// and states live in registers.
void run_lanes(const Biquad s, double* p0, double* p1, double* p2, double* p3, std::size_t n,
               std::ptrdiff_t step, LaneStates& z) {
    const double b0 = s.b0, b1 = s.b1, b2 = s.b2, a1 = s.a1, a2 = s.a2;
    double z10 = z.z1[0], z11 = z.z1[1], z12 = z.z1[2], z13 = z.z1[3];
    double z20 = z.z2[0], z21 = z.z2[1], z22 = z.z2[2], z23 = z.z2[3];
    for (std::size_t k = 0; k < n; ++k) {
        const double i0 = *p0, i1 = *p1, i2 = *p2, i3 = *p3;
        const double o0 = b0 * i0 + z10;
        const double o1 = b0 * i1 + z11;
        const double o2 = b0 * i2 + z12;
        const double o3 = b0 * i3 + z13;
        z10 = b1 * i0 - a1 * o0 + z20;
        z11 = b1 * i1 - a1 * o1 + z21;
        z12 = b1 * i2 - a1 * o2 + z22;
        z13 = b1 * i3 - a1 * o3 + z23;
        z20 = b2 * i0 - a2 * o0;
        z21 = b2 * i1 - a2 * o1;
        z22 = b2 * i2 - a2 * o2;
        z23 = b2 * i3 - a2 * o3;
        *p0 = o0;
        *p1 = o1;
        *p2 = o2;
        *p3 = o3;
        p0 += step;
        p1 += step;
        p2 += step;
        p3 += step;
    }
    z.z1 = {z10, z11, z12, z13};
    z.z2 = {z20, z21, z22, z23};
}

// Largest pole magnitude of the cascade (roots of z² + a1·z + a2).
double largest_pole_radius(std::span<const Biquad> sections) {
    double radius = 0.0;
    for (const auto& s : sections) {
        const std::complex<double> disc =
            std::sqrt(std::complex<double>(s.a1 * s.a1 - 4.0 * s.a2, 0.0));
        radius = std::max({radius, std::abs((-s.a1 + disc) / 2.0), std::abs((-s.a1 - disc) / 2.0)});
    }
    return radius;
}

}  // namespace

std::vector<Biquad> butterworth_lowpass(int order, double cutoff_hz, double sample_rate_hz) {
    check_cutoff(cutoff_hz, sample_rate_hz);
    if (order < 1 || order > 12) {
        throw std::invalid_argument("Butterworth low-pass: order " + std::to_string(order) +
                                    " is outside 1..12");
    }
    // Analog prototype poles −exp(iπm/(2N)), m = −N+1, −N+3, …; pre-warped to tan(π·fc/fs) and
    // mapped by z = (1 + s)/(1 − s). Conjugate pairs give sections with a double zero at z = −1; an
    // odd order adds the real pole as a first-order section.
    const double warped = std::tan(std::numbers::pi * cutoff_hz / sample_rate_hz);
    std::vector<Biquad> sections;
    for (int m = -order + 1; m < 0; m += 2) {
        const std::complex<double> analog =
            -std::exp(std::complex<double>(0.0, std::numbers::pi * m / (2.0 * order))) * warped;
        const std::complex<double> pole = (1.0 + analog) / (1.0 - analog);
        Biquad s;
        s.a1 = -2.0 * pole.real();
        s.a2 = std::norm(pole);
        const double g = (1.0 + s.a1 + s.a2) / 4.0;
        s.b0 = g;
        s.b1 = 2.0 * g;
        s.b2 = g;
        sections.push_back(s);
    }
    if (order % 2 == 1) {
        const double pole = (1.0 - warped) / (1.0 + warped);
        Biquad s;
        s.a1 = -pole;
        const double g = (1.0 + s.a1) / 2.0;
        s.b0 = g;
        s.b1 = g;
        sections.push_back(s);
    }
    // scipy's "nearest" pairing puts the poles closest to the unit circle last.
    std::stable_sort(sections.begin(), sections.end(), [](const Biquad& x, const Biquad& y) {
        return std::abs(x.a2) < std::abs(y.a2);
    });
    return sections;
}

Biquad butterworth_lowpass2(double cutoff_hz, double sample_rate_hz) {
    return butterworth_lowpass(2, cutoff_hz, sample_rate_hz).front();
}

Biquad iir_notch(double notch_hz, double q, double sample_rate_hz) {
    if (!(sample_rate_hz > 0) || !(notch_hz > 0) || !(notch_hz < sample_rate_hz / 2) || !(q > 0)) {
        throw std::invalid_argument("notch design: need 0 < notch " + std::to_string(notch_hz) +
                                    " Hz < half the sample rate (" +
                                    std::to_string(sample_rate_hz) + " Hz) and a positive Q (" +
                                    std::to_string(q) + ")");
    }
    const double w0 = 2.0 * std::numbers::pi * notch_hz / sample_rate_hz;
    const double bandwidth = w0 / q;
    const double gain = 1.0 / (1.0 + std::tan(bandwidth / 2.0));
    Biquad s;
    s.b0 = gain;
    s.b1 = -2.0 * std::cos(w0) * gain;
    s.b2 = gain;
    s.a1 = -2.0 * gain * std::cos(w0);
    s.a2 = 2.0 * gain - 1.0;
    return s;
}

ZeroPhaseFilter::ZeroPhaseFilter(std::vector<Biquad> sections) : sections_(std::move(sections)) {
    check_sections(sections_);
    zi_ = steady_state(sections_);
    const auto first_order_b = std::count_if(sections_.begin(), sections_.end(),
                                             [](const Biquad& s) { return s.b2 == 0.0; });
    const auto first_order_a = std::count_if(sections_.begin(), sections_.end(),
                                             [](const Biquad& s) { return s.a2 == 0.0; });
    pad_ = 3 * (2 * sections_.size() + 1 -
                static_cast<std::size_t>(std::min(first_order_b, first_order_a)));
}

std::size_t ZeroPhaseFilter::settle_samples(double relative_tolerance) const {
    if (!(relative_tolerance > 0) || !(relative_tolerance < 1)) {
        throw std::invalid_argument("settle_samples: relative tolerance must lie in (0, 1), not " +
                                    std::to_string(relative_tolerance));
    }
    const double radius = largest_pole_radius(sections_);
    if (!(radius < 1.0)) {
        throw std::invalid_argument("settle_samples: the filter is not stable (pole radius " +
                                    std::to_string(radius) + ")");
    }
    // Simulate the impulse response well past the point where the slowest pole alone has decayed
    // enough.
    const auto horizon = static_cast<std::size_t>(std::ceil(std::log(relative_tolerance * 1e-6) /
                                                            std::log(std::max(radius, 1e-3)))) +
                         16;
    std::vector<double> h(std::min<std::size_t>(horizon, 10'000'000), 0.0);
    h[0] = 1.0;
    for (const auto& s : sections_) {
        run_forward(s, h.data(), h.size(), 0.0, 0.0);
    }
    double peak = 0.0;
    for (double v : h)
        peak = std::max(peak, std::abs(v));
    std::size_t last = 0;
    for (std::size_t k = 0; k < h.size(); ++k) {
        if (std::abs(h[k]) >= relative_tolerance * peak)
            last = k;
    }
    return last + 1;
}

void ZeroPhaseFilter::apply(std::span<const double> x, std::span<double> out) {
    const std::size_t n = x.size();
    if (n <= pad_) {
        throw std::invalid_argument("zero-phase filter: the signal has " + std::to_string(n) +
                                    " samples; it must be longer than the " + std::to_string(pad_) +
                                    "-sample edge padding");
    }
    if (out.size() != n) {
        throw std::invalid_argument("zero-phase filter: output length " +
                                    std::to_string(out.size()) + " differs from input length " +
                                    std::to_string(n));
    }
    for (std::size_t k = 0; k < n; ++k) {
        if (!std::isfinite(x[k])) {
            throw std::invalid_argument("zero-phase filter: sample " + std::to_string(k) +
                                        " is not finite");
        }
    }
    work_.resize(n + 2 * pad_);
    double* ext = work_.data();
    std::copy(x.begin(), x.end(), ext + pad_);
    for (std::size_t k = 1; k <= pad_; ++k) {
        ext[pad_ - k] = 2.0 * x[0] - x[k];
        ext[pad_ + n - 1 + k] = 2.0 * x[n - 1] - x[n - 1 - k];
    }
    const std::size_t total = work_.size();
    const double first = ext[0];
    for (std::size_t i = 0; i < sections_.size(); ++i) {
        run_forward(sections_[i], ext, total, zi_[2 * i] * first, zi_[2 * i + 1] * first);
    }
    const double last = ext[total - 1];
    for (std::size_t i = 0; i < sections_.size(); ++i) {
        run_backward(sections_[i], ext, total, zi_[2 * i] * last, zi_[2 * i + 1] * last);
    }
    std::copy(ext + pad_, ext + pad_ + n, out.begin());
}

std::vector<double> ZeroPhaseFilter::apply(std::span<const double> x) {
    std::vector<double> out(x.size());
    apply(x, out);
    return out;
}

void ZeroPhaseFilter::apply_many(std::span<const std::span<const double>> inputs,
                                 std::span<const std::span<double>> outputs) {
    if (inputs.size() != outputs.size()) {
        throw std::invalid_argument("zero-phase filter: " + std::to_string(inputs.size()) +
                                    " inputs but " + std::to_string(outputs.size()) + " outputs");
    }
    constexpr std::size_t kLanes = 4;
    std::size_t i = 0;
    for (; i + kLanes <= inputs.size(); i += kLanes) {
        std::array<std::size_t, kLanes> length{}, offset{};
        std::size_t total = 0;
        for (std::size_t l = 0; l < kLanes; ++l) {
            const auto x = inputs[i + l];
            if (x.size() <= pad_ || outputs[i + l].size() != x.size() ||
                !std::all_of(x.begin(), x.end(), [](double v) { return std::isfinite(v); })) {
                apply(x, outputs[i + l]);  // throws the precise error
            }
            offset[l] = total;
            length[l] = x.size() + 2 * pad_;
            total += length[l];
        }
        lanes_work_.resize(total);
        std::array<double*, kLanes> p{};
        for (std::size_t l = 0; l < kLanes; ++l) {
            const auto x = inputs[i + l];
            const std::size_t n = x.size();
            p[l] = lanes_work_.data() + offset[l];
            std::copy(x.begin(), x.end(), p[l] + pad_);
            for (std::size_t k = 1; k <= pad_; ++k) {
                p[l][pad_ - k] = 2.0 * x[0] - x[k];
                p[l][pad_ + n - 1 + k] = 2.0 * x[n - 1] - x[n - 1 - k];
            }
        }
        const std::size_t common = *std::min_element(length.begin(), length.end());
        for (std::size_t sec = 0; sec < sections_.size(); ++sec) {
            const Biquad s = sections_[sec];
            LaneStates z;
            for (std::size_t l = 0; l < kLanes; ++l) {
                z.z1[l] = zi_[2 * sec] * p[l][0];
                z.z2[l] = zi_[2 * sec + 1] * p[l][0];
            }
            run_lanes(s, p[0], p[1], p[2], p[3], common, 1, z);
            for (std::size_t l = 0; l < kLanes; ++l) {
                run_forward(s, p[l] + common, length[l] - common, z.z1[l], z.z2[l]);
            }
        }
        for (std::size_t sec = 0; sec < sections_.size(); ++sec) {
            const Biquad s = sections_[sec];
            LaneStates z;
            for (std::size_t l = 0; l < kLanes; ++l) {
                z.z1[l] = zi_[2 * sec] * p[l][length[l] - 1];
                z.z2[l] = zi_[2 * sec + 1] * p[l][length[l] - 1];
            }
            run_lanes(s, p[0] + length[0] - 1, p[1] + length[1] - 1, p[2] + length[2] - 1,
                      p[3] + length[3] - 1, common, -1, z);
            for (std::size_t l = 0; l < kLanes; ++l) {
                run_backward(s, p[l], length[l] - common, z.z1[l], z.z2[l]);
            }
        }
        for (std::size_t l = 0; l < kLanes; ++l) {
            std::copy(p[l] + pad_, p[l] + pad_ + inputs[i + l].size(), outputs[i + l].begin());
        }
    }
    for (; i < inputs.size(); ++i) {
        apply(inputs[i], outputs[i]);
    }
}

std::vector<double> filtfilt(std::span<const Biquad> sections, std::span<const double> x) {
    return ZeroPhaseFilter(std::vector<Biquad>(sections.begin(), sections.end())).apply(x);
}

std::vector<double> filtfilt(const Biquad& section, std::span<const double> x) {
    return filtfilt(std::span<const Biquad>(&section, 1), x);
}

CausalFilter::CausalFilter(std::vector<Biquad> sections)
    : sections_(std::move(sections)), state_(2 * sections_.size(), 0.0) {
    check_sections(sections_);
    zi_ = steady_state(sections_);
}

void CausalFilter::reset(double level) {
    for (std::size_t i = 0; i < state_.size(); ++i)
        state_[i] = zi_[i] * level;
}

double CausalFilter::step(double x) {
    double v = x;
    for (std::size_t i = 0; i < sections_.size(); ++i) {
        const Biquad& s = sections_[i];
        double& z1 = state_[2 * i];
        double& z2 = state_[2 * i + 1];
        const double out = s.b0 * v + z1;
        z1 = s.b1 * v - s.a1 * out + z2;
        z2 = s.b2 * v - s.a2 * out;
        v = out;
    }
    return v;
}

void CausalFilter::process(std::span<const double> in, std::span<double> out) {
    if (in.size() != out.size()) {
        throw std::invalid_argument("causal filter: output length " + std::to_string(out.size()) +
                                    " differs from input length " + std::to_string(in.size()));
    }
    for (std::size_t k = 0; k < in.size(); ++k)
        out[k] = step(in[k]);
}

}  // namespace hoplab::processing
