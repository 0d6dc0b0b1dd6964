#pragma once

// Digital IIR filters as cascades of second-order sections (SOS), designed in hertz.
//
// Design: Butterworth low-pass by the bilinear transform with pre-warping, the same poles as
// scipy.signal.butter(order, cutoff_hz, fs=sample_rate_hz, output="sos"); each section is scaled to
// unit DC gain (scipy puts the whole gain in the first section, which changes results only by
// rounding). The notch is scipy.signal.iirnotch (Orfanidis 1996).
//
// Zero-phase filtering reproduces scipy.signal.sosfiltfilt with its defaults: odd extension of
// padlen samples at each end (padlen = 3·(2·sections + 1 − first-order sections)), each pass
// started from the step steady state (sosfilt_zi) scaled by the first sample the pass sees. Causal
// filtering (live use) runs the same sections forward. Neither filter allocates per sample: buffers
// are sized once per call or per object.

#include <cstddef>
#include <span>
#include <vector>

namespace hoplab::processing {

// One second-order section, transposed direct form II, a0 = 1. A first-order section has b2 = a2 =
// 0.
struct Biquad {
    double b0 = 1, b1 = 0, b2 = 0, a1 = 0, a2 = 0;
};

// Butterworth low-pass of `order` (1..12) with design cutoff `cutoff_hz` (−3 dB of one pass).
// Throws std::invalid_argument unless sample_rate_hz > 0 and 0 < cutoff_hz < 0.45·sample_rate_hz
// (METHODS §1.1: refuse rather than silently skip), or when the order is outside 1..12.
std::vector<Biquad> butterworth_lowpass(int order, double cutoff_hz, double sample_rate_hz);

// 2nd-order Butterworth low-pass as one section (the METHODS §1.1 default per pass).
Biquad butterworth_lowpass2(double cutoff_hz, double sample_rate_hz);

// Second-order IIR notch at notch_hz with quality factor q (−3 dB width notch_hz/q). Throws
// std::invalid_argument unless 0 < notch_hz < sample_rate_hz/2 and q > 0.
Biquad iir_notch(double notch_hz, double q, double sample_rate_hz);

// Zero-phase forward–backward filter with scipy's default (sosfiltfilt) edge handling.
class ZeroPhaseFilter {
  public:
    // Throws std::invalid_argument for an empty cascade.
    explicit ZeroPhaseFilter(std::vector<Biquad> sections);

    // scipy's padlen: the input must be longer than this.
    [[nodiscard]] std::size_t pad_samples() const { return pad_; }

    // Number of samples after which the filter's transient (its impulse response) has decayed below
    // relative_tolerance of its largest value. Filtering a window that reaches this far beyond a
    // region on both sides gives, inside the region, the whole-record result to about that relative
    // tolerance.
    [[nodiscard]] std::size_t settle_samples(double relative_tolerance) const;

    // Filters x into out (same length; may not alias x). Throws std::invalid_argument when x is not
    // longer than pad_samples(), the lengths differ or x holds a non-finite value. Reuses an
    // internal buffer: not thread-safe on one object.
    void apply(std::span<const double> x, std::span<double> out);
    [[nodiscard]] std::vector<double> apply(std::span<const double> x);

    // Filters many independent signals; outputs[i] equals apply(inputs[i]) exactly (same
    // arithmetic). Groups of sixteen signals run interleaved sample by sample, four per vector
    // (AVX2 and FMA when the CPU has them, chosen at run time), which hides the latency of the
    // recursive filter; a group costs its longest signal, so similar lengths should be passed
    // together. Same preconditions and exceptions as apply() for each pair; inputs.size() must
    // equal outputs.size().
    void apply_many(std::span<const std::span<const double>> inputs,
                    std::span<const std::span<double>> outputs);

    // As apply_many, keeping part of each result: outputs[i] receives the filtered samples
    // [keep_from[i], keep_from[i] + outputs[i].size()) of inputs[i], exactly those samples of
    // apply(inputs[i]). The backward pass stops at the group's first kept sample, so the samples
    // before it cost only the forward pass. Throws std::invalid_argument when the three spans'
    // sizes differ, an input is not longer than pad_samples(), a kept range passes the end of
    // its input, or an input holds a non-finite value (checked while the group is copied in:
    // the outputs of earlier groups may then already be written).
    void apply_many(std::span<const std::span<const double>> inputs,
                    std::span<const std::size_t> keep_from,
                    std::span<const std::span<double>> outputs);

    // A stretch [begin, end) of a record (sample indices).
    struct Stretch {
        std::size_t begin = 0, end = 0;
    };

    // Filters stretches of one record as apply() filters the windows [begin − margin, end +
    // margin) around them; outputs[i] receives the samples of stretch i. The recursion does not run
    // over the margins: the cascade's state where a stretch starts is a fixed linear function of
    // the margin before it, and the backward pass's state where it ends a fixed linear function of
    // the forward state there and of the margin after it (maps made once per margin by running
    // apply()'s own arithmetic on unit inputs). The results agree with apply() on the windows to
    // rounding (about 1e-15 relative), not bit for bit. Groups of sixteen stretches run interleaved
    // as in apply_many. Best called while the windows are in cache (the passes wait on memory
    // otherwise: sixteen windows far apart are more streams than the hardware prefetcher follows).
    // Throws std::invalid_argument when the spans' sizes differ, margin is not longer than
    // pad_samples(), a stretch is empty or its margins leave the record, outputs[i] does not hold
    // end − begin samples, or a window holds a non-finite sample (the outputs of earlier groups may
    // then already be written).
    void apply_inside(std::span<const double> record, std::size_t margin,
                      std::span<const Stretch> stretches,
                      std::span<const std::span<double>> outputs);

    // Stretches filtered side by side: sample k of stretch i (k < its length) is
    // rows[k · kInterleavedLanes + i], bit for bit what apply_inside writes to outputs[i][k]. Other
    // entries are finite and meaningless. The view points into the filter's work buffer: valid
    // until the filter is used again.
    static constexpr std::size_t kInterleavedLanes = 16;
    struct InterleavedStretches {
        const double* rows = nullptr;
        [[nodiscard]] double at(std::size_t k, std::size_t i) const {
            return rows[k * kInterleavedLanes + i];
        }
    };

    // apply_inside for 1 to kInterleavedLanes stretches, left interleaved, for callers that reduce
    // each stretch (its peak, say) across the stretches at once instead of reading each from its
    // own buffer: no transposition into outputs. Same preconditions and exceptions as apply_inside;
    // also throws std::invalid_argument for 0 or more than kInterleavedLanes stretches.
    [[nodiscard]] InterleavedStretches apply_inside_interleaved(std::span<const double> record,
                                                                std::size_t margin,
                                                                std::span<const Stretch> stretches);

    [[nodiscard]] std::span<const Biquad> sections() const { return sections_; }

  private:
    // apply_inside's linear maps for one margin m, row-major over the 2 × sections state values:
    // head (states × m): forward state at a stretch's start from the m samples before it;
    // tail_state (states × states) and tail_input (states × m): backward state at a stretch's
    // end from the forward state there and the m samples after it.
    struct MarginMaps {
        std::size_t margin = 0;
        std::vector<double> head, tail_state, tail_input;
    };
    void prepare_margin_maps(std::size_t margin);
    void check_inside(std::span<const double> record, std::size_t margin,
                      std::span<const Stretch> stretches) const;
    void filter_group_inside(std::span<const double> record, std::size_t margin,
                             std::span<const Stretch> stretches,
                             std::span<const std::span<double>> outputs);

    std::vector<Biquad> sections_;
    std::vector<double>
        zi_;  // per section: steady-state (z1, z2) for a unit step at the cascade input
    std::size_t pad_ = 0;
    std::vector<double> work_;
    std::vector<double> lanes_work_;
    std::vector<double> inside_states_;  // apply_inside's per-lane states at the stretches' edges
    MarginMaps maps_;
};

// Convenience: ZeroPhaseFilter(sections).apply(x).
std::vector<double> filtfilt(std::span<const Biquad> sections, std::span<const double> x);
std::vector<double> filtfilt(const Biquad& section, std::span<const double> x);

// Causal (one-pass, real-time) filter; keeps its state between calls.
class CausalFilter {
  public:
    // Throws std::invalid_argument for an empty cascade.
    explicit CausalFilter(std::vector<Biquad> sections);

    // Sets the state to the steady state of a constant input `level` (no start-up transient from
    // there).
    void reset(double level = 0.0);
    [[nodiscard]] double step(double x);
    // in and out may be the same span; throws std::invalid_argument when the lengths differ.
    void process(std::span<const double> in, std::span<double> out);

  private:
    std::vector<Biquad> sections_;
    std::vector<double> zi_;
    std::vector<double> state_;  // (z1, z2) per section
};

}  // namespace hoplab::processing
