// `hoplab record`: the command-line client of hoplabd's session and trial API (DESIGN.md §6), for
// scripted lab sessions and for labs without the viewer.
#include "commands.hpp"
#include "daemon_connection.hpp"

#include <hoplab/cli/stop_timeout.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

namespace hoplab::cli {
namespace {

using nlohmann::json;

void add_open(CLI::App* record) {
    struct Options : DaemonOptions {
        std::string athlete, involved, operator_name, notes;
        double mass_kg = 0;
    };
    auto o = std::make_shared<Options>();
    auto* command = record->add_subcommand("open", "Open a session (one HDF5 file) for an athlete");
    add_daemon_options(command, *o);
    command->add_option("--athlete", o->athlete, "athlete id (letters, digits, _ and -)")
        ->required();
    command->add_option("--mass", o->mass_kg, "mass in kg")->check(CLI::PositiveNumber);
    command->add_option("--involved", o->involved, "involved limb: left or right")
        ->check(CLI::IsMember({"left", "right"}));
    command->add_option("--operator", o->operator_name, "who runs the session");
    command->add_option("--notes", o->notes, "free text stored with the session");
    command->callback([o] {
        json request = {{"athlete_id", o->athlete}};
        if (o->mass_kg > 0)
            request["mass_kg"] = o->mass_kg;
        if (!o->involved.empty())
            request["involved_limb"] = o->involved;
        if (!o->operator_name.empty())
            request["operator"] = o->operator_name;
        if (!o->notes.empty())
            request["notes"] = o->notes;
        const auto body = expect_success(
            connect_daemon(*o, std::chrono::seconds(30)).post("/api/v1/sessions", request),
            "open the session");
        const json& session = body.contains("session") ? body["session"] : body;
        std::cout << fmt::format("session open: {}\n", session.value("file", body.dump()));
    });
}

std::string trial_id(const json& start_answer) {
    return start_answer.contains("trial") ? start_answer["trial"].value("id", "trial") : "trial";
}

json start_trial(const DaemonOptions& o, const std::string& protocol, const std::string& limb) {
    json request = {{"protocol", protocol}};
    if (!limb.empty())
        request["limb"] = limb;
    return expect_success(
        connect_daemon(o, std::chrono::seconds(30)).post("/api/v1/trials/start", request),
        "start the trial");
}

// `timeout_s`: --timeout-s, or nullopt to scale the wait with the samples the session has
// recorded (trial_stop_timeout).
json stop_trial(const DaemonOptions& o, std::optional<double> timeout_s) {
    std::chrono::seconds timeout{0};
    if (timeout_s) {
        timeout = std::chrono::seconds(static_cast<std::int64_t>(std::ceil(*timeout_s)));
    } else {
        timeout = trial_stop_timeout(expect_success(
            connect_daemon(o, std::chrono::seconds(30)).get("/api/v1/status"), "status"));
    }
    acquisition::ControlResponse response;
    try {
        response = connect_daemon(o, timeout).post("/api/v1/trials/stop");
    } catch (const acquisition::ControlClientError& error) {
        // Names the wait, so that a timeout ("no answer within … ms (timeout)") says how long it
        // was and a longer --timeout-s can be chosen.
        throw std::runtime_error(
            fmt::format("stop the trial (wait {} s): {}", timeout.count(), error.what()));
    }
    return expect_success(response, "stop the trial");
}

void add_timeout_option(CLI::App* command, std::optional<double>& timeout_s) {
    command
        ->add_option("--timeout-s", timeout_s,
                     "wait at most this long for the stop's answer (default: 120 s + 2 s per "
                     "million samples the session has recorded; the stop derives the trial's "
                     "force, in proportion to its length)")
        ->check(CLI::Range(1.0, 86400.0));
}

void add_trial_commands(CLI::App* record) {
    struct StartOptions : DaemonOptions {
        std::string protocol, limb;
        double seconds = 0;
        bool json_output = false;
        std::optional<double> timeout_s;
    };
    const auto add_protocol = [](CLI::App* command, StartOptions& o) {
        command
            ->add_option("--protocol", o.protocol,
                         "single-leg-hop, repeated-hops, drop-jump, cmj, landing or quiet-stance")
            ->required();
        command->add_option("--limb", o.limb, "tested limb: left, right or both")
            ->check(CLI::IsMember({"left", "right", "both"}));
    };

    auto start = std::make_shared<StartOptions>();
    auto* start_command = record->add_subcommand("start", "Start a trial and return at once");
    add_daemon_options(start_command, *start);
    add_protocol(start_command, *start);
    start_command->callback([start] {
        const auto body = start_trial(*start, start->protocol, start->limb);
        std::cout << fmt::format("{} recording\n", trial_id(body));
    });

    auto stop = std::make_shared<StartOptions>();
    auto* stop_command =
        record->add_subcommand("stop", "Stop the trial and print its metrics from the analysis");
    add_daemon_options(stop_command, *stop);
    stop_command->add_flag("--json", stop->json_output, "print the daemon's whole answer");
    add_timeout_option(stop_command, stop->timeout_s);
    stop_command->callback([stop] {
        const auto body = stop_trial(*stop, stop->timeout_s);
        if (stop->json_output) {
            std::cout << body.dump(2) << "\n";
        } else {
            print_trial_result(body, std::cout);
        }
    });

    auto trial = std::make_shared<StartOptions>();
    auto* trial_command = record->add_subcommand(
        "trial",
        "Start a trial, stop it after --seconds (or when Enter is pressed), print metrics");
    add_daemon_options(trial_command, *trial);
    add_protocol(trial_command, *trial);
    trial_command->add_option("--seconds", trial->seconds, "trial length (default: until Enter)")
        ->check(CLI::Range(0.2, 3600.0));
    trial_command->add_flag("--json", trial->json_output, "print the daemon's whole answer");
    add_timeout_option(trial_command, trial->timeout_s);
    trial_command->callback([trial] {
        const auto started = start_trial(*trial, trial->protocol, trial->limb);
        std::cerr << fmt::format("{} recording{}\n", trial_id(started),
                                 trial->seconds > 0 ? fmt::format(" for {} s", trial->seconds)
                                                    : std::string(": press Enter to stop"));
        if (trial->seconds > 0) {
            std::this_thread::sleep_for(std::chrono::duration<double>(trial->seconds));
        } else {
            std::string line;
            std::getline(std::cin, line);
        }
        const auto body = stop_trial(*trial, trial->timeout_s);
        if (trial->json_output) {
            std::cout << body.dump(2) << "\n";
        } else {
            print_trial_result(body, std::cout);
        }
    });
}

void add_close_and_status(CLI::App* record) {
    auto o = std::make_shared<DaemonOptions>();
    auto* close = record->add_subcommand("close", "Close the session; the file is complete");
    add_daemon_options(close, *o);
    close->callback([o] {
        const auto body = expect_success(
            connect_daemon(*o, std::chrono::seconds(120)).del("/api/v1/sessions/current"),
            "close the session");
        std::cout << fmt::format("session closed: {}\n", body.value("file", body.dump()));
    });
    auto s = std::make_shared<DaemonOptions>();
    auto* status = record->add_subcommand("status", "Print the daemon's status (JSON)");
    add_daemon_options(status, *s);
    status->callback([s] {
        std::cout << expect_success(
                         connect_daemon(*s, std::chrono::seconds(30)).get("/api/v1/status"),
                         "status")
                         .dump(2)
                  << "\n";
    });
}

}  // namespace

void add_record_command(CLI::App& app, int& exit_code) {
    auto* record = app.add_subcommand(
        "record", "Run a session on hoplabd: open, start/stop or trial, close, status");
    record->require_subcommand(1);
    add_open(record);
    add_trial_commands(record);
    add_close_and_status(record);
    record->final_callback([&exit_code] { exit_code = 0; });
}

}  // namespace hoplab::cli
