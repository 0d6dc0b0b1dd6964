#include <hoplab/processing/butterworth.hpp>
#include <hoplab/processing/spectrum.hpp>

#include <fftw3.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <mutex>
#include <numbers>
#include <stdexcept>
#include <string>

namespace hoplab::processing {
namespace {

std::mutex& planner_mutex() {
    static std::mutex mutex;
    return mutex;
}

struct FftwFree {
    void operator()(void* p) const { fftw_free(p); }
};

// Real-to-complex transform of one size with its own aligned buffers.
class RealFft {
  public:
    explicit RealFft(std::size_t n)
        : n_(n),
          in_(static_cast<double*>(fftw_malloc(sizeof(double) * n))),
          out_(static_cast<fftw_complex*>(fftw_malloc(sizeof(fftw_complex) * (n / 2 + 1)))) {
        if (!in_ || !out_)
            throw std::bad_alloc();
        const std::lock_guard lock(planner_mutex());
        plan_ = fftw_plan_dft_r2c_1d(static_cast<int>(n), in_.get(), out_.get(), FFTW_ESTIMATE);
        if (!plan_)
            throw std::runtime_error("FFTW could not plan a transform of " + std::to_string(n) +
                                     " samples");
    }
    RealFft(const RealFft&) = delete;
    RealFft& operator=(const RealFft&) = delete;
    ~RealFft() {
        const std::lock_guard lock(planner_mutex());
        fftw_destroy_plan(plan_);
    }
    [[nodiscard]] std::span<double> input() { return {in_.get(), n_}; }
    // |X_k|² for k = 0..n/2 after executing on input().
    void power(std::span<double> out) {
        fftw_execute(plan_);
        for (std::size_t k = 0; k < out.size(); ++k)
            out[k] = out_.get()[k][0] * out_.get()[k][0] + out_.get()[k][1] * out_.get()[k][1];
    }

  private:
    std::size_t n_;
    std::unique_ptr<double, FftwFree> in_;
    std::unique_ptr<fftw_complex, FftwFree> out_;
    fftw_plan plan_ = nullptr;
};

}  // namespace

PowerSpectrum welch_psd(std::span<const double> x, double fs,
                        std::optional<std::size_t> segment_samples) {
    if (!(fs > 0) || !std::isfinite(fs)) {
        throw std::invalid_argument("Welch spectrum: sample rate must be positive, not " +
                                    std::to_string(fs) + " Hz");
    }
    if (x.size() < 8) {
        throw std::invalid_argument("Welch spectrum: need at least 8 samples, got " +
                                    std::to_string(x.size()));
    }
    if (!std::all_of(x.begin(), x.end(), [](double v) { return std::isfinite(v); })) {
        throw std::invalid_argument("Welch spectrum: the signal holds a non-finite sample");
    }
    std::size_t n = 1;
    while (static_cast<double>(n) < fs)
        n *= 2;
    n = std::min(segment_samples.value_or(n), x.size());
    if (n < 8) {
        throw std::invalid_argument("Welch spectrum: segment of " + std::to_string(n) +
                                    " samples is shorter than 8");
    }
    const std::size_t step = n - n / 2;
    const std::size_t segments = (x.size() - n) / step + 1;
    std::vector<double> window(n);
    double window_power = 0;
    for (std::size_t k = 0; k < n; ++k) {
        window[k] = 0.5 - 0.5 * std::cos(2.0 * std::numbers::pi * static_cast<double>(k) /
                                         static_cast<double>(n));
        window_power += window[k] * window[k];
    }
    RealFft fft(n);
    const std::size_t bins = n / 2 + 1;
    std::vector<double> power(bins), sum(bins, 0.0);
    for (std::size_t s = 0; s < segments; ++s) {
        const auto segment = x.subspan(s * step, n);
        double mean = 0;
        for (double v : segment)
            mean += v;
        mean /= static_cast<double>(n);
        auto in = fft.input();
        for (std::size_t k = 0; k < n; ++k)
            in[k] = (segment[k] - mean) * window[k];
        fft.power(power);
        for (std::size_t k = 0; k < bins; ++k)
            sum[k] += power[k];
    }
    PowerSpectrum out;
    out.segment_samples = n;
    out.segments = segments;
    out.frequency_hz.resize(bins);
    out.density.resize(bins);
    const double scale = 1.0 / (fs * window_power * static_cast<double>(segments));
    for (std::size_t k = 0; k < bins; ++k) {
        const bool unpaired = k == 0 || (n % 2 == 0 && k == n / 2);
        out.frequency_hz[k] = static_cast<double>(k) * fs / static_cast<double>(n);
        out.density[k] = sum[k] * scale * (unpaired ? 1.0 : 2.0);
    }
    return out;
}

ResidualAnalysis residual_analysis(std::span<const double> x, double fs, double min_cutoff_hz,
                                   double step_hz, std::optional<double> fit_from_hz) {
    if (!(fs > 0) || !(min_cutoff_hz > 0) || !(step_hz > 0) || !(min_cutoff_hz < 0.45 * fs)) {
        throw std::invalid_argument(
            "residual analysis: need a positive rate, step and a first cutoff below 0.45 × " +
            std::to_string(fs) + " Hz");
    }
    ResidualAnalysis out;
    std::vector<double> y(x.size());
    for (double fc = min_cutoff_hz; fc < 0.45 * fs; fc += step_hz) {
        ZeroPhaseFilter filter(butterworth_lowpass(2, fc, fs));
        filter.apply(x, y);
        double sq = 0;
        for (std::size_t k = 0; k < x.size(); ++k)
            sq += (x[k] - y[k]) * (x[k] - y[k]);
        out.cutoff_hz.push_back(fc);
        out.residual_n.push_back(std::sqrt(sq / static_cast<double>(x.size())));
    }
    const std::size_t count = out.cutoff_hz.size();
    out.fit_from_hz = fit_from_hz.value_or(out.cutoff_hz[count / 2]);
    double sx = 0, sy = 0, sxx = 0, sxy = 0, m = 0;
    for (std::size_t i = 0; i < count; ++i) {
        if (out.cutoff_hz[i] < out.fit_from_hz)
            continue;
        sx += out.cutoff_hz[i];
        sy += out.residual_n[i];
        sxx += out.cutoff_hz[i] * out.cutoff_hz[i];
        sxy += out.cutoff_hz[i] * out.residual_n[i];
        m += 1;
    }
    if (m < 2) {
        throw std::invalid_argument(
            "residual analysis: fewer than 2 cutoffs at or above fit_from_hz " +
            std::to_string(out.fit_from_hz) + " Hz");
    }
    const double slope = (m * sxy - sx * sy) / (m * sxx - sx * sx);
    out.noise_rms_n = (sy - slope * sx) / m;
    for (std::size_t i = 0; i < count; ++i) {
        if (out.residual_n[i] <= out.noise_rms_n) {
            if (i == 0) {
                out.suggested_cutoff_hz = out.cutoff_hz[0];
            } else {
                const double r0 = out.residual_n[i - 1];
                const double r1 = out.residual_n[i];
                out.suggested_cutoff_hz =
                    out.cutoff_hz[i - 1] +
                    (r0 - out.noise_rms_n) / (r0 - r1) * (out.cutoff_hz[i] - out.cutoff_hz[i - 1]);
            }
            break;
        }
    }
    return out;
}

}  // namespace hoplab::processing
