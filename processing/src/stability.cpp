#include <hoplab/processing/butterworth.hpp>
#include <hoplab/processing/stability.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

namespace hoplab::processing {
namespace {

void check_plate(const PlateKinetics& plate, double sample_rate_hz, const char* who) {
    const std::size_t n = plate.fz_n.size();
    if (plate.fx_n.size() != n || plate.fy_n.size() != n || plate.cop.size() != n) {
        throw std::invalid_argument(std::string(who) +
                                    ": Fx, Fy, Fz and COP spans differ in length");
    }
    if (!(sample_rate_hz > 0) || !std::isfinite(sample_rate_hz)) {
        throw std::invalid_argument(std::string(who) + ": sample rate must be positive, not " +
                                    std::to_string(sample_rate_hz) + " Hz");
    }
}

}  // namespace

std::optional<PosturalStability> dynamic_postural_stability(const PlateKinetics& plate,
                                                            double sample_rate_hz,
                                                            std::size_t touchdown_index,
                                                            double body_weight_n, double window_s) {
    check_plate(plate, sample_rate_hz, "dynamic_postural_stability");
    if (touchdown_index >= plate.fz_n.size()) {
        throw std::invalid_argument("dynamic_postural_stability: touchdown sample " +
                                    std::to_string(touchdown_index) + " is outside the " +
                                    std::to_string(plate.fz_n.size()) + " samples");
    }
    if (!(body_weight_n > 0) || !(window_s > 0)) {
        throw std::invalid_argument(
            "dynamic_postural_stability: body weight and window must be positive");
    }
    const auto n = static_cast<std::size_t>(std::lround(window_s * sample_rate_hz));
    if (touchdown_index + n > plate.fz_n.size()) {
        return std::nullopt;
    }
    double sx = 0, sy = 0, sz = 0;
    for (std::size_t k = touchdown_index; k < touchdown_index + n; ++k) {
        sx += plate.fx_n[k] * plate.fx_n[k];
        sy += plate.fy_n[k] * plate.fy_n[k];
        const double dz = body_weight_n - plate.fz_n[k];
        sz += dz * dz;
    }
    const double count = static_cast<double>(n);
    PosturalStability out;
    out.mlsi = std::sqrt(sx / count) / body_weight_n;
    out.apsi = std::sqrt(sy / count) / body_weight_n;
    out.vsi = std::sqrt(sz / count) / body_weight_n;
    out.dpsi = std::sqrt((sx + sy + sz) / count) / body_weight_n;
    out.window_s = count / sample_rate_hz;
    return out;
}

std::optional<CopPath> cop_path(const PlateKinetics& plate, double sample_rate_hz,
                                std::size_t first, std::size_t last,
                                std::optional<double> cutoff_hz) {
    check_plate(plate, sample_rate_hz, "cop_path");
    if (first >= last) {
        throw std::invalid_argument("cop_path: window [" + std::to_string(first) + ", " +
                                    std::to_string(last) + "] is empty");
    }
    if (last >= plate.fz_n.size()) {
        return std::nullopt;
    }
    const auto window = plate.cop.subspan(first, last - first + 1);
    if (!std::all_of(window.begin(), window.end(), [](const auto& p) { return p.has_value(); })) {
        return std::nullopt;
    }
    // Filter beyond the window, as far as the COP stays defined and up to the filter's settling
    // length, so the window's own edges do not distort it (scipy's odd extension only where the
    // record or the defined COP ends).
    std::size_t lo = first, hi = last + 1;
    std::optional<ZeroPhaseFilter> filter;
    if (cutoff_hz) {
        filter.emplace(butterworth_lowpass(2, *cutoff_hz, sample_rate_hz));
        const std::size_t margin = filter->settle_samples(1e-9);
        while (lo > 0 && first - lo < margin && plate.cop[lo - 1]) {
            --lo;
        }
        while (hi < plate.fz_n.size() && hi - last - 1 < margin && plate.cop[hi]) {
            ++hi;
        }
        if (hi - lo <= filter->pad_samples()) {
            return std::nullopt;
        }
    }
    std::vector<double> x_all(hi - lo), y_all(hi - lo);
    for (std::size_t k = lo; k < hi; ++k) {
        x_all[k - lo] = plate.cop[k]->x_m;
        y_all[k - lo] = plate.cop[k]->y_m;
    }
    if (filter) {
        x_all = filter->apply(x_all);
        y_all = filter->apply(y_all);
    }
    const std::span<const double> x(x_all.data() + (first - lo), last - first + 1);
    const std::span<const double> y(y_all.data() + (first - lo), last - first + 1);
    CopPath out;
    out.start_s = static_cast<double>(first) / sample_rate_hz;
    out.end_s = static_cast<double>(last) / sample_rate_hz;
    for (std::size_t k = 1; k < x.size(); ++k) {
        out.path_length_m += std::hypot(x[k] - x[k - 1], y[k] - y[k - 1]);
    }
    out.mean_speed_m_s = out.path_length_m / (out.end_s - out.start_s);
    const auto [x_min, x_max] = std::minmax_element(x.begin(), x.end());
    const auto [y_min, y_max] = std::minmax_element(y.begin(), y.end());
    out.ml_range_m = *x_max - *x_min;
    out.ap_range_m = *y_max - *y_min;
    return out;
}

std::optional<double> band_time_to_stabilisation(std::span<const double> component_n,
                                                 double reference_n, double band_n,
                                                 double sample_rate_hz, double hold_s) {
    if (component_n.empty() || !(band_n >= 0) || !(hold_s >= 0) || !(sample_rate_hz > 0) ||
        !std::isfinite(sample_rate_hz)) {
        throw std::invalid_argument(
            "band_time_to_stabilisation: needs samples, a band ≥ 0, a hold ≥ 0 and a positive "
            "rate");
    }
    // t* follows the last excursion outside the band; with none, it is the window's first sample.
    std::size_t stable_from = component_n.size();
    while (stable_from > 0 && std::abs(component_n[stable_from - 1] - reference_n) <= band_n) {
        --stable_from;
    }
    const auto in_band = static_cast<double>(component_n.size() - stable_from);
    if (stable_from == component_n.size() || in_band / sample_rate_hz < hold_s) {
        return std::nullopt;
    }
    return static_cast<double>(stable_from) / sample_rate_hz;
}

std::optional<double> resultant_time_to_stabilisation(std::optional<double> ml_s,
                                                      std::optional<double> ap_s,
                                                      std::optional<double> vertical_s) {
    if (!ml_s || !ap_s || !vertical_s) {
        return std::nullopt;
    }
    return std::sqrt(*ml_s * *ml_s + *ap_s * *ap_s + *vertical_s * *vertical_s);
}

std::optional<double> polynomial_time_to_stabilisation(std::span<const double> rectified_n,
                                                       double sample_rate_hz,
                                                       double reference_range_n) {
    if (rectified_n.size() < 4 || !(sample_rate_hz > 0) || !(reference_range_n >= 0)) {
        throw std::invalid_argument(
            "polynomial_time_to_stabilisation: needs ≥ 4 samples, a positive rate and a range ≥ 0");
    }
    // Normal equations in u = k / (n − 1) ∈ [0, 1], which keeps them well conditioned.
    const std::size_t n = rectified_n.size();
    const double scale = static_cast<double>(n - 1);
    std::array<double, 7> power_sums{};
    std::array<double, 4> rhs{};
    for (std::size_t k = 0; k < n; ++k) {
        const double u = static_cast<double>(k) / scale;
        double p = 1;
        for (std::size_t j = 0; j < 7; ++j) {
            power_sums[j] += p;
            if (j < 4) {
                rhs[j] += p * rectified_n[k];
            }
            p *= u;
        }
    }
    std::array<std::array<double, 5>, 4> m{};
    for (std::size_t r = 0; r < 4; ++r) {
        for (std::size_t c = 0; c < 4; ++c) {
            m[r][c] = power_sums[r + c];
        }
        m[r][4] = rhs[r];
    }
    // Gaussian elimination with partial pivoting.
    for (std::size_t c = 0; c < 4; ++c) {
        std::size_t pivot = c;
        for (std::size_t r = c + 1; r < 4; ++r) {
            if (std::abs(m[r][c]) > std::abs(m[pivot][c])) {
                pivot = r;
            }
        }
        std::swap(m[c], m[pivot]);
        for (std::size_t r = c + 1; r < 4; ++r) {
            const double factor = m[r][c] / m[c][c];
            for (std::size_t k = c; k < 5; ++k) {
                m[r][k] -= factor * m[c][k];
            }
        }
    }
    std::array<double, 4> coefficient{};
    for (std::size_t r = 4; r-- > 0;) {
        double sum = m[r][4];
        for (std::size_t c = r + 1; c < 4; ++c) {
            sum -= m[r][c] * coefficient[c];
        }
        coefficient[r] = sum / m[r][r];
    }
    for (std::size_t k = 0; k < n; ++k) {
        const double u = static_cast<double>(k) / scale;
        const double fit =
            coefficient[0] + u * (coefficient[1] + u * (coefficient[2] + u * coefficient[3]));
        if (fit <= reference_range_n) {
            return static_cast<double>(k) / sample_rate_hz;
        }
    }
    return std::nullopt;
}

}  // namespace hoplab::processing
