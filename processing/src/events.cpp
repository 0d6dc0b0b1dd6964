#include <hoplab/processing/events.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <stdexcept>
#include <string>

namespace hoplab::processing {
namespace {

using Run = StateRun;

// Run-length encoding of the contact state with a Schmitt trigger: a contact starts at the first
// sample ≥ on_n and ends at the first sample < off_n (on_n = off_n without hysteresis). Tight
// scanning loops, one pass.
// First index in [k, n) with below(f[i]) true, else n. Blocks of 8 are tested without an early exit
// (the compiler vectorises the test); the exact index is then found inside the block.
template <typename Predicate>
std::size_t find_first(std::span<const double> f, std::size_t k, Predicate below) {
    constexpr std::size_t kBlock = 8;
    const std::size_t n = f.size();
    while (k < n && k % kBlock != 0) {
        if (below(f[k]))
            return k;
        ++k;
    }
    for (; k + kBlock <= n; k += kBlock) {
        bool any = false;
        for (std::size_t j = 0; j < kBlock; ++j)
            any |= below(f[k + j]);
        if (any)
            break;
    }
    while (k < n && !below(f[k]))
        ++k;
    return k;
}

// Run-length encoding of the contact state with a Schmitt trigger: a contact starts at the first
// sample ≥ on_n and ends at the first sample < off_n (on_n = off_n without hysteresis).
std::vector<Run> detect_runs(std::span<const double> f, double on_n, double off_n) {
    std::vector<Run> runs;
    const std::size_t n = f.size();
    std::size_t k = 0;
    bool contact = f[0] >= on_n;
    while (k < n) {
        const std::size_t begin = k;
        k = contact ? find_first(f, k, [off_n](double v) { return v < off_n; })
                    : find_first(f, k, [on_n](double v) { return v >= on_n; });
        runs.push_back(Run{contact, begin, k});
        contact = !contact;
    }
    return runs;
}

void merge_adjacent(std::vector<Run>& runs) {
    std::size_t out = 0;
    for (std::size_t i = 0; i < runs.size(); ++i) {
        if (out > 0 && runs[out - 1].contact == runs[i].contact) {
            runs[out - 1].end = runs[i].end;
        } else {
            runs[out++] = runs[i];
        }
    }
    runs.resize(out);
}

// METHODS §3 step 2: short contacts (ringing, spikes) become flight, then short flights between
// contacts (double taps) become contact — in that fixed order, so the result is deterministic.
// Returns the number of double taps.
std::size_t debounce(std::vector<Run>& runs, std::size_t min_contact, std::size_t min_flight) {
    for (auto& run : runs) {
        if (run.contact && run.end - run.begin < min_contact)
            run.contact = false;
    }
    merge_adjacent(runs);
    std::size_t merged_flights = 0;
    for (std::size_t i = 1; i + 1 < runs.size(); ++i) {
        if (!runs[i].contact && runs[i].end - runs[i].begin < min_flight) {
            runs[i].contact = true;
            ++merged_flights;
        }
    }
    merge_adjacent(runs);
    return merged_flights;
}

// Sub-sample time of the crossing of `level` between samples k−1 and k (METHODS §0).
double crossing_time_s_impl(std::span<const double> f, std::size_t k, double level, double fs) {
    const double f0 = f[k - 1];
    const double f1 = f[k];
    const double fraction = f1 != f0 ? (level - f0) / (f1 - f0) : 0.0;
    return (static_cast<double>(k - 1) + fraction) / fs;
}

struct Noise {
    double mean = 0, sd = 0;
    std::size_t samples = 0;
};

// Unloaded-plate level from the flights, 20 ms in from each edge (METHODS §3).
Noise flight_noise(std::span<const double> f, const std::vector<Run>& runs, double fs) {
    const auto margin = static_cast<std::size_t>(std::lround(0.020 * fs));
    double sum = 0, sq = 0;
    std::size_t n = 0;
    for (const auto& run : runs) {
        if (run.contact || run.end - run.begin <= 2 * margin)
            continue;
        // Four partial sums break the floating-point add dependency chain.
        std::array<double, 4> s1{}, s2{};
        std::size_t k = run.begin + margin;
        const std::size_t stop = run.end - margin;
        for (; k + 4 <= stop; k += 4) {
            for (std::size_t l = 0; l < 4; ++l) {
                s1[l] += f[k + l];
                s2[l] += f[k + l] * f[k + l];
            }
        }
        for (; k < stop; ++k) {
            s1[0] += f[k];
            s2[0] += f[k] * f[k];
        }
        sum += s1[0] + s1[1] + s1[2] + s1[3];
        sq += s2[0] + s2[1] + s2[2] + s2[3];
        n += run.end - run.begin - 2 * margin;
    }
    Noise noise;
    noise.samples = n;
    if (n >= 2) {
        noise.mean = sum / static_cast<double>(n);
        noise.sd = std::sqrt(
            std::max(0.0, (sq - sum * sum / static_cast<double>(n)) / static_cast<double>(n - 1)));
    }
    return noise;
}

}  // namespace

double crossing_time_s(std::span<const double> fz_n, std::size_t sample, double level_n,
                       double sample_rate_hz) {
    if (sample == 0 || sample >= fz_n.size()) {
        throw std::invalid_argument("crossing_time_s: sample " + std::to_string(sample) +
                                    " has no predecessor in " + std::to_string(fz_n.size()) +
                                    " samples");
    }
    return crossing_time_s_impl(fz_n, sample, level_n, sample_rate_hz);
}

EventDetection detect_events(std::span<const double> f, double fs,
                             const AnalysisSettings& settings) {
    if (!(fs > 0) || !std::isfinite(fs)) {
        throw std::invalid_argument("event detection: sample rate must be positive, not " +
                                    std::to_string(fs) + " Hz");
    }
    if (f.empty()) {
        throw std::invalid_argument("event detection: the force signal is empty");
    }
    const auto min_contact = static_cast<std::size_t>(std::ceil(settings.min_contact_s * fs));
    const auto min_flight = static_cast<std::size_t>(std::ceil(settings.min_flight_s * fs));
    EventDetection out;
    // Detect once with the floor, measure the flights' noise, then detect again (exactly one
    // iteration).
    out.runs = detect_runs(f, settings.threshold_floor_n + settings.hysteresis_n,
                           settings.threshold_floor_n);
    out.merged_flights = debounce(out.runs, min_contact, min_flight);
    const Noise noise = flight_noise(f, out.runs, fs);
    out.threshold_N = settings.threshold_floor_n;
    out.flight_noise_samples = noise.samples;
    if (noise.samples >= 2) {
        out.flight_noise_mean_N = noise.mean;
        out.flight_noise_sd_N = noise.sd;
        out.threshold_N = std::max(
            out.threshold_N, std::abs(noise.mean) + settings.threshold_noise_factor * noise.sd);
        if (out.threshold_N != settings.threshold_floor_n) {
            out.runs = detect_runs(f, out.threshold_N + settings.hysteresis_n, out.threshold_N);
            out.merged_flights = debounce(out.runs, min_contact, min_flight);
        }
    }
    out.threshold_on_N = out.threshold_N + settings.hysteresis_n;
    return out;
}

}  // namespace hoplab::processing
