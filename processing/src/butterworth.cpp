#include <hoplab/processing/butterworth.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <complex>
#include <cstring>
#include <limits>
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

// Signals filtered side by side by apply_many: their recursions are independent, so a group this
// wide hides the add/multiply latency of the recursion and fills the vector units.
constexpr std::size_t kLanes = 16;

// Four lanes of doubles (GCC vector extension; two SSE2 registers without AVX).
using Lanes4 = double __attribute__((vector_size(4 * sizeof(double))));
constexpr std::size_t kVectors = kLanes / 4;

// One section over `rows` rows of an interleaved buffer (a row holds one sample of each of kLanes
// signals), from `x` forward (direction +1) or backward (−1) row by row, starting from and leaving
// the per-lane states z1, z2. Per lane the arithmetic is run_forward's, operation for operation (no
// contraction into FMA: the AVX2 clone does not enable it), so the results are bit-identical to
// filtering each signal alone.
__attribute__((target_clones("avx2", "default"))) void run_interleaved(
    const Biquad s, double* x, std::size_t rows, std::array<double, kLanes>& z1_lanes,
    std::array<double, kLanes>& z2_lanes, std::ptrdiff_t direction) {
    const Lanes4 b0 = {s.b0, s.b0, s.b0, s.b0}, b1 = {s.b1, s.b1, s.b1, s.b1},
                 b2 = {s.b2, s.b2, s.b2, s.b2}, a1 = {s.a1, s.a1, s.a1, s.a1},
                 a2 = {s.a2, s.a2, s.a2, s.a2};
    std::array<Lanes4, kVectors> z1, z2;
    std::memcpy(z1.data(), z1_lanes.data(), sizeof z1);
    std::memcpy(z2.data(), z2_lanes.data(), sizeof z2);
    const std::ptrdiff_t step = direction * static_cast<std::ptrdiff_t>(kLanes);
    for (std::size_t k = 0; k < rows; ++k) {
        double* row = x + static_cast<std::ptrdiff_t>(k) * step;
        for (std::size_t v = 0; v < kVectors; ++v) {
            Lanes4 in;
            std::memcpy(&in, row + 4 * v, sizeof in);
            const Lanes4 out = b0 * in + z1[v];
            z1[v] = b1 * in - a1 * out + z2[v];
            z2[v] = b2 * in - a2 * out;
            std::memcpy(row + 4 * v, &out, sizeof out);
        }
    }
    std::memcpy(z1_lanes.data(), z1.data(), sizeof z1);
    std::memcpy(z2_lanes.data(), z2.data(), sizeof z2);
}

// run_interleaved's forward pass for rows whose input is read straight from each lane's own
// signal (lane l's row k is src[l][k]) instead of from the buffer, written to the rows of `x`.
// The same arithmetic as run_interleaved, so the results are bit-identical. A non-finite input
// leaves its lane's state non-finite for good (NaN and ±inf propagate through the recursion), so
// the caller checks the final states rather than every sample (no registers spent on a check). Each
// lane's signal is prefetched a few cache lines ahead: sixteen streams are more than the hardware
// prefetcher follows.
__attribute__((target_clones("avx2", "default"))) void run_forward_gathered(
    const Biquad s, const std::array<const double*, kLanes>& src, double* x, std::size_t rows,
    std::array<double, kLanes>& z1_lanes, std::array<double, kLanes>& z2_lanes) {
    constexpr std::size_t kPrefetchSamples = 64;
    constexpr std::size_t kLineSamples = 8;
    const Lanes4 b0 = {s.b0, s.b0, s.b0, s.b0}, b1 = {s.b1, s.b1, s.b1, s.b1},
                 b2 = {s.b2, s.b2, s.b2, s.b2}, a1 = {s.a1, s.a1, s.a1, s.a1},
                 a2 = {s.a2, s.a2, s.a2, s.a2};
    std::array<Lanes4, kVectors> z1, z2;
    std::memcpy(z1.data(), z1_lanes.data(), sizeof z1);
    std::memcpy(z2.data(), z2_lanes.data(), sizeof z2);
    for (std::size_t k = 0; k < rows; ++k) {
        if (k % kLineSamples == 0 && k + kPrefetchSamples < rows) {
            for (std::size_t l = 0; l < kLanes; ++l)
                __builtin_prefetch(src[l] + k + kPrefetchSamples);
        }
        double* row = x + k * kLanes;
        for (std::size_t v = 0; v < kVectors; ++v) {
            const Lanes4 in = {src[4 * v][k], src[4 * v + 1][k], src[4 * v + 2][k],
                               src[4 * v + 3][k]};
            const Lanes4 out = b0 * in + z1[v];
            z1[v] = b1 * in - a1 * out + z2[v];
            z2[v] = b2 * in - a2 * out;
            std::memcpy(row + 4 * v, &out, sizeof out);
        }
    }
    std::memcpy(z1_lanes.data(), z1.data(), sizeof z1);
    std::memcpy(z2_lanes.data(), z2.data(), sizeof z2);
}

// run_interleaved's backward pass over rows top_row, top_row − 1, … (`rows` of them) of the
// buffer `x`, writing each output row straight to the results instead of back to the buffer: lane
// l < count stores row r as dst[l][r − first_row[l]]. The same arithmetic as run_interleaved.
__attribute__((target_clones("avx2", "default"))) void run_backward_scattered(
    const Biquad s, const double* x, std::size_t top_row, std::size_t rows,
    std::array<double, kLanes>& z1_lanes, std::array<double, kLanes>& z2_lanes,
    const std::array<double*, kLanes>& dst, const std::array<std::size_t, kLanes>& first_row,
    std::size_t count) {
    const Lanes4 b0 = {s.b0, s.b0, s.b0, s.b0}, b1 = {s.b1, s.b1, s.b1, s.b1},
                 b2 = {s.b2, s.b2, s.b2, s.b2}, a1 = {s.a1, s.a1, s.a1, s.a1},
                 a2 = {s.a2, s.a2, s.a2, s.a2};
    std::array<Lanes4, kVectors> z1, z2;
    std::memcpy(z1.data(), z1_lanes.data(), sizeof z1);
    std::memcpy(z2.data(), z2_lanes.data(), sizeof z2);
    for (std::size_t k = 0; k < rows; ++k) {
        const std::size_t r = top_row - k;
        const double* row = x + r * kLanes;
        for (std::size_t v = 0; v < kVectors; ++v) {
            Lanes4 in;
            std::memcpy(&in, row + 4 * v, sizeof in);
            const Lanes4 out = b0 * in + z1[v];
            z1[v] = b1 * in - a1 * out + z2[v];
            z2[v] = b2 * in - a2 * out;
            for (std::size_t j = 0; j < 4 && 4 * v + j < count; ++j)
                dst[4 * v + j][r - first_row[4 * v + j]] = out[j];
        }
    }
    std::memcpy(z1_lanes.data(), z1.data(), sizeof z1);
    std::memcpy(z2_lanes.data(), z2.data(), sizeof z2);
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
    for (std::size_t i = 0; i < std::min(inputs.size(), outputs.size()); ++i) {
        if (outputs[i].size() != inputs[i].size()) {
            throw std::invalid_argument(
                "zero-phase filter: output length " + std::to_string(outputs[i].size()) +
                " differs from input length " + std::to_string(inputs[i].size()));
        }
    }
    const std::vector<std::size_t> keep_from(inputs.size(), 0);
    apply_many(inputs, keep_from, outputs);
}

void ZeroPhaseFilter::apply_many(std::span<const std::span<const double>> inputs,
                                 std::span<const std::size_t> keep_from,
                                 std::span<const std::span<double>> outputs) {
    if (inputs.size() != outputs.size() || keep_from.size() != inputs.size()) {
        throw std::invalid_argument("zero-phase filter: " + std::to_string(inputs.size()) +
                                    " inputs but " + std::to_string(keep_from.size()) +
                                    " first samples to keep and " + std::to_string(outputs.size()) +
                                    " outputs");
    }
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        if (inputs[i].size() <= pad_) {
            throw std::invalid_argument("zero-phase filter: the signal has " +
                                        std::to_string(inputs[i].size()) +
                                        " samples; it must be longer than the " +
                                        std::to_string(pad_) + "-sample edge padding");
        }
        if (keep_from[i] > inputs[i].size() ||
            outputs[i].size() > inputs[i].size() - keep_from[i]) {
            throw std::invalid_argument(
                "zero-phase filter: samples " + std::to_string(keep_from[i]) + " to " +
                std::to_string(keep_from[i] + outputs[i].size()) + " of a " +
                std::to_string(inputs[i].size()) + "-sample signal were asked for");
        }
    }
    const std::size_t pad = pad_;
    for (std::size_t i = 0; i < inputs.size(); i += kLanes) {
        // Lanes past the last input repeat the group's first input; their outputs are dropped.
        const std::size_t count = std::min(kLanes, inputs.size() - i);
        std::array<std::span<const double>, kLanes> x;
        std::array<std::size_t, kLanes> length{};  // odd-extended length
        std::size_t first_kept_row = std::numeric_limits<std::size_t>::max();
        for (std::size_t l = 0; l < kLanes; ++l) {
            const std::size_t input = i + (l < count ? l : 0);
            x[l] = inputs[input];
            length[l] = x[l].size() + 2 * pad;
            first_kept_row = std::min(first_kept_row, pad + keep_from[input]);
        }
        const std::size_t rows = *std::max_element(length.begin(), length.end());
        const std::size_t shortest = *std::min_element(length.begin(), length.end()) - 2 * pad;
        lanes_work_.resize(rows * kLanes);
        double* buffer = lanes_work_.data();
        const auto at = [buffer](std::size_t row, std::size_t lane) -> double& {
            return buffer[row * kLanes + lane];
        };
        // Row k holds sample k of each lane's odd extension (the same extension as apply());
        // rows past a lane's extension repeat its last value (finite; those outputs are dropped).
        // v − v, summed per lane, is 0 only when every sample is finite (checked while copying).
        std::array<double, kLanes> finite{};
        for (std::size_t k = 1; k <= pad; ++k) {
            for (std::size_t l = 0; l < kLanes; ++l)
                at(pad - k, l) = 2.0 * x[l][0] - x[l][k];
        }
        // Forward: the first section reads rows [pad, pad + shortest) straight from the inputs
        // (those buffer rows are only written, never copied in); the rest from the buffer. Rows
        // [0, pad) hold the odd extension at the start.
        std::array<const double*, kLanes> src{};
        std::array<double, kLanes> first{};
        for (std::size_t l = 0; l < kLanes; ++l) {
            src[l] = x[l].data();
            first[l] = at(0, l);
        }
        for (std::size_t sec = 0; sec < sections_.size(); ++sec) {
            std::array<double, kLanes> z1{}, z2{};
            for (std::size_t l = 0; l < kLanes; ++l) {
                z1[l] = zi_[2 * sec] * first[l];
                z2[l] = zi_[2 * sec + 1] * first[l];
            }
            if (sec == 0) {
                run_interleaved(sections_[sec], buffer, pad, z1, z2, 1);
                run_forward_gathered(sections_[sec], src, &at(pad, 0), shortest, z1, z2);
                for (std::size_t l = 0; l < kLanes; ++l) {
                    if (!std::isfinite(z1[l]) || !std::isfinite(z2[l]))
                        finite[l] += 1.0;  // a non-finite sample, or overflow (searched below)
                }
                // The rows past the shortest input, filled now that the gathered pass has brought
                // the inputs' ends into cache.
                for (std::size_t l = 0; l < kLanes; ++l) {
                    const std::size_t n = x[l].size();
                    for (std::size_t k = shortest; k < n; ++k) {
                        const double v = x[l][k];
                        at(pad + k, l) = v;
                        finite[l] += v - v;
                    }
                    for (std::size_t k = 1; k <= pad; ++k)
                        at(pad + n - 1 + k, l) = 2.0 * x[l][n - 1] - x[l][n - 1 - k];
                    for (std::size_t row = length[l]; row < rows; ++row)
                        at(row, l) = at(length[l] - 1, l);
                }
                run_interleaved(sections_[sec], &at(pad + shortest, 0), rows - pad - shortest, z1,
                                z2, 1);
                for (std::size_t l = 0; l < kLanes; ++l) {
                    const auto bad = finite[l] != 0.0
                                         ? std::find_if(x[l].begin(), x[l].end(),
                                                        [](double v) { return !std::isfinite(v); })
                                         : x[l].end();
                    if (bad != x[l].end()) {
                        throw std::invalid_argument("zero-phase filter: sample " +
                                                    std::to_string(bad - x[l].begin()) +
                                                    " is not finite");
                    }
                }
            } else {
                run_interleaved(sections_[sec], buffer, rows, z1, z2, 1);
            }
        }
        // Backward: one sweep from the last row down to the first kept row; a lane's state is set
        // to the steady state of its last sample when the sweep reaches that sample (longest lanes
        // first). The backward output at a row depends only on the rows above it, so the rows
        // below the first kept one are not needed.
        std::array<double, kLanes> last{};
        std::array<std::size_t, kLanes> order{};
        for (std::size_t l = 0; l < kLanes; ++l) {
            last[l] = at(length[l] - 1, l);
            order[l] = l;
        }
        std::stable_sort(order.begin(), order.end(),
                         [&length](std::size_t a, std::size_t b) { return length[a] > length[b]; });
        // Rows kept by every lane get the last section's backward output written straight to the
        // results; the other kept rows are copied out of the buffer lane by lane.
        std::size_t common_begin = 0;
        std::size_t common_end = rows;
        std::array<double*, kLanes> dst{};
        std::array<std::size_t, kLanes> first_row{};
        for (std::size_t l = 0; l < count; ++l) {
            first_row[l] = pad + keep_from[i + l];
            dst[l] = outputs[i + l].data();
            common_begin = std::max(common_begin, first_row[l]);
            common_end = std::min(common_end, first_row[l] + outputs[i + l].size());
        }
        if (common_end <= common_begin) {
            // No row is kept by every lane (the kept ranges do not overlap, or one is empty): the
            // whole last sweep runs in the buffer and every kept row is copied out. Without this,
            // common_begin could lie past the shortest lane's end.
            common_begin = first_kept_row;
            common_end = first_kept_row;
        }
        for (std::size_t sec = 0; sec < sections_.size(); ++sec) {
            std::array<double, kLanes> z1{}, z2{};
            std::size_t top = rows;  // rows [top, rows) are done
            for (const std::size_t l : order) {
                if (length[l] < top) {
                    run_interleaved(sections_[sec], &at(top - 1, 0), top - length[l], z1, z2, -1);
                    top = length[l];
                }
                z1[l] = zi_[2 * sec] * last[l];
                z2[l] = zi_[2 * sec + 1] * last[l];
            }
            if (sec + 1 < sections_.size()) {
                run_interleaved(sections_[sec], &at(top - 1, 0), top - first_kept_row, z1, z2, -1);
                continue;
            }
            // common_end < top: it is first_kept_row, or ends rows kept by every lane, which lie
            // below each lane's extension end.
            run_interleaved(sections_[sec], &at(top - 1, 0), top - common_end, z1, z2, -1);
            if (common_end > common_begin) {
                run_backward_scattered(sections_[sec], buffer, common_end - 1,
                                       common_end - common_begin, z1, z2, dst, first_row, count);
            }
            if (common_begin > first_kept_row) {
                run_interleaved(sections_[sec], &at(common_begin - 1, 0),
                                common_begin - first_kept_row, z1, z2, -1);
            }
        }
        for (std::size_t l = 0; l < count; ++l) {
            const std::span<double> out = outputs[i + l];
            const std::size_t from = pad + keep_from[i + l];
            for (std::size_t row = from; row < std::min(common_begin, from + out.size()); ++row)
                out[row - from] = at(row, l);
            for (std::size_t row = std::max(common_end, from); row < from + out.size(); ++row)
                out[row - from] = at(row, l);
        }
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
