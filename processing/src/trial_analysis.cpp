#include <hoplab/processing/butterworth.hpp>
#include <hoplab/processing/trial_analysis.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

namespace hoplab::processing {
namespace {

struct Run {
    bool contact = false;
    std::size_t begin = 0, end = 0;  // samples [begin, end)
};

std::vector<Run> runs_above(std::span<const double> f, double threshold) {
    std::vector<Run> runs;
    for (std::size_t k = 0; k < f.size(); ++k) {
        const bool above = f[k] >= threshold;
        if (runs.empty() || runs.back().contact != above) {
            runs.push_back(Run{above, k, k + 1});
        } else {
            runs.back().end = k + 1;
        }
    }
    return runs;
}

void merge_adjacent(std::vector<Run>& runs) {
    std::vector<Run> merged;
    for (const auto& run : runs) {
        if (!merged.empty() && merged.back().contact == run.contact) {
            merged.back().end = run.end;
        } else {
            merged.push_back(run);
        }
    }
    runs = std::move(merged);
}

// METHODS §3 step 2: short contacts (ringing, spikes) become flight, then short flights between contacts (double
// taps) become contact — in that fixed order, so the result is deterministic.
std::vector<Run> debounce(std::vector<Run> runs, std::size_t min_contact, std::size_t min_flight) {
    for (auto& run : runs) {
        if (run.contact && run.end - run.begin < min_contact) {
            run.contact = false;
        }
    }
    merge_adjacent(runs);
    for (std::size_t i = 1; i + 1 < runs.size(); ++i) {
        if (!runs[i].contact && runs[i].end - runs[i].begin < min_flight) {
            runs[i].contact = true;
        }
    }
    merge_adjacent(runs);
    return runs;
}

// Sub-sample time of the θ crossing between samples k−1 and k (METHODS §0).
double crossing_s(std::span<const double> f, std::size_t k, double threshold, double fs) {
    const double f0 = f[k - 1];
    const double f1 = f[k];
    const double fraction = f1 != f0 ? (threshold - f0) / (f1 - f0) : 0.0;
    return (static_cast<double>(k - 1) + fraction) / fs;
}

struct Noise {
    double mean = 0, sd = 0;
    std::size_t samples = 0;
};

// Unloaded-plate level from the flights between contacts, 20 ms in from each edge.
Noise flight_noise(std::span<const double> f, const std::vector<Run>& runs, double fs) {
    const auto margin = static_cast<std::size_t>(std::lround(0.020 * fs));
    double sum = 0, sq = 0;
    std::size_t n = 0;
    for (const auto& run : runs) {
        if (run.contact || run.end - run.begin <= 2 * margin) continue;
        for (std::size_t k = run.begin + margin; k < run.end - margin; ++k) {
            sum += f[k];
            sq += f[k] * f[k];
            ++n;
        }
    }
    Noise noise;
    noise.samples = n;
    if (n >= 2) {
        noise.mean = sum / static_cast<double>(n);
        noise.sd = std::sqrt(std::max(0.0, (sq - sum * sum / static_cast<double>(n)) / static_cast<double>(n - 1)));
    }
    return noise;
}

std::optional<double> mean_of(const std::vector<ContactMetrics>& contacts,
                              std::optional<double> ContactMetrics::*field) {
    double sum = 0;
    int n = 0;
    for (const auto& c : contacts) {
        if (c.*field) {
            sum += *(c.*field);
            ++n;
        }
    }
    return n > 0 ? std::optional(sum / n) : std::nullopt;
}

std::optional<double> cv_pct(const std::vector<double>& values) {
    if (values.size() < 2) return std::nullopt;
    const double mean = std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
    double sq = 0;
    for (double v : values) sq += (v - mean) * (v - mean);
    if (mean == 0) return std::nullopt;
    return 100.0 * std::sqrt(sq / static_cast<double>(values.size() - 1)) / mean;
}

}  // namespace

TrialAnalysis analyze_trial(std::span<const double> f, double fs, Protocol protocol, Limb limb,
                            const AnalysisSettings& settings) {
    if (!(fs > 0) || !std::isfinite(fs)) {
        throw std::invalid_argument("sample rate must be positive, not " + std::to_string(fs) + " Hz");
    }
    if (static_cast<double>(f.size()) < 0.2 * fs || f.size() < 10) {
        throw std::invalid_argument("the trial has " + std::to_string(f.size()) + " samples; at least 0.2 s is needed");
    }
    for (std::size_t k = 0; k < f.size(); ++k) {
        if (!std::isfinite(f[k])) {
            throw std::invalid_argument("vertical force sample " + std::to_string(k) + " is not finite");
        }
    }
    TrialAnalysis out;
    out.protocol = protocol;
    out.limb = limb;
    out.sample_rate_hz = fs;
    out.settings = settings;
    const double g = settings.gravity_m_s2;
    const auto min_contact = static_cast<std::size_t>(std::ceil(settings.min_contact_s * fs));
    const auto min_flight = static_cast<std::size_t>(std::ceil(settings.min_flight_s * fs));

    // Threshold: detect once with the floor, measure the flights' noise, then detect again (exactly one iteration).
    auto runs = debounce(runs_above(f, settings.threshold_floor_n), min_contact, min_flight);
    const Noise noise = flight_noise(f, runs, fs);
    double threshold = settings.threshold_floor_n;
    if (noise.samples >= 2) {
        threshold = std::max(threshold, std::abs(noise.mean) + settings.threshold_noise_factor * noise.sd);
        if (threshold != settings.threshold_floor_n) {
            runs = debounce(runs_above(f, threshold), min_contact, min_flight);
        }
        if (std::abs(noise.mean) > threshold / 2) {
            out.quality_flags.push_back("re-tare: the unloaded plate reads " + std::to_string(noise.mean) + " N");
        }
    }
    out.threshold_N = threshold;

    // Body weight: the first 1 s window (10 ms steps) of steady loading (METHODS §2); else the operator's mass.
    const auto window = static_cast<std::size_t>(std::lround(settings.weighing_window_s * fs));
    const auto step = std::max<std::size_t>(1, static_cast<std::size_t>(std::lround(0.010 * fs)));
    for (std::size_t start = 0; window >= 2 && start + window <= f.size() && !out.body_weight_N; start += step) {
        const auto w = f.subspan(start, window);
        const double mean = std::accumulate(w.begin(), w.end(), 0.0) / static_cast<double>(window);
        if (mean < 2.0 * threshold) continue;
        double sq = 0;
        for (double v : w) sq += (v - mean) * (v - mean);
        const double sd = std::sqrt(sq / static_cast<double>(window - 1));
        const auto half = window / 2;
        const double first = std::accumulate(w.begin(), w.begin() + static_cast<std::ptrdiff_t>(half), 0.0) /
                             static_cast<double>(half);
        const double second = std::accumulate(w.begin() + static_cast<std::ptrdiff_t>(half), w.end(), 0.0) /
                              static_cast<double>(window - half);
        if (sd <= settings.weighing_max_sd_fraction * mean &&
            std::abs(first - second) <= settings.weighing_max_half_difference * mean) {
            out.body_weight_N = mean;
            out.body_weight_source = "quiet stance " + std::to_string(static_cast<double>(start) / fs) + " s to " +
                                     std::to_string(static_cast<double>(start + window) / fs) + " s";
        }
    }
    if (settings.body_mass_kg) {
        const double operator_bw = *settings.body_mass_kg * g;
        if (!out.body_weight_N) {
            out.body_weight_N = operator_bw;
            out.body_weight_source = "operator mass";
            out.quality_flags.push_back("unsteady weighing: no steady 1 s of stance; body weight from the entered mass");
        } else if (std::abs(*out.body_weight_N - operator_bw) > 0.05 * operator_bw) {
            out.quality_flags.push_back("body weight from stance differs from the entered mass by more than 5 %");
        }
    } else if (!out.body_weight_N) {
        out.body_weight_source = "none: no steady 1 s of stance and no mass entered";
        out.quality_flags.push_back("unsteady weighing: body weight unknown; weight-normalised metrics are null");
    }
    const std::optional<double> bw = out.body_weight_N;
    if (fs < 200) {
        out.quality_flags.push_back("sample rate below 200 Hz: contact and flight times are ±1 sample (" +
                                    std::to_string(1000.0 / fs) + " ms)");
    }

    const auto peak_filtered = filtfilt(butterworth_lowpass2(settings.peak_cutoff_hz, fs), f);
    const auto slow_filtered = filtfilt(butterworth_lowpass2(settings.stabilisation_cutoff_hz, fs), f);

    const auto time_of = [fs](std::size_t k) { return static_cast<double>(k) / fs; };
    const auto touchdown_s = [&](const Run& r) { return crossing_s(f, r.begin, threshold, fs); };
    const auto take_off_s = [&](const Run& r) { return crossing_s(f, r.end, threshold, fs); };

    const auto contact_metrics = [&](std::size_t i) {
        const Run& r = runs[i];
        ContactMetrics c;
        c.start_s = r.begin > 0 ? touchdown_s(r) : 0.0;
        c.end_s = take_off_s(r);
        c.contact_time_s = c.end_s - c.start_s;
        const auto peak = std::max_element(peak_filtered.begin() + static_cast<std::ptrdiff_t>(r.begin),
                                           peak_filtered.begin() + static_cast<std::ptrdiff_t>(r.end));
        const auto peak_index = static_cast<std::size_t>(peak - peak_filtered.begin());
        c.peak_force_N = *peak;
        if (r.begin > 0) {
            c.time_to_peak_s = time_of(peak_index) - c.start_s;
        }
        // Trapezoid with the interpolated ends at θ (METHODS §0).
        double impulse = (threshold + f[r.begin]) / 2.0 * (time_of(r.begin) - c.start_s);
        for (std::size_t k = r.begin + 1; k < r.end; ++k) {
            impulse += (f[k - 1] + f[k]) / 2.0 / fs;
        }
        impulse += (f[r.end - 1] + threshold) / 2.0 * (c.end_s - time_of(r.end - 1));
        c.impulse_Ns = impulse;
        if (bw) {
            c.peak_force_bw = *c.peak_force_N / *bw;
            c.net_impulse_Ns = impulse - *bw * c.contact_time_s;
            if (c.time_to_peak_s && *c.time_to_peak_s > 0 && fs >= 500) {
                c.loading_rate_bw_per_s = (*c.peak_force_N - threshold) / *c.time_to_peak_s / *bw;
            }
        }
        const bool flight_before = i >= 2 && !runs[i - 1].contact;
        const bool flight_after = i + 2 < runs.size() && !runs[i + 1].contact;
        if (flight_before) {
            c.flight_time_before_s = c.start_s - take_off_s(runs[i - 2]);
        }
        if (flight_after) {
            c.flight_time_after_s = touchdown_s(runs[i + 2]) - c.end_s;
            c.jump_height_m = g * *c.flight_time_after_s * *c.flight_time_after_s / 8.0;
            c.rsi = *c.jump_height_m / c.contact_time_s;
        }
        return c;
    };

    const bool hop_protocol = protocol == Protocol::repeated_hops || protocol == Protocol::drop_jump;
    std::optional<std::size_t> landing_run;
    for (std::size_t i = 0; i < runs.size(); ++i) {
        if (!runs[i].contact) continue;
        const bool bounded_after = i + 2 < runs.size();  // a flight that ends in a touchdown
        const bool bounded_before = i >= 2;
        const double duration = static_cast<double>(runs[i].end - runs[i].begin) / fs;
        if (bounded_after) {
            const bool hop = bounded_before || (i == 1 && duration < settings.stance_min_s);
            if (hop || !hop_protocol) {
                auto c = contact_metrics(i);
                c.index = static_cast<int>(out.contacts.size()) + 1;
                out.contacts.push_back(c);
            } else if (!out.initial_push_off) {
                out.initial_push_off = contact_metrics(i);
            }
        } else if (i >= 1 && protocol != Protocol::quiet_stance) {
            landing_run = i;
        }
    }
    if (landing_run) {
        const Run& r = runs[*landing_run];
        LandingMetrics landing;
        landing.start_s = touchdown_s(r);
        const auto peak = std::max_element(peak_filtered.begin() + static_cast<std::ptrdiff_t>(r.begin),
                                           peak_filtered.begin() + static_cast<std::ptrdiff_t>(r.end));
        landing.peak_force_N = *peak;
        landing.time_to_peak_s = time_of(static_cast<std::size_t>(peak - peak_filtered.begin())) - landing.start_s;
        if (bw) {
            landing.peak_force_bw = *landing.peak_force_N / *bw;
            if (*landing.time_to_peak_s > 0 && fs >= 500) {
                landing.loading_rate_bw_per_s = (*landing.peak_force_N - threshold) / *landing.time_to_peak_s / *bw;
            }
            // Band method (METHODS §4.8): the window ends where the athlete starts stepping off (the last in-band
            // sample of the stance); t* follows the last excursion outside ±band·BW.
            const double band = settings.stabilisation_band_bw * *bw;
            std::optional<std::size_t> last_in;
            for (std::size_t k = r.end; k-- > r.begin;) {
                if (std::abs(slow_filtered[k] - *bw) <= band) {
                    last_in = k;
                    break;
                }
            }
            if (last_in) {
                std::size_t stable_from = r.begin;
                for (std::size_t k = *last_in + 1; k-- > r.begin;) {
                    if (std::abs(slow_filtered[k] - *bw) > band) {
                        stable_from = k + 1;
                        break;
                    }
                }
                if (time_of(*last_in + 1) - time_of(stable_from) >= settings.stabilisation_hold_s) {
                    landing.time_to_stabilisation_s = std::max(0.0, time_of(stable_from) - landing.start_s);
                }
            }
        }
        out.landing = landing;
    }
    if (fs < 500) {
        out.quality_flags.push_back("sample rate below 500 Hz: loading rates are null");
    }
    if (out.contacts.empty() && protocol != Protocol::quiet_stance && protocol != Protocol::landing) {
        out.quality_flags.push_back("no flight found: no contact ends in a take-off followed by a landing");
    }

    auto& s = out.summary;
    s.contacts = static_cast<int>(out.contacts.size());
    if (!out.contacts.empty()) {
        std::vector<double> times, heights;
        for (const auto& c : out.contacts) {
            times.push_back(c.contact_time_s);
            if (c.jump_height_m) heights.push_back(*c.jump_height_m);
        }
        s.mean_contact_time_s = std::accumulate(times.begin(), times.end(), 0.0) / static_cast<double>(times.size());
        s.mean_peak_force_N = mean_of(out.contacts, &ContactMetrics::peak_force_N);
        s.mean_flight_time_s = mean_of(out.contacts, &ContactMetrics::flight_time_after_s);
        s.mean_jump_height_m = mean_of(out.contacts, &ContactMetrics::jump_height_m);
        s.mean_rsi = mean_of(out.contacts, &ContactMetrics::rsi);
        s.cv_contact_time_pct = cv_pct(times);
        s.cv_jump_height_pct = cv_pct(heights);
    }
    return out;
}

}  // namespace hoplab::processing
