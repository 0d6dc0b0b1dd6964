#include "daemon_child.hpp"

#include <hoplab/cli/stop_timeout.hpp>

#include <unistd.h>
#include <chrono>
#include <csignal>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace hoplab::bench {
namespace {

// A Kistler-type 8-channel plate (docs/calibration.md) rated in N per volt: the bench sends
// float32 volts of a ±2.5 V amplifier, so the gains are those of a 0–5 kN plate at 2 kN/V.
constexpr const char* kKistlerCalibration = R"(format = "hoplab-calibration"
version = 1
model = "kistler_eight_channel"
serial = "BENCH-9260"
provenance = "acquisition bench: nominal gains, offsets zero"

[channels]
gain = [500.0, 500.0, 500.0, 500.0, 2000.0, 2000.0, 2000.0, 2000.0]
offset = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]

[geometry]
a_m = 0.210
b_m = 0.350
az0_m = -0.045
)";

void start_trial(const acquisition::ControlClient& client) {
    const auto trial =
        client.post("/api/v1/trials/start", {{"protocol", "quiet-stance"}, {"limb", "both"}});
    if (trial.status != 201) {
        throw std::runtime_error("POST /api/v1/trials/start answered " +
                                 std::to_string(trial.status) + ": " + trial.body.dump());
    }
}

std::string read_text(const std::filesystem::path& file) {
    std::ifstream in(file);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

ProcessSample sample_process(pid_t pid) {
    const std::filesystem::path proc = "/proc/" + std::to_string(pid);
    const std::string stat = read_text(proc / "stat");
    // Field 2 (comm) may hold spaces: count fields after its closing parenthesis. utime and stime
    // are fields 14 and 15, in clock ticks.
    const auto close = stat.rfind(')');
    if (stat.empty() || close == std::string::npos) {
        throw std::runtime_error("cannot read " + (proc / "stat").string());
    }
    std::istringstream fields(stat.substr(close + 2));
    std::string field;
    double ticks = 0;
    for (int number = 3; number <= 15 && fields >> field; ++number) {
        if (number >= 14) {
            ticks += std::stod(field);
        }
    }
    ProcessSample sample;
    sample.cpu_s = ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
    std::ifstream status(proc / "status");
    for (std::string line; std::getline(status, line);) {
        const auto value_kib = [&line] { return std::stoull(line.substr(line.find(':') + 1)); };
        if (line.rfind("VmHWM:", 0) == 0) {
            sample.vm_hwm_kib = value_kib();
        } else if (line.rfind("VmRSS:", 0) == 0) {
            sample.vm_rss_kib = value_kib();
        }
    }
    if (sample.vm_hwm_kib == 0) {
        throw std::runtime_error("no VmHWM in " + (proc / "status").string());
    }
    return sample;
}

DaemonChild::DaemonChild(const std::filesystem::path& hoplabd_path,
                         const std::filesystem::path& dir, const std::vector<BenchDevice>& devices,
                         bool compress_raw)
    : dir_(dir) {
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir / "data");
    std::ofstream(dir / "kistler-plate.toml") << kKistlerCalibration;
    {
        std::ofstream config(dir / "lab.toml");
        config << "[daemon]\nlisten = \"127.0.0.1:0\"\ndevice_listen = \"127.0.0.1:0\"\n"
               << "data_dir = \"" << (dir / "data").string() << "\"\n"
               << "lab = \"hoplab acquisition bench\"\n"
               << "compress_raw = " << (compress_raw ? "true" : "false") << "\n";
        bool udp = false;
        for (const auto& device : devices) {
            udp = udp || device.transport == "udp";
        }
        if (udp) {
            config << "udp_listen = \"127.0.0.1:0\"\n";
        }
        for (const auto& device : devices) {
            config << "\n[[device]]\nname = \"" << device.name << "\"\ntransport = \""
                   << device.transport << "\"\ncalibration = \"kistler-plate.toml\"\n";
        }
    }
    const auto ready = dir / "ready.json";
    process_.emplace(cli::ChildProcess::Options{
        hoplabd_path,
        {"--config", (dir / "lab.toml").string(), "--ready-file", ready.string()},
        dir / "hoplabd.log",
        false,
        false,
        {}});
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (;;) {
        std::ifstream in(ready);
        const auto json = nlohmann::json::parse(in, nullptr, false);
        if (!json.is_discarded() && json.contains("http_port")) {
            http_port_ = json["http_port"].get<std::uint16_t>();
            device_port_ = json["device_port"].get<std::uint16_t>();
            if (json.contains("udp_port")) {
                udp_port_ = json["udp_port"].get<std::uint16_t>();
            }
            return;
        }
        if (!process_->running() || std::chrono::steady_clock::now() > deadline) {
            throw std::runtime_error("hoplabd did not start; log: " + log());
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

DaemonChild::~DaemonChild() {
    stop();
}

acquisition::ControlClient DaemonChild::client() const {
    return acquisition::ControlClient("127.0.0.1", http_port_);
}

nlohmann::json DaemonChild::status() const {
    auto answer = client().get("/api/v1/status");
    if (answer.status != 200) {
        throw std::runtime_error("GET /api/v1/status answered " + std::to_string(answer.status) +
                                 ": " + answer.body.dump());
    }
    return std::move(answer.body);
}

std::string DaemonChild::log() const {
    return read_text(dir_ / "hoplabd.log");
}

void DaemonChild::wait_for_devices() const {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (;;) {
        const auto now = status();
        bool all = !now["devices"].empty();
        for (const auto& device : now["devices"]) {
            all = all && device["connected"].get<bool>();
        }
        if (all) {
            return;
        }
        if (std::chrono::steady_clock::now() > deadline) {
            throw std::runtime_error("devices did not connect: " + now.dump());
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

std::filesystem::path DaemonChild::open_session_and_start_trial(bool with_trial) const {
    const auto session = client().post(
        "/api/v1/sessions",
        {{"athlete_id", "bench"}, {"mass_kg", 75.0}, {"operator", "acquisition bench"}});
    if (session.status != 201) {
        throw std::runtime_error("POST /api/v1/sessions answered " +
                                 std::to_string(session.status) + ": " + session.body.dump());
    }
    if (with_trial) {
        start_trial(client());
    }
    return session.body["session"]["file"].get<std::string>();
}

void DaemonChild::stop_trial() const {
    // The stop derives the force of every sample the trial wrote (10^8 and more in an ingest
    // phase), so it waits as long as `hoplab record stop` does.
    const acquisition::ControlClient client("127.0.0.1", http_port_, {},
                                            cli::trial_stop_timeout(status()));
    const auto stopped = client.post("/api/v1/trials/stop");
    if (stopped.status != 200) {
        throw std::runtime_error("POST /api/v1/trials/stop answered " +
                                 std::to_string(stopped.status) + ": " + stopped.body.dump());
    }
}

void DaemonChild::restart_trial() const {
    stop_trial();
    start_trial(client());
}

void DaemonChild::stop_trial_and_close_session(bool with_trial) const {
    if (with_trial) {
        stop_trial();
    }
    const auto closed = client().del("/api/v1/sessions/current");
    if (closed.status != 200) {
        throw std::runtime_error("DELETE /api/v1/sessions/current answered " +
                                 std::to_string(closed.status) + ": " + closed.body.dump());
    }
}

std::optional<int> DaemonChild::stop() {
    if (!process_ || !process_->running()) {
        return process_ ? process_->wait(std::chrono::milliseconds(0)) : std::nullopt;
    }
    process_->signal(SIGTERM);
    return process_->wait(std::chrono::seconds(10));
}

DeviceCounts total_counts(const nlohmann::json& status) {
    DeviceCounts total;
    for (const auto& device : status["devices"]) {
        const auto& c = device["counters"];
        total.samples_received += c["samples_received"].get<std::uint64_t>();
        total.samples_written += c["samples_written"].get<std::uint64_t>();
        total.ring_overrun_samples += c["ring_overrun_samples"].get<std::uint64_t>();
        total.samples_lost +=
            c["samples_lost"].get<std::uint64_t>() + c["ring_overrun_samples"].get<std::uint64_t>();
        total.crc_failures += c["crc_failures"].get<std::uint64_t>();
        total.malformed += c["malformed"].get<std::uint64_t>();
    }
    return total;
}

}  // namespace hoplab::bench
