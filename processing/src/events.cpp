#include <hoplab/processing/events.hpp>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

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

// Sums over the flight samples that measure the unloaded plate (N, N²).
struct Noise {
    double sum = 0, sq = 0;
    std::size_t samples = 0;
};

// Lanes of the flight-noise sums: two vectors of four, so that two independent additions are in
// flight per sum (the loop is bound by the latency of the additions).
constexpr std::size_t kSumLanes = 8;
using SumLanes = std::array<double, kSumLanes>;

// s1[l] += x[8j + l] and s2[l] += x[8j + l]² for j = 0 … groups − 1, in that order.
__attribute__((target_clones("avx2", "default"))) void add_groups_of_eight(const double* x,
                                                                           std::size_t groups,
                                                                           SumLanes& s1,
                                                                           SumLanes& s2) {
    using Lanes4 = double __attribute__((vector_size(4 * sizeof(double))));
    Lanes4 sum_a, sum_b, sq_a, sq_b;
    std::memcpy(&sum_a, s1.data(), sizeof sum_a);
    std::memcpy(&sum_b, s1.data() + 4, sizeof sum_b);
    std::memcpy(&sq_a, s2.data(), sizeof sq_a);
    std::memcpy(&sq_b, s2.data() + 4, sizeof sq_b);
    for (std::size_t j = 0; j < groups; ++j) {
        Lanes4 a, b;
        std::memcpy(&a, x + 8 * j, sizeof a);
        std::memcpy(&b, x + 8 * j + 4, sizeof b);
        sum_a += a;
        sum_b += b;
        sq_a += a * a;
        sq_b += b * b;
    }
    std::memcpy(s1.data(), &sum_a, sizeof sum_a);
    std::memcpy(s1.data() + 4, &sum_b, sizeof sum_b);
    std::memcpy(s2.data(), &sq_a, sizeof sq_a);
    std::memcpy(s2.data() + 4, &sq_b, sizeof sq_b);
}

// Partial sums of the unloaded-plate level over one flight, [begin + margin, end − margin),
// accumulated as the scan reaches the samples (METHODS §3: 20 ms in from each flight edge). Eight
// lanes of sums, each added in increasing sample order, break the floating-point dependency chain;
// the per-flight totals add the lanes in order, flight by flight, so the result does not depend on
// how far the scan had got when a part was added.
class FlightSums {
  public:
    // Starts a flight whose first sample is `begin`; samples before from_ are never added.
    void start(std::size_t begin, std::size_t margin) {
        s1_ = {};
        s2_ = {};
        from_ = begin + margin;
        next_ = from_;
    }

    // Adds the groups of eight samples that lie wholly before `safe_end` (a bound below which
    // every sample belongs to the flight's interior).
    void advance(std::span<const double> f, std::size_t safe_end) {
        if (next_ + kSumLanes <= safe_end) {
            const std::size_t groups = (safe_end - next_) / kSumLanes;
            add_groups_of_eight(f.data() + next_, groups, s1_, s2_);
            next_ += kSumLanes * groups;
        }
    }

    // The flight ends at `end`: adds the rest of its interior to the noise totals.
    void finish(std::span<const double> f, std::size_t end, std::size_t margin, Noise& totals) {
        const std::size_t stop = end - margin;
        advance(f, stop);
        // The last samples go to lane 0, kept in registers (the sums could alias f).
        double rest1 = s1_[0], rest2 = s2_[0];
        for (std::size_t k = next_; k < stop; ++k) {
            rest1 += f[k];
            rest2 += f[k] * f[k];
        }
        s1_[0] = rest1;
        s2_[0] = rest2;
        double sum = 0, sq = 0;
        for (std::size_t l = 0; l < kSumLanes; ++l) {
            sum += s1_[l];
            sq += s2_[l];
        }
        totals.sum += sum;
        totals.sq += sq;
        totals.samples += stop - from_;
    }

  private:
    SumLanes s1_{}, s2_{};
    std::size_t from_ = 0, next_ = 0;
};

// Samples per group of the scan, and groups per chunk. Each group is reduced to its smallest and
// largest sample per vector lane; the group is searched sample by sample only when it can change
// the contact state (a sample < off_n in contact, ≥ on_n in flight), so a group costs a few
// instructions per sample (the pass is bound by instructions: the record streams from L3 at
// several times its speed). A chunk (16 KB) then stays in L1 for the flight-noise sums.
constexpr std::size_t kGroup = 32;
constexpr std::size_t kChunk = 2048;

// Calls changes(g) for each group g < groups of x (kGroup samples each) in which the state
// *contact can change, in order; changes(g) scans the group and may flip *contact. Returns whether
// every sample is finite: each group's samples are summed, and a NaN or an infinity makes the sum
// non-finite (so could finite samples near ±1.8e308 overflowing, which the caller rules out with
// an exact check before it reports anything).
#if defined(__x86_64__)
template <typename Changes>
__attribute__((target("avx2"))) bool scan_groups_avx2(const double* x, std::size_t groups,
                                                      double on_n, double off_n,
                                                      const bool& contact, Changes&& changes) {
    const __m256d on = _mm256_set1_pd(on_n);
    const __m256d off = _mm256_set1_pd(off_n);
    __m256d sums = _mm256_setzero_pd();
    // The record is requested 8 KB ahead: the hardware prefetcher alone leaves this loop waiting on
    // memory (analyze_trial without these prefetches: +11 %; 8 KB rather than 4 or 16: −3 % and
    // −6 %, alternating builds). The address is formed as an integer (it may lie past the record;
    // a prefetch never faults).
    constexpr std::uintptr_t kAheadBytes = 8192;
    constexpr std::uintptr_t kLineBytes = 64;
    for (std::size_t g = 0; g < groups; ++g) {
        const double* p = x + g * kGroup;
        const std::uintptr_t ahead = reinterpret_cast<std::uintptr_t>(p) + kAheadBytes;
        for (std::uintptr_t line = 0; line < kGroup * sizeof(double); line += kLineBytes)
            _mm_prefetch(reinterpret_cast<const char*>(ahead + line), _MM_HINT_T0);
        const __m256d v0 = _mm256_loadu_pd(p);
        const __m256d v1 = _mm256_loadu_pd(p + 4);
        const __m256d v2 = _mm256_loadu_pd(p + 8);
        const __m256d v3 = _mm256_loadu_pd(p + 12);
        const __m256d v4 = _mm256_loadu_pd(p + 16);
        const __m256d v5 = _mm256_loadu_pd(p + 20);
        const __m256d v6 = _mm256_loadu_pd(p + 24);
        const __m256d v7 = _mm256_loadu_pd(p + 28);
        sums = _mm256_add_pd(
            sums, _mm256_add_pd(_mm256_add_pd(_mm256_add_pd(v0, v1), _mm256_add_pd(v2, v3)),
                                _mm256_add_pd(_mm256_add_pd(v4, v5), _mm256_add_pd(v6, v7))));
        // Per lane, the smallest (in contact) or largest (in flight) of the group's samples in that
        // lane (a NaN may be dropped here; the sums catch it).
        bool change;
        if (contact) {
            const __m256d low =
                _mm256_min_pd(_mm256_min_pd(_mm256_min_pd(v0, v1), _mm256_min_pd(v2, v3)),
                              _mm256_min_pd(_mm256_min_pd(v4, v5), _mm256_min_pd(v6, v7)));
            change = _mm256_movemask_pd(_mm256_cmp_pd(low, off, _CMP_LT_OQ)) != 0;
        } else {
            const __m256d high =
                _mm256_max_pd(_mm256_max_pd(_mm256_max_pd(v0, v1), _mm256_max_pd(v2, v3)),
                              _mm256_max_pd(_mm256_max_pd(v4, v5), _mm256_max_pd(v6, v7)));
            change = _mm256_movemask_pd(_mm256_cmp_pd(high, on, _CMP_GE_OQ)) != 0;
        }
        if (change)
            changes(g);
    }
    const __m256d finite = _mm256_sub_pd(sums, sums);
    return _mm256_movemask_pd(_mm256_cmp_pd(finite, finite, _CMP_UNORD_Q)) == 0;
}
#endif

template <typename Changes>
bool scan_groups_portable(const double* x, std::size_t groups, double on_n, double off_n,
                          const bool& contact, Changes&& changes) {
    double sum = 0.0;
    for (std::size_t g = 0; g < groups; ++g) {
        bool change = false;
        for (std::size_t j = 0; j < kGroup; ++j) {
            const double v = x[g * kGroup + j];
            change |= contact ? v < off_n : v >= on_n;
            sum += v;
        }
        if (change)
            changes(g);
    }
    return std::isfinite(sum);
}

template <typename Changes>
bool scan_groups(const double* x, std::size_t groups, double on_n, double off_n,
                 const bool& contact, Changes&& changes) {
#if defined(__x86_64__)
    static const bool avx2 = __builtin_cpu_supports("avx2");
    if (avx2)
        return scan_groups_avx2(x, groups, on_n, off_n, contact, changes);
#endif
    return scan_groups_portable(x, groups, on_n, off_n, contact, changes);
}

// The first k in [from, end) with f[k] < level (kBelow) or f[k] ≥ level (otherwise), else end:
// four samples per comparison, the first hit found from the comparison's mask.
template <bool kBelow>
std::size_t first_crossing_portable(const double* f, std::size_t from, std::size_t end,
                                    double level) {
    for (std::size_t k = from; k < end; ++k) {
        if (kBelow ? f[k] < level : f[k] >= level)
            return k;
    }
    return end;
}

#if defined(__x86_64__)
template <bool kBelow>
__attribute__((target("avx2"))) std::size_t first_crossing_avx2(const double* f, std::size_t from,
                                                                std::size_t end, double level) {
    const __m256d threshold = _mm256_set1_pd(level);
    std::size_t k = from;
    for (; k + 4 <= end; k += 4) {
        const __m256d v = _mm256_loadu_pd(f + k);
        const int hits = _mm256_movemask_pd(kBelow ? _mm256_cmp_pd(v, threshold, _CMP_LT_OQ)
                                                   : _mm256_cmp_pd(v, threshold, _CMP_GE_OQ));
        if (hits != 0)
            return k + static_cast<std::size_t>(std::countr_zero(static_cast<unsigned>(hits)));
    }
    return first_crossing_portable<kBelow>(f, k, end, level);
}
#endif

template <bool kBelow>
std::size_t first_crossing(const double* f, std::size_t from, std::size_t end, double level) {
#if defined(__x86_64__)
    static const bool avx2 = __builtin_cpu_supports("avx2");
    if (avx2)
        return first_crossing_avx2<kBelow>(f, from, end, level);
#endif
    return first_crossing_portable<kBelow>(f, from, end, level);
}

[[noreturn]] void throw_non_finite(std::span<const double> f, std::size_t from) {
    const auto bad = std::find_if(f.begin() + static_cast<std::ptrdiff_t>(from), f.end(),
                                  [](double v) { return !std::isfinite(v); });
    throw std::invalid_argument("vertical force sample " + std::to_string(bad - f.begin()) +
                                " is not finite");
}

// The first detection at the threshold floor, in one pass over the record in L1-sized chunks:
// finite check, the Schmitt trigger's raw runs (only the groups of kGroup samples in which the
// current state can change are searched), and the flight-noise sums of the flights that step 2 of
// the debouncing will keep, taken while the samples are in cache. The flight bookkeeping follows
// debounce(): contacts shorter than min_contact merge into the flight around them, and an
// interior flight (not the first or last run) shorter than min_flight becomes contact and adds
// nothing.
struct FirstDetection {
    std::vector<Run> raw_runs;
    Noise noise;
};

FirstDetection scan_at_floor(std::span<const double> f, double on_n, double off_n,
                             std::size_t min_contact, std::size_t min_flight, std::size_t margin,
                             ContactObserver* observer) {
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
            if (observer != nullptr)
                observer->contact(begin, end);
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
    for (std::size_t chunk = 0; chunk < n; chunk += kChunk) {
        const std::size_t size = std::min(kChunk, n - chunk);
        const std::size_t groups = size / kGroup;
        const std::size_t stop = chunk + size;
        // Samples [k, end) are scanned for the sample that ends the current run.
        std::size_t k = chunk;
        const auto scan = [&](std::size_t end) {
            for (;;) {
                k = contact ? first_crossing<true>(f.data(), k, end, off_n)
                            : first_crossing<false>(f.data(), k, end, on_n);
                if (k == end)
                    return;
                out.raw_runs.push_back(Run{contact, run_begin, k});
                if (contact)
                    end_contact(run_begin, k);
                contact = !contact;
                run_begin = k;
            }
        };
        // A group in which the state can change is searched from its start (or from the last
        // crossing) to its end; a crossing inside it switches the state, and the search goes on
        // for the other level. A non-finite sample found after the chunk's scan discards it all.
        const bool finite =
            scan_groups(f.data() + chunk, groups, on_n, off_n, contact, [&](std::size_t g) {
                k = std::max(k, chunk + g * kGroup);
                scan(chunk + (g + 1) * kGroup);
            });
        if (!finite) {
            for (std::size_t j = chunk; j < chunk + groups * kGroup; ++j) {
                if (!std::isfinite(f[j]))
                    throw_non_finite(f, j);
            }
        }
        for (std::size_t j = chunk + groups * kGroup; j < stop; ++j) {
            if (!std::isfinite(f[j]))
                throw_non_finite(f, j);
        }
        k = std::max(k, chunk + groups * kGroup);
        scan(stop);
        if (observer != nullptr)
            observer->scanned(stop);
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
    return crossing_time_s(fz_n[sample - 1], fz_n[sample], sample, level_n, sample_rate_hz);
}

// Sub-sample time of the crossing of `level` between samples k−1 and k (METHODS §0).
double crossing_time_s(double before_n, double at_n, std::size_t sample, double level_n,
                       double sample_rate_hz) {
    const double fraction = at_n != before_n ? (level_n - before_n) / (at_n - before_n) : 0.0;
    return (static_cast<double>(sample - 1) + fraction) / sample_rate_hz;
}

namespace {

EventDetection detect(std::span<const double> f, double fs, const AnalysisSettings& settings,
                      ContactObserver* observer) {
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
                      settings.threshold_floor_n, min_contact, min_flight, margin, observer);
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

}  // namespace

EventDetection detect_events(std::span<const double> f, double fs,
                             const AnalysisSettings& settings) {
    return detect(f, fs, settings, nullptr);
}

EventDetection detect_events(std::span<const double> f, double fs, const AnalysisSettings& settings,
                             ContactObserver& observer) {
    return detect(f, fs, settings, &observer);
}

}  // namespace hoplab::processing
