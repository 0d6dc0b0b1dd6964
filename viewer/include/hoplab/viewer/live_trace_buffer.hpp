#pragma once

// The live view's memory, without Qt: per device a bounded ring of the last seconds of min/max
// bins of vertical force, fed from hoplabd's `force` messages (docs/daemon.md, GET /api/v1/live),
// with the gaps in the stream marked, and the per-pixel-column min/max that the chart draws.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace hoplab::viewer {

// One device's entry of a `forces` message: consecutive bins of calibrated Fz (N, z up) starting
// at a device sample.
struct LiveForceBins {
    std::string device;
    double bin_rate_hz = 0;                // bins per second (200 Hz from hoplabd: 5 ms bins)
    std::uint64_t first_sample_index = 0;  // device sample index of the first bin's first sample
    std::vector<double> fz_min_n, fz_max_n;
};

// What add() did with a message.
enum class LiveAddOutcome {
    appended,      // followed on from the previous message
    gap_marked,    // samples are missing before it; the gap is marked and the bins kept
    restarted,     // its index went backwards (the device restarted): the history was cleared
    rate_unknown,  // set_sample_rate_hz() was not called for this device: dropped
};

struct LiveAddResult {
    LiveAddOutcome outcome = LiveAddOutcome::appended;
    std::uint64_t missing_samples = 0;  // > 0 only for gap_marked
};

// One pixel column: extremes of the bins that start in it. t_s is the column's centre in s
// relative to the device's newest sample (−window_s < t_s < 0).
struct LiveColumn {
    double t_s = 0;
    double min_n = 0, max_n = 0;
};

// A stretch without samples, s relative to the device's newest sample, clipped to the window.
struct LiveGap {
    double start_s = 0, end_s = 0;
};

struct LiveColumns {
    std::vector<LiveColumn> columns;  // only the columns that hold a bin, oldest first
    std::vector<LiveGap> gaps;        // oldest first
};

class LiveTraceBuffer {
  public:
    // The bin rate above which a message is refused: it bounds a device's ring to
    // window_s × kMaxBinRateHz bins.
    static constexpr double kMaxBinRateHz = 5000.0;

    // window_s: the history kept per device, 0 < window_s ≤ 120 s; throws std::invalid_argument.
    explicit LiveTraceBuffer(double window_s);

    // The device's sample rate (GET /api/v1/status, devices[].rate_hz), needed to place a message's
    // first_sample_index in time. Throws std::invalid_argument unless 0 < sample_rate_hz ≤ 100 kHz.
    // A changed rate clears the device's history.
    void set_sample_rate_hz(const std::string& device, double sample_rate_hz);

    // Appends the bins. A message whose first_sample_index is past the end of the previous one
    // marks the missing samples as a gap; one before it clears the history (a restarted device).
    // A changed bin rate starts the device's ring afresh. Throws std::invalid_argument for min/max
    // lists of different lengths, or a bin rate not in (0, kMaxBinRateHz] or above the sample
    // rate.
    LiveAddResult add(const LiveForceBins& bins);

    // Min/max per column over the last window_s of the device, `columns` equal columns from
    // −window_s to 0 s (the device's newest sample). Empty for an unknown device or no data.
    LiveColumns columns(const std::string& device, std::size_t columns) const;

    double window_s() const { return window_s_; }
    // Bins held for the device, and the most it can hold (⌈window_s × bin rate⌉ + 1).
    std::size_t stored_bins(const std::string& device) const;
    std::size_t capacity_bins(const std::string& device) const;
    // Gaps marked for the device within the window, and restarts seen since construction.
    std::size_t gap_count(const std::string& device) const;
    std::size_t restarts(const std::string& device) const;
    // The device's newest bin end, s since its sample 0 (nullopt before any bin).
    std::optional<double> newest_s(const std::string& device) const;

  private:
    struct Bin {
        std::uint64_t first_sample_index = 0;
        float min_n = 0, max_n = 0;
    };
    struct GapSamples {
        std::uint64_t first_missing = 0, end = 0;  // [first_missing, end) in device samples
    };
    struct Device {
        double sample_rate_hz = 0;
        double bin_rate_hz = 0;
        std::uint64_t samples_per_bin = 1;
        std::vector<Bin> ring;  // capacity fixed at the first message
        std::size_t head = 0;   // index of the oldest bin
        std::size_t size = 0;
        std::uint64_t next_index = 0;  // the sample the next message should start at
        std::vector<GapSamples> gaps;
        std::size_t restarts = 0;
    };
    void push(Device& device, const Bin& bin);
    void prune_gaps(Device& device) const;
    const Device* find(const std::string& device) const;

    double window_s_;
    std::map<std::string, Device> devices_;
};

}  // namespace hoplab::viewer
