#pragma once

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

enum class Transport { tcp };

// One force plate (or load-cell board) the daemon accepts. A device announces itself in its HELLO
// with `device_name`; only configured names are accepted.
struct DeviceConfig {
    std::string name;  // [A-Za-z0-9_-]{1,64}: it becomes an HDF5 path component
    Transport transport = Transport::tcp;
    std::optional<processing::Limb> limb;  // which limb stands on this plate in single-leg work
    calibration::PlateCalibration calibration;
    std::string calibration_source;  // file the calibration came from (provenance)
};

struct Endpoint {
    std::string address = "127.0.0.1";
    std::uint16_t port = 0;
};

struct DaemonConfig {
    Endpoint http{"127.0.0.1", 8750};           // control API and live WebSocket
    Endpoint device_listen{"127.0.0.1", 8751};  // TCP device streams connect here
    std::filesystem::path data_dir = "hoplab-data";
    std::chrono::milliseconds flush_interval{250};
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
