#pragma once

// What the acquisition bench measures besides the daemon's own counters: the live WebSocket and
// SWMR visibility as seen by a client, and the same-run references (loopback TCP, raw HDF5 append).

#include "frame_sender.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace hoplab::bench {

// The moment a client saw samples up to (not including) end_sample_index of one device.
struct Arrival {
    std::size_t device = 0;  // index into the names the probe was given
    std::uint64_t end_sample_index = 0;
    std::int64_t seen_ns = 0;  // steady clock
};

// A Beast WebSocket client on /api/v1/live in its own thread, noting for each device entry of each
// "forces" message the end of the samples it covers: first_sample_index + bins · (device rate /
// bin rate).
class LiveListener {
  public:
    // Connects and completes the handshake before returning; throws std::runtime_error otherwise.
    LiveListener(std::uint16_t http_port, std::vector<std::string> device_names,
                 double device_rate_hz);
    ~LiveListener();
    LiveListener(const LiveListener&) = delete;
    LiveListener& operator=(const LiveListener&) = delete;
    // Stops the reader (shuts the socket down) and returns what it saw; call once.
    std::vector<Arrival> finish();
    std::size_t messages() const { return messages_.load(); }

  private:
    struct Connection;
    void read_loop();
    std::unique_ptr<Connection> connection_;
    std::vector<std::string> names_;
    double device_rate_hz_;
    std::vector<Arrival> arrivals_;
    std::atomic<std::size_t> messages_{0};
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

// Follows one device's /streams/<name>/raw in a session file with an HDF5 SWMR reader in its own
// thread (H5Drefresh every poll_interval), noting when each new row count became visible. Row r
// is device sample first_sample_index(blocks[0]) + r: the bench sends without gaps. Uses the
// HDF5 library, which is not thread-safe: nothing else in the process may call HDF5 meanwhile.
class SwmrWatcher {
  public:
    SwmrWatcher(std::filesystem::path file, std::string device_name,
                std::chrono::microseconds poll_interval);
    ~SwmrWatcher();
    SwmrWatcher(const SwmrWatcher&) = delete;
    SwmrWatcher& operator=(const SwmrWatcher&) = delete;
    // Stops polling and returns the arrivals (device 0); the error, if the reader failed.
    std::vector<Arrival> finish();
    const std::optional<std::string>& error() const { return error_; }

  private:
    void poll_loop();
    std::filesystem::path file_;
    std::string device_name_;
    std::chrono::microseconds poll_interval_;
    std::vector<Arrival> arrivals_;
    std::optional<std::string> error_;
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

// Latency of each sent frame: the first arrival (in order) whose end index reaches the frame's end,
// minus the frame's send time, in ms. Frames never seen are not counted (the caller reports them).
std::vector<double> frame_latencies_ms(const std::vector<std::vector<SentFrame>>& sent,
                                       const std::vector<Arrival>& arrivals,
                                       std::size_t* frames_unseen);

// The q-quantile (0..1) by linear interpolation, as numpy.percentile's default. Throws
// std::invalid_argument for an empty input.
double quantile(std::vector<double> values, double q);

// H5Dset_extent + H5Dwrite of whole chunks (chunk_rows × 8 float32, the daemon's recording layout),
// SWMR write mode and H5Fflush every 250 ms as the daemon does; no per-block table: the ceiling
// the recorder works under. Writes `chunks` chunks, and more until `at_least` has passed (a
// sustained append meets the kernel's dirty-page limits as the daemon's ingest does; 128 MiB does
// not). Returns samples (rows) per second; removes the file.
struct RawAppendResult {
    double samples_per_s = 0;
    double compression_ratio = 0;  // raw bytes / file bytes
    double seconds = 0;
};
RawAppendResult raw_hdf5_append(const std::filesystem::path& file, bool shuffle_deflate1,
                                std::size_t chunk_rows, std::size_t chunks,
                                std::chrono::duration<double> at_least = {});

// iperf3 on loopback for `seconds`: a one-off server and `iperf3 -c 127.0.0.1 -J`; bytes/s the
// receiver got. nullopt (with the reason) when iperf3 is missing or fails.
struct IperfResult {
    std::optional<double> bytes_per_s;
    std::string detail;
};
IperfResult iperf3_loopback(unsigned seconds, std::uint16_t port);

}  // namespace hoplab::bench
