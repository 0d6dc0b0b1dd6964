#include "daemon_connection.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <stdexcept>

namespace hoplab::cli {

void add_daemon_options(CLI::App* command, DaemonOptions& o) {
    command->add_option("--daemon", o.daemon,
                        "hoplabd's control API HOST:PORT (default 127.0.0.1:8750)");
    command->add_option("--token-file", o.token_file, "bearer token for a remote daemon");
}

acquisition::ControlClient connect_daemon(const DaemonOptions& o, std::chrono::seconds timeout) {
    const auto colon = o.daemon.rfind(':');
    char* end = nullptr;
    const unsigned long port =
        colon == std::string::npos ? 0 : std::strtoul(o.daemon.c_str() + colon + 1, &end, 10);
    if (colon == std::string::npos || colon == 0 || *end != '\0' || port == 0 || port > 65535) {
        throw std::runtime_error(fmt::format("--daemon '{}': expected HOST:PORT", o.daemon));
    }
    std::string token;
    if (!o.token_file.empty()) {
        std::ifstream in(o.token_file);
        if (!(in >> token)) {
            throw std::runtime_error(
                fmt::format("--token-file {}: cannot read a token", o.token_file));
        }
    }
    return acquisition::ControlClient(o.daemon.substr(0, colon), static_cast<std::uint16_t>(port),
                                      token, timeout);
}

nlohmann::json expect_success(const acquisition::ControlResponse& response, std::string_view what) {
    if (response.status < 200 || response.status >= 300) {
        const auto message = response.body.is_object() && response.body.contains("error")
                                 ? response.body["error"].get<std::string>()
                                 : response.body.dump();
        throw std::runtime_error(
            fmt::format("{}: hoplabd answered {}: {}", what, response.status, message));
    }
    return response.body;
}

}  // namespace hoplab::cli
