#pragma once

// A real hoplabd child on loopback for the acquisition bench: its own folder under /tmp, a
// generated TOML configuration with N Kistler-type 8-channel plates, ports chosen by the kernel.

#include <hoplab/acquisition/control_client.hpp>
#include <hoplab/cli/child_process.hpp>

#include <nlohmann/json.hpp>

#include <sys/types.h>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace hoplab::bench {

inline constexpr std::size_t kPlateChannels = 8;  // fx12 fx34 fy14 fy23 fz1 fz2 fz3 fz4

struct BenchDevice {
    std::string name;
    std::string transport;  // "tcp" or "udp", as in the [[device]] table
};

// CPU time and memory of a process from /proc (Linux).
struct ProcessSample {
    double cpu_s = 0;              // utime + stime, seconds
    std::uint64_t vm_hwm_kib = 0;  // peak resident set (VmHWM)
    std::uint64_t vm_rss_kib = 0;  // current resident set (VmRSS)
};
// Throws std::runtime_error naming the file when /proc/<pid> cannot be read.
ProcessSample sample_process(pid_t pid);

class DaemonChild {
  public:
    // Starts `hoplabd_path --config <dir>/lab.toml` with the devices (all rated by the same
    // calibration file) and waits up to 10 s for its ready file; throws std::runtime_error with the
    // daemon's log otherwise. `dir` is created afresh. `compress_raw` is the daemon's
    // `[daemon] compress_raw` key (shuffle+deflate 1 on the raw streams).
    DaemonChild(const std::filesystem::path& hoplabd_path, const std::filesystem::path& dir,
                const std::vector<BenchDevice>& devices, bool compress_raw = true);
    ~DaemonChild();
    DaemonChild(const DaemonChild&) = delete;
    DaemonChild& operator=(const DaemonChild&) = delete;

    acquisition::ControlClient client() const;
    std::uint16_t http_port() const { return http_port_; }
    std::uint16_t device_port() const { return device_port_; }
    std::optional<std::uint16_t> udp_port() const { return udp_port_; }
    pid_t pid() const { return process_->pid(); }
    nlohmann::json status() const;  // GET /api/v1/status; throws on a non-200 answer
    std::string log() const;

    // Polls the status until every configured device is connected; throws after 10 s.
    void wait_for_devices() const;
    // POST /api/v1/sessions, then (when `with_trial`) /api/v1/trials/start; returns the session
    // file. Throws with the daemon's answer when either is refused.
    std::filesystem::path open_session_and_start_trial(bool with_trial = true) const;
    // POST /api/v1/trials/stop then /api/v1/trials/start: the session stays open. Throws when
    // refused.
    void restart_trial() const;
    // POST /api/v1/trials/stop (when `with_trial`) and DELETE /api/v1/sessions/current; throws
    // when refused.
    void stop_trial_and_close_session(bool with_trial = true) const;
    // SIGTERM and wait (10 s); returns the exit status, nullopt if it did not exit.
    std::optional<int> stop();

  private:
    void stop_trial() const;  // POST /api/v1/trials/stop, waiting as `hoplab record stop` does

    std::filesystem::path dir_;
    std::optional<cli::ChildProcess> process_;
    std::uint16_t http_port_ = 0;
    std::uint16_t device_port_ = 0;
    std::optional<std::uint16_t> udp_port_;
};

// Per-device accounting read from the status after a run.
struct DeviceCounts {
    std::uint64_t samples_received = 0;
    std::uint64_t samples_written = 0;
    std::uint64_t samples_lost = 0;  // sequence gaps (samples_lost) + ring_overrun_samples
    std::uint64_t ring_overrun_samples = 0;
    std::uint64_t crc_failures = 0;
    std::uint64_t malformed = 0;
};
// Sums the counters of every device in a status answer.
DeviceCounts total_counts(const nlohmann::json& status);

}  // namespace hoplab::bench
