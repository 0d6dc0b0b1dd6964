#pragma once

#include <utility>  // before Asio's awaitable headers (Boost 1.74 with GCC 12)

#include <hoplab/acquisition/daemon_config.hpp>

#include <filesystem>
#include <memory>
#include <optional>

namespace hoplab::acquisition {

struct DaemonOptions {
    DaemonConfig config;
    bool simulate = false;  // start built-in simulated plates (no hardware)
    std::optional<std::filesystem::path>
        ready_file;  // written as JSON {http_port, device_port} once listening
};

// hoplabd: the io_context thread (devices, HTTP, WebSocket, timers, signals) plus the recorder
// thread. run() returns after SIGINT/SIGTERM once the open trial is closed and the session file is
// complete.
class Daemon {
  public:
    explicit Daemon(DaemonOptions options);
    ~Daemon();
    int run();

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// Refuses a configuration that would expose the daemon: a non-loopback address without
// --allow-remote and a token. Throws ConfigError naming the address.
void check_exposure(const DaemonConfig& config);

}  // namespace hoplab::acquisition
