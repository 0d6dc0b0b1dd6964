#pragma once

#include <hoplab/acquisition/daemon_config.hpp>
#include <hoplab/acquisition/wire/clock_map.hpp>
#include <hoplab/acquisition/wire/messages.hpp>
#include <hoplab/acquisition/wire/stream_tracker.hpp>

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hoplab::acquisition {

// Live vertical force, decimated to min/max bins so that peaks survive decimation.
struct LiveBins {
    std::uint64_t first_sample_index = 0;
    double bin_rate_hz = 0;
    std::vector<float> fz_min_n, fz_max_n;
};

// The daemon's view of one configured device: what it announced, its accounting, its clock map, the
// last seconds of raw samples (for tare) and the live decimation. Touched from the io_context
// thread only.
class DeviceStream {
  public:
    static constexpr double kLiveBinRateHz = 200.0;
    // Raw history kept for tare and calibration captures (memory: 30 s × rate × channels doubles).
    static constexpr double kRawHistoryS = 30.0;

    DeviceStream(std::size_t index, DeviceConfig config);

    std::size_t index() const { return index_; }
    const std::string& name() const { return config_.name; }
    // The name as a JSON string, quotes and escapes included (written into every live message).
    const std::string& name_json() const { return name_json_; }
    const DeviceConfig& config() const { return config_; }
    const calibration::PlateCalibration& calibration() const { return config_.calibration; }
    void set_calibration(calibration::PlateCalibration calibration);

    // A HELLO for this device. Returns why it is refused (channel count or format that the
    // calibration cannot take).
    std::optional<std::string> on_hello(const wire::Hello& hello, const std::string& peer);
    void on_disconnect(const std::string& reason);
    bool connected() const { return connected_; }
    const std::optional<wire::Hello>& hello() const { return hello_; }

    // Accounting for one data message; an accepted block also feeds the tare history and the live
    // bins.
    // A device that reconnects after restarting its sample counter keeps the daemon's index space
    // monotonic: its indices are shifted to continue where the stream left off (the block is
    // changed in place), the restart is counted and marked by a zero-length gap record, and the
    // clock map starts afresh (docs/protocol.md §6).
    wire::StreamTracker::Verdict on_data(std::uint32_t seq, wire::DataBlock& block,
                                         std::int64_t host_ns);
    void on_message(std::uint32_t seq) { tracker_.on_message(seq); }
    void on_decode_error(bool crc_mismatch) { tracker_.on_decode_error(crc_mismatch); }
    void count_ring_overrun(std::uint64_t samples);

    // The next sample index the device will deliver (trial start/stop positions).
    std::uint64_t next_sample_index() const { return next_sample_index_; }
    double rate_hz() const { return hello_ ? hello_->rate_hz : 0.0; }

    // The last `seconds` of raw samples, row-major; nullopt when fewer are buffered.
    std::optional<std::vector<double>> recent_raw(double seconds) const;
    // Samples that have entered the raw history since the device connected (captures check that
    // their whole window arrived).
    std::uint64_t history_samples_received() const { return history_received_; }

    // The live bins completed since the last clear_live_bins(); nullptr when there are none. The
    // io thread's tick sends and clears them, reusing their buffers.
    const LiveBins* live_bins() const { return pending_.fz_min_n.empty() ? nullptr : &pending_; }
    void clear_live_bins();

    const wire::StreamCounters& counters() const { return tracker_.counters(); }
    std::uint64_t ring_overrun_samples() const { return ring_overrun_samples_; }
    const wire::ClockMap& clock_map() const { return clock_; }
    // The device's sample at a host steady-clock time, and the host time of a sample, through the
    // clock map and the nominal rate in the device's own time base (the device clock paces its
    // converter). nullopt until blocks with device times have fitted a map (kAlignmentPairs).
    static constexpr std::size_t kAlignmentPairs = 8;
    std::optional<std::uint64_t> sample_index_at(std::int64_t host_ns) const;
    std::optional<std::int64_t> host_ns_of(std::uint64_t sample_index) const;
    nlohmann::json status_json(std::uint64_t samples_written) const;

  private:
    void push_history(const wire::DataBlock& block);
    void push_live(const wire::DataBlock& block);
    // The live trace's Fz as an affine function of the raw channels (every calibration model is
    // affine in them): fz_n = fz_at_zero_n + Σ fz_per_raw[c]·raw[c], taken from the calibration
    // so that the live path does not compute the full wrench per sample.
    void derive_live_fz();

    std::size_t index_;
    DeviceConfig config_;
    std::string name_json_;
    std::optional<wire::Hello> hello_;
    std::string peer_;
    std::string last_disconnect_;
    bool connected_ = false;
    wire::StreamTracker tracker_;
    wire::ClockMap clock_;
    bool reconnected_ = false;        // a HELLO after an earlier connection, before its first block
    std::uint64_t index_offset_ = 0;  // added to the device's sample indices since its restarts
    std::uint64_t restarts_ = 0;
    std::uint64_t next_sample_index_ = 0;
    std::uint64_t ring_overrun_samples_ = 0;
    // The newest accepted block with a device time: where sample indices meet device time.
    std::uint64_t timed_block_index_ = 0;
    std::int64_t timed_block_device_ns_ = 0;

    // Raw history: a circular buffer of whole samples.
    std::vector<double> history_;
    std::size_t history_capacity_samples_ = 0;
    std::size_t history_head_ = 0;  // next sample slot to write
    std::size_t history_size_ = 0;
    std::uint64_t history_received_ = 0;

    // Live decimation state.
    std::size_t bin_samples_ = 1;
    std::size_t bin_fill_ = 0;
    float bin_min_ = 0, bin_max_ = 0;
    std::uint64_t bin_first_sample_index_ = 0;  // of the bin being filled
    LiveBins pending_;
    std::size_t channels_ = 0;
    double fz_at_zero_n_ = 0;
    std::vector<double> fz_per_raw_;
};

}  // namespace hoplab::acquisition
