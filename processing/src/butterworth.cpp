#include <hoplab/processing/butterworth.hpp>

#include "sort_few.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <complex>
#include <cstring>
#include <limits>
#include <numbers>
#include <stdexcept>
#include <string>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

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

// One step of a section in transposed direct form II. Every filter path of this file (apply,
// apply_many's interleaved kernels, settle_samples) runs exactly these operations for a section
// (SectionStep, or LowpassSectionStep for a low-pass section), so a window filtered by apply_many
// equals the same signal filtered by apply bit for bit. The FMAs are correctly rounded wherever
// they run (hardware FMA in the kernels chosen at run time; std::fma, exact in software,
// elsewhere).
struct SectionStep {
    double b0, b1, b2, minus_a1, minus_a2;

    explicit SectionStep(const Biquad& s)
        : b0(s.b0), b1(s.b1), b2(s.b2), minus_a1(-s.a1), minus_a2(-s.a2) {}

    // Returns the output for input `in` and advances the state (z1, z2).
    double operator()(double in, double& z1, double& z2) const {
        const double out = std::fma(b0, in, z1);
        z1 = std::fma(minus_a1, out, std::fma(b1, in, z2));
        z2 = std::fma(minus_a2, out, b2 * in);
        return out;
    }
};

// A section whose numerator is b0 · (1, 2, 1) exactly, as butterworth_lowpass designs them: with
// u = b0 · in, b1 · in = u + u and b2 · in = u exactly, so a step is one multiply and two FMAs on
// the multiply units plus three additions, which run on units of their own, instead of five
// multiply-unit operations; the recursion's chain is an addition and an FMA instead of two FMAs.
// The output is formed as scipy forms it (b0 · in, rounded, plus z1).
bool lowpass_form(const Biquad& s) {
    return s.b1 == 2.0 * s.b0 && s.b2 == s.b0;
}

struct LowpassSectionStep {
    double b0, minus_a1, minus_a2;

    explicit LowpassSectionStep(const Biquad& s) : b0(s.b0), minus_a1(-s.a1), minus_a2(-s.a2) {}

    double operator()(double in, double& z1, double& z2) const {
        const double u = b0 * in;
        const double out = u + z1;
        z1 = std::fma(minus_a1, out, (u + u) + z2);
        z2 = std::fma(minus_a2, out, u);
        return out;
    }
};

// One section over x[0, n) in place, forward or backward, from the state z1, z2 (left as the state
// after the last sample).
template <typename Step>
[[gnu::always_inline]] inline void run_section(const Step step, double* x, std::size_t n,
                                               double& z1, double& z2, bool forward) {
    double state1 = z1, state2 = z2;  // in registers: z1 and z2 could alias x
    if (forward) {
        for (std::size_t k = 0; k < n; ++k)
            x[k] = step(x[k], state1, state2);
    } else {
        for (std::size_t k = n; k-- > 0;)
            x[k] = step(x[k], state1, state2);
    }
    z1 = state1;
    z2 = state2;
}

__attribute__((target_clones("fma", "default"))) void run_forward(const Biquad s, double* x,
                                                                  std::size_t n, double& z1,
                                                                  double& z2) {
    if (lowpass_form(s))
        run_section(LowpassSectionStep(s), x, n, z1, z2, true);
    else
        run_section(SectionStep(s), x, n, z1, z2, true);
}

__attribute__((target_clones("fma", "default"))) void run_backward(const Biquad s, double* x,
                                                                   std::size_t n, double& z1,
                                                                   double& z2) {
    if (lowpass_form(s))
        run_section(LowpassSectionStep(s), x, n, z1, z2, false);
    else
        run_section(SectionStep(s), x, n, z1, z2, false);
}

// Signals filtered side by side by apply_many: their recursions are independent, so a group this
// wide hides the latency of the recursion and fills the vector units.
constexpr std::size_t kLanes = 16;
using LaneStates = std::array<double, kLanes>;

// The three kernels of apply_many, each in a portable form (lane by lane, SectionStep) and an
// AVX2 + FMA form (four vectors of four lanes, the same operations per lane), chosen once at run
// time. Buffers are interleaved: row k holds sample k of each of the kLanes signals.
//
// run_interleaved: one section over `rows` rows of the buffer from `x`, forward (direction +1)
// or backward (−1), in place, starting from and leaving the per-lane states.
// run_forward_gathered: the same forward pass for rows whose input is read straight from each
// lane's own signal (lane l's row k is src[l][k]), written to the rows of `x`. A non-finite input
// leaves its lane's state non-finite for good (NaN and ±inf propagate through the recursion), so
// the caller checks the final states rather than every sample.
// run_backward_scattered: the backward pass over rows top_row, top_row − 1, … (`rows` of them)
// of `x`, writing each output straight to the results instead of back to the buffer: lane
// l < count stores row r as dst[l][r − first_row[l]].
template <typename Step>
void run_interleaved_portable(const Biquad s, double* x, std::size_t rows, LaneStates& z1,
                              LaneStates& z2, std::ptrdiff_t direction) {
    const Step step(s);
    const std::ptrdiff_t stride = direction * static_cast<std::ptrdiff_t>(kLanes);
    for (std::size_t k = 0; k < rows; ++k) {
        double* row = x + static_cast<std::ptrdiff_t>(k) * stride;
        for (std::size_t l = 0; l < kLanes; ++l)
            row[l] = step(row[l], z1[l], z2[l]);
    }
}

template <typename Step>
void run_forward_gathered_portable(const Biquad s, const std::array<const double*, kLanes>& src,
                                   double* x, std::size_t rows, LaneStates& z1, LaneStates& z2) {
    const Step step(s);
    for (std::size_t k = 0; k < rows; ++k) {
        for (std::size_t l = 0; l < kLanes; ++l)
            x[k * kLanes + l] = step(src[l][k], z1[l], z2[l]);
    }
}

template <typename Step>
void run_backward_scattered_portable(const Biquad s, const double* x, std::size_t top_row,
                                     std::size_t rows, LaneStates& z1, LaneStates& z2,
                                     const std::array<double*, kLanes>& dst,
                                     const std::array<std::size_t, kLanes>& first_row,
                                     std::size_t count) {
    const Step step(s);
    for (std::size_t k = 0; k < rows; ++k) {
        const std::size_t r = top_row - k;
        for (std::size_t l = 0; l < kLanes; ++l) {
            const double out = step(x[r * kLanes + l], z1[l], z2[l]);
            if (l < count)
                dst[l][r - first_row[l]] = out;
        }
    }
}

#if defined(__x86_64__)
constexpr std::size_t kVectors = kLanes / 4;

// SectionStep on four lanes: the same operations, so the same results.
struct SectionStep4 {
    __m256d b0, b1, b2, minus_a1, minus_a2;

    __attribute__((target("avx2,fma"))) explicit SectionStep4(const Biquad& s)
        : b0(_mm256_set1_pd(s.b0)),
          b1(_mm256_set1_pd(s.b1)),
          b2(_mm256_set1_pd(s.b2)),
          minus_a1(_mm256_set1_pd(-s.a1)),
          minus_a2(_mm256_set1_pd(-s.a2)) {}

    __attribute__((target("avx2,fma"))) __m256d operator()(__m256d in, __m256d& z1,
                                                           __m256d& z2) const {
        const __m256d out = _mm256_fmadd_pd(b0, in, z1);
        z1 = _mm256_fmadd_pd(minus_a1, out, _mm256_fmadd_pd(b1, in, z2));
        z2 = _mm256_fmadd_pd(minus_a2, out, _mm256_mul_pd(b2, in));
        return out;
    }
};

// LowpassSectionStep on four lanes.
struct LowpassSectionStep4 {
    __m256d b0, minus_a1, minus_a2;

    __attribute__((target("avx2,fma"))) explicit LowpassSectionStep4(const Biquad& s)
        : b0(_mm256_set1_pd(s.b0)),
          minus_a1(_mm256_set1_pd(-s.a1)),
          minus_a2(_mm256_set1_pd(-s.a2)) {}

    __attribute__((target("avx2,fma"))) __m256d operator()(__m256d in, __m256d& z1,
                                                           __m256d& z2) const {
        const __m256d u = _mm256_mul_pd(b0, in);
        const __m256d out = _mm256_add_pd(u, z1);
        z1 = _mm256_fmadd_pd(minus_a1, out, _mm256_add_pd(_mm256_add_pd(u, u), z2));
        z2 = _mm256_fmadd_pd(minus_a2, out, u);
        return out;
    }
};

// The kLanes lanes' states as kVectors vectors each (C arrays: std::array would drop __m256d's
// may_alias attribute).
struct VectorStates {
    __m256d z1[kVectors], z2[kVectors];

    __attribute__((target("avx2")))
    VectorStates(const LaneStates& z1_lanes, const LaneStates& z2_lanes) {
#pragma GCC unroll 4
        for (std::size_t v = 0; v < kVectors; ++v) {
            z1[v] = _mm256_loadu_pd(z1_lanes.data() + 4 * v);
            z2[v] = _mm256_loadu_pd(z2_lanes.data() + 4 * v);
        }
    }

    __attribute__((target("avx2"))) void store(LaneStates& z1_lanes, LaneStates& z2_lanes) const {
#pragma GCC unroll 4
        for (std::size_t v = 0; v < kVectors; ++v) {
            _mm256_storeu_pd(z1_lanes.data() + 4 * v, z1[v]);
            _mm256_storeu_pd(z2_lanes.data() + 4 * v, z2[v]);
        }
    }
};

// Rows ↔ columns of a 4 × 4 block of doubles.
__attribute__((target("avx2"))) inline void transpose4(__m256d& a, __m256d& b, __m256d& c,
                                                       __m256d& d) {
    const __m256d ab_even = _mm256_unpacklo_pd(a, b), ab_odd = _mm256_unpackhi_pd(a, b);
    const __m256d cd_even = _mm256_unpacklo_pd(c, d), cd_odd = _mm256_unpackhi_pd(c, d);
    a = _mm256_permute2f128_pd(ab_even, cd_even, 0x20);
    b = _mm256_permute2f128_pd(ab_odd, cd_odd, 0x20);
    c = _mm256_permute2f128_pd(ab_even, cd_even, 0x31);
    d = _mm256_permute2f128_pd(ab_odd, cd_odd, 0x31);
}

template <typename Step4>
__attribute__((target("avx2,fma"))) void run_interleaved_avx2(const Biquad s, double* x,
                                                              std::size_t rows,
                                                              LaneStates& z1_lanes,
                                                              LaneStates& z2_lanes,
                                                              std::ptrdiff_t direction) {
    const Step4 step(s);
    VectorStates z(z1_lanes, z2_lanes);
    const std::ptrdiff_t stride = direction * static_cast<std::ptrdiff_t>(kLanes);
    for (std::size_t k = 0; k < rows; ++k) {
        double* row = x + static_cast<std::ptrdiff_t>(k) * stride;
#pragma GCC unroll 4
        for (std::size_t v = 0; v < kVectors; ++v)
            _mm256_storeu_pd(row + 4 * v, step(_mm256_loadu_pd(row + 4 * v), z.z1[v], z.z2[v]));
    }
    z.store(z1_lanes, z2_lanes);
}

// Four rows at a time: four consecutive samples of four lanes are loaded and transposed into four
// rows. No software prefetch: analyze_trial filters its contacts right after the event pass has
// read them (from L2), where prefetching sixteen streams cost 2.6 % of the whole analysis.
template <typename Step4>
__attribute__((target("avx2,fma"))) void run_forward_gathered_avx2(
    const Biquad s, const std::array<const double*, kLanes>& src, double* x, std::size_t rows,
    LaneStates& z1_lanes, LaneStates& z2_lanes) {
    const Step4 step(s);
    VectorStates z(z1_lanes, z2_lanes);
    std::size_t k = 0;
    for (; k + 4 <= rows; k += 4) {
        double* row = x + k * kLanes;
#pragma GCC unroll 4
        for (std::size_t v = 0; v < kVectors; ++v) {
            __m256d r0 = _mm256_loadu_pd(src[4 * v] + k);
            __m256d r1 = _mm256_loadu_pd(src[4 * v + 1] + k);
            __m256d r2 = _mm256_loadu_pd(src[4 * v + 2] + k);
            __m256d r3 = _mm256_loadu_pd(src[4 * v + 3] + k);
            transpose4(r0, r1, r2, r3);
            _mm256_storeu_pd(row + 4 * v, step(r0, z.z1[v], z.z2[v]));
            _mm256_storeu_pd(row + kLanes + 4 * v, step(r1, z.z1[v], z.z2[v]));
            _mm256_storeu_pd(row + 2 * kLanes + 4 * v, step(r2, z.z1[v], z.z2[v]));
            _mm256_storeu_pd(row + 3 * kLanes + 4 * v, step(r3, z.z1[v], z.z2[v]));
        }
    }
    for (; k < rows; ++k) {
        double* row = x + k * kLanes;
#pragma GCC unroll 4
        for (std::size_t v = 0; v < kVectors; ++v) {
            const __m256d in = _mm256_setr_pd(src[4 * v][k], src[4 * v + 1][k], src[4 * v + 2][k],
                                              src[4 * v + 3][k]);
            _mm256_storeu_pd(row + 4 * v, step(in, z.z1[v], z.z2[v]));
        }
    }
    z.store(z1_lanes, z2_lanes);
}

// Four rows at a time: the four output rows are transposed into four consecutive samples of each
// of four lanes and stored whole.
template <typename Step4>
__attribute__((target("avx2,fma"))) void run_backward_scattered_avx2(
    const Biquad s, const double* x, std::size_t top_row, std::size_t rows, LaneStates& z1_lanes,
    LaneStates& z2_lanes, const std::array<double*, kLanes>& dst,
    const std::array<std::size_t, kLanes>& first_row, std::size_t count) {
    const Step4 step(s);
    VectorStates z(z1_lanes, z2_lanes);
    std::size_t k = 0;
    for (; k + 4 <= rows; k += 4) {
        const std::size_t r = top_row - k;  // rows r, r − 1, r − 2, r − 3
#pragma GCC unroll 4
        for (std::size_t v = 0; v < kVectors; ++v) {
            __m256d o3 = step(_mm256_loadu_pd(x + r * kLanes + 4 * v), z.z1[v], z.z2[v]);
            __m256d o2 = step(_mm256_loadu_pd(x + (r - 1) * kLanes + 4 * v), z.z1[v], z.z2[v]);
            __m256d o1 = step(_mm256_loadu_pd(x + (r - 2) * kLanes + 4 * v), z.z1[v], z.z2[v]);
            __m256d o0 = step(_mm256_loadu_pd(x + (r - 3) * kLanes + 4 * v), z.z1[v], z.z2[v]);
            transpose4(o0, o1, o2, o3);  // o0 now holds lane 4v's rows r − 3 … r, and so on
            const __m256d lanes[4] = {o0, o1, o2, o3};
            for (std::size_t j = 0; j < 4 && 4 * v + j < count; ++j)
                _mm256_storeu_pd(dst[4 * v + j] + (r - 3 - first_row[4 * v + j]), lanes[j]);
        }
    }
    for (; k < rows; ++k) {
        const std::size_t r = top_row - k;
#pragma GCC unroll 4
        for (std::size_t v = 0; v < kVectors; ++v) {
            const __m256d out = step(_mm256_loadu_pd(x + r * kLanes + 4 * v), z.z1[v], z.z2[v]);
            alignas(32) std::array<double, 4> values;
            _mm256_store_pd(values.data(), out);
            for (std::size_t j = 0; j < 4 && 4 * v + j < count; ++j)
                dst[4 * v + j][r - first_row[4 * v + j]] = values[j];
        }
    }
    z.store(z1_lanes, z2_lanes);
}

bool has_avx2_fma() {
    static const bool yes = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    return yes;
}
#endif

// apply_inside's backward states where the stretches end: backward_end[l · states + r] +=
// Σ_c tail_state[r · states + c] · forward_end[l · states + c] for each lane, fused multiply-adds
// in increasing c (correctly rounded on both clones; without the FMA clone each std::fma is a
// library call).
__attribute__((target_clones("fma", "default"))) void add_tail_state(const double* tail_state,
                                                                     std::size_t states,
                                                                     const double* forward_end,
                                                                     double* backward_end) {
    for (std::size_t l = 0; l < kLanes; ++l) {
        for (std::size_t r = 0; r < states; ++r) {
            double state = backward_end[l * states + r];
            for (std::size_t c = 0; c < states; ++c)
                state = std::fma(tail_state[r * states + c], forward_end[l * states + c], state);
            backward_end[l * states + r] = state;
        }
    }
}

void run_interleaved(const Biquad s, double* x, std::size_t rows, LaneStates& z1, LaneStates& z2,
                     std::ptrdiff_t direction) {
#if defined(__x86_64__)
    if (has_avx2_fma()) {
        return lowpass_form(s)
                   ? run_interleaved_avx2<LowpassSectionStep4>(s, x, rows, z1, z2, direction)
                   : run_interleaved_avx2<SectionStep4>(s, x, rows, z1, z2, direction);
    }
#endif
    if (lowpass_form(s))
        run_interleaved_portable<LowpassSectionStep>(s, x, rows, z1, z2, direction);
    else
        run_interleaved_portable<SectionStep>(s, x, rows, z1, z2, direction);
}

void run_forward_gathered(const Biquad s, const std::array<const double*, kLanes>& src, double* x,
                          std::size_t rows, LaneStates& z1, LaneStates& z2) {
#if defined(__x86_64__)
    if (has_avx2_fma()) {
        return lowpass_form(s)
                   ? run_forward_gathered_avx2<LowpassSectionStep4>(s, src, x, rows, z1, z2)
                   : run_forward_gathered_avx2<SectionStep4>(s, src, x, rows, z1, z2);
    }
#endif
    if (lowpass_form(s))
        run_forward_gathered_portable<LowpassSectionStep>(s, src, x, rows, z1, z2);
    else
        run_forward_gathered_portable<SectionStep>(s, src, x, rows, z1, z2);
}

void run_backward_scattered(const Biquad s, const double* x, std::size_t top_row, std::size_t rows,
                            LaneStates& z1, LaneStates& z2, const std::array<double*, kLanes>& dst,
                            const std::array<std::size_t, kLanes>& first_row, std::size_t count) {
#if defined(__x86_64__)
    if (has_avx2_fma()) {
        return lowpass_form(s) ? run_backward_scattered_avx2<LowpassSectionStep4>(
                                     s, x, top_row, rows, z1, z2, dst, first_row, count)
                               : run_backward_scattered_avx2<SectionStep4>(
                                     s, x, top_row, rows, z1, z2, dst, first_row, count);
    }
#endif
    if (lowpass_form(s))
        run_backward_scattered_portable<LowpassSectionStep>(s, x, top_row, rows, z1, z2, dst,
                                                            first_row, count);
    else
        run_backward_scattered_portable<SectionStep>(s, x, top_row, rows, z1, z2, dst, first_row,
                                                     count);
}

// out[l · rows + r] = Σ map[r · n + j] · x[l][j] over j < n, for each of the kLanes signals and
// each of the `rows` rows of a map (apply_inside's margin maps). Per lane and row: four partial
// sums (j ≡ 0 … 3 mod 4, fused multiply-adds in increasing j), added as (p0 + p1) + (p2 + p3),
// then fused multiply-adds for the samples past the last multiple of four; the same arithmetic on
// both paths. The AVX2 path takes several lanes at a time, sharing each load of the map.
void dot_map_portable(const double* map, std::size_t rows,
                      const std::array<const double*, kLanes>& x, std::size_t n, double* out) {
    const std::size_t whole = n - n % 4;
    for (std::size_t l = 0; l < kLanes; ++l) {
        for (std::size_t r = 0; r < rows; ++r) {
            const double* m = map + r * n;
            std::array<double, 4> partial{};
            for (std::size_t j = 0; j < whole; j += 4) {
                for (std::size_t q = 0; q < 4; ++q)
                    partial[q] = std::fma(m[j + q], x[l][j + q], partial[q]);
            }
            double sum = (partial[0] + partial[1]) + (partial[2] + partial[3]);
            for (std::size_t j = whole; j < n; ++j)
                sum = std::fma(m[j], x[l][j], sum);
            out[l * rows + r] = sum;
        }
    }
}

#if defined(__x86_64__)
// Rows [first, first + kRows) of the map for lanes [lane, lane + kAtOnce): kRows × kAtOnce
// independent sums keep the FMA units busy (each sum is a chain of dependent FMAs).
template <std::size_t kRows, std::size_t kAtOnce>
__attribute__((target("avx2,fma"))) void dot_map_block_avx2(
    const double* map, std::size_t rows, std::size_t first,
    const std::array<const double*, kLanes>& x, std::size_t lane, std::size_t n, double* out) {
    __m256d sums[kAtOnce][kRows];
    for (std::size_t l = 0; l < kAtOnce; ++l) {
        for (std::size_t r = 0; r < kRows; ++r)
            sums[l][r] = _mm256_setzero_pd();
    }
    std::size_t j = 0;
    for (; j + 4 <= n; j += 4) {
        __m256d v[kAtOnce];
        for (std::size_t l = 0; l < kAtOnce; ++l)
            v[l] = _mm256_loadu_pd(x[lane + l] + j);
        for (std::size_t r = 0; r < kRows; ++r) {
            const __m256d m = _mm256_loadu_pd(map + (first + r) * n + j);
            for (std::size_t l = 0; l < kAtOnce; ++l)
                sums[l][r] = _mm256_fmadd_pd(m, v[l], sums[l][r]);
        }
    }
    for (std::size_t l = 0; l < kAtOnce; ++l) {
        const double* xl = x[lane + l];
        for (std::size_t r = 0; r < kRows; ++r) {
            const double* m = map + (first + r) * n;
            alignas(32) double partial[4];
            _mm256_store_pd(partial, sums[l][r]);
            double total = (partial[0] + partial[1]) + (partial[2] + partial[3]);
            for (std::size_t k = j; k < n; ++k)
                total = std::fma(m[k], xl[k], total);
            out[(lane + l) * rows + first + r] = total;
        }
    }
}

template <std::size_t kRows>
__attribute__((target("avx2,fma"))) void dot_map_rows_avx2(
    const double* map, std::size_t rows, std::size_t first,
    const std::array<const double*, kLanes>& x, std::size_t n, double* out) {
    constexpr std::size_t kAtOnce = kRows >= 4 ? 2 : 8 / kRows > 4 ? 4 : 8 / kRows;
    static_assert(kLanes % kAtOnce == 0);
    for (std::size_t lane = 0; lane < kLanes; lane += kAtOnce)
        dot_map_block_avx2<kRows, kAtOnce>(map, rows, first, x, lane, n, out);
}

__attribute__((target("avx2,fma"))) void dot_map_avx2(const double* map, std::size_t rows,
                                                      const std::array<const double*, kLanes>& x,
                                                      std::size_t n, double* out) {
    for (std::size_t first = 0; first < rows; first += 4) {
        switch (std::min<std::size_t>(4, rows - first)) {
            case 4:
                dot_map_rows_avx2<4>(map, rows, first, x, n, out);
                break;
            case 3:
                dot_map_rows_avx2<3>(map, rows, first, x, n, out);
                break;
            case 2:
                dot_map_rows_avx2<2>(map, rows, first, x, n, out);
                break;
            default:
                dot_map_rows_avx2<1>(map, rows, first, x, n, out);
                break;
        }
    }
}
#endif

void dot_map(const double* map, std::size_t rows, const std::array<const double*, kLanes>& x,
             std::size_t n, double* out) {
#if defined(__x86_64__)
    if (has_avx2_fma())
        return dot_map_avx2(map, rows, x, n, out);
#endif
    dot_map_portable(map, rows, x, n, out);
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
        double z1 = 0.0, z2 = 0.0;
        run_forward(s, h.data(), h.size(), z1, z2);
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
        double z1 = zi_[2 * i] * first, z2 = zi_[2 * i + 1] * first;
        run_forward(sections_[i], ext, total, z1, z2);
    }
    const double last = ext[total - 1];
    for (std::size_t i = 0; i < sections_.size(); ++i) {
        double z1 = zi_[2 * i] * last, z2 = zi_[2 * i + 1] * last;
        run_backward(sections_[i], ext, total, z1, z2);
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
        detail::sort_few(order,
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

void ZeroPhaseFilter::prepare_margin_maps(std::size_t margin) {
    if (maps_.margin == margin)
        return;
    const std::size_t states = 2 * sections_.size();
    const std::size_t pad = pad_;
    // Each section in turn over ext in place, from its steady state for `level` as apply() starts a
    // pass; returns the sections' final states.
    const auto from_steady_state = [&](std::vector<double>& ext, double level, auto pass) {
        std::vector<double> out(states);
        for (std::size_t i = 0; i < sections_.size(); ++i) {
            double z1 = zi_[2 * i] * level, z2 = zi_[2 * i + 1] * level;
            pass(sections_[i], ext.data(), ext.size(), z1, z2);
            out[2 * i] = z1;
            out[2 * i + 1] = z2;
        }
        return out;
    };
    // apply()'s forward pass over the start of a window: the odd extension, then x = the margin.
    const auto head_states = [&](std::span<const double> x) {
        std::vector<double> ext(pad + margin);
        for (std::size_t k = 1; k <= pad; ++k)
            ext[pad - k] = 2.0 * x[0] - x[k];
        std::copy(x.begin(), x.end(), ext.begin() + static_cast<std::ptrdiff_t>(pad));
        return from_steady_state(ext, ext[0], run_forward);
    };
    // apply()'s passes over the end of a window from the forward state where the margin x
    // starts: forward to the end of the odd extension, then backward down to x[0].
    const auto tail_states = [&](std::span<const double> forward, std::span<const double> x) {
        std::vector<double> ext(margin + pad);
        std::copy(x.begin(), x.end(), ext.begin());
        for (std::size_t k = 1; k <= pad; ++k)
            ext[margin - 1 + k] = 2.0 * x[margin - 1] - x[margin - 1 - k];
        for (std::size_t i = 0; i < sections_.size(); ++i) {
            double z1 = forward[2 * i], z2 = forward[2 * i + 1];
            run_forward(sections_[i], ext.data(), ext.size(), z1, z2);
        }
        return from_steady_state(ext, ext.back(), run_backward);
    };
    MarginMaps maps;
    maps.margin = margin;
    maps.head.resize(states * margin);
    maps.tail_state.resize(states * states);
    maps.tail_input.resize(states * margin);
    std::vector<double> unit(margin, 0.0);
    const std::vector<double> no_state(states, 0.0);
    const std::vector<double> no_input(margin, 0.0);
    for (std::size_t j = 0; j < margin; ++j) {
        unit[j] = 1.0;
        const auto head = head_states(unit);
        const auto tail = tail_states(no_state, unit);
        for (std::size_t i = 0; i < states; ++i) {
            maps.head[i * margin + j] = head[i];
            maps.tail_input[i * margin + j] = tail[i];
        }
        unit[j] = 0.0;
    }
    std::vector<double> unit_state(states, 0.0);
    for (std::size_t j = 0; j < states; ++j) {
        unit_state[j] = 1.0;
        const auto tail = tail_states(unit_state, no_input);
        for (std::size_t i = 0; i < states; ++i)
            maps.tail_state[i * states + j] = tail[i];
        unit_state[j] = 0.0;
    }
    maps_ = std::move(maps);
}

void ZeroPhaseFilter::check_inside(std::span<const double> record, std::size_t margin,
                                   std::span<const Stretch> stretches) const {
    if (margin <= pad_) {
        throw std::invalid_argument("zero-phase filter: a margin of " + std::to_string(margin) +
                                    " samples is not longer than the " + std::to_string(pad_) +
                                    "-sample edge padding");
    }
    for (std::size_t i = 0; i < stretches.size(); ++i) {
        const Stretch& s = stretches[i];
        if (s.begin >= s.end || s.begin < margin || s.end > record.size() ||
            record.size() - s.end < margin) {
            throw std::invalid_argument("zero-phase filter: stretch [" + std::to_string(s.begin) +
                                        ", " + std::to_string(s.end) + ") is empty or its " +
                                        std::to_string(margin) + "-sample margins leave the " +
                                        std::to_string(record.size()) + "-sample record");
        }
    }
}

// One group of at most kLanes stretches (checked, maps prepared). Without outputs the filtered
// samples stay interleaved in lanes_work_.
void ZeroPhaseFilter::filter_group_inside(std::span<const double> record, std::size_t margin,
                                          std::span<const Stretch> stretches,
                                          std::span<const std::span<double>> outputs) {
    const std::size_t states = 2 * sections_.size();
    // Per lane l, state r at [l * states + r]: at the stretch's start (from the head margin), and
    // at its end going forward and coming back.
    inside_states_.resize(3 * kLanes * states);
    double* const forward_start = inside_states_.data();
    double* const forward_end = forward_start + kLanes * states;
    double* const backward_end = forward_end + kLanes * states;
    // Lanes past the last stretch repeat the group's first; their outputs are dropped.
    const std::size_t count = stretches.size();
    std::array<std::size_t, kLanes> begin{}, length{};
    for (std::size_t l = 0; l < kLanes; ++l) {
        const Stretch& s = stretches[l < count ? l : 0];
        begin[l] = s.begin;
        length[l] = s.end - s.begin;
    }
    const std::size_t rows = *std::max_element(length.begin(), length.end());
    const std::size_t shortest = *std::min_element(length.begin(), length.end());
    lanes_work_.resize(rows * kLanes);
    double* buffer = lanes_work_.data();
    const auto at = [buffer](std::size_t row, std::size_t lane) -> double& {
        return buffer[row * kLanes + lane];
    };
    // Rows past the shortest stretch are copied in (the first section reads rows below it
    // straight from the record); rows past a lane's own end repeat its last sample (finite;
    // never used: the lane's states are taken at its end and set there on the way back).
    for (std::size_t l = 0; l < kLanes; ++l) {
        const double* x = record.data() + begin[l];
        for (std::size_t k = shortest; k < length[l]; ++k)
            at(k, l) = x[k];
        for (std::size_t k = std::max(shortest, length[l]); k < rows; ++k)
            at(k, l) = x[length[l] - 1];
    }
    // Distinct lane lengths, shortest first: where the forward passes stop to keep states.
    std::array<std::size_t, kLanes> ends = length;
    std::sort(ends.begin(), ends.end());
    const auto ends_end = std::unique(ends.begin(), ends.end());
    std::array<const double*, kLanes> src{};
    for (std::size_t l = 0; l < kLanes; ++l)
        src[l] = record.data() + begin[l];
    std::array<const double*, kLanes> heads{}, tails{};
    for (std::size_t l = 0; l < kLanes; ++l) {
        heads[l] = record.data() + begin[l] - margin;
        tails[l] = record.data() + begin[l] + length[l];
    }
    dot_map(maps_.head.data(), states, heads, margin, forward_start);
    for (std::size_t sec = 0; sec < sections_.size(); ++sec) {
        LaneStates z1{}, z2{};
        for (std::size_t l = 0; l < kLanes; ++l) {
            z1[l] = forward_start[l * states + 2 * sec];
            z2[l] = forward_start[l * states + 2 * sec + 1];
        }
        std::size_t done = 0;
        for (auto e = ends.begin(); e != ends_end; ++e) {
            if (sec == 0 && done == 0)
                run_forward_gathered(sections_[sec], src, buffer, *e, z1, z2);
            else
                run_interleaved(sections_[sec], &at(done, 0), *e - done, z1, z2, 1);
            done = *e;
            for (std::size_t l = 0; l < kLanes; ++l) {
                if (length[l] == done) {
                    forward_end[l * states + 2 * sec] = z1[l];
                    forward_end[l * states + 2 * sec + 1] = z2[l];
                }
            }
        }
    }
    dot_map(maps_.tail_input.data(), states, tails, margin, backward_end);
    add_tail_state(maps_.tail_state.data(), states, forward_end, backward_end);
    for (std::size_t l = 0; l < kLanes; ++l) {
        bool finite = true;
        for (std::size_t r = 0; r < states; ++r) {
            finite = finite && std::isfinite(backward_end[l * states + r]) &&
                     std::isfinite(forward_end[l * states + r]);
        }
        if (!finite) {
            // NaN and ±inf reach the states through the recursion and the maps.
            const auto window = record.subspan(begin[l] - margin, length[l] + 2 * margin);
            const auto bad = std::find_if(window.begin(), window.end(),
                                          [](double v) { return !std::isfinite(v); });
            throw std::invalid_argument(
                bad != window.end()
                    ? "zero-phase filter: sample " +
                          std::to_string(begin[l] - margin +
                                         static_cast<std::size_t>(bad - window.begin())) +
                          " is not finite"
                    : "zero-phase filter: the filter overflowed on the stretch from sample " +
                          std::to_string(begin[l]));
        }
    }
    std::array<std::size_t, kLanes> order{};
    for (std::size_t l = 0; l < kLanes; ++l)
        order[l] = l;
    detail::sort_few(order,
                     [&length](std::size_t a, std::size_t b) { return length[a] > length[b]; });
    std::array<double*, kLanes> dst{};
    const std::array<std::size_t, kLanes> first_row{};
    for (std::size_t l = 0; l < outputs.size(); ++l)
        dst[l] = outputs[l].data();
    for (std::size_t sec = 0; sec < sections_.size(); ++sec) {
        LaneStates z1{}, z2{};
        std::size_t top = rows;  // rows [top, rows) are done
        for (const std::size_t l : order) {
            if (length[l] < top) {
                run_interleaved(sections_[sec], &at(top - 1, 0), top - length[l], z1, z2, -1);
                top = length[l];
            }
            z1[l] = backward_end[l * states + 2 * sec];
            z2[l] = backward_end[l * states + 2 * sec + 1];
        }
        if (sec + 1 < sections_.size() || outputs.empty())
            run_interleaved(sections_[sec], &at(top - 1, 0), top, z1, z2, -1);
        else
            run_backward_scattered(sections_[sec], buffer, top - 1, top, z1, z2, dst, first_row,
                                   count);
    }
    for (std::size_t l = 0; l < outputs.size(); ++l) {
        for (std::size_t row = shortest; row < length[l]; ++row)
            outputs[l][row] = at(row, l);
    }
}

void ZeroPhaseFilter::apply_inside(std::span<const double> record, std::size_t margin,
                                   std::span<const Stretch> stretches,
                                   std::span<const std::span<double>> outputs) {
    if (stretches.size() != outputs.size()) {
        throw std::invalid_argument("zero-phase filter: " + std::to_string(stretches.size()) +
                                    " stretches but " + std::to_string(outputs.size()) +
                                    " outputs");
    }
    check_inside(record, margin, stretches);
    for (std::size_t i = 0; i < stretches.size(); ++i) {
        const Stretch& s = stretches[i];
        if (outputs[i].size() != s.end - s.begin) {
            throw std::invalid_argument("zero-phase filter: output length " +
                                        std::to_string(outputs[i].size()) + " differs from the " +
                                        std::to_string(s.end - s.begin) + "-sample stretch");
        }
    }
    prepare_margin_maps(margin);
    for (std::size_t i = 0; i < stretches.size(); i += kLanes) {
        const std::size_t count = std::min(kLanes, stretches.size() - i);
        filter_group_inside(record, margin, stretches.subspan(i, count), outputs.subspan(i, count));
    }
}

ZeroPhaseFilter::InterleavedStretches ZeroPhaseFilter::apply_inside_interleaved(
    std::span<const double> record, std::size_t margin, std::span<const Stretch> stretches) {
    static_assert(kInterleavedLanes == kLanes);
    if (stretches.empty() || stretches.size() > kLanes) {
        throw std::invalid_argument("zero-phase filter: " + std::to_string(stretches.size()) +
                                    " stretches to interleave; 1 to " + std::to_string(kLanes) +
                                    " can be");
    }
    check_inside(record, margin, stretches);
    prepare_margin_maps(margin);
    filter_group_inside(record, margin, stretches, {});
    return InterleavedStretches{lanes_work_.data()};
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
