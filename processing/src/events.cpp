#include <hoplab/processing/events.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
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

// Sums over the flight samples that measure the unloaded plate (N, N²).
struct Noise {
    double sum = 0, sq = 0;
    std::size_t samples = 0;
};

// s1[l] += x[4j + l] and s2[l] += x[4j + l]² for j = 0 … groups − 1, in that order: per lane the
// arithmetic of the scalar loop (no contraction into FMA: the AVX2 clone does not enable it).
__attribute__((target_clones("avx2", "default"))) void add_groups_of_four(
    const double* x, std::size_t groups, std::array<double, 4>& s1, std::array<double, 4>& s2) {
    using Lanes4 = double __attribute__((vector_size(4 * sizeof(double))));
    Lanes4 sum, sq;
    std::memcpy(&sum, s1.data(), sizeof sum);
    std::memcpy(&sq, s2.data(), sizeof sq);
    for (std::size_t j = 0; j < groups; ++j) {
        Lanes4 v;
        std::memcpy(&v, x + 4 * j, sizeof v);
        sum += v;
        sq += v * v;
    }
    std::memcpy(s1.data(), &sum, sizeof sum);
    std::memcpy(s2.data(), &sq, sizeof sq);
}

// Partial sums of the unloaded-plate level over one flight, [begin + margin, end − margin),
// accumulated as the scan reaches the samples (METHODS §3: 20 ms in from each flight edge). Four
// lanes of sums, each added in increasing sample order, break the floating-point dependency chain;
// the per-flight totals are ((s[0] + s[1]) + s[2]) + s[3], summed flight by flight, so the result
// does not depend on how far the scan had got when a part was added.
class FlightSums {
  public:
    // Starts a flight whose first sample is `begin`; samples before from_ are never added.
    void start(std::size_t begin, std::size_t margin) {
        s1_ = {};
        s2_ = {};
        from_ = begin + margin;
        next_ = from_;
    }

    // Adds the groups of four samples that lie wholly before `safe_end` (a bound below which every
    // sample belongs to the flight's interior).
    void advance(std::span<const double> f, std::size_t safe_end) {
        if (next_ + 4 <= safe_end) {
            const std::size_t groups = (safe_end - next_) / 4;
            add_groups_of_four(f.data() + next_, groups, s1_, s2_);
            next_ += 4 * groups;
        }
    }

    // The flight ends at `end`: adds the rest of its interior to the noise totals.
    void finish(std::span<const double> f, std::size_t end, std::size_t margin, Noise& totals) {
        const std::size_t stop = end - margin;
        advance(f, stop);
        std::size_t k = next_;
        for (; k < stop; ++k) {
            s1_[0] += f[k];
            s2_[0] += f[k] * f[k];
        }
        totals.sum += s1_[0] + s1_[1] + s1_[2] + s1_[3];
        totals.sq += s2_[0] + s2_[1] + s2_[2] + s2_[3];
        totals.samples += stop - from_;
    }

  private:
    std::array<double, 4> s1_{}, s2_{};
    std::size_t from_ = 0, next_ = 0;
};

// Samples per summary group of the scan, and groups per chunk: a chunk (16 KB) is summarised while
// it stays in the L1 cache, then walked group by group.
constexpr std::size_t kGroup = 16;
constexpr std::size_t kChunkGroups = 128;
constexpr std::size_t kChunk = kGroup * kChunkGroups;

// Minimum and maximum of each full group of kGroup samples of x (x.size() a multiple of kGroup,
// at most kChunk), and whether every sample is finite (v − v is 0 for finite v, NaN otherwise;
// independent vector sums of it, no early exit).
__attribute__((target_clones("avx2", "default"))) bool summarise_chunk(
    const double* x, std::size_t groups, std::array<double, kChunkGroups>& low,
    std::array<double, kChunkGroups>& high) {
    using Lanes4 = double __attribute__((vector_size(4 * sizeof(double))));
    Lanes4 finite_sum{};
    for (std::size_t g = 0; g < groups; ++g) {
        // Loaded straight into vector registers (a std::array of vectors goes through the stack).
        Lanes4 v0, v1, v2, v3;
        std::memcpy(&v0, x + g * kGroup, sizeof v0);
        std::memcpy(&v1, x + g * kGroup + 4, sizeof v1);
        std::memcpy(&v2, x + g * kGroup + 8, sizeof v2);
        std::memcpy(&v3, x + g * kGroup + 12, sizeof v3);
        const Lanes4 lo01 = v0 < v1 ? v0 : v1;
        const Lanes4 lo23 = v2 < v3 ? v2 : v3;
        const Lanes4 hi01 = v0 > v1 ? v0 : v1;
        const Lanes4 hi23 = v2 > v3 ? v2 : v3;
        const Lanes4 lo = lo01 < lo23 ? lo01 : lo23;
        const Lanes4 hi = hi01 > hi23 ? hi01 : hi23;
        finite_sum += (v0 - v0) + (v1 - v1) + (v2 - v2) + (v3 - v3);
        low[g] = std::min(std::min(lo[0], lo[1]), std::min(lo[2], lo[3]));
        high[g] = std::max(std::max(hi[0], hi[1]), std::max(hi[2], hi[3]));
    }
    return finite_sum[0] == 0.0 && finite_sum[1] == 0.0 && finite_sum[2] == 0.0 &&
           finite_sum[3] == 0.0;
}

[[noreturn]] void throw_non_finite(std::span<const double> f, std::size_t from) {
    const auto bad = std::find_if(f.begin() + static_cast<std::ptrdiff_t>(from), f.end(),
                                  [](double v) { return !std::isfinite(v); });
    throw std::invalid_argument("vertical force sample " + std::to_string(bad - f.begin()) +
                                " is not finite");
}

// The first detection at the threshold floor, in one pass over the record in L1-sized chunks:
// finite check, the Schmitt trigger's raw runs (groups of kGroup samples whose minimum or maximum
// rules out a crossing are skipped), and the flight-noise sums of the flights that step 2 of the
// debouncing will keep, taken while the samples are in cache. The flight bookkeeping follows
// debounce(): contacts shorter than min_contact merge into the flight around them, and an
// interior flight (not the first or last run) shorter than min_flight becomes contact and adds
// nothing.
struct FirstDetection {
    std::vector<Run> raw_runs;
    Noise noise;
};

FirstDetection scan_at_floor(std::span<const double> f, double on_n, double off_n,
                             std::size_t min_contact, std::size_t min_flight, std::size_t margin) {
    FirstDetection out;
    const std::size_t n = f.size();
    bool contact = f[0] >= on_n;
    std::size_t run_begin = 0;
    // The flight being summed (after merging short contacts into it), if the scan is in one.
    bool in_flight = !contact;
    std::size_t flight_begin = 0;
    FlightSums sums;
    sums.start(0, margin);
    // The raw contact [begin, end) has ended: a solid one closes the flight before it and opens
    // the next; a short one (a spike) merges into the flight around it.
    const auto end_contact = [&](std::size_t begin, std::size_t end) {
        if (end - begin >= min_contact) {
            if (in_flight) {
                const std::size_t length = begin - flight_begin;
                const bool interior = flight_begin > 0;  // a contact follows it
                if (length > 2 * margin && !(interior && length < min_flight))
                    sums.finish(f, begin, margin, out.noise);
            }
            in_flight = true;
            flight_begin = end;
            sums.start(end, margin);
        } else if (!in_flight) {
            // A short contact that opens the record: the flight starts at sample 0.
            in_flight = true;
            flight_begin = 0;
        }
    };
    std::array<double, kChunkGroups> low{}, high{};
    for (std::size_t chunk = 0; chunk < n; chunk += kChunk) {
        const std::size_t size = std::min(kChunk, n - chunk);
        const std::size_t groups = size / kGroup;
        if (!summarise_chunk(f.data() + chunk, groups, low, high))
            throw_non_finite(f, chunk);
        for (std::size_t k = chunk + groups * kGroup; k < chunk + size; ++k) {
            if (!std::isfinite(f[k]))
                throw_non_finite(f, k);
        }
        const std::size_t stop = chunk + size;
        // Samples [k, end) are scanned for the sample that ends the current run; a group is
        // skipped when its minimum (in contact) or maximum (in flight) shows that none of its
        // samples can.
        std::size_t k = chunk;
        const auto scan = [&](std::size_t end) {
            for (;;) {
                for (; k < end; ++k) {
                    if (contact ? f[k] < off_n : f[k] >= on_n)
                        break;
                }
                if (k == end)
                    return;
                out.raw_runs.push_back(Run{contact, run_begin, k});
                if (contact)
                    end_contact(run_begin, k);
                contact = !contact;
                run_begin = k;
            }
        };
        for (std::size_t g = 0; g < groups; ++g) {
            const std::size_t group_end = chunk + (g + 1) * kGroup;
            if (contact ? low[g] < off_n : high[g] >= on_n)
                scan(group_end);
            k = group_end;
        }
        scan(stop);
        if (in_flight)
            sums.advance(f, (contact ? run_begin : stop) > margin
                                ? (contact ? run_begin : stop) - margin
                                : 0);
    }
    out.raw_runs.push_back(Run{contact, run_begin, n});
    if (contact) {
        end_contact(run_begin, n);
        if (n - run_begin >= min_contact)
            in_flight = false;  // the record ends in contact: no flight after it
    }
    if (in_flight) {
        const std::size_t length = n - flight_begin;
        if (length > 2 * margin)
            sums.finish(f, n, margin, out.noise);
    }
    return out;
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
    const auto margin = static_cast<std::size_t>(std::lround(0.020 * fs));
    EventDetection out;
    // Detect once with the floor, measure the flights' noise, then detect again (exactly one
    // iteration).
    FirstDetection first =
        scan_at_floor(f, settings.threshold_floor_n + settings.hysteresis_n,
                      settings.threshold_floor_n, min_contact, min_flight, margin);
    out.runs = std::move(first.raw_runs);
    out.merged_flights = debounce(out.runs, min_contact, min_flight);
    const Noise& noise = first.noise;
    out.threshold_N = settings.threshold_floor_n;
    out.flight_noise_samples = noise.samples;
    if (noise.samples >= 2) {
        const auto count = static_cast<double>(noise.samples);
        const double mean = noise.sum / count;
        const double sd =
            std::sqrt(std::max(0.0, (noise.sq - noise.sum * noise.sum / count) / (count - 1.0)));
        out.flight_noise_mean_N = mean;
        out.flight_noise_sd_N = sd;
        out.threshold_N =
            std::max(out.threshold_N, std::abs(mean) + settings.threshold_noise_factor * sd);
        if (out.threshold_N != settings.threshold_floor_n) {
            out.runs = detect_runs(f, out.threshold_N + settings.hysteresis_n, out.threshold_N);
            out.merged_flights = debounce(out.runs, min_contact, min_flight);
        }
    }
    out.threshold_on_N = out.threshold_N + settings.hysteresis_n;
    return out;
}

}  // namespace hoplab::processing
