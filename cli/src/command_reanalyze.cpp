// `hoplab reanalyze`: recompute a recording's metrics with other settings, keeping both versions.
#include "commands.hpp"

#include <hoplab/cli/force_trials.hpp>
#include <hoplab/cli/utc_time.hpp>
#include <hoplab/processing/analysis_json.hpp>
#include <hoplab/recording/session_reader.hpp>
#include <hoplab/version.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <array>
#include <ctime>
#include <fstream>
#include <iostream>

namespace hoplab::cli {
namespace {

struct ReanalyzeOptions {
    std::string input, out;
    processing::AnalysisSettings settings;
};

std::string metric(const nlohmann::json& trial, const char* name) {
    if (!trial.is_object() || !trial.contains("summary") || trial["summary"][name].is_null()) {
        return "—";
    }
    return fmt::format("{:.4g}", trial["summary"][name].get<double>());
}

// The recording file itself is written only by SessionWriter, which creates files and never
// reopens them; the versions therefore go to a history file beside the recording
// (FILE.reanalysis.json): version 0 is what the recording stores, each run appends one version with
// its time, software version and every setting (in each trial's provenance).
void reanalyze(const ReanalyzeOptions& o) {
    const recording::SessionReader reader(o.input);
    const std::filesystem::path history_path =
        o.out.empty() ? std::filesystem::path(o.input + ".reanalysis.json")
                      : std::filesystem::path(o.out);
    nlohmann::json history;
    if (std::filesystem::exists(history_path)) {
        std::ifstream in(history_path);
        try {
            history = nlohmann::json::parse(in);
        } catch (const nlohmann::json::exception& error) {
            throw std::runtime_error(fmt::format("{}: not a reanalysis history: {}",
                                                 history_path.string(), error.what()));
        }
        if (!history.contains("versions") || !history["versions"].is_array() ||
            history["recording"] != std::filesystem::path(o.input).filename().string()) {
            throw std::runtime_error(fmt::format("{}: not the reanalysis history of {}",
                                                 history_path.string(), o.input));
        }
    } else {
        nlohmann::json stored = nlohmann::json::object();
        for (const auto& trial : reader.trials()) {
            const auto text = reader.trial_analysis_json(trial.id);
            stored[trial.id] = text ? nlohmann::json::parse(*text) : nlohmann::json(nullptr);
        }
        history = {{"recording", std::filesystem::path(o.input).filename().string()},
                   {"versions", nlohmann::json::array({{{"version", 0},
                                                        {"origin", "stored in the recording"},
                                                        {"software", reader.software_version()},
                                                        {"trials", stored}}})}};
    }
    const auto trials = load_force_trials(o.input, LoadOptions{});
    const AnalysisRun run =
        analyse_trials(trials, reader.session().athlete.involved_limb, o.settings);
    nlohmann::json fresh = nlohmann::json::object();
    for (const auto& trial : run.trials) {
        fresh[trial.id] = processing::to_json(trial);
    }
    const nlohmann::json previous = history["versions"].back();
    const int version = previous["version"].get<int>() + 1;
    history["versions"].push_back({{"version", version},
                                   {"origin", "hoplab reanalyze"},
                                   {"utc", utc_now()},
                                   {"software", std::string(hoplab::kSoftwareVersion)},
                                   {"trials", fresh}});
    std::ofstream out(history_path);
    out << history.dump(2) << "\n";
    if (!out.flush()) {
        throw std::runtime_error(fmt::format("{}: write failed", history_path.string()));
    }
    std::cout << fmt::format(
        "{:<16} {:>12} {:>12} {:>12} {:>12}\n", "trial", "height m v" + std::to_string(version - 1),
        "height m v" + std::to_string(version), "contact s v" + std::to_string(version - 1),
        "contact s v" + std::to_string(version));
    for (const auto& [id, trial] : fresh.items()) {
        const auto& before =
            previous["trials"].contains(id) ? previous["trials"][id] : nlohmann::json(nullptr);
        std::cout << fmt::format(
            "{:<16} {:>12} {:>12} {:>12} {:>12}\n", id, metric(before, "mean_jump_height_m"),
            metric(trial, "mean_jump_height_m"), metric(before, "mean_contact_time_s"),
            metric(trial, "mean_contact_time_s"));
    }
    std::cout << fmt::format("version {} recorded in {}\n", version, history_path.string());
}

}  // namespace

void add_reanalyze_command(CLI::App& app, int& exit_code) {
    auto o = std::make_shared<ReanalyzeOptions>();
    auto* command = app.add_subcommand(
        "reanalyze",
        "Recompute a recording's metrics with new settings; the stored and the new versions are "
        "kept in FILE.h5.reanalysis.json");
    command->add_option("FILE", o->input, "a recording (.h5)")
        ->required()
        ->check(CLI::ExistingFile);
    command->add_option("--out", o->out, "the history file (default FILE.h5.reanalysis.json)");
    auto& s = o->settings;
    command->add_option("--threshold-floor", s.threshold_floor_n, "contact threshold floor in N")
        ->check(CLI::PositiveNumber);
    command
        ->add_option("--noise-factor", s.threshold_noise_factor,
                     "threshold = max(floor, |mean| + factor × SD of the flight noise)")
        ->check(CLI::NonNegativeNumber);
    command->add_option("--hysteresis", s.hysteresis_n, "Schmitt-trigger hysteresis in N")
        ->check(CLI::NonNegativeNumber);
    command->add_option("--min-contact", s.min_contact_s, "shortest contact in s")
        ->check(CLI::PositiveNumber);
    command->add_option("--min-flight", s.min_flight_s, "shortest flight in s")
        ->check(CLI::PositiveNumber);
    command->add_option("--peak-cutoff", s.peak_cutoff_hz, "low-pass cutoff for peaks in Hz")
        ->check(CLI::PositiveNumber);
    command->callback([o, &exit_code] {
        reanalyze(*o);
        exit_code = 0;
    });
}

}  // namespace hoplab::cli
