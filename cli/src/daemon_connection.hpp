#pragma once

// The commands that talk to a running hoplabd (`hoplab calibrate`, `hoplab record`, `hoplab demo`):
// where it listens, the bearer token, and JSON errors turned into exceptions naming the request.

#include <hoplab/acquisition/control_client.hpp>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <iosfwd>
#include <string>
#include <string_view>

namespace hoplab::cli {

struct DaemonOptions {
    std::string daemon = "127.0.0.1:8750";
    std::string token_file;
};

// Adds --daemon HOST:PORT and --token-file FILE.
void add_daemon_options(CLI::App* command, DaemonOptions& o);

// Throws std::runtime_error for a malformed --daemon or an unreadable token file.
acquisition::ControlClient connect_daemon(const DaemonOptions& o, std::chrono::seconds timeout);

// The body of a 2xx answer; otherwise throws std::runtime_error "WHAT: hoplabd answered STATUS:
// ERROR".
nlohmann::json expect_success(const acquisition::ControlResponse& response, std::string_view what);

// The answer of POST /api/v1/trials/stop in a few lines, each after `indent`: what a lab needs
// right after a trial (contacts, contact and flight time, peak force, jump height, RSI, landing,
// quality flags), numbers rounded to what the method resolves; "—" where the analysis has none.
void print_trial_result(const nlohmann::json& stop_answer, std::ostream& out,
                        std::string_view indent = "");

}  // namespace hoplab::cli
