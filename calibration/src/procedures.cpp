#include <hoplab/calibration/procedures.hpp>

#include <algorithm>
#include <cmath>
#include <iterator>
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

TareOutcome tare(const PlateCalibration& calibration, std::span<const double> raw,
                 double sample_rate_hz, const TareLimits& limits) {
    const std::size_t channels = calibration.channel_count();
    if (!(sample_rate_hz > 0)) {
        throw std::invalid_argument("tare: sample rate must be positive");
    }
    if (raw.empty() || raw.size() % channels != 0) {
        throw std::invalid_argument("tare: the window must hold whole samples of " +
                                    std::to_string(channels) + " channels");
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
    // Fz of every sample with the new zero: its SD and linear slope tell a quiet empty plate from a
    // loaded one.
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
    const bool had_zero =
        std::any_of(previous.begin(), previous.end(), [](double v) { return v != 0.0; });
    if (had_zero) {
        // The same window read through the previous zero: a person standing still shows up as a
        // large Fz.
        const double shift = calibration.to_wrench(mean).fz_n;
        if (std::abs(shift) > limits.max_zero_shift_n) {
            outcome.refusal = "plate loaded: Fz = " + format_value(shift, 1) +
                              " N against the previous zero (limit " +
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

namespace hoplab::calibration {

KnownWeightOutcome fit_known_weights(std::span<const KnownLoadStep> steps,
                                     const KnownWeightLimits& limits) {
    if (!(limits.full_scale_n > 0) || !std::isfinite(limits.full_scale_n)) {
        throw std::invalid_argument("fit_known_weights: full_scale_n must be positive");
    }
    for (const auto& step : steps) {
        if (!std::isfinite(step.force_n) || !std::isfinite(step.reading)) {
            throw std::invalid_argument("fit_known_weights: force and reading must be finite");
        }
    }
    KnownWeightOutcome outcome;
    std::vector<double> loads;
    for (const auto& step : steps) {
        if (std::find(loads.begin(), loads.end(), step.force_n) == loads.end()) {
            loads.push_back(step.force_n);
        }
    }
    if (loads.size() < 3) {
        outcome.refusal =
            "only " + std::to_string(loads.size()) + " distinct loads; at least 3 are needed";
        return outcome;
    }
    // Monotonic within each direction: sort that direction's steps by load and compare neighbours'
    // reading signs.
    for (const bool direction : {true, false}) {
        std::vector<KnownLoadStep> sorted;
        std::copy_if(steps.begin(), steps.end(), std::back_inserter(sorted),
                     [direction](const KnownLoadStep& s) { return s.ascending == direction; });
        std::sort(sorted.begin(), sorted.end(), [](const KnownLoadStep& a, const KnownLoadStep& b) {
            return a.force_n < b.force_n;
        });
        int sign = 0;
        for (std::size_t i = 1; i < sorted.size(); ++i) {
            if (sorted[i].force_n == sorted[i - 1].force_n) {
                continue;
            }
            const double delta = sorted[i].reading - sorted[i - 1].reading;
            const int step_sign = delta > 0 ? 1 : (delta < 0 ? -1 : 0);
            if (step_sign == 0 || (sign != 0 && step_sign != sign)) {
                outcome.refusal = "readings not monotonic in load at the " +
                                  format_value(sorted[i].force_n, 3) + " N step (" +
                                  (direction ? "ascending" : "descending") + ")";
                return outcome;
            }
            sign = step_sign;
        }
    }
    const auto n = static_cast<double>(steps.size());
    double mean_c = 0, mean_f = 0;
    for (const auto& step : steps) {
        mean_c += step.reading;
        mean_f += step.force_n;
    }
    mean_c /= n;
    mean_f /= n;
    double scc = 0, scf = 0, sff = 0;
    for (const auto& step : steps) {
        scc += (step.reading - mean_c) * (step.reading - mean_c);
        scf += (step.reading - mean_c) * (step.force_n - mean_f);
        sff += (step.force_n - mean_f) * (step.force_n - mean_f);
    }
    KnownWeightFit fit;
    fit.step_count = steps.size();
    fit.sensitivity_n_per_count = scf / scc;
    fit.offset_n = mean_f - fit.sensitivity_n_per_count * mean_c;
    double ss_residual = 0, max_residual = 0;
    for (const auto& step : steps) {
        const double residual =
            step.force_n - (fit.offset_n + fit.sensitivity_n_per_count * step.reading);
        ss_residual += residual * residual;
        max_residual = std::max(max_residual, std::abs(residual));
    }
    fit.r_squared = 1.0 - ss_residual / sff;
    fit.residual_sd_n = steps.size() > 2 ? std::sqrt(ss_residual / (n - 2)) : 0.0;
    fit.bfsl_nonlinearity_pct_fs = 100.0 * max_residual / limits.full_scale_n;

    // Terminal line through the ascending readings at the smallest and largest load.
    std::vector<KnownLoadStep> ascending;
    std::copy_if(steps.begin(), steps.end(), std::back_inserter(ascending),
                 [](const KnownLoadStep& s) { return s.ascending; });
    if (ascending.size() >= 2) {
        const auto [low, high] = std::minmax_element(
            ascending.begin(), ascending.end(),
            [](const KnownLoadStep& a, const KnownLoadStep& b) { return a.force_n < b.force_n; });
        const double span = high->reading - low->reading;
        double max_deviation = 0;
        for (const auto& step : ascending) {
            const double line = low->reading + span * (step.force_n - low->force_n) /
                                                   (high->force_n - low->force_n);
            max_deviation = std::max(max_deviation, std::abs(step.reading - line));
        }
        fit.terminal_nonlinearity_pct_fs = 100.0 * max_deviation / std::abs(span);
    }
    // Hysteresis: mean descending minus mean ascending reading at each load both directions
    // visited, in newtons.
    double max_hysteresis = -1;
    for (double load : loads) {
        double up = 0, down = 0;
        int up_n = 0, down_n = 0;
        for (const auto& step : steps) {
            if (step.force_n == load) {
                (step.ascending ? up : down) += step.reading;
                ++(step.ascending ? up_n : down_n);
            }
        }
        if (up_n > 0 && down_n > 0) {
            const double difference_n =
                std::abs(fit.sensitivity_n_per_count * (down / down_n - up / up_n));
            max_hysteresis = std::max(max_hysteresis, difference_n);
        }
    }
    if (max_hysteresis >= 0) {
        fit.hysteresis_n = max_hysteresis;
        fit.hysteresis_pct_fs = 100.0 * max_hysteresis / limits.full_scale_n;
    }
    fit.pass = fit.bfsl_nonlinearity_pct_fs <= limits.max_nonlinearity_pct_fs &&
               fit.terminal_nonlinearity_pct_fs <= limits.max_nonlinearity_pct_fs &&
               fit.hysteresis_pct_fs.value_or(0.0) <= limits.max_hysteresis_pct_fs;
    outcome.fit = fit;
    return outcome;
}

VerificationResult verify(const PlateCalibration& calibration,
                          std::span<const VerificationLoad> loads, double threshold_n) {
    VerificationResult result;
    for (std::size_t i = 0; i < loads.size(); ++i) {
        const auto& load = loads[i];
        if (load.raw_sample.size() != calibration.channel_count()) {
            throw std::invalid_argument("verify: load " + std::to_string(i) + " has " +
                                        std::to_string(load.raw_sample.size()) +
                                        " channels, the plate " +
                                        std::to_string(calibration.channel_count()));
        }
        const Wrench measured = calibration.to_wrench(load.raw_sample);
        const auto cop = calibration.centre_of_pressure(measured, threshold_n);
        if (!cop || !(load.fz_n >= threshold_n)) {
            throw std::invalid_argument("verify: load " + std::to_string(i) + " is below the " +
                                        format_value(threshold_n, 1) +
                                        " N threshold: its COP is undefined");
        }
        const double force_error = std::hypot(measured.fx_n - load.fx_n, measured.fy_n - load.fy_n,
                                              measured.fz_n - load.fz_n);
        const double cop_error = std::hypot(cop->x_m - load.x_m, cop->y_m - load.y_m);
        result.force_error_n.push_back(force_error);
        result.cop_error_m.push_back(cop_error);
        result.max_force_error_n = std::max(result.max_force_error_n, force_error);
        result.max_cop_error_m = std::max(result.max_cop_error_m, cop_error);
    }
    return result;
}

DriftCheck check_drift(double zero_before_n, double time_before_s, double zero_after_n,
                       double time_after_s, double threshold_n) {
    if (!(time_after_s > time_before_s)) {
        throw std::invalid_argument("check_drift: time_after_s must be later than time_before_s");
    }
    DriftCheck check;
    check.zero_change_n = zero_after_n - zero_before_n;
    check.drift_n_per_s = check.zero_change_n / (time_after_s - time_before_s);
    check.warning = std::abs(check.zero_change_n) >= std::max(2.0, threshold_n / 4.0);
    return check;
}

}  // namespace hoplab::calibration
