#pragma once

// Test support: a real hoplabd child process on loopback (ports chosen by the kernel) in a fresh
// data folder.

#include <hoplab/acquisition/control_client.hpp>
#include <hoplab/cli/child_process.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace hoplab::testing {

inline std::filesystem::path fresh_directory(const std::string& name) {
    std::random_device random;
    const auto dir = std::filesystem::temp_directory_path() /
                     ("hoplab-test-" + name + "-" + std::to_string(random()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir;
}

class DaemonProcess {
  public:
    // file_size_limit_kib: run under `ulimit -f` with SIGXFSZ ignored, so a write past the limit
    // fails with EFBIG as on a full disk.
    explicit DaemonProcess(const std::filesystem::path& dir,
                           std::vector<std::string> extra_arguments = {},
                           std::optional<unsigned> file_size_limit_kib = std::nullopt)
        : dir_(dir) {
        const auto ready = dir / "ready.json";
        std::vector<std::string> arguments{"--listen",     "127.0.0.1:0", "--device-listen",
                                           "127.0.0.1:0",  "--data-dir",  (dir / "data").string(),
                                           "--ready-file", ready.string()};
        arguments.insert(arguments.end(), extra_arguments.begin(), extra_arguments.end());
        std::filesystem::path program = HOPLABD_PATH;
        if (file_size_limit_kib) {
            arguments.insert(arguments.begin(),
                             {"-c",
                              "ulimit -f " + std::to_string(*file_size_limit_kib) +
                                  "; trap '' XFSZ; exec \"$0\" \"$@\"",
                              HOPLABD_PATH});
            program = "/bin/bash";
        }
        process_.emplace(
            cli::ChildProcess::Options{program, arguments, dir / "hoplabd.log", false, false, {}});
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        for (;;) {
            std::ifstream in(ready);
            const auto json = nlohmann::json::parse(in, nullptr, false);
            if (!json.is_discarded() && json.contains("http_port")) {
                http_port_ = json["http_port"].get<std::uint16_t>();
                device_port_ = json["device_port"].get<std::uint16_t>();
                udp_port_ = json.value("udp_port", std::uint16_t{0});
                return;
            }
            if (!process_->running() || std::chrono::steady_clock::now() > deadline) {
                throw std::runtime_error("hoplabd did not start; log: " + log());
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    }

    acquisition::ControlClient client(std::string token = {}) const {
        return acquisition::ControlClient("127.0.0.1", http_port_, std::move(token));
    }
    std::uint16_t http_port() const { return http_port_; }
    std::uint16_t device_port() const { return device_port_; }
    std::uint16_t udp_port() const { return udp_port_; }  // 0 without a UDP listener
    // `hoplab device-sim` (the program at `hoplab`) streaming to this daemon over TCP with the
    // given switches, stdin and stdout piped (its JSON events), logging to `log` (default:
    // device-sim.log in the daemon's folder).
    cli::ChildProcess::Options device_sim(const std::filesystem::path& hoplab,
                                          const std::vector<std::string>& switches,
                                          std::optional<std::filesystem::path> log = {}) const {
        std::vector<std::string> arguments{"device-sim", "--connect",
                                           "tcp://127.0.0.1:" + std::to_string(device_port_)};
        arguments.insert(arguments.end(), switches.begin(), switches.end());
        return cli::ChildProcess::Options{hoplab, arguments, log ? *log : dir_ / "device-sim.log",
                                          true,   true,      {}};
    }
    cli::ChildProcess& process() { return *process_; }
    // The session files (.h5) in the daemon's data folder.
    std::vector<std::filesystem::path> session_files() const {
        std::vector<std::filesystem::path> files;
        for (const auto& entry : std::filesystem::directory_iterator(dir_ / "data")) {
            if (entry.path().extension() == ".h5") {
                files.push_back(entry.path());
            }
        }
        return files;
    }
    std::string log() const {
        std::ifstream in(dir_ / "hoplabd.log");
        return std::string(std::istreambuf_iterator<char>(in), {});
    }

    // Polls the status until every configured device is connected.
    void wait_for_devices(std::chrono::seconds timeout = std::chrono::seconds(10)) const {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            const auto status = client().get("/api/v1/status").body;
            bool all = !status["devices"].empty();
            for (const auto& device : status["devices"]) {
                all = all && device["connected"].get<bool>();
            }
            if (all) {
                return;
            }
            if (std::chrono::steady_clock::now() > deadline) {
                throw std::runtime_error("devices did not connect: " + status.dump());
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }

  private:
    std::filesystem::path dir_;
    std::optional<cli::ChildProcess> process_;
    std::uint16_t http_port_ = 0;
    std::uint16_t udp_port_ = 0;
    std::uint16_t device_port_ = 0;
};

}  // namespace hoplab::testing
