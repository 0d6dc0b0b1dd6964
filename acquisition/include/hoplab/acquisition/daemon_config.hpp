#pragma once

#include <hoplab/acquisition/wire/messages.hpp>
#include <hoplab/calibration/plate_calibration.hpp>
#include <hoplab/processing/protocol.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace hoplab::acquisition {

// A configuration problem, naming the file, the key and the offending value.
class ConfigError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

enum class Transport { tcp, udp, serial };
std::string_view to_string(Transport transport);

// How a serial device frames its bytes (docs/protocol.md §4): COBS-framed protocol frames, or the
// plain-text CSV lines of hobby load-cell boards, which send no HELLO: their rate and sample
// format come from here.
enum class SerialFraming { cobs, csv };
struct SerialSettings {
    std::string port;  // e.g. /dev/ttyACM0; from the configuration file only, never from a request
    unsigned baud = 115200;
    SerialFraming framing = SerialFraming::cobs;
    double rate_hz = 0;  // csv only: the board's sample rate
    wire::SampleFormat sample_format = wire::SampleFormat::int32;  // csv only
};

// One force plate (or load-cell board) the daemon accepts. A device announces itself in its HELLO
// with `device_name`; only configured names are accepted.
struct DeviceConfig {
    std::string name;  // [A-Za-z0-9_-]{1,64}: it becomes an HDF5 path component
    Transport transport = Transport::tcp;
    std::optional<processing::Limb> limb;  // which limb stands on this plate in single-leg work
    calibration::PlateCalibration calibration;
    std::string calibration_source;        // file the calibration came from (provenance)
    std::optional<SerialSettings> serial;  // transport == serial
};

// The HELLO a CSV board would send: its configured name, rate and sample format, channels c1…cN
// for the calibration's N channels.
wire::Hello csv_device_hello(const DeviceConfig& device);

struct Endpoint {
    std::string address = "127.0.0.1";
    std::uint16_t port = 0;
};

struct DaemonConfig {
    Endpoint http{"127.0.0.1", 8750};           // control API and live WebSocket
    Endpoint device_listen{"127.0.0.1", 8751};  // TCP device streams connect here
    // UDP device datagrams arrive here; the default 127.0.0.1:8752 once a device uses UDP.
    std::optional<Endpoint> udp_listen;
    // The UDP socket's receive buffer: the kernel default (208 KiB) overflows within milliseconds
    // at 10^5 datagrams/s. Raised with SO_RCVBUFFORCE when the daemon may, else up to rmem_max.
    std::size_t udp_receive_buffer_bytes = 16 * 1024 * 1024;
    std::filesystem::path data_dir = "hoplab-data";
    std::chrono::milliseconds flush_interval{250};
    // The io thread's tick: it reads the TCP devices and sends viewers one live message per tick,
    // so a sample reaches a viewer at most about one tick after it arrived. 15 ms: live p99 ≈ 16 ms
    // at 1.9–2.0 % of a core for four 2 kHz plates; 10 ms: p99 ≈ 11 ms at 2.4–2.8 %
    // (docs/performance.md, session 9).
    std::chrono::milliseconds live_interval{15};
    // Shuffle+deflate level 1 on the raw streams (recording::WriterOptions::compress_raw): about
    // 1.5 × smaller files on 24-bit ADC data, but the recorder thread then deflates every sample
    // (about 1 M samples/s per core); `false` for sessions that must take far more than that.
    bool compress_raw = true;
    std::string lab;
    bool allow_remote = false;  // binding to a non-loopback address needs this and a token
    std::string token;          // bearer token required on every request when non-empty
    std::vector<DeviceConfig> devices;
};

// Reads a TOML daemon configuration; calibration file paths are relative to the config file's
// folder. Throws ConfigError naming the file, key and value.
DaemonConfig load_daemon_config(const std::filesystem::path& file);

// Two simulated six-channel plates, "left" and "right", with the simulator's factory calibration
// (offsets zero: tare before use). Used by `hoplabd --simulate` and by `hoplabd` without --config.
DaemonConfig simulated_lab_config();

// Parses "ADDR:PORT" ("127.0.0.1:8750", "[::1]:8750"); throws ConfigError naming the option and
// value.
Endpoint parse_endpoint(const std::string& text, const std::string& option_name);

bool is_loopback_address(const std::string& address);

// Device names and athlete ids become file and HDF5 path components: only [A-Za-z0-9_-], 1 to 64
// characters.
bool is_safe_identifier(std::string_view text);

}  // namespace hoplab::acquisition
