#include <hoplab/cli/child_process.hpp>
#include "commands.hpp"
#include "daemon_connection.hpp"

#include <hoplab/acquisition/control_client.hpp>
#include <hoplab/cli/force_trials.hpp>
#include <hoplab/processing/analysis_json.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <fstream>
#include <iostream>
#include <thread>

namespace hoplab::cli {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

struct DemoOptions {
    std::string out = "demo-output";
    double asymmetry_pct = 15.0;
    std::uint64_t seed = 7;
};

std::filesystem::path sibling_program(const std::string& name) {
    const auto self = std::filesystem::read_symlink("/proc/self/exe");
    const auto path = self.parent_path() / name;
    if (!std::filesystem::exists(path)) {
        throw std::runtime_error(
            fmt::format("{} not found next to {} (build it first)", path.string(), self.string()));
    }
    return path;
}

void step(const std::string& text) {
    std::cout << "• " << text << std::endl;
}

json expect(const acquisition::ControlResponse& response, unsigned status,
            const std::string& what) {
    if (response.status != status) {
        throw std::runtime_error(
            fmt::format("{}: HTTP {} {}", what, response.status, response.body.dump()));
    }
    return response.body;
}

// Waits for a condition polled every 100 ms.
template <class Condition>
void wait_until(Condition condition, std::chrono::milliseconds timeout, const std::string& what) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!condition()) {
        if (std::chrono::steady_clock::now() > deadline) {
            throw std::runtime_error("timed out waiting for " + what);
        }
        std::this_thread::sleep_for(100ms);
    }
}

int run_demo(const DemoOptions& o) {
    const std::filesystem::path out = std::filesystem::absolute(o.out);
    std::filesystem::create_directories(out);
    const auto ready_file = out / "hoplabd-ready.json";
    std::filesystem::remove(ready_file);

    step("starting hoplabd on loopback (log: " + (out / "hoplabd.log").string() + ")");
    ChildProcess daemon({sibling_program("hoplabd"),
                         {"--listen", "127.0.0.1:0", "--device-listen", "127.0.0.1:0", "--data-dir",
                          out.string(), "--ready-file", ready_file.string()},
                         out / "hoplabd.log",
                         false,
                         false,
                         {}});
    json ready;
    wait_until(
        [&] {
            if (!daemon.running()) {
                throw std::runtime_error("hoplabd exited during start-up; see " +
                                         (out / "hoplabd.log").string());
            }
            std::ifstream in(ready_file);
            ready = json::parse(in, nullptr, false);
            return !ready.is_discarded() && ready.contains("http_port");
        },
        10s, "hoplabd to listen");
    const auto http_port = ready["http_port"].get<std::uint16_t>();
    const auto device_port = ready["device_port"].get<std::uint16_t>();
    const acquisition::ControlClient api("127.0.0.1", http_port);

    step(fmt::format(
        "starting a simulated dual-plate amplifier (1000 Hz, 6 channels per plate, right limb {} % "
        "weaker) streaming to tcp://127.0.0.1:{}",
        o.asymmetry_pct, device_port));
    ChildProcess amplifier(
        {sibling_program("hoplab"),
         {"device-sim", "--connect", fmt::format("tcp://127.0.0.1:{}", device_port), "--plates",
          "2", "--rate", "1000", "--asymmetry", fmt::format("{}", o.asymmetry_pct), "--weaker",
          "right", "--mass", "75", "--seed", std::to_string(o.seed)},
         out / "device-sim.log",
         true,
         true,
         {}});
    wait_until(
        [&] {
            const auto status = expect(api.get("/api/v1/status"), 200, "GET /api/v1/status");
            for (const auto& device : status["devices"]) {
                if (!device["connected"].get<bool>())
                    return false;
            }
            return true;
        },
        10s, "both plates to connect");

    step("taring both plates (nobody on them)");
    std::this_thread::sleep_for(2500ms);  // the tare window is the last 2 s of unloaded data
    for (const char* plate : {"left", "right"}) {
        const auto tare = expect(api.post(fmt::format("/api/v1/devices/{}/tare", plate)), 200,
                                 fmt::format("tare {}", plate));
        std::cout << fmt::format("    {}: offsets {}\n", plate, tare["offsets"].dump());
    }

    step("opening a session for athlete 'demo-athlete' (75 kg, involved limb: right)");
    const auto session = expect(api.post("/api/v1/sessions", {{"athlete_id", "demo-athlete"},
                                                              {"mass_kg", 75.0},
                                                              {"involved_limb", "right"},
                                                              {"operator", "hoplab demo"},
                                                              {"notes", "simulated plates"}}),
                                201, "POST /api/v1/sessions");
    for (const char* limb : {"left", "right"}) {
        step(fmt::format("trial: single-leg repeated hops, {} limb", limb));
        expect(api.post("/api/v1/trials/start", {{"protocol", "repeated-hops"}, {"limb", limb}}),
               201, "POST /api/v1/trials/start");
        amplifier.write_line(fmt::format("perform {} repeated-hops", limb));
        std::optional<json> performed;
        while (!performed) {
            const auto line = amplifier.read_line(60s);
            if (!line) {
                throw std::runtime_error("the simulated athlete did not finish; see " +
                                         (out / "device-sim.log").string());
            }
            auto event = json::parse(*line, nullptr, false);
            if (!event.is_discarded() && event.value("event", "") == "performed") {
                performed = event;
            }
        }
        std::this_thread::sleep_for(300ms);  // let the last blocks reach the daemon
        const auto stopped =
            expect(api.post("/api/v1/trials/stop"), 200, "POST /api/v1/trials/stop");
        print_trial_result(stopped, std::cout, "    ");
    }
    const auto closed =
        expect(api.del("/api/v1/sessions/current"), 200, "DELETE /api/v1/sessions/current");
    const std::filesystem::path recording = closed["file"].get<std::string>();

    step("stopping the amplifier and the daemon");
    amplifier.write_line("quit");
    if (const auto code = amplifier.wait(10s); code != 0) {
        throw std::runtime_error(fmt::format("device-sim exited with {}", code ? *code : -1));
    }
    daemon.signal(SIGTERM);
    if (const auto code = daemon.wait(15s); code != 0) {
        throw std::runtime_error(fmt::format("hoplabd exited with {}; see {}", code ? *code : -1,
                                             (out / "hoplabd.log").string()));
    }

    step("analysing the recording");
    const auto trials = load_force_trials(recording, LoadOptions{});
    const auto run =
        analyse_trials(trials, processing::Limb::right, processing::AnalysisSettings{});
    const auto report_path = out / "report.json";
    std::ofstream(report_path) << processing::analysis_report_json(run.trials, run.symmetry).dump(2)
                               << "\n";
    for (const auto& row : run.symmetry) {
        if (row.metric == "jump_height_m" && row.lsi_pct) {
            std::cout << fmt::format(
                "    jump height LSI {:.1f} % (right involved), asymmetry {:.1f} %, flag {}\n",
                *row.lsi_pct, row.asymmetry_pct.value_or(0.0),
                row.flag ? processing::to_string(*row.flag) : "—");
        }
    }

    step("rendering the left-against-right comparison offscreen");
    const auto png = out / "comparison.png";
    std::filesystem::remove(png);
    ChildProcess viewer({sibling_program("hoplab-viewer"),
                         {recording.string(), "--screenshot", png.string()},
                         out / "viewer.log",
                         false,
                         false,
                         {{"QT_QPA_PLATFORM", "offscreen"}}});
    if (const auto code = viewer.wait(60s); code != 0) {
        throw std::runtime_error(fmt::format("hoplab-viewer exited with {}; see {}",
                                             code ? *code : -1, (out / "viewer.log").string()));
    }
    if (!std::filesystem::exists(png) || std::filesystem::file_size(png) == 0) {
        throw std::runtime_error("hoplab-viewer wrote no " + png.string());
    }
    std::filesystem::remove(ready_file);
    std::cout << "\nDemo session complete:\n"
              << "  recording   " << recording.string() << "\n"
              << "  report      " << report_path.string() << "\n"
              << "  comparison  " << png.string() << "\n";
    return 0;
}

}  // namespace

void add_demo_command(CLI::App& app, int& exit_code) {
    auto o = std::make_shared<DemoOptions>();
    auto* command = app.add_subcommand(
        "demo",
        "A lab session on two simulated plates: hoplabd + a simulated amplifier, tare, one "
        "repeated-hop trial "
        "per limb, analysis (report.json) and the left/right comparison (comparison.png)");
    command->add_option("--out", o->out, "output folder (default ./demo-output)");
    command
        ->add_option("--asymmetry", o->asymmetry_pct,
                     "the right limb's jump-height deficit in % (default 15)")
        ->check(CLI::Range(0.0, 90.0));
    command->add_option("--seed", o->seed, "random seed of the simulated athlete (default 7)");
    command->callback([o, &exit_code] { exit_code = run_demo(*o); });
}

}  // namespace hoplab::cli
