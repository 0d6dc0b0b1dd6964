#include "daemon_connection.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <ostream>
#include <stdexcept>

namespace hoplab::cli {
namespace {

using nlohmann::json;

std::string number(const json& value, const char* format_spec) {
    return value.is_number() ? fmt::format(fmt::runtime(format_spec), value.get<double>())
                             : std::string("—");
}

}  // namespace

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

void print_trial_result(const json& body, std::ostream& out, std::string_view indent) {
    const json& trial = body.value("trial", json::object());
    out << indent
        << fmt::format("{} {} {}: {}\n", trial.value("id", "trial"), trial.value("protocol", ""),
                       trial.value("limb", ""), trial.value("status", ""));
    if (body.contains("file")) {
        out << indent << fmt::format("  file {}\n", body["file"].get<std::string>());
    }
    if (!body.contains("analysis") || !body["analysis"].is_object()) {
        out << indent
            << fmt::format("  no analysis: {}\n", body.value("analysis_error", "none returned"));
        return;
    }
    const json& a = body["analysis"];
    out << indent
        << fmt::format("  body weight {} N ({})\n", number(a["body_weight_N"], "{:.1f}"),
                       a.value("body_weight_source", ""));
    const json& s = a["summary"];
    if (s.value("contacts", 0) > 0) {
        out << indent
            << fmt::format(
                   "  {} contacts; mean contact {} s, peak {} N, flight {} s, height {} m, RSI "
                   "{}\n",
                   s["contacts"].get<int>(), number(s["mean_contact_time_s"], "{:.3f}"),
                   number(s["mean_peak_force_N"], "{:.0f}"),
                   number(s["mean_flight_time_s"], "{:.3f}"),
                   number(s["mean_jump_height_m"], "{:.3f}"), number(s["mean_rsi"], "{:.2f}"));
    }
    if (a["landing"].is_object()) {
        const json& l = a["landing"];
        out << indent
            << fmt::format("  landing at {} s: peak {} N ({} BW), time to stabilisation {} s\n",
                           number(l["start_s"], "{:.3f}"), number(l["peak_force_N"], "{:.0f}"),
                           number(l["peak_force_bw"], "{:.2f}"),
                           number(l["time_to_stabilisation_s"], "{:.3f}"));
    }
    for (const auto& flag : a["quality_flags"]) {
        out << indent << "  ! " << flag.get<std::string>() << "\n";
    }
}

}  // namespace hoplab::cli
