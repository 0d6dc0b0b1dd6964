#include <hoplab/acquisition/daemon_config.hpp>
#include <hoplab/acquisition/simulated_plate.hpp>

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

namespace hoplab::acquisition {
namespace {

std::string read_text(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        throw ConfigError(fmt::format("{}: cannot open file", file.string()));
    }
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// Every table is checked for keys we do not know: a typo must not silently fall back to a default.
void reject_unknown_keys(const toml::table& table, std::initializer_list<std::string_view> known,
                         const std::string& where) {
    for (const auto& [key, value] : table) {
        if (std::find(known.begin(), known.end(), key.str()) == known.end()) {
            throw ConfigError(fmt::format("{}: unknown key '{}'", where, key.str()));
        }
    }
}

std::string required_string(const toml::table& table, std::string_view key,
                            const std::string& where) {
    const auto* node = table.get(key);
    if (node == nullptr) {
        throw ConfigError(fmt::format("{}: missing key '{}'", where, key));
    }
    if (!node->is_string()) {
        throw ConfigError(fmt::format("{}: key '{}' must be a string", where, key));
    }
    return **node->as_string();
}

// An optional key of `table`: nullopt when absent, ConfigError when present with another type
// (a quoted "true" or a 1 must not pass for a boolean, nor a number for a path). T is std::string
// or bool; `what` says which in the error.
template <class T>
std::optional<T> optional_key(const toml::table& table, std::string_view key,
                              const std::string& where, std::string_view what) {
    const auto* node = table.get(key);
    if (node == nullptr) {
        return std::nullopt;
    }
    const auto* value = node->as<T>();
    if (value == nullptr) {
        throw ConfigError(fmt::format("{} {}: must be {}", where, key, what));
    }
    return value->get();
}

std::optional<std::string> optional_string(const toml::table& table, std::string_view key,
                                           const std::string& where) {
    return optional_key<std::string>(table, key, where, "a string");
}

std::optional<bool> optional_boolean(const toml::table& table, std::string_view key,
                                     const std::string& where) {
    return optional_key<bool>(table, key, where, "true or false");
}

// The [[device]] keys that configure a serial port; `where` names the table.
SerialSettings parse_serial(const toml::table& table, const std::string& where) {
    SerialSettings serial;
    serial.port = required_string(table, "port", where);
    if (serial.port.empty() || serial.port.front() != '/') {
        throw ConfigError(
            fmt::format("{} port: '{}' must be an absolute device path", where, serial.port));
    }
    if (const auto* node = table.get("baud")) {
        const auto baud = node->value<std::int64_t>();
        if (!baud || *baud < 300 || *baud > 4'000'000) {
            throw ConfigError(
                fmt::format("{} baud: must be an integer from 300 to 4000000", where));
        }
        serial.baud = static_cast<unsigned>(*baud);
    }
    const std::string framing =
        table.contains("framing") ? required_string(table, "framing", where) : "cobs";
    if (framing == "cobs") {
        serial.framing = SerialFraming::cobs;
        for (const char* key : {"rate_hz", "sample_format"}) {
            if (table.contains(key)) {
                throw ConfigError(fmt::format(
                    "{} {}: only for framing = \"csv\" (COBS devices say it in their HELLO)", where,
                    key));
            }
        }
        return serial;
    }
    if (framing != "csv") {
        throw ConfigError(fmt::format("{} framing: '{}' is not one of: cobs, csv", where, framing));
    }
    serial.framing = SerialFraming::csv;
    const auto* rate = table.get("rate_hz");
    const auto rate_hz = rate ? rate->value<double>() : std::nullopt;
    if (!rate_hz || !(*rate_hz > 0 && *rate_hz <= 100'000)) {
        throw ConfigError(fmt::format(
            "{} rate_hz: a CSV board needs its sample rate in Hz (0 to 100000)", where));
    }
    serial.rate_hz = *rate_hz;
    const std::string format =
        table.contains("sample_format") ? required_string(table, "sample_format", where) : "int32";
    if (format == "int32") {
        serial.sample_format = wire::SampleFormat::int32;
    } else if (format == "float32") {
        serial.sample_format = wire::SampleFormat::float32;
    } else {
        throw ConfigError(
            fmt::format("{} sample_format: '{}' is not one of: int32, float32", where, format));
    }
    return serial;
}

}  // namespace

std::string_view to_string(Transport transport) {
    switch (transport) {
        case Transport::tcp:
            return "tcp";
        case Transport::udp:
            return "udp";
        case Transport::serial:
            return "serial";
    }
    return "tcp";
}

wire::Hello csv_device_hello(const DeviceConfig& device) {
    wire::Hello hello;
    hello.device_name = device.name;
    hello.model = "CSV load-cell board";
    hello.layout = fmt::format("cells{}", device.calibration.channel_count());
    hello.rate_hz = device.serial ? device.serial->rate_hz : 0.0;
    hello.sample_format = device.serial ? device.serial->sample_format : wire::SampleFormat::int32;
    for (std::size_t c = 0; c < device.calibration.channel_count(); ++c) {
        hello.channel_names.push_back(fmt::format("c{}", c + 1));
    }
    return hello;
}

bool is_safe_identifier(std::string_view text) {
    if (text.empty() || text.size() > 64) {
        return false;
    }
    return std::all_of(text.begin(), text.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '-';
    });
}

bool is_loopback_address(const std::string& address) {
    return address == "localhost" || address == "::1" || address.rfind("127.", 0) == 0;
}

Endpoint parse_endpoint(const std::string& text, const std::string& option_name) {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
        throw ConfigError(fmt::format("{}: '{}' is not ADDR:PORT", option_name, text));
    }
    std::string address = text.substr(0, colon);
    if (address.size() >= 2 && address.front() == '[' && address.back() == ']') {
        address = address.substr(1, address.size() - 2);
    }
    const std::string port_text = text.substr(colon + 1);
    unsigned long port = 0;
    try {
        std::size_t used = 0;
        port = std::stoul(port_text, &used);
        if (used != port_text.size()) {
            throw std::invalid_argument(port_text);
        }
    } catch (const std::exception&) {
        throw ConfigError(fmt::format("{}: port '{}' is not a number", option_name, port_text));
    }
    if (port > 65535) {
        throw ConfigError(fmt::format("{}: port {} is out of range 0-65535", option_name, port));
    }
    return Endpoint{address, static_cast<std::uint16_t>(port)};
}

DaemonConfig load_daemon_config(const std::filesystem::path& file) {
    const std::string name = file.string();
    toml::table root;
    try {
        root = toml::parse(read_text(file), name);
    } catch (const toml::parse_error& error) {
        throw ConfigError(fmt::format("{}:{}:{}: {}", name, error.source().begin.line,
                                      error.source().begin.column, error.description()));
    }
    reject_unknown_keys(root, {"daemon", "device"}, name);

    DaemonConfig config;
    config.devices.clear();
    if (const auto* daemon = root["daemon"].as_table()) {
        const std::string where = name + ": [daemon]";
        reject_unknown_keys(
            *daemon,
            {"listen", "device_listen", "udp_listen", "udp_receive_buffer_kib", "data_dir",
             "flush_interval_ms", "live_interval_ms", "compress_raw", "lab", "allow_remote"},
            where);
        if (auto v = optional_string(*daemon, "listen", where)) {
            config.http = parse_endpoint(*v, where + " listen");
        }
        if (auto v = optional_string(*daemon, "device_listen", where)) {
            config.device_listen = parse_endpoint(*v, where + " device_listen");
        }
        if (auto v = optional_string(*daemon, "udp_listen", where)) {
            config.udp_listen = parse_endpoint(*v, where + " udp_listen");
        }
        if (const auto* node = daemon->get("udp_receive_buffer_kib")) {
            const auto kib = node->value<std::int64_t>();
            if (!kib || *kib < 64 || *kib > 1024 * 1024) {
                throw ConfigError(fmt::format(
                    "{} udp_receive_buffer_kib: must be an integer from 64 to 1048576", where));
            }
            config.udp_receive_buffer_bytes = static_cast<std::size_t>(*kib) * 1024;
        }
        if (auto v = optional_string(*daemon, "data_dir", where)) {
            config.data_dir = *v;
        }
        if (const auto* node = daemon->get("flush_interval_ms")) {
            const auto ms = node->value<std::int64_t>();
            if (!ms || *ms < 10 || *ms > 10'000) {
                throw ConfigError(fmt::format(
                    "{} flush_interval_ms: must be an integer from 10 to 10000", where));
            }
            config.flush_interval = std::chrono::milliseconds(*ms);
        }
        if (const auto* node = daemon->get("live_interval_ms")) {
            const auto ms = node->value<std::int64_t>();
            if (!ms || *ms < 5 || *ms > 100) {
                throw ConfigError(
                    fmt::format("{} live_interval_ms: must be an integer from 5 to 100", where));
            }
            config.live_interval = std::chrono::milliseconds(*ms);
        }
        if (auto v = optional_boolean(*daemon, "compress_raw", where)) {
            config.compress_raw = *v;
        }
        if (auto v = optional_string(*daemon, "lab", where)) {
            config.lab = *v;
        }
        if (auto v = optional_boolean(*daemon, "allow_remote", where)) {
            config.allow_remote = *v;
        }
    }

    const auto* devices = root["device"].as_array();
    if (devices == nullptr || devices->empty()) {
        throw ConfigError(
            fmt::format("{}: no [[device]] tables: at least one device is needed", name));
    }
    std::set<std::string> names;
    for (std::size_t i = 0; i < devices->size(); ++i) {
        const auto* table = (*devices)[i].as_table();
        const std::string where = fmt::format("{}: [[device]] #{}", name, i + 1);
        if (table == nullptr) {
            throw ConfigError(where + ": must be a table");
        }
        reject_unknown_keys(*table,
                            {"name", "transport", "limb", "calibration", "port", "baud", "framing",
                             "rate_hz", "sample_format"},
                            where);
        DeviceConfig device;
        device.name = required_string(*table, "name", where);
        if (!is_safe_identifier(device.name)) {
            throw ConfigError(fmt::format(
                "{} name: '{}' must be 1-64 characters of A-Z a-z 0-9 _ -", where, device.name));
        }
        if (!names.insert(device.name).second) {
            throw ConfigError(fmt::format("{} name: '{}' is configured twice", where, device.name));
        }
        const std::string transport = required_string(*table, "transport", where);
        if (transport == "tcp") {
            device.transport = Transport::tcp;
        } else if (transport == "udp") {
            device.transport = Transport::udp;
        } else if (transport == "serial") {
            device.transport = Transport::serial;
            device.serial = parse_serial(*table, where);
        } else {
            throw ConfigError(fmt::format("{} transport: '{}' is not one of: tcp, udp, serial",
                                          where, transport));
        }
        if (device.transport != Transport::serial) {
            for (const char* key : {"port", "baud", "framing", "rate_hz", "sample_format"}) {
                if (table->contains(key)) {
                    throw ConfigError(
                        fmt::format("{} {}: only for transport = \"serial\"", where, key));
                }
            }
        }
        if (const auto* limb = table->get("limb")) {
            const auto text = limb->value<std::string>();
            const auto parsed = text ? processing::parse_limb(*text) : std::nullopt;
            if (!parsed || *parsed == processing::Limb::both) {
                throw ConfigError(fmt::format("{} limb: must be \"left\" or \"right\"", where));
            }
            device.limb = parsed;
        }
        const std::filesystem::path calibration_path =
            file.parent_path() / required_string(*table, "calibration", where);
        device.calibration_source = calibration_path.string();
        try {
            device.calibration = calibration::PlateCalibration::from_toml(
                read_text(calibration_path), device.calibration_source);
        } catch (const calibration::CalibrationError& error) {
            throw ConfigError(fmt::format("{} calibration: {}", where, error.what()));
        }
        config.devices.push_back(std::move(device));
    }
    const bool any_udp = std::any_of(config.devices.begin(), config.devices.end(),
                                     [](const auto& d) { return d.transport == Transport::udp; });
    if (any_udp && !config.udp_listen) {
        config.udp_listen = Endpoint{"127.0.0.1", 8752};
    }
    return config;
}

DaemonConfig simulated_lab_config() {
    DaemonConfig config;
    config.lab = "simulated lab";
    for (const auto& [name, limb] : std::array{std::pair{"left", processing::Limb::left},
                                               std::pair{"right", processing::Limb::right}}) {
        DeviceConfig device;
        device.name = name;
        device.limb = limb;
        device.calibration = simulated_plate_calibration(std::string("SIM-") + name, false);
        device.calibration_source = "built-in simulated plate calibration";
        config.devices.push_back(std::move(device));
    }
    const bool any_udp = std::any_of(config.devices.begin(), config.devices.end(),
                                     [](const auto& d) { return d.transport == Transport::udp; });
    if (any_udp && !config.udp_listen) {
        config.udp_listen = Endpoint{"127.0.0.1", 8752};
    }
    return config;
}

}  // namespace hoplab::acquisition
