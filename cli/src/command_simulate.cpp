#include "commands.hpp"

#include <hoplab/acquisition/simulated_plate.hpp>
#include <hoplab/processing/trial_analysis.hpp>
#include <hoplab/recording/session_writer.hpp>
#include <hoplab/simulation/simulator.hpp>
#include <hoplab/version.hpp>

#include <fmt/format.h>
#include <fmt/os.h>

#include <chrono>
#include <cmath>
#include <ctime>
#include <iostream>

namespace hoplab::cli {
namespace {

struct SimulateOptions {
    std::string protocol = "repeated-hops";
    std::string out;
    std::string limb = "left";
    double asymmetry_pct = 0;
    std::string weaker = "right";
    double duration_s = 0;
    double rate_hz = 1000;
    double mass_kg = 75;
    std::uint64_t seed = 1;
};

std::string utc_now() {
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return text;
}

bool is_single_leg(processing::Protocol protocol) {
    return protocol == processing::Protocol::single_leg_hop ||
           protocol == processing::Protocol::repeated_hops ||
           protocol == processing::Protocol::drop_jump;
}

simulation::TrialScript make_script(const SimulateOptions& o, processing::Protocol protocol,
                                    processing::Limb limb,
                                    const simulation::AthleteModel& athlete) {
    simulation::TrialScript script;
    script.protocol = protocol;
    script.limb = limb;
    if (o.duration_s > 0) {
        // --duration sets the trial length: with time to spare, the number of hops, the quiet
        // stance or (other protocols) the stick after the landing grows; short of time, the stick
        // after the landing (or the quiet stance after the weighing) shrinks, down to
        // kShortestStickS. Below the protocol's minimum (its phases with one hop and the shortest
        // stick) the command refuses, naming it. The stick keeps the vertical band TTS (≈ 0.5 s)
        // and its 1 s hold; DPSI and the landing COP path need the default 4.5 s stick (METHODS
        // §4.9, §4.10) and are null below 4 s.
        constexpr double kShortestStickS = 2.0;
        const bool landing_stick = protocol != processing::Protocol::quiet_stance;
        const double shortest_tail_s = landing_stick ? kShortestStickS : 0.0;
        script.hops = 1;
        const double default_s = simulation::trial_duration_s(athlete, script);
        const double minimum_s = default_s - (script.stance_after_s - shortest_tail_s);
        if (o.duration_s < minimum_s) {
            throw std::runtime_error(fmt::format(
                "--duration {} s is shorter than the {:.3f} s a simulated {} trial needs "
                "(its phases{}, and a {} s {})",
                o.duration_s, minimum_s, processing::to_string(protocol),
                protocol == processing::Protocol::repeated_hops ? " with one hop" : "",
                shortest_tail_s,
                landing_stick ? "stick after the landing" : "quiet stance after the weighing"));
        }
        const double spare_s = o.duration_s - default_s;
        if (spare_s < 0) {
            script.stance_after_s += spare_s;
        } else if (protocol == processing::Protocol::repeated_hops) {
            const double tested_flight_s =
                athlete.hop_flight_time_s * (limb == athlete.weaker_limb
                                                 ? std::sqrt(1.0 - athlete.asymmetry_pct / 100.0)
                                                 : 1.0);
            script.hops +=
                static_cast<int>(spare_s / (athlete.hop_contact_time_s + tested_flight_s));
        } else if (protocol == processing::Protocol::quiet_stance) {
            script.stance_before_s += spare_s;
        } else {
            script.stance_after_s += spare_s;
        }
    }
    return script;
}

void write_csv(const SimulateOptions& o, const simulation::SimulatedTrial& trial,
               processing::Protocol protocol, processing::Limb limb) {
    auto out = fmt::output_file(o.out);
    out.print("# simulated by hoplab {} (seed {}, mass {} kg, asymmetry {} % on the {} limb)\n",
              kSoftwareVersion, o.seed, o.mass_kg, o.asymmetry_pct, o.weaker);
    out.print("# protocol: {}\n# limb: {}\n", processing::to_string(protocol),
              processing::to_string(limb));
    const auto& plates = trial.plates;
    const std::size_t n = plates.front().samples.size();
    if (limb == processing::Limb::both) {
        out.print("time_s,fz_left,fz_right\n");
        for (std::size_t k = 0; k < n; ++k) {
            out.print("{:.6f},{:.4f},{:.4f}\n", static_cast<double>(k) / trial.rate_hz,
                      plates[0].samples[k].fz_n, plates[1].samples[k].fz_n);
        }
        return;
    }
    const auto& plate = plates[limb == processing::Limb::left ? 0 : 1];
    out.print("time_s,fz\n");
    for (std::size_t k = 0; k < n; ++k) {
        out.print("{:.6f},{:.4f}\n", static_cast<double>(k) / trial.rate_hz, plate.samples[k].fz_n);
    }
}

// A recording shaped like the daemon's: both plates' raw counts (through the simulated plate's
// calibration), and per trial the calibrated force, the events and the analysis.
void write_recording(const SimulateOptions& o,
                     const std::vector<simulation::SimulatedTrial>& trials,
                     const std::vector<std::pair<processing::Protocol, processing::Limb>>& plans) {
    recording::SessionInfo session;
    session.athlete.id = "simulated-athlete";
    session.athlete.mass_kg = o.mass_kg;
    session.athlete.involved_limb = processing::parse_limb(o.weaker);
    session.operator_name = "hoplab simulate";
    session.lab = "simulation";
    session.notes =
        fmt::format("seed {}, asymmetry {} % on the {} limb", o.seed, o.asymmetry_pct, o.weaker);
    session.created_utc = utc_now();
    std::vector<recording::DeviceInfo> devices;
    for (const auto& [name, limb] :
         {std::pair{"left", processing::Limb::left}, std::pair{"right", processing::Limb::right}}) {
        recording::DeviceInfo device;
        device.name = name;
        device.model = "hoplab simulated 6-channel plate";
        device.serial = std::string("SIM-") + name;
        device.transport = "simulation";
        device.rate_hz = o.rate_hz;
        device.channel_names = {"fx", "fy", "fz", "mx", "my", "mz"};
        device.limb = limb;
        device.calibration = acquisition::simulated_plate_calibration(device.serial, true);
        devices.push_back(std::move(device));
    }
    std::filesystem::remove(o.out);
    recording::SessionWriter writer(o.out, session, devices);
    std::uint64_t next_index = 0;
    for (std::size_t t = 0; t < trials.size(); ++t) {
        const auto& trial = trials[t];
        const std::size_t n = trial.plates.front().samples.size();
        recording::TrialStart start;
        start.id = fmt::format("trial-{:03d}", t + 1);
        start.protocol = plans[t].first;
        start.limb = plans[t].second;
        start.start_utc = session.created_utc;
        start.start_sample_index = {next_index, next_index};
        writer.begin_trial(start);
        std::vector<double> fz_tested(n, 0.0);
        for (std::size_t d = 0; d < devices.size(); ++d) {
            const auto& calibration = devices[d].calibration;
            std::vector<std::int32_t> counts;
            counts.reserve(n * 6);
            for (const auto& load : trial.plates[d].samples) {
                for (double value : calibration.to_raw(load)) {
                    counts.push_back(static_cast<std::int32_t>(std::lround(value)));
                }
            }
            recording::BlockRecord block{next_index, static_cast<std::uint32_t>(n), 0, 0};
            writer.append_raw(d, block, std::span<const std::int32_t>(counts));
            std::vector<double> raw(counts.begin(), counts.end());
            std::vector<calibration::Wrench> wrenches(n);
            calibration.to_wrenches(raw, wrenches);
            writer.append_trial_force(d, wrenches);
            const bool tested =
                start.limb == processing::Limb::both || devices[d].limb == start.limb;
            for (std::size_t k = 0; tested && k < n; ++k) {
                fz_tested[k] += wrenches[k].fz_n;
            }
        }
        recording::TrialEnd end;
        end.stop_utc = session.created_utc;
        end.stop_sample_index = {next_index + n, next_index + n};
        end.status = "complete";
        processing::AnalysisSettings settings;
        settings.body_mass_kg = o.mass_kg;
        try {
            auto analysis = processing::analyze_trial(fz_tested, o.rate_hz, start.protocol,
                                                      start.limb, settings);
            analysis.id = start.id;
            analysis.source = std::filesystem::path(o.out).filename().string();
            end.analysis = std::move(analysis);
        } catch (const std::invalid_argument& error) {
            std::cerr << fmt::format("hoplab simulate: {}: no analysis stored: {}\n", start.id,
                                     error.what());
        }
        writer.end_trial(end);
        next_index += n;
    }
    writer.close();
}

}  // namespace

void add_simulate_command(CLI::App& app, int& exit_code) {
    auto o = std::make_shared<SimulateOptions>();
    auto* command = app.add_subcommand(
        "simulate",
        "Write a simulated trial (physically consistent forces with known truth) to .h5 or .csv");
    command
        ->add_option("--protocol", o->protocol,
                     "single-leg-hop, repeated-hops, drop-jump, cmj, landing, "
                     "quiet-stance")
        ->required();
    command->add_option("--out", o->out, "FILE.h5 (a session recording) or FILE.csv")->required();
    command->add_option("--limb", o->limb, "left, right or both (default left)")
        ->check(CLI::IsMember({"left", "right", "both"}));
    command
        ->add_option("--asymmetry", o->asymmetry_pct,
                     "the weaker limb's jump-height deficit in % (default 0)")
        ->check(CLI::Range(0.0, 90.0));
    command->add_option("--weaker", o->weaker, "the weaker limb (default right)")
        ->check(CLI::IsMember({"left", "right"}));
    command->add_option(
        "--duration", o->duration_s,
        "trial length in s: sets the number of hops, the quiet stance or (when short) "
        "the stick after the landing; refused below the protocol's minimum");
    command->add_option("--rate", o->rate_hz, "sample rate in Hz (default 1000)")
        ->check(CLI::Range(50.0, 20000.0));
    command->add_option("--mass", o->mass_kg, "athlete mass in kg (default 75)")
        ->check(CLI::Range(20.0, 250.0));
    command->add_option("--seed", o->seed, "random seed (default 1)");
    command->callback([o, &exit_code] {
        const auto protocol = processing::parse_protocol(o->protocol);
        if (!protocol) {
            throw std::runtime_error(
                fmt::format("--protocol '{}' is not a hoplab protocol", o->protocol));
        }
        const auto limb = *processing::parse_limb(o->limb);
        simulation::AthleteModel athlete;
        athlete.mass_kg = o->mass_kg;
        athlete.asymmetry_pct = o->asymmetry_pct;
        athlete.weaker_limb = *processing::parse_limb(o->weaker);
        const simulation::PlateNoise noise;
        const std::string ext = std::filesystem::path(o->out).extension().string();
        if (ext != ".csv" && ext != ".h5") {
            throw std::runtime_error(
                fmt::format("--out {}: the file must end in .h5 or .csv", o->out));
        }
        // Single-leg protocols with --limb both: one trial per limb (a session), or two columns in
        // a CSV.
        std::vector<std::pair<processing::Protocol, processing::Limb>> plans;
        if (is_single_leg(*protocol) && limb == processing::Limb::both && ext == ".h5") {
            plans = {{*protocol, processing::Limb::left}, {*protocol, processing::Limb::right}};
        } else {
            plans = {{*protocol, limb}};
        }
        std::vector<simulation::SimulatedTrial> trials;
        for (std::size_t i = 0; i < plans.size(); ++i) {
            trials.push_back(simulation::simulate_trial(
                athlete, make_script(*o, plans[i].first, plans[i].second, athlete), noise,
                o->rate_hz, o->seed + i));
        }
        if (ext == ".csv") {
            if (is_single_leg(*protocol) && limb == processing::Limb::both) {
                throw std::runtime_error(
                    "a single-leg protocol with --limb both needs one CSV per limb (--limb left, "
                    "--limb right) or an .h5 session");
            }
            write_csv(*o, trials.front(), *protocol, limb);
        } else {
            write_recording(*o, trials, plans);
        }
        std::cout << o->out << "\n";
        exit_code = 0;
    });
}

}  // namespace hoplab::cli
