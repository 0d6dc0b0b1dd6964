#include <hoplab/acquisition/daemon.hpp>
#include <hoplab/acquisition/device_server.hpp>
#include <hoplab/acquisition/http_server.hpp>
#include <hoplab/acquisition/live_feed.hpp>
#include <hoplab/acquisition/recorder.hpp>
#include <hoplab/acquisition/serial_device_port.hpp>
#include <hoplab/acquisition/session_controller.hpp>
#include <hoplab/acquisition/simulated_amplifier.hpp>
#include <hoplab/acquisition/udp_device_receiver.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <memory>
#include <vector>

namespace hoplab::acquisition {

namespace asio = boost::asio;

void check_exposure(const DaemonConfig& config) {
    std::vector<const Endpoint*> endpoints{&config.http, &config.device_listen};
    if (config.udp_listen) {
        endpoints.push_back(&*config.udp_listen);
    }
    for (const auto* endpoint : endpoints) {
        if (is_loopback_address(endpoint->address)) {
            continue;
        }
        if (!config.allow_remote) {
            throw ConfigError(
                fmt::format("refusing to listen on {}: it is not a loopback address; pass "
                            "--allow-remote and a token (--token-file) to expose the daemon",
                            endpoint->address));
        }
        if (config.token.size() < 16) {
            throw ConfigError(fmt::format(
                "refusing to listen on {} without a bearer token of at least 16 characters",
                endpoint->address));
        }
    }
}

struct Daemon::Impl {
    explicit Impl(DaemonOptions opts)
        : options(std::move(opts)),
          controller(io.get_executor(), options.config, recorder),
          devices(io, options.config.device_listen, controller),
          http(io, options.config.http, controller, live, options.config.token),
          signals(io, SIGINT, SIGTERM),
          flush_timer(io),
          live_timer(io) {
        if (options.config.udp_listen) {
            udp.emplace(io, *options.config.udp_listen, options.config.udp_receive_buffer_bytes,
                        controller);
        }
        for (const auto& device : options.config.devices) {
            if (device.transport == Transport::serial) {
                serial_ports.push_back(std::make_unique<SerialDevicePort>(io, device, controller));
            }
        }
        controller.set_listener_status([this] {
            nlohmann::json listeners{{"tcp", {{"port", devices.port()}}}};
            if (udp) {
                listeners["udp"] = udp->status_json();
            }
            return listeners;
        });
    }

    void schedule_flush() {
        flush_timer.expires_after(options.config.flush_interval);
        flush_timer.async_wait([this](boost::system::error_code ec) {
            if (!ec) {
                controller.flush_tick();
                schedule_flush();
            }
        });
    }

    // One timer (live_interval, 15 ms by default) reads the device connections
    // (DeviceServer::poll), hands the coalesced raw blocks to the recorder and sends the live
    // traces, never per sample: a sample reaches the viewers at most one 5 ms bin plus one period
    // after it arrived. Viewers coalesce their redraws to their frame rate.
    void schedule_live() {
        live_timer.expires_after(options.config.live_interval);
        live_timer.async_wait([this](boost::system::error_code ec) {
            if (!ec) {
                devices.poll();
                controller.flush_raw();
                if (live.viewers() == 0) {
                    controller.discard_live();
                } else {
                    controller.publish_live(
                        [this](const std::string& message) { live.publish(message); });
                }
                schedule_live();
            }
        });
    }

    DaemonOptions options;
    asio::io_context io;
    Recorder recorder;
    SessionController controller;
    LiveFeed live;
    DeviceServer devices;
    HttpServer http;
    asio::signal_set signals;
    asio::steady_timer flush_timer;
    asio::steady_timer live_timer;
    std::optional<UdpDeviceReceiver> udp;
    std::vector<std::unique_ptr<SerialDevicePort>> serial_ports;
    std::optional<SimulatedAmplifier> simulator;
};

Daemon::Daemon(DaemonOptions options) {
    check_exposure(options.config);
    impl_ = std::make_unique<Impl>(std::move(options));
}

Daemon::~Daemon() = default;

int Daemon::run() {
    auto& d = *impl_;
    d.devices.start();
    if (d.udp) {
        d.udp->start();
    }
    for (auto& port : d.serial_ports) {
        port->start();
    }
    d.http.start();
    d.schedule_flush();
    d.schedule_live();
    if (d.options.simulate) {
        AmplifierOptions amplifier;
        amplifier.host = "127.0.0.1";
        amplifier.port = d.devices.port();
        d.simulator.emplace(d.io, amplifier);
        d.simulator->start();
    }
    spdlog::info("hoplabd listening: control API http://{}:{}, devices tcp://{}:{}, data in {}",
                 d.options.config.http.address, d.http.port(),
                 d.options.config.device_listen.address, d.devices.port(),
                 d.options.config.data_dir.string());
    if (d.udp) {
        spdlog::info("device datagrams on udp://{}:{} (receive buffer {} KiB)",
                     d.options.config.udp_listen->address, d.udp->port(),
                     d.udp->receive_buffer_bytes() / 1024);
    }
    if (d.options.ready_file) {
        nlohmann::json ready_json{
            {"http_port", d.http.port()}, {"device_port", d.devices.port()}, {"pid", getpid()}};
        if (d.udp) {
            ready_json["udp_port"] = d.udp->port();
        }
        // Written whole and renamed, so a reader never sees half of it.
        const auto partial = d.options.ready_file->string() + ".partial";
        std::ofstream(partial) << ready_json.dump() << "\n";
        std::filesystem::rename(partial, *d.options.ready_file);
    }
    int exit_code = 0;
    d.signals.async_wait([&d](boost::system::error_code ec, int signal) {
        if (ec) {
            return;
        }
        spdlog::info("signal {}: closing the open trial and session", signal);
        d.http.close();
        d.devices.close();
        if (d.udp) {
            d.udp->close();
        }
        for (auto& port : d.serial_ports) {
            port->close();
        }
        if (d.simulator) {
            d.simulator->stop();
        }
        d.controller.shutdown([&d] {
            d.flush_timer.cancel();
            d.live_timer.cancel();
            d.recorder.stop();
            d.io.stop();
        });
    });
    d.io.run();
    d.recorder.stop();
    if (const auto failure = d.recorder.failure()) {
        spdlog::error("the recorder failed during this run: {}", *failure);
        exit_code = 1;
    }
    spdlog::info("hoplabd stopped");
    return exit_code;
}

}  // namespace hoplab::acquisition
