#include <hoplab/processing/butterworth.hpp>
#include <hoplab/processing/events.hpp>
#include <hoplab/processing/trial_analysis.hpp>

#include "sort_few.hpp"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>
#include <utility>

namespace hoplab::processing {
namespace {

// Relative decay of the filter transient at the edge of a contact window (METHODS §1.1 says "filter
// the whole record, then cut"; a window this much wider than the contact gives the same numbers to
// ~1e-9 relative, see the tests).
constexpr double kWindowTransientTolerance = 1e-9;

using Run = StateRun;

std::string seconds_text(double s) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.3f", s);
    return buffer;
}

struct Weighing {
    std::size_t begin = 0, end = 0;
    double mean = 0, sd = 0;
    bool steady = false;
};

// Searches 1-s windows (10 ms step) of [begin, end) for the first (forward) or last (backward) one
// that passes the METHODS §2 stability test; otherwise reports the minimum-SD window with steady =
// false. Prefix sums of the samples minus the segment's first value keep the search linear in the
// segment length and free of cancellation.
std::optional<Weighing> weigh(std::span<const double> f, std::size_t begin, std::size_t end,
                              double fs, const AnalysisSettings& s, bool backward) {
    const auto window = static_cast<std::size_t>(std::lround(s.weighing_window_s * fs));
    if (window < 4 || end < begin + window)
        return std::nullopt;
    const auto step = std::max<std::size_t>(1, static_cast<std::size_t>(std::lround(0.010 * fs)));
    const double origin = f[begin];
    const std::size_t len = end - begin;
    std::vector<double> sum(len + 1, 0.0), sq(len + 1, 0.0);
    for (std::size_t k = 0; k < len; ++k) {
        const double v = f[begin + k] - origin;
        sum[k + 1] = sum[k] + v;
        sq[k + 1] = sq[k] + v * v;
    }
    const auto evaluate = [&](std::size_t a) {
        const auto w = static_cast<double>(window);
        const double total = sum[a + window] - sum[a];
        const double mean = total / w;
        const double var = std::max(0.0, (sq[a + window] - sq[a] - total * mean) / (w - 1.0));
        const std::size_t half = window / 2;
        const double first = (sum[a + half] - sum[a]) / static_cast<double>(half);
        const double second =
            (sum[a + window] - sum[a + half]) / static_cast<double>(window - half);
        Weighing result{begin + a, begin + a + window, mean + origin, std::sqrt(var), false};
        result.steady = result.mean > 0 && result.sd <= s.weighing_max_sd_fraction * result.mean &&
                        std::abs(first - second) <= s.weighing_max_half_difference * result.mean;
        return result;
    };
    std::optional<Weighing> best;
    const std::size_t count = (len - window) / step + 1;
    for (std::size_t i = 0; i < count; ++i) {
        const std::size_t a = backward ? len - window - i * step : i * step;
        const Weighing w = evaluate(a);
        if (w.steady)
            return w;
        if (!best || w.sd < best->sd)
            best = w;
    }
    return best;
}

std::optional<double> mean_of(const std::vector<double>& values) {
    if (values.empty())
        return std::nullopt;
    return std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
}

std::optional<double> cv_pct(const std::vector<double>& values) {
    if (values.size() < 2)
        return std::nullopt;
    const double mean = *mean_of(values);
    if (mean == 0)
        return std::nullopt;
    double sq = 0;
    for (double v : values)
        sq += (v - mean) * (v - mean);
    return 100.0 * std::sqrt(sq / static_cast<double>(values.size() - 1)) / mean;
}

// (mean of the last third − mean of the first third) / first third × 100; needs ≥ 6 values.
std::optional<double> fatigue_pct(const std::vector<double>& values) {
    if (values.size() < 6)
        return std::nullopt;
    const std::size_t third = values.size() / 3;
    const double first =
        std::accumulate(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(third), 0.0);
    const double last =
        std::accumulate(values.end() - static_cast<std::ptrdiff_t>(third), values.end(), 0.0);
    if (first == 0)
        return std::nullopt;
    return (last - first) / first * 100.0;
}

struct ImpactPeak {
    double force_n = 0;
    std::size_t index = 0;
};

struct Peak {
    double force_n = 0;
    std::size_t index = 0;
    std::optional<double> max_slope_n_per_s;  // largest forward difference × fs, touchdown to peak
    std::optional<ImpactPeak> impact;
};

// The per-window scans below run four samples per vector (AVX2 clone chosen at run time, else two
// SSE2 halves), with the same arithmetic on both paths: maxima are exact in any order, and the
// trapezoid adds sixteen partial sums in a fixed order.
using Lanes4 = double __attribute__((vector_size(4 * sizeof(double))));

// Index of the first sample holding the largest value of a non-empty span of finite values. The
// AVX2 form takes two passes: the largest value (maxima are exact in any order; four vectors of
// running maxima keep four comparisons in flight), then the first sample equal to it, eight per
// branch; tracking indices alongside the running maxima doubled the instructions per sample.
std::size_t first_largest_portable(std::span<const double> y) {
    std::size_t best = 0;
    for (std::size_t k = 1; k < y.size(); ++k) {
        if (y[k] > y[best])
            best = k;
    }
    return best;
}

#if defined(__x86_64__)
__attribute__((target("avx2"))) std::size_t first_largest_avx2(std::span<const double> y) {
    const double* x = y.data();
    __m256d top_a = _mm256_set1_pd(y[0]), top_b = top_a, top_c = top_a, top_d = top_a;
    std::size_t k = 0;
    for (; k + 16 <= y.size(); k += 16) {
        top_a = _mm256_max_pd(top_a, _mm256_loadu_pd(x + k));
        top_b = _mm256_max_pd(top_b, _mm256_loadu_pd(x + k + 4));
        top_c = _mm256_max_pd(top_c, _mm256_loadu_pd(x + k + 8));
        top_d = _mm256_max_pd(top_d, _mm256_loadu_pd(x + k + 12));
    }
    alignas(32) std::array<double, 4> lanes;
    _mm256_store_pd(lanes.data(),
                    _mm256_max_pd(_mm256_max_pd(top_a, top_b), _mm256_max_pd(top_c, top_d)));
    double top = std::max(std::max(lanes[0], lanes[1]), std::max(lanes[2], lanes[3]));
    for (; k < y.size(); ++k)
        top = std::max(top, x[k]);
    const __m256d wanted = _mm256_set1_pd(top);
    k = 0;
    for (; k + 8 <= y.size(); k += 8) {
        const __m256d hit =
            _mm256_or_pd(_mm256_cmp_pd(_mm256_loadu_pd(x + k), wanted, _CMP_EQ_OQ),
                         _mm256_cmp_pd(_mm256_loadu_pd(x + k + 4), wanted, _CMP_EQ_OQ));
        if (_mm256_movemask_pd(hit) != 0)
            break;
    }
    while (x[k] != top)
        ++k;
    return k;
}

bool has_avx2() {
    static const bool yes = __builtin_cpu_supports("avx2");
    return yes;
}
#endif

std::size_t first_largest(std::span<const double> y) {
#if defined(__x86_64__)
    if (has_avx2())
        return first_largest_avx2(y);
#endif
    return first_largest_portable(y);
}

// Largest forward difference y[k+1] − y[k] of a span of at least two finite values (maxima are
// exact in any order; two vectors of running maxima).
__attribute__((target_clones("avx2", "default"))) double largest_step(std::span<const double> y) {
    const double first = y[1] - y[0];
    Lanes4 top_a = {first, first, first, first}, top_b = top_a;
    std::size_t k = 0;
    for (; k + 9 <= y.size(); k += 8) {
        Lanes4 next_a, here_a, next_b, here_b;
        std::memcpy(&next_a, y.data() + k + 1, sizeof next_a);
        std::memcpy(&here_a, y.data() + k, sizeof here_a);
        std::memcpy(&next_b, y.data() + k + 5, sizeof next_b);
        std::memcpy(&here_b, y.data() + k + 4, sizeof here_b);
        const Lanes4 step_a = next_a - here_a;
        const Lanes4 step_b = next_b - here_b;
        top_a = top_a < step_a ? step_a : top_a;
        top_b = top_b < step_b ? step_b : top_b;
    }
    const Lanes4 top = top_a < top_b ? top_b : top_a;
    double result = std::max(std::max(top[0], top[1]), std::max(top[2], top[3]));
    for (; k + 1 < y.size(); ++k)
        result = std::max(result, y[k + 1] - y[k]);
    return result;
}

// Σ (f[k−1] + f[k]) over k in (begin, end), N, as 2 Σ f[begin, end) − f[begin] − f[end − 1]:
// one load per sample, four vectors of partial sums (four additions in flight: the loop is bound by
// their latency) (end > begin).
__attribute__((target_clones("avx2", "default"))) double trapezoid_sum(std::span<const double> f,
                                                                       std::size_t begin,
                                                                       std::size_t end) {
    Lanes4 partial_a{}, partial_b{}, partial_c{}, partial_d{};
    std::size_t k = begin;
    for (; k + 16 <= end; k += 16) {
        Lanes4 a, b, c, d;
        std::memcpy(&a, f.data() + k, sizeof a);
        std::memcpy(&b, f.data() + k + 4, sizeof b);
        std::memcpy(&c, f.data() + k + 8, sizeof c);
        std::memcpy(&d, f.data() + k + 12, sizeof d);
        partial_a += a;
        partial_b += b;
        partial_c += c;
        partial_d += d;
    }
    const Lanes4 partial = (partial_a + partial_b) + (partial_c + partial_d);
    double sum = (partial[0] + partial[1]) + (partial[2] + partial[3]);
    for (; k < end; ++k)
        sum += f[k];
    return 2.0 * sum - f[begin] - f[end - 1];
}

// First k in [from, end) with y[k] > y[k−1] and y[k] ≥ y[k+1] (a local maximum), else end.
// Requires 1 ≤ from and end < y.size().
std::size_t next_local_maximum_portable(std::span<const double> y, std::size_t from,
                                        std::size_t end) {
    for (std::size_t k = from; k < end; ++k) {
        if (y[k] > y[k - 1] && y[k] >= y[k + 1])
            return k;
    }
    return end;
}

#if defined(__x86_64__)
// Eight candidates per branch: the rising edges searched here rarely hold one.
__attribute__((target("avx2"))) std::size_t next_local_maximum_avx2(std::span<const double> y,
                                                                    std::size_t from,
                                                                    std::size_t end) {
    const double* x = y.data();
    std::size_t k = from;
    for (; k + 8 <= end; k += 8) {
        const __m256d v_a = _mm256_loadu_pd(x + k), v_b = _mm256_loadu_pd(x + k + 4);
        const __m256d hit_a =
            _mm256_and_pd(_mm256_cmp_pd(v_a, _mm256_loadu_pd(x + k - 1), _CMP_GT_OQ),
                          _mm256_cmp_pd(v_a, _mm256_loadu_pd(x + k + 1), _CMP_GE_OQ));
        const __m256d hit_b =
            _mm256_and_pd(_mm256_cmp_pd(v_b, _mm256_loadu_pd(x + k + 3), _CMP_GT_OQ),
                          _mm256_cmp_pd(v_b, _mm256_loadu_pd(x + k + 5), _CMP_GE_OQ));
        if (_mm256_movemask_pd(_mm256_or_pd(hit_a, hit_b)) != 0)
            break;
    }
    return next_local_maximum_portable(y, k, end);
}
#endif

std::size_t next_local_maximum(std::span<const double> y, std::size_t from, std::size_t end) {
#if defined(__x86_64__)
    if (has_avx2())
        return next_local_maximum_avx2(y, from, end);
#endif
    return next_local_maximum_portable(y, from, end);
}

// The prominence of the local maximum y[k] (scipy.signal.peak_prominences: its height above the
// higher of the lowest points between it and higher ground on each side).
double prominence(std::span<const double> y, std::size_t k) {
    double left_min = y[k];
    for (std::size_t j = k; j-- > 0 && y[j] <= y[k];) {
        left_min = std::min(left_min, y[j]);
    }
    double right_min = y[k];
    for (std::size_t j = k + 1; j < y.size() && y[j] <= y[k]; ++j) {
        right_min = std::min(right_min, y[j]);
    }
    return y[k] - std::max(left_min, right_min);
}

// METHODS §4.1: the first local maximum of y in [1, search_end) before the global maximum at
// `global` whose prominence reaches min_prominence.
std::optional<std::size_t> impact_peak(std::span<const double> y, std::size_t global,
                                       std::size_t search_end, double min_prominence) {
    const std::size_t end = std::min(search_end, global);
    for (std::size_t k = next_local_maximum(y, 1, end); k < end;
         k = next_local_maximum(y, k + 1, end)) {
        if (prominence(y, k) >= min_prominence)
            return k;
    }
    return std::nullopt;
}

// The peak of the filtered force y over a run starting at sample `begin`, its largest step before
// it, and (min_impact_prominence_n given) the impact peak in the first impact_search_fraction.
Peak peak_of(std::span<const double> y, std::size_t begin, double fs,
             const std::optional<double>& min_impact_prominence_n, double impact_search_fraction) {
    const std::size_t local = first_largest(y);
    Peak p{y[local], begin + local, std::nullopt, std::nullopt};
    if (local > 0)
        p.max_slope_n_per_s = largest_step(y.first(local + 1)) * fs;
    if (min_impact_prominence_n) {
        const auto search_end = static_cast<std::size_t>(
            std::ceil(impact_search_fraction * static_cast<double>(y.size())));
        if (const auto k = impact_peak(y, local, search_end, *min_impact_prominence_n))
            p.impact = ImpactPeak{y[*k], begin + *k};
    }
    return p;
}

// A zero-phase filter evaluated on [begin − margin, end + margin) clamped to the record. When the
// window reaches a record edge, that edge gets scipy's edge handling exactly as whole-record
// filtering would.
class WindowedFilter {
  public:
    WindowedFilter(double cutoff_hz, double fs)
        : filter_(butterworth_lowpass(2, cutoff_hz, fs)),
          margin_(filter_.settle_samples(kWindowTransientTolerance)),
          cutoff_hz_(cutoff_hz),
          fs_(fs) {}

    [[nodiscard]] bool designed_for(double cutoff_hz, double fs) const {
        return cutoff_hz == cutoff_hz_ && fs == fs_;
    }

    // The window [lo, hi) filtered for the samples [begin, end).
    [[nodiscard]] std::pair<std::size_t, std::size_t> window(std::size_t n, std::size_t begin,
                                                             std::size_t end) const {
        std::size_t lo = begin > margin_ ? begin - margin_ : 0;
        std::size_t hi = std::min(n, end + margin_);
        while (hi - lo <= filter_.pad_samples() && (lo > 0 || hi < n)) {
            lo = lo > 0 ? lo - 1 : lo;
            hi = std::min(n, hi + 1);
        }
        return {lo, hi};
    }

    // Filtered values of samples [begin, end): returns the offset of sample `begin` inside
    // values().
    std::size_t run(std::span<const double> f, std::size_t begin, std::size_t end) {
        const auto [lo, hi] = window(f.size(), begin, end);
        values_.resize(hi - lo);
        filter_.apply(f.subspan(lo, hi - lo), values_);
        return begin - lo;
    }

    // Peak of the filtered force inside each run in `which`. Windows are filtered sixteen at a time
    // (ZeroPhaseFilter::apply_many interleaves them) through small reused buffers, shortest runs
    // first so that a group's windows have similar lengths (a group costs its longest window).
    // An impact peak is searched for when min_impact_prominence_n is given.
    // `visit(i)` is called for each run i in `which` right after its window is filtered, while
    // the run's raw samples are still in cache. result[i] is set for each run i in `which`
    // (result holds one entry per run).
    template <typename Visit>
    void peaks(std::span<const double> f, const std::vector<Run>& runs,
               const std::vector<std::size_t>& which, double fs,
               const std::optional<double>& min_impact_prominence_n, double impact_search_fraction,
               Visit&& visit, std::vector<std::optional<Peak>>& result) {
        std::vector<std::size_t> order = which;
        std::stable_sort(order.begin(), order.end(), [&runs](std::size_t a, std::size_t b) {
            return runs[a].end - runs[a].begin < runs[b].end - runs[b].begin;
        });
        // Runs whose margins lie inside the record skip the recursion over the margins
        // (apply_inside); those near the record's ends are filtered as whole windows, with the
        // record's own edge handling (apply_many keeping the run's samples).
        const auto inside = [&](std::size_t i) {
            return runs[i].begin >= margin_ && f.size() - runs[i].end >= margin_;
        };
        const auto first_near_edge = std::stable_partition(order.begin(), order.end(), inside);
        const auto inside_count = static_cast<std::size_t>(first_near_edge - order.begin());
        constexpr std::size_t kGroup = 16;
        std::array<ZeroPhaseFilter::Stretch, kGroup> stretches;
        std::array<std::span<const double>, kGroup> inputs;
        std::array<std::size_t, kGroup> keep_from{};
        std::array<std::span<double>, kGroup> outputs;
        for (std::size_t g = 0; g < order.size();) {
            // A group never mixes the two kinds.
            const std::size_t group_end =
                std::min(g + kGroup, g < inside_count ? inside_count : order.size());
            const std::size_t count = group_end - g;
            std::size_t total = 0;
            for (std::size_t j = 0; j < count; ++j)
                total += runs[order[g + j]].end - runs[order[g + j]].begin;
            values_.resize(std::max(values_.size(), total));
            std::size_t at = 0;
            for (std::size_t j = 0; j < count; ++j) {
                const Run& r = runs[order[g + j]];
                const auto [lo, hi] = window(f.size(), r.begin, r.end);
                stretches[j] = ZeroPhaseFilter::Stretch{r.begin, r.end};
                inputs[j] = f.subspan(lo, hi - lo);
                keep_from[j] = r.begin - lo;
                outputs[j] = std::span<double>(values_).subspan(at, r.end - r.begin);
                at += r.end - r.begin;
            }
            if (g < inside_count) {
                filter_.apply_inside(f, margin_, std::span(stretches).first(count),
                                     std::span(outputs).first(count));
            } else {
                filter_.apply_many(std::span(inputs).first(count),
                                   std::span(keep_from).first(count),
                                   std::span(outputs).first(count));
            }
            for (std::size_t j = 0; j < count; ++j) {
                visit(order[g + j]);
                result[order[g + j]] = peak_of(outputs[j], runs[order[g + j]].begin, fs,
                                               min_impact_prominence_n, impact_search_fraction);
            }
            g = group_end;
        }
    }
    [[nodiscard]] std::span<const double> values() const { return values_; }
    [[nodiscard]] std::size_t margin() const { return margin_; }

    // Filtered samples of stretches of f whose margins lie inside it, side by side
    // (ZeroPhaseFilter::apply_inside_interleaved): the same values peaks() computes for those runs.
    [[nodiscard]] ZeroPhaseFilter::InterleavedStretches filter_inside_interleaved(
        std::span<const double> f, std::span<const ZeroPhaseFilter::Stretch> stretches) {
        return filter_.apply_inside_interleaved(f, margin_, stretches);
    }

  private:
    ZeroPhaseFilter filter_;
    std::size_t margin_;
    double cutoff_hz_, fs_;
    std::vector<double> values_;
};

// peak_of()'s first two values for up to sixteen stretches filtered side by side
// (ZeroPhaseFilter::apply_inside_interleaved), and the local maxima its impact search would test:
// the same comparisons on the same values, so the same results. Reduced across the stretches at
// once, four per vector, instead of one stretch at a time from its own buffer (which needs the
// interleaved rows transposed first).
constexpr std::size_t kSideBySide = ZeroPhaseFilter::kInterleavedLanes;

struct StretchPeak {
    std::size_t peak = 0;       // first largest sample
    double peak_n = 0;          // its value
    double largest_step_n = 0;  // largest y[k] − y[k−1] over 0 < k ≤ peak (peak > 0)
};

// peak and largest_step for the stretches l < count of lengths[l] (lanes at or past count are
// copies of lane 0 and have its length).
void stretch_peaks_portable(const ZeroPhaseFilter::InterleavedStretches& y,
                            const std::array<std::size_t, kSideBySide>& lengths, std::size_t count,
                            std::array<StretchPeak, kSideBySide>& out) {
    for (std::size_t l = 0; l < count; ++l) {
        StretchPeak& p = out[l];
        p = {0, y.at(0, l), 0};
        for (std::size_t k = 1; k < lengths[l]; ++k) {
            if (y.at(k, l) > p.peak_n) {
                p.peak = k;
                p.peak_n = y.at(k, l);
            }
        }
        if (p.peak > 0) {
            p.largest_step_n = y.at(1, l) - y.at(0, l);
            for (std::size_t k = 2; k <= p.peak; ++k)
                p.largest_step_n = std::max(p.largest_step_n, y.at(k, l) - y.at(k - 1, l));
        }
    }
}

#if defined(__x86_64__)
// Two passes: the largest value of each stretch (maxima are exact in any order), then, eight
// stretches at a time, the rows up to each one's first sample equal to it, taking the steps
// before it. Lanes past `count` hold copies of lane 0 and are reduced along (no branch per lane).
__attribute__((target("avx2"))) void stretch_peaks_avx2(
    const ZeroPhaseFilter::InterleavedStretches& y,
    const std::array<std::size_t, kSideBySide>& lengths, std::size_t count,
    std::array<StretchPeak, kSideBySide>& out) {
    const std::size_t shortest = *std::min_element(lengths.begin(), lengths.end());
    const double* rows = y.rows;
    __m256d top[4];
    for (std::size_t v = 0; v < 4; ++v)
        top[v] = _mm256_loadu_pd(rows + 4 * v);
    for (std::size_t k = 1; k < shortest; ++k) {
        const double* row = rows + k * kSideBySide;
        top[0] = _mm256_max_pd(top[0], _mm256_loadu_pd(row));
        top[1] = _mm256_max_pd(top[1], _mm256_loadu_pd(row + 4));
        top[2] = _mm256_max_pd(top[2], _mm256_loadu_pd(row + 8));
        top[3] = _mm256_max_pd(top[3], _mm256_loadu_pd(row + 12));
    }
    alignas(32) std::array<double, kSideBySide> tops;
    for (std::size_t v = 0; v < 4; ++v)
        _mm256_store_pd(tops.data() + 4 * v, top[v]);
    for (std::size_t l = 0; l < count; ++l) {
        for (std::size_t k = shortest; k < lengths[l]; ++k)
            tops[l] = std::max(tops[l], y.at(k, l));
    }
    alignas(32) std::array<double, kSideBySide> ats, steps;
    const __m256d one = _mm256_set1_pd(1.0);
    for (std::size_t half = 0; half < 2 && 8 * half < count; ++half) {
        const double* lane = rows + 8 * half;
        const __m256d wanted_a = _mm256_load_pd(tops.data() + 8 * half);
        const __m256d wanted_b = _mm256_load_pd(tops.data() + 8 * half + 4);
        __m256d previous_a = _mm256_loadu_pd(lane), previous_b = _mm256_loadu_pd(lane + 4);
        __m256d found_a = _mm256_cmp_pd(previous_a, wanted_a, _CMP_EQ_OQ);
        __m256d found_b = _mm256_cmp_pd(previous_b, wanted_b, _CMP_EQ_OQ);
        __m256d at_a = _mm256_setzero_pd(), at_b = at_a;
        __m256d step_a = _mm256_set1_pd(-std::numeric_limits<double>::infinity()), step_b = step_a;
        // A lane not yet found counts the row (its peak is the number of rows before it) and
        // takes the row's step. Each stretch holds its largest value before its own length, so
        // the loop stops by then.
        for (std::size_t k = 1; _mm256_movemask_pd(_mm256_and_pd(found_a, found_b)) != 0xF; ++k) {
            const __m256d here_a = _mm256_loadu_pd(lane + k * kSideBySide);
            const __m256d here_b = _mm256_loadu_pd(lane + k * kSideBySide + 4);
            at_a = _mm256_add_pd(at_a, _mm256_andnot_pd(found_a, one));
            at_b = _mm256_add_pd(at_b, _mm256_andnot_pd(found_b, one));
            step_a = _mm256_blendv_pd(_mm256_max_pd(step_a, _mm256_sub_pd(here_a, previous_a)),
                                      step_a, found_a);
            step_b = _mm256_blendv_pd(_mm256_max_pd(step_b, _mm256_sub_pd(here_b, previous_b)),
                                      step_b, found_b);
            found_a = _mm256_or_pd(found_a, _mm256_cmp_pd(here_a, wanted_a, _CMP_EQ_OQ));
            found_b = _mm256_or_pd(found_b, _mm256_cmp_pd(here_b, wanted_b, _CMP_EQ_OQ));
            previous_a = here_a;
            previous_b = here_b;
        }
        _mm256_store_pd(ats.data() + 8 * half, at_a);
        _mm256_store_pd(ats.data() + 8 * half + 4, at_b);
        _mm256_store_pd(steps.data() + 8 * half, step_a);
        _mm256_store_pd(steps.data() + 8 * half + 4, step_b);
    }
    for (std::size_t l = 0; l < count; ++l)
        out[l] = {static_cast<std::size_t>(ats[l]), tops[l], steps[l]};
}
#endif

void stretch_peaks(const ZeroPhaseFilter::InterleavedStretches& y,
                   const std::array<std::size_t, kSideBySide>& lengths, std::size_t count,
                   std::array<StretchPeak, kSideBySide>& out) {
#if defined(__x86_64__)
    if (has_avx2())
        return stretch_peaks_avx2(y, lengths, count, out);
#endif
    stretch_peaks_portable(y, lengths, count, out);
}

// The local maxima k in [1, ends[l]) of each stretch l < count (y[k] > y[k−1], y[k] ≥ y[k+1];
// ends[l] < lengths[l]), in increasing k: found(l, k) is called for each.
template <typename Found>
void local_maxima_portable(const ZeroPhaseFilter::InterleavedStretches& y,
                           const std::array<std::size_t, kSideBySide>& ends, std::size_t count,
                           Found&& found) {
    for (std::size_t l = 0; l < count; ++l) {
        for (std::size_t k = 1; k < ends[l]; ++k) {
            if (y.at(k, l) > y.at(k - 1, l) && y.at(k, l) >= y.at(k + 1, l))
                found(l, k);
        }
    }
}

#if defined(__x86_64__)
// Sixteen stretches per row, one branch per row: the rising edges searched here rarely hold one.
template <typename Found>
__attribute__((target("avx2"))) void local_maxima_avx2(
    const ZeroPhaseFilter::InterleavedStretches& y,
    const std::array<std::size_t, kSideBySide>& ends, std::size_t count, Found&& found) {
    std::size_t last = 0;                                    // the rows to search: [1, last)
    alignas(32) std::array<double, kSideBySide> end_rows{};  // 0 past count: never searched
    for (std::size_t l = 0; l < count; ++l) {
        last = std::max(last, ends[l]);
        end_rows[l] = static_cast<double>(ends[l]);
    }
    if (last <= 1)
        return;
    __m256d end_row[4], before[4], here[4];
    for (std::size_t v = 0; v < 4; ++v) {
        end_row[v] = _mm256_load_pd(end_rows.data() + 4 * v);
        before[v] = _mm256_loadu_pd(y.rows + 4 * v);
        here[v] = _mm256_loadu_pd(y.rows + kSideBySide + 4 * v);
    }
    __m256d row_index = _mm256_set1_pd(1.0);
    const __m256d one = _mm256_set1_pd(1.0);
    for (std::size_t k = 1; k < last; ++k) {
        __m256d hit[4];
        for (std::size_t v = 0; v < 4; ++v) {
            const __m256d after = _mm256_loadu_pd(y.rows + (k + 1) * kSideBySide + 4 * v);
            hit[v] = _mm256_and_pd(_mm256_and_pd(_mm256_cmp_pd(here[v], before[v], _CMP_GT_OQ),
                                                 _mm256_cmp_pd(here[v], after, _CMP_GE_OQ)),
                                   _mm256_cmp_pd(row_index, end_row[v], _CMP_LT_OQ));
            before[v] = here[v];
            here[v] = after;
        }
        if (_mm256_movemask_pd(
                _mm256_or_pd(_mm256_or_pd(hit[0], hit[1]), _mm256_or_pd(hit[2], hit[3]))) != 0) {
            for (std::size_t v = 0; v < 4; ++v) {
                const int mask = _mm256_movemask_pd(hit[v]);
                for (std::size_t j = 0; j < 4; ++j) {
                    if ((mask >> j) & 1)
                        found(4 * v + j, k);
                }
            }
        }
        row_index = _mm256_add_pd(row_index, one);
    }
}
#endif

template <typename Found>
void local_maxima(const ZeroPhaseFilter::InterleavedStretches& y,
                  const std::array<std::size_t, kSideBySide>& ends, std::size_t count,
                  Found&& found) {
#if defined(__x86_64__)
    if (has_avx2())
        return local_maxima_avx2(y, ends, count, found);
#endif
    local_maxima_portable(y, ends, count, found);
}

// prominence() of y[k] in stretch l of `length` samples.
double prominence(const ZeroPhaseFilter::InterleavedStretches& y, std::size_t l, std::size_t length,
                  std::size_t k) {
    const double top = y.at(k, l);
    double left_min = top;
    for (std::size_t j = k; j-- > 0 && y.at(j, l) <= top;)
        left_min = std::min(left_min, y.at(j, l));
    double right_min = top;
    for (std::size_t j = k + 1; j < length && y.at(j, l) <= top; ++j)
        right_min = std::min(right_min, y.at(j, l));
    return top - std::max(left_min, right_min);
}

// Contact windows filtered during the event pass (ContactObserver), while the pass still has their
// samples in cache: the record is then read from memory once, where filtering every run afterwards
// reads most of it again and waits on it. The floor detection's contacts whose margins lie inside
// the record and that last at most `longest` samples are filtered 32 at a time, sorted by length
// into 16-lane groups of similar length, once the pass has checked their windows. Each is reduced
// at once to what the peak metrics need: its first largest filtered value, the largest step before
// it, the local maxima the impact search would test with their prominences (which of them counts
// needs the body weight, known later), its raw trapezoid sum and the raw samples around its edges.
// The final runs are usually these contacts; a run that is not (merged by the debouncing, moved by
// a raised θ, near an edge, long) is filtered afterwards by WindowedFilter::peaks. A window's
// filtered values do not depend on the other windows of its group, so both ways give the same
// numbers.
class FilteredAhead final : public ContactObserver {
  public:
    struct Contact {
        std::size_t begin = 0, end = 0;
        std::size_t peak = 0;                      // first largest filtered sample, from begin
        double peak_n = 0;                         // its value
        double largest_step_n = 0;                 // largest_step of the filtered samples up to it
        std::size_t impacts = 0, impacts_end = 0;  // its impact candidates in impacts_
        double trapezoid_sum_n = 0;                // trapezoid_sum(f, begin, end)
        // f[begin − 1], f[begin], f[end − 1], f[end]
        double before_begin_n = 0, at_begin_n = 0, before_end_n = 0, at_end_n = 0;
    };

    void start(std::span<const double> f, WindowedFilter& filter, std::size_t longest,
               double impact_search_fraction) {
        f_ = f;
        filter_ = &filter;
        longest_ = longest;
        impact_search_fraction_ = impact_search_fraction;
        pending_.clear();
        pending_contacts_.clear();
        contacts_.clear();
        impacts_.clear();
        cursor_ = 0;
    }

    // The raw quantities are taken here, while the pass has just read the contact's samples.
    void contact(std::size_t begin, std::size_t end) override {
        const std::size_t margin = filter_->margin();
        if (begin >= margin && f_.size() - end >= margin && end - begin <= longest_) {
            pending_.push_back({begin, end});
            Contact& c = pending_contacts_.emplace_back();
            c.begin = begin;
            c.end = end;
            c.trapezoid_sum_n = trapezoid_sum(f_, begin, end);
            c.before_begin_n = f_[begin - 1];
            c.at_begin_n = f_[begin];
            c.before_end_n = f_[end - 1];
            c.at_end_n = f_[end];
        }
    }

    void scanned(std::size_t up_to) override {
        while (pending_.size() >= kBatch && pending_[kBatch - 1].end + filter_->margin() <= up_to)
            filter_pending(kBatch);
    }

    // After the pass: the contacts still pending.
    void finish() {
        while (!pending_.empty())
            filter_pending(std::min(kBatch, pending_.size()));
    }

    // The contact [r.begin, r.end), if it was filtered here. Runs are asked for in record order.
    [[nodiscard]] const Contact* match(const Run& r) {
        while (cursor_ < contacts_.size() && contacts_[cursor_].begin < r.begin)
            ++cursor_;
        return cursor_ < contacts_.size() && contacts_[cursor_].begin == r.begin &&
                       contacts_[cursor_].end == r.end
                   ? &contacts_[cursor_]
                   : nullptr;
    }

    // peak_of() for the contact, from what was kept of it.
    [[nodiscard]] Peak peak(const Contact& c, double fs,
                            const std::optional<double>& min_impact_prominence_n) const {
        Peak p{c.peak_n, c.begin + c.peak, std::nullopt, std::nullopt};
        if (c.peak > 0)
            p.max_slope_n_per_s = c.largest_step_n * fs;
        if (min_impact_prominence_n) {
            for (std::size_t i = c.impacts; i < c.impacts_end; ++i) {
                if (impacts_[i].prominence_n >= *min_impact_prominence_n) {
                    p.impact = ImpactPeak{impacts_[i].force_n, c.begin + impacts_[i].index};
                    break;
                }
            }
        }
        return p;
    }

    // Gives back buffers grown by a long record (kept between calls otherwise).
    void release_if_larger_than(std::size_t contacts) {
        if (contacts_.capacity() > contacts) {
            contacts_ = {};
            impacts_ = {};
        }
    }

  private:
    static constexpr std::size_t kBatch = 32;
    static constexpr std::size_t kLanes = kSideBySide;

    void filter_pending(std::size_t count) {
        const std::span<const ZeroPhaseFilter::Stretch> batch(pending_.data(), count);
        std::array<std::size_t, kBatch> order{};
        for (std::size_t j = 0; j < count; ++j)
            order[j] = j;
        detail::sort_few(std::span(order).first(count), [&batch](std::size_t a, std::size_t b) {
            return batch[a].end - batch[a].begin < batch[b].end - batch[b].begin;
        });
        const std::size_t first = contacts_.size();
        contacts_.resize(first + count);
        for (std::size_t g = 0; g < count; g += kLanes) {
            const std::size_t lanes = std::min(kLanes, count - g);
            std::array<ZeroPhaseFilter::Stretch, kLanes> stretches;
            std::array<std::size_t, kLanes> lengths{}, ends{};
            for (std::size_t l = 0; l < kLanes; ++l) {
                // Lanes past the last stretch are copies of the first (apply_inside_interleaved).
                const auto& s = batch[order[g + (l < lanes ? l : 0)]];
                stretches[l] = s;
                lengths[l] = s.end - s.begin;
            }
            const auto y =
                filter_->filter_inside_interleaved(f_, std::span(stretches).first(lanes));
            std::array<StretchPeak, kLanes> peaks;
            stretch_peaks(y, lengths, lanes, peaks);
            // impact_peak()'s candidates, in its order: the local maxima before the peak and
            // within the search fraction.
            for (std::size_t l = 0; l < lanes; ++l) {
                const auto search_end = static_cast<std::size_t>(
                    std::ceil(impact_search_fraction_ * static_cast<double>(lengths[l])));
                ends[l] = std::min(search_end, peaks[l].peak);
                candidates_[l].clear();
            }
            local_maxima(y, ends, lanes,
                         [this](std::size_t l, std::size_t k) { candidates_[l].push_back(k); });
            for (std::size_t l = 0; l < lanes; ++l) {
                Contact& c = contacts_[first + order[g + l]];
                c = pending_contacts_[order[g + l]];
                c.peak = peaks[l].peak;
                c.peak_n = peaks[l].peak_n;
                if (c.peak > 0)
                    c.largest_step_n = peaks[l].largest_step_n;
                c.impacts = impacts_.size();
                for (const std::size_t k : candidates_[l])
                    impacts_.push_back(
                        ImpactCandidate{k, y.at(k, l), prominence(y, l, lengths[l], k)});
                c.impacts_end = impacts_.size();
            }
        }
        pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(count));
        pending_contacts_.erase(pending_contacts_.begin(),
                                pending_contacts_.begin() + static_cast<std::ptrdiff_t>(count));
    }

    struct ImpactCandidate {
        std::size_t index = 0;  // from the contact's start
        double force_n = 0, prominence_n = 0;
    };

    std::span<const double> f_;
    WindowedFilter* filter_ = nullptr;
    std::size_t longest_ = 0;
    double impact_search_fraction_ = 0;
    std::vector<ZeroPhaseFilter::Stretch> pending_;
    std::vector<Contact> pending_contacts_;  // their raw quantities, peak fields unset
    std::vector<Contact> contacts_;          // in record order
    std::size_t cursor_ = 0;                 // match()'s place in contacts_
    std::array<std::vector<std::size_t>, kLanes> candidates_;  // one group's local maxima
    std::vector<ImpactCandidate> impacts_;
};

void check_settings(const AnalysisSettings& s) {
    const auto positive = [](double v, const char* name) {
        if (!(v > 0) || !std::isfinite(v)) {
            throw std::invalid_argument(std::string("analysis setting ") + name +
                                        " must be positive, not " + std::to_string(v));
        }
    };
    positive(s.min_contact_s, "min_contact_s");
    positive(s.dpsi_window_s, "dpsi_window_s");
    positive(s.cop_cutoff_hz, "cop_cutoff_hz");
    positive(s.impact_min_prominence_bw, "impact_min_prominence_bw");
    positive(s.landing_cop_to_s, "landing_cop_to_s");
    if (!(s.impact_search_fraction > 0 && s.impact_search_fraction <= 1)) {
        throw std::invalid_argument(
            "analysis setting impact_search_fraction must lie in (0, 1], not " +
            std::to_string(s.impact_search_fraction));
    }
    if (!(s.landing_cop_from_s >= 0 && s.landing_cop_from_s < s.landing_cop_to_s) ||
        !(s.stance_cop_trim_s >= 0)) {
        throw std::invalid_argument(
            "analysis settings: the landing COP window needs 0 ≤ from < to, and the stance trim ≥ "
            "0");
    }
    positive(s.min_flight_s, "min_flight_s");
    positive(s.weighing_window_s, "weighing_window_s");
    positive(s.stabilisation_band_bw, "stabilisation_band_bw");
    positive(s.gravity_m_s2, "gravity_m_s2");
    if (!(s.threshold_floor_n >= 0) || !(s.threshold_noise_factor >= 0) || !(s.hysteresis_n >= 0)) {
        throw std::invalid_argument(
            "analysis settings: threshold floor, noise factor and hysteresis must be ≥ 0");
    }
    if (s.body_mass_kg && !(*s.body_mass_kg > 0)) {
        throw std::invalid_argument("body mass must be positive, not " +
                                    std::to_string(*s.body_mass_kg) + " kg");
    }
    for (double cutoff : {s.peak_cutoff_hz, s.stabilisation_cutoff_hz}) {
        if (!(cutoff > 0) || !std::isfinite(cutoff)) {
            throw std::invalid_argument("analysis cutoff " + std::to_string(cutoff) +
                                        " Hz must be positive");
        }
    }
}

}  // namespace

TrialAnalysis analyze_trial(std::span<const double> f, double fs, Protocol protocol, Limb limb,
                            const AnalysisSettings& settings,
                            const std::optional<PlateKinetics>& plate) {
    if (!(fs > 0) || !std::isfinite(fs)) {
        throw std::invalid_argument("sample rate must be positive, not " + std::to_string(fs) +
                                    " Hz");
    }
    if (static_cast<double>(f.size()) < 0.2 * fs || f.size() < 10) {
        throw std::invalid_argument("the trial has " + std::to_string(f.size()) +
                                    " samples; at least 0.2 s and 10 samples are needed");
    }
    // Non-finite samples are refused by detect_events, whose first pass over the record checks
    // them ("vertical force sample <index> is not finite").
    check_settings(settings);
    if (plate && (plate->fz_n.size() != f.size() || plate->fx_n.size() != f.size() ||
                  plate->fy_n.size() != f.size() || plate->cop.size() != f.size())) {
        throw std::invalid_argument("the plate's force and COP spans must have the " +
                                    std::to_string(f.size()) + " samples of the vertical force");
    }
    TrialAnalysis out;
    out.protocol = protocol;
    out.limb = limb;
    out.sample_rate_hz = fs;
    out.settings = settings;
    const double g = settings.gravity_m_s2;
    const auto flag = [&out](std::string text) { out.quality_flags.push_back(std::move(text)); };

    // A cutoff at or above 0.45·fs cannot be designed (METHODS §1.1): at such low rates (load-cell
    // boards) the filtered metrics are null with a flag rather than the whole trial refused.
    const bool peaks_possible = settings.peak_cutoff_hz < 0.45 * fs;
    // Reused on this thread while the cutoff and rate stay the same, with their work buffers.
    thread_local std::optional<WindowedFilter> peak_filter;
    thread_local FilteredAhead filtered_ahead;
    if (peaks_possible && (!peak_filter || !peak_filter->designed_for(settings.peak_cutoff_hz, fs)))
        peak_filter.emplace(settings.peak_cutoff_hz, fs);
    // Contacts of up to 1 s (hops, not stances) are filtered during the event pass.
    EventDetection events = [&] {
        if (!peaks_possible)
            return detect_events(f, fs, settings);
        filtered_ahead.start(f, *peak_filter, static_cast<std::size_t>(fs),
                             settings.impact_search_fraction);
        EventDetection detected = detect_events(f, fs, settings, filtered_ahead);
        filtered_ahead.finish();
        return detected;
    }();
    auto runs = std::move(events.runs);
    const double threshold = events.threshold_N;
    const std::size_t double_taps = events.merged_flights;
    out.flight_noise_mean_N = events.flight_noise_mean_N;
    out.flight_noise_sd_N = events.flight_noise_sd_N;
    if (events.flight_noise_mean_N && std::abs(*events.flight_noise_mean_N) > threshold / 2) {
        flag("re-tare: the unloaded plate reads " + std::to_string(*events.flight_noise_mean_N) +
             " N");
    }
    out.threshold_N = threshold;
    const double on_n = threshold + settings.hysteresis_n;
    if (double_taps > 0) {
        flag("double contact: " + std::to_string(double_taps) +
             " flight(s) shorter than min_flight_s merged");
    }

    // Body weight (METHODS §2): pre-movement stance, then final stance, then the operator's mass.
    std::optional<Weighing> weighing;
    std::string weighing_where;
    std::optional<double> unsteady_sd;
    const auto first_stance =
        std::find_if(runs.begin(), runs.end(), [](const Run& r) { return r.contact; }) -
        runs.begin();
    std::optional<std::size_t> weighing_run;
    if (first_stance < static_cast<std::ptrdiff_t>(runs.size())) {
        weighing_run = static_cast<std::size_t>(first_stance);
        // A stance that starts with stepping on begins with the loading ramp, which a 1 s window
        // can straddle and still pass the SD test (hoplab departure from METHODS §2, see
        // docs/methods.md): skip it.
        const Run& r = runs[*weighing_run];
        const auto skip = r.begin > 0 ? static_cast<std::size_t>(std::lround(
                                            settings.weighing_skip_after_touchdown_s * fs))
                                      : 0;
        if (r.begin + skip < r.end)
            weighing = weigh(f, r.begin + skip, r.end, fs, settings, false);
        weighing_where = "quiet stance ";
    }
    const std::size_t final_stance = runs.back().contact ? runs.size() - 1 : runs.size() - 2;
    if ((!weighing || !weighing->steady) && runs.size() > 1 && runs[final_stance].contact &&
        final_stance != weighing_run) {
        if (weighing)
            unsteady_sd = weighing->sd;
        weighing_run = final_stance;
        weighing = weigh(f, runs[final_stance].begin, runs[final_stance].end, fs, settings, true);
        weighing_where = "final stance ";
    }
    if (weighing && weighing->steady) {
        out.body_weight_N = weighing->mean;
        out.body_weight_sd_N = weighing->sd;
        out.body_weight_source =
            weighing_where + seconds_text(static_cast<double>(weighing->begin) / fs) + " s to " +
            seconds_text(static_cast<double>(weighing->end) / fs) + " s";
    } else if (weighing) {
        unsteady_sd = unsteady_sd ? std::min(*unsteady_sd, weighing->sd) : weighing->sd;
    }
    if (settings.body_mass_kg) {
        const double operator_bw = *settings.body_mass_kg * g;
        if (!out.body_weight_N) {
            out.body_weight_N = operator_bw;
            out.body_weight_source = "operator mass";
            flag("unsteady weighing: no steady " + seconds_text(settings.weighing_window_s) +
                 " s of stance; body weight from the entered mass");
        } else if (std::abs(*out.body_weight_N - operator_bw) >
                   settings.operator_mass_tolerance * operator_bw) {
            flag("body weight from stance differs from the entered mass by more than " +
                 std::to_string(settings.operator_mass_tolerance * 100.0) + " %");
        }
    } else if (!out.body_weight_N) {
        out.body_weight_source = "none: no steady " + seconds_text(settings.weighing_window_s) +
                                 " s of stance and no mass entered";
        flag(unsteady_sd
                 ? "unsteady weighing: the steadiest window has SD " +
                       std::to_string(*unsteady_sd) + " N; weight-normalised metrics are null"
                 : "unsteady weighing: no stance long enough to weigh; weight-normalised metrics "
                   "are null");
    }
    const std::optional<double> bw = out.body_weight_N;
    if (fs < 200) {
        flag("sample rate below 200 Hz: contact and flight times are ±1 sample (" +
             std::to_string(1000.0 / fs) + " ms)");
    }
    if (fs < 500) {
        flag("sample rate below 500 Hz: loading rates are null");
    }

    const bool stabilisation_possible = settings.stabilisation_cutoff_hz < 0.45 * fs;
    if (!peaks_possible) {
        flag("sample rate " + std::to_string(fs) + " Hz is too low for the " +
             std::to_string(settings.peak_cutoff_hz) +
             " Hz peak low-pass (cutoff must be below 0.45 × the rate): peaks and loading rates "
             "are null");
    }
    if (!stabilisation_possible) {
        flag("sample rate " + std::to_string(fs) + " Hz is too low for the " +
             std::to_string(settings.stabilisation_cutoff_hz) +
             " Hz stabilisation low-pass: time to stabilisation is null");
    }
    const auto time_of = [fs](std::size_t k) { return static_cast<double>(k) / fs; };
    const auto touchdown_s = [&](const Run& r) { return crossing_time_s(f, r.begin, on_n, fs); };
    const auto take_off_s = [&](const Run& r) { return crossing_time_s(f, r.end, threshold, fs); };
    const auto saturated = [&](const Run& r) {
        if (!settings.saturation_limit_n)
            return false;
        const double limit = *settings.saturation_limit_n;
        return std::any_of(f.begin() + static_cast<std::ptrdiff_t>(r.begin),
                           f.begin() + static_cast<std::ptrdiff_t>(r.end),
                           [limit](double v) { return v >= limit; });
    };

    // Per-contact quantities from the raw force: the interior trapezoid sum Σ (f[k−1] + f[k]) over
    // (begin, end) in N, and the interpolated touchdown / take-off instants where the contact has
    // them. Gathered while the peak filter has the contact's window in cache, else on first use.
    struct RunSamples {
        double trapezoid_sum_n = 0;
        std::optional<double> touchdown_s, take_off_s;
    };
    // Per-run tables are reused from call to call on this thread: at a few hundred kB for long
    // records, fresh allocations come from new pages, whose faults cost ~15 % of the analysis.
    thread_local std::vector<std::optional<RunSamples>> run_samples;
    run_samples.assign(runs.size(), std::nullopt);
    const auto sample_run = [&](std::size_t i) {
        const Run& r = runs[i];
        RunSamples samples;
        samples.trapezoid_sum_n = trapezoid_sum(f, r.begin, r.end);
        if (r.begin > 0)
            samples.touchdown_s = touchdown_s(r);
        if (r.end < f.size())
            samples.take_off_s = take_off_s(r);
        run_samples[i] = samples;
    };
    const auto samples_of = [&](std::size_t i) -> const RunSamples& {
        if (!run_samples[i])
            sample_run(i);
        return *run_samples[i];
    };

    std::vector<std::size_t> peak_runs;
    peak_runs.reserve(runs.size() / 2 + 1);  // runs alternate between contact and flight
    std::vector<bool> run_saturated(runs.size(), false);
    for (std::size_t i = 0; i < runs.size(); ++i) {
        if (!runs[i].contact)
            continue;
        run_saturated[i] = saturated(runs[i]);
        if (!run_saturated[i])
            peak_runs.push_back(i);
    }
    thread_local std::vector<std::optional<Peak>> run_peaks;
    run_peaks.assign(runs.size(), std::nullopt);
    if (peaks_possible) {
        const std::optional<double> min_impact_prominence_n =
            bw ? std::optional<double>(settings.impact_min_prominence_bw * *bw) : std::nullopt;
        // Runs filtered during the event pass take their values from there; the rest are
        // filtered now.
        thread_local std::vector<std::size_t> filter_now;
        filter_now.clear();
        for (const std::size_t i : peak_runs) {
            const FilteredAhead::Contact* c = filtered_ahead.match(runs[i]);
            if (c == nullptr) {
                filter_now.push_back(i);
                continue;
            }
            RunSamples samples;
            samples.trapezoid_sum_n = c->trapezoid_sum_n;
            samples.touchdown_s =
                crossing_time_s(c->before_begin_n, c->at_begin_n, c->begin, on_n, fs);
            samples.take_off_s =
                crossing_time_s(c->before_end_n, c->at_end_n, c->end, threshold, fs);
            run_samples[i] = samples;
            run_peaks[i] = filtered_ahead.peak(*c, fs, min_impact_prominence_n);
        }
        peak_filter->peaks(f, runs, filter_now, fs, min_impact_prominence_n,
                           settings.impact_search_fraction, sample_run, run_peaks);
        constexpr std::size_t kMostKeptContacts = 65'536;  // (5 MB)
        filtered_ahead.release_if_larger_than(kMostKeptContacts);
        // A long stance leaves work buffers of 16 lanes × its length: not kept beyond this call.
        constexpr std::size_t kLongestKeptRun = 65'536;  // samples (16 lanes × 8 B → 8 MB)
        if (std::any_of(peak_runs.begin(), peak_runs.end(), [&runs](std::size_t i) {
                return runs[i].end - runs[i].begin > kLongestKeptRun;
            })) {
            peak_filter.reset();
        }
    }

    // Fills c (default-constructed) for contact run i; the result is built in place (a copy of
    // each of a long set's contacts showed in the profile).
    const auto contact_metrics = [&](std::size_t i, ContactMetrics& c) {
        const Run& r = runs[i];
        const RunSamples& samples = samples_of(i);
        c.start_s = samples.touchdown_s.value_or(0.0);
        c.end_s = *samples.take_off_s;  // contact_metrics is only asked for contacts that end
        c.contact_time_s = c.end_s - c.start_s;
        c.saturated = run_saturated[i];
        if (run_peaks[i]) {
            const Peak peak = *run_peaks[i];
            c.peak_force_N = peak.force_n;
            if (r.begin > 0) {
                c.time_to_peak_s = time_of(peak.index) - c.start_s;
            }
            if (peak.impact) {
                c.impact_peak_N = peak.impact->force_n;
                c.impact_peak_bw = peak.impact->force_n / *bw;  // impacts are sought only with BW
                if (r.begin > 0) {
                    c.time_to_impact_peak_s = time_of(peak.impact->index) - c.start_s;
                }
            }
            if (bw) {
                c.peak_force_bw = peak.force_n / *bw;
                if (c.time_to_peak_s && *c.time_to_peak_s > 0 && fs >= 500) {
                    c.loading_rate_bw_per_s = (peak.force_n - on_n) / *c.time_to_peak_s / *bw;
                    if (peak.max_slope_n_per_s) {
                        c.instantaneous_loading_rate_bw_per_s = *peak.max_slope_n_per_s / *bw;
                    }
                }
            }
        }
        // Trapezoid with the interpolated ends at θ (METHODS §0).
        const double start_level = r.begin > 0 ? on_n : f[0];
        double impulse = (start_level + f[r.begin]) / 2.0 * (time_of(r.begin) - c.start_s);
        impulse += samples.trapezoid_sum_n / 2.0 / fs;
        impulse += (f[r.end - 1] + threshold) / 2.0 * (c.end_s - time_of(r.end - 1));
        c.impulse_Ns = impulse;
        if (bw) {
            c.net_impulse_Ns = impulse - *bw * c.contact_time_s;
        }
        const bool flight_before = i >= 2 && !runs[i - 1].contact;
        const bool flight_after = i + 2 < runs.size() && !runs[i + 1].contact;
        if (flight_before) {
            c.flight_time_before_s = c.start_s - *samples_of(i - 2).take_off_s;
            if (bw) {
                // Repeated hops (METHODS §4.5): v_td = −g·T_f,before/2, v_to = v_td + J_net/m.
                const double mass_kg = *bw / g;
                const double v = -g * *c.flight_time_before_s / 2.0 + *c.net_impulse_Ns / mass_kg;
                c.take_off_velocity_m_s = v;
                if (v > 0)
                    c.jump_height_impulse_m = v * v / (2.0 * g);
            }
        }
        if (flight_after) {
            c.flight_time_after_s = *samples_of(i + 2).touchdown_s - c.end_s;
            c.jump_height_m = g * *c.flight_time_after_s * *c.flight_time_after_s / 8.0;
            c.rsi = *c.jump_height_m / c.contact_time_s;
        }
    };

    const bool hop_protocol =
        protocol == Protocol::repeated_hops || protocol == Protocol::drop_jump;
    std::optional<std::size_t> landing_run;
    std::optional<std::size_t> first_contact_run;
    out.contacts.reserve(peak_runs.size() + 1);
    for (std::size_t i = 0; i < runs.size(); ++i) {
        if (!runs[i].contact)
            continue;
        const bool bounded_after = i + 2 < runs.size();  // a flight that ends in a touchdown
        const bool bounded_before = i >= 2;
        const double duration = static_cast<double>(runs[i].end - runs[i].begin) / fs;
        if (bounded_after) {
            const bool hop = bounded_before || (i == 1 && duration < settings.stance_min_s);
            if (hop || !hop_protocol) {
                ContactMetrics& c = out.contacts.emplace_back();
                contact_metrics(i, c);
                c.index = static_cast<int>(out.contacts.size());
                if (c.saturated)
                    flag("saturation: contact " + std::to_string(c.index) +
                         " reaches the plate limit");
                if (!first_contact_run)
                    first_contact_run = i;
            } else if (!out.initial_push_off) {
                contact_metrics(i, out.initial_push_off.emplace());
            }
        } else if (i >= 1 && protocol != Protocol::quiet_stance) {
            landing_run = i;
        }
    }
    if ((protocol == Protocol::quiet_stance || protocol == Protocol::landing) &&
        !out.contacts.empty()) {
        flag("foot off the plate: the force fell below the threshold during the stance");
    }

    if (landing_run) {
        const Run& r = runs[*landing_run];
        LandingMetrics landing;
        landing.start_s = touchdown_s(r);
        if (*landing_run + 1 < runs.size())
            landing.stance_end_s = take_off_s(r);
        const bool landing_saturated = saturated(r);
        if (landing_saturated)
            flag("saturation: the landing reaches the plate limit");
        if (run_peaks[*landing_run]) {
            const Peak peak = *run_peaks[*landing_run];
            landing.peak_force_N = peak.force_n;
            landing.time_to_peak_s = time_of(peak.index) - landing.start_s;
            if (peak.impact) {
                landing.impact_peak_N = peak.impact->force_n;
                landing.impact_peak_bw = peak.impact->force_n / *bw;
                landing.time_to_impact_peak_s = time_of(peak.impact->index) - landing.start_s;
            }
            if (bw) {
                landing.peak_force_bw = peak.force_n / *bw;
                if (*landing.time_to_peak_s > 0 && fs >= 500) {
                    landing.loading_rate_bw_per_s =
                        (peak.force_n - on_n) / *landing.time_to_peak_s / *bw;
                }
            }
        }
        if (bw && stabilisation_possible) {
            // Band method (METHODS §4.8) on a 10 Hz zero-lag low-pass: the window ends where the
            // athlete starts stepping off (the last in-band sample of the stance); t* follows the
            // last excursion outside ±band·BW.
            WindowedFilter slow(settings.stabilisation_cutoff_hz, fs);
            const std::size_t offset = slow.run(f, r.begin, r.end);
            const auto y = slow.values().subspan(offset, r.end - r.begin);
            const double band = settings.stabilisation_band_bw * *bw;
            const auto in_band = [&](double v) { return std::abs(v - *bw) <= band; };
            std::optional<std::size_t> last_in;
            for (std::size_t k = y.size(); k-- > 0;) {
                if (in_band(y[k])) {
                    last_in = k;
                    break;
                }
            }
            if (last_in) {
                std::size_t stable_from = 0;
                for (std::size_t k = *last_in + 1; k-- > 0;) {
                    if (!in_band(y[k])) {
                        stable_from = k + 1;
                        break;
                    }
                }
                if (time_of(*last_in + 1) - time_of(stable_from) >= settings.stabilisation_hold_s) {
                    landing.time_to_stabilisation_s =
                        std::max(0.0, time_of(r.begin + stable_from) - landing.start_s);
                }
                // Sequential averaging (Colby et al. 1999) on the unfiltered force over the same
                // window and band.
                double sum = 0;
                std::optional<std::size_t> seq_from;
                for (std::size_t k = 0; k <= *last_in; ++k) {
                    sum += f[r.begin + k];
                    const double mean = sum / static_cast<double>(k + 1);
                    if (std::abs(mean - *bw) > band) {
                        seq_from.reset();
                    } else if (!seq_from) {
                        seq_from = k;
                    }
                }
                if (seq_from &&
                    time_of(*last_in + 1) - time_of(*seq_from) >= settings.stabilisation_hold_s) {
                    landing.time_to_stabilisation_sequential_s =
                        std::max(0.0, time_of(r.begin + *seq_from) - landing.start_s);
                }
                // Range of variation + cubic (Ross & Guskiewicz 2003): the reference range is the
                // filtered force's max − min over the weighing window (the steady stance).
                if (weighing && weighing->steady && *last_in + 1 >= 4) {
                    std::vector<double> rectified(*last_in + 1);
                    for (std::size_t k = 0; k < rectified.size(); ++k) {
                        rectified[k] = std::abs(y[k] - *bw);
                    }
                    WindowedFilter stance_filter(settings.stabilisation_cutoff_hz, fs);
                    const std::size_t at = stance_filter.run(f, weighing->begin, weighing->end);
                    const auto stance =
                        stance_filter.values().subspan(at, weighing->end - weighing->begin);
                    const auto [low, high] = std::minmax_element(stance.begin(), stance.end());
                    if (const auto tts =
                            polynomial_time_to_stabilisation(rectified, fs, *high - *low)) {
                        landing.time_to_stabilisation_polynomial_s =
                            std::max(0.0, time_of(r.begin) + *tts - landing.start_s);
                    }
                }
                // Horizontal components (METHODS §4.8): the same rule with reference 0 N, on the
                // same low-pass over the same window (touchdown to the vertical's last in-band
                // sample); plate x = ML, y = AP as for DPSI.
                if (plate) {
                    const auto horizontal = [&](std::span<const double> component) {
                        WindowedFilter component_filter(settings.stabilisation_cutoff_hz, fs);
                        const std::size_t at = component_filter.run(component, r.begin, r.end);
                        const auto tts = band_time_to_stabilisation(
                            component_filter.values().subspan(at, *last_in + 1), 0.0, band, fs,
                            settings.stabilisation_hold_s);
                        return tts ? std::optional(
                                         std::max(0.0, time_of(r.begin) + *tts - landing.start_s))
                                   : std::nullopt;
                    };
                    landing.time_to_stabilisation_ml_s = horizontal(plate->fx_n);
                    landing.time_to_stabilisation_ap_s = horizontal(plate->fy_n);
                    landing.time_to_stabilisation_resultant_s = resultant_time_to_stabilisation(
                        landing.time_to_stabilisation_ml_s, landing.time_to_stabilisation_ap_s,
                        landing.time_to_stabilisation_s);
                }
            }
        }
        if (plate && bw) {
            // The DPSI window must end before the athlete steps off (as the COP window below).
            const PlateKinetics stance{plate->fx_n.first(r.end), plate->fy_n.first(r.end),
                                       plate->fz_n.first(r.end), plate->cop.first(r.end)};
            landing.stability =
                dynamic_postural_stability(stance, fs, r.begin, *bw, settings.dpsi_window_s);
            const auto from =
                r.begin + static_cast<std::size_t>(std::lround(settings.landing_cop_from_s * fs));
            const auto to =
                r.begin + static_cast<std::size_t>(std::lround(settings.landing_cop_to_s * fs));
            if (from < to && to < r.end) {
                landing.cop_path = cop_path(*plate, fs, from, to, settings.cop_cutoff_hz);
            }
        }
        out.landing = landing;
    }
    if (plate && protocol == Protocol::quiet_stance) {
        // The longest stance, less the trim at each end (METHODS §4.10, hoplab's window).
        const auto stance =
            std::max_element(runs.begin(), runs.end(), [](const Run& a, const Run& b) {
                return (a.contact ? a.end - a.begin : 0) < (b.contact ? b.end - b.begin : 0);
            });
        const auto trim = static_cast<std::size_t>(std::lround(settings.stance_cop_trim_s * fs));
        if (stance->contact && stance->end - stance->begin > 2 * trim + 1) {
            out.stance_cop_path = cop_path(*plate, fs, stance->begin + trim, stance->end - 1 - trim,
                                           settings.cop_cutoff_hz);
        }
    }

    // CMJ (METHODS §4.5, §4.7): Owen onset after the weighing window, velocity by integrating (F −
    // BW)/m.
    if (protocol == Protocol::cmj && first_contact_run && weighing && weighing->steady &&
        weighing_run == first_contact_run) {
        const Run& r = runs[*first_contact_run];
        const double level = *bw - settings.cmj_onset_sd_factor * weighing->sd;
        std::optional<std::size_t> below;
        for (std::size_t k = weighing->end; k < r.end; ++k) {
            if (f[k] < level) {
                below = k;
                break;
            }
        }
        if (below) {
            const auto backoff =
                static_cast<std::size_t>(std::lround(settings.cmj_onset_backoff_s * fs));
            const std::size_t onset = *below > backoff ? *below - backoff : 0;
            const double mass_kg = *bw / g;
            const ContactMetrics& c = out.contacts.front();
            CmjPhases cmj;
            cmj.onset_s = time_of(onset);
            cmj.take_off_s = c.end_s;
            cmj.time_to_take_off_s = c.end_s - cmj.onset_s;
            double v = 0;
            double v_min = 0;
            std::size_t k_min = onset;
            std::optional<double> zero_s;
            for (std::size_t k = onset + 1; k < r.end; ++k) {
                const double v_next = v + ((f[k - 1] + f[k]) / 2.0 - *bw) / fs / mass_kg;
                if (v_next < v_min) {
                    v_min = v_next;
                    k_min = k;
                    zero_s.reset();
                }
                if (k > k_min && !zero_s && v < 0 && v_next >= 0) {
                    zero_s = time_of(k - 1) + (0.0 - v) / (v_next - v) / fs;
                }
                v = v_next;
            }
            v +=
                ((f[r.end - 1] + threshold) / 2.0 - *bw) * (c.end_s - time_of(r.end - 1)) / mass_kg;
            cmj.take_off_velocity_m_s = v;
            if (v > 0) {
                cmj.jump_height_impulse_m = v * v / (2.0 * g);
                cmj.rsi_mod = *cmj.jump_height_impulse_m / cmj.time_to_take_off_s;
            }
            cmj.jump_height_flight_m = c.jump_height_m;
            if (k_min > onset) {
                cmj.unweighting_s = time_of(k_min) - cmj.onset_s;
                cmj.unweighting_impulse_Ns = mass_kg * v_min;
                if (zero_s) {
                    cmj.braking_s = *zero_s - time_of(k_min);
                    cmj.braking_impulse_Ns = -mass_kg * v_min;
                    cmj.propulsion_s = c.end_s - *zero_s;
                    cmj.propulsion_impulse_Ns = mass_kg * v;
                }
            }
            out.cmj = cmj;
            out.contacts.front().jump_height_impulse_m = cmj.jump_height_impulse_m;
            out.contacts.front().take_off_velocity_m_s = cmj.take_off_velocity_m_s;
        } else {
            flag("no countermovement: the force never fell below BW − " +
                 std::to_string(settings.cmj_onset_sd_factor) + "·SD before take-off");
        }
    }
    if (protocol == Protocol::drop_jump && out.initial_push_off) {
        flag("countermovement where none belongs: the drop jump starts from stance on the plate");
    }
    if (out.contacts.empty() && protocol != Protocol::quiet_stance &&
        protocol != Protocol::landing) {
        flag("no flight found: no contact ends in a take-off followed by a landing");
    }

    auto& s = out.summary;
    s.contacts = static_cast<int>(out.contacts.size());
    std::vector<double> times, peaks, flights, heights, rsis;
    for (auto* values : {&times, &peaks, &flights, &heights, &rsis})
        values->reserve(out.contacts.size());
    for (const auto& c : out.contacts) {
        times.push_back(c.contact_time_s);
        if (c.peak_force_N)
            peaks.push_back(*c.peak_force_N);
        if (c.flight_time_after_s)
            flights.push_back(*c.flight_time_after_s);
        if (c.jump_height_m)
            heights.push_back(*c.jump_height_m);
        if (c.rsi)
            rsis.push_back(*c.rsi);
    }
    s.mean_contact_time_s = mean_of(times);
    s.mean_peak_force_N = mean_of(peaks);
    s.mean_flight_time_s = mean_of(flights);
    s.mean_jump_height_m = mean_of(heights);
    s.mean_rsi = mean_of(rsis);
    s.cv_contact_time_pct = cv_pct(times);
    s.cv_jump_height_pct = cv_pct(heights);
    s.cv_rsi_pct = cv_pct(rsis);
    s.fatigue_rsi_pct = fatigue_pct(rsis);
    s.fatigue_contact_time_pct = fatigue_pct(times);
    s.fatigue_jump_height_pct = fatigue_pct(heights);
    return out;
}

}  // namespace hoplab::processing
