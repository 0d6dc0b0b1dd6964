// hoplabd: receives force-plate streams and records sessions to HDF5 (DESIGN.md §3).
#include <hoplab/acquisition/daemon.hpp>
#include <hoplab/version.hpp>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <fstream>
#include <iostream>

int main(int argc, char** argv) {
    using namespace hoplab::acquisition;
    CLI::App app{
        "hoplabd — the hoplab acquisition daemon: receives force-plate streams over TCP, UDP "
        "and serial lines and records sessions "
        "to HDF5, with an HTTP control API and a live WebSocket on loopback."};
    app.set_version_flag("--version", std::string(hoplab::kSoftwareVersion));
    std::string config_file, listen, device_listen, udp_listen, data_dir, token_file, ready_file;
    bool simulate = false;
    bool allow_remote = false;
    int flush_ms = 0;
    app.add_option("--config", config_file,
                   "TOML configuration: devices, calibrations, listen addresses");
    app.add_option("--listen", listen,
                   "control API address ADDR:PORT (default 127.0.0.1:8750; port 0 = any)");
    app.add_option("--device-listen", device_listen,
                   "device stream address ADDR:PORT (default 127.0.0.1:8751)");
    app.add_option("--udp-listen", udp_listen,
                   "device datagram address ADDR:PORT (default 127.0.0.1:8752 when a configured "
                   "device uses UDP)");
    app.add_option("--data-dir", data_dir, "folder for session recordings (default ./hoplab-data)");
    app.add_flag("--simulate", simulate,
                 "start two built-in simulated plates (no hardware needed)");
    app.add_flag("--allow-remote", allow_remote,
                 "allow a non-loopback listen address (needs --token-file)");
    app.add_option("--token-file", token_file,
                   "file holding the bearer token every request must present");
    app.add_option("--flush-ms", flush_ms, "flush cadence of the recording in ms (default 250)")
        ->check(CLI::Range(10, 10000));
    app.add_option("--ready-file", ready_file,
                   "write {http_port, device_port, udp_port, pid} as JSON here once listening");
    CLI11_PARSE(app, argc, argv);

    try {
        DaemonOptions options;
        options.config =
            config_file.empty() ? simulated_lab_config() : load_daemon_config(config_file);
        if (!listen.empty()) {
            options.config.http = parse_endpoint(listen, "--listen");
        }
        if (!device_listen.empty()) {
            options.config.device_listen = parse_endpoint(device_listen, "--device-listen");
        }
        if (!udp_listen.empty()) {
            options.config.udp_listen = parse_endpoint(udp_listen, "--udp-listen");
        }
        if (!data_dir.empty()) {
            options.config.data_dir = data_dir;
        }
        if (flush_ms > 0) {
            options.config.flush_interval = std::chrono::milliseconds(flush_ms);
        }
        options.config.allow_remote = options.config.allow_remote || allow_remote;
        if (!token_file.empty()) {
            std::ifstream in(token_file);
            if (!in || !std::getline(in, options.config.token)) {
                throw ConfigError("--token-file " + token_file + ": cannot read a token from it");
            }
        }
        options.simulate = simulate;
        if (!ready_file.empty()) {
            options.ready_file = ready_file;
        }
        Daemon daemon(std::move(options));
        return daemon.run();
    } catch (const std::exception& error) {
        spdlog::error("{}", error.what());
        return 2;
    }
}
