#include "commands.hpp"

#include <hoplab/cli/force_trials.hpp>
#include <hoplab/processing/analysis_json.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <iostream>

namespace hoplab::cli {
namespace {

struct AnalyzeOptions {
    std::vector<std::string> inputs;
    std::string left, right, involved, protocol, time, fz, fz_left, fz_right;
    double rate_hz = 0;
    bool json = false;
};

std::string number(const std::optional<double>& value, const char* format = "{:.3f}") {
    return value ? fmt::format(fmt::runtime(format), *value) : std::string("—");
}

void print_text(const AnalysisRun& run, std::ostream& out) {
    for (const auto& trial : run.trials) {
        out << fmt::format("{} ({}), {} {}, {:.0f} Hz, body weight {} N, threshold {:.1f} N\n",
                           trial.id, trial.source, processing::to_string(trial.protocol),
                           processing::to_string(trial.limb), trial.sample_rate_hz,
                           number(trial.body_weight_N, "{:.1f}"), trial.threshold_N);
        out << fmt::format("  {:>3} {:>9} {:>9} {:>10} {:>8} {:>9} {:>8} {:>7}\n", "#", "start s",
                           "contact s", "peak N", "peak BW", "flight s", "height m", "RSI");
        for (const auto& c : trial.contacts) {
            out << fmt::format("  {:>3} {:>9.3f} {:>9.3f} {:>10} {:>8} {:>9} {:>8} {:>7}\n",
                               c.index, c.start_s, c.contact_time_s,
                               number(c.peak_force_N, "{:.1f}"), number(c.peak_force_bw, "{:.2f}"),
                               number(c.flight_time_after_s), number(c.jump_height_m),
                               number(c.rsi));
        }
        if (trial.landing) {
            out << fmt::format(
                "  landing at {:.3f} s: peak {} N ({} BW), time to stabilisation {} s\n",
                trial.landing->start_s, number(trial.landing->peak_force_N, "{:.1f}"),
                number(trial.landing->peak_force_bw, "{:.2f}"),
                number(trial.landing->time_to_stabilisation_s));
        }
        const auto& s = trial.summary;
        out << fmt::format(
            "  {} contacts; means: contact {} s, peak {} N, flight {} s, height {} m, RSI {}\n\n",
            s.contacts, number(s.mean_contact_time_s), number(s.mean_peak_force_N, "{:.1f}"),
            number(s.mean_flight_time_s), number(s.mean_jump_height_m), number(s.mean_rsi));
    }
    if (!run.symmetry.empty()) {
        out << fmt::format("{:<18} {:>10} {:>10} {:>8} {:>8} {:>7} {:>9}\n", "symmetry", "left",
                           "right", "LSI %", "asym %", "weaker", "flag");
        for (const auto& row : run.symmetry) {
            out << fmt::format("{:<18} {:>10} {:>10} {:>8} {:>8} {:>7} {:>9}\n", row.metric,
                               number(row.left, "{:.4g}"), number(row.right, "{:.4g}"),
                               number(row.lsi_pct, "{:.1f}"), number(row.asymmetry_pct, "{:.1f}"),
                               row.weaker ? std::string(processing::to_string(*row.weaker)) : "—",
                               row.flag ? std::string(processing::to_string(*row.flag)) : "—");
        }
    }
}

}  // namespace

void add_analyze_command(CLI::App& app, int& exit_code) {
    auto options = std::make_shared<AnalyzeOptions>();
    auto* command = app.add_subcommand("analyze",
                                       "Analyse recordings (.h5) or CSV files: contacts, flights, "
                                       "peaks, jump height, RSI, symmetry");
    command->add_option("INPUT", options->inputs, "recordings (.h5) or CSV files (header row)");
    command->add_option("--left", options->left,
                        "the left limb's single-leg trial (reports symmetry with --right)");
    command->add_option("--right", options->right, "the right limb's single-leg trial");
    command
        ->add_option("--involved", options->involved,
                     "the involved (injured/operated) limb: left or right")
        ->check(CLI::IsMember({"left", "right"}));
    command->add_option("--protocol", options->protocol,
                        "single-leg-hop, repeated-hops, drop-jump, cmj, landing or quiet-stance");
    auto* time = command->add_option("--time", options->time,
                                     "CSV time column in seconds (default: time or time_s)");
    command
        ->add_option("--rate", options->rate_hz,
                     "CSV sample rate in Hz when there is no time column")
        ->excludes(time);
    auto* fz = command->add_option("--fz", options->fz,
                                   "CSV vertical force column in N (default: fz or Fz)");
    command->add_option("--fz-left", options->fz_left, "CSV left plate's force column")
        ->excludes(fz);
    command->add_option("--fz-right", options->fz_right, "CSV right plate's force column")
        ->excludes(fz);
    command->add_flag("--json", options->json, "print the JSON report of DESIGN.md §8");
    command->callback([options, &exit_code] {
        LoadOptions load;
        if (!options->time.empty())
            load.columns.time = options->time;
        if (options->rate_hz > 0)
            load.columns.rate_hz = options->rate_hz;
        if (!options->fz.empty())
            load.columns.fz = options->fz;
        if (!options->fz_left.empty())
            load.columns.fz_left = options->fz_left;
        if (!options->fz_right.empty())
            load.columns.fz_right = options->fz_right;
        if (!options->protocol.empty()) {
            load.protocol = processing::parse_protocol(options->protocol);
            if (!load.protocol) {
                throw std::runtime_error(
                    fmt::format("--protocol '{}' is not one of single-leg-hop, repeated-hops, "
                                "drop-jump, cmj, landing, quiet-stance",
                                options->protocol));
            }
        }
        if (options->left.empty() != options->right.empty()) {
            throw std::runtime_error(
                "--left and --right go together: one single-leg trial per limb");
        }
        if (options->inputs.empty() && options->left.empty()) {
            throw std::runtime_error(
                "nothing to analyse: give INPUT files or --left FILE --right FILE");
        }
        std::vector<ForceTrial> trials;
        for (const auto& input : options->inputs) {
            auto loaded = load_force_trials(input, load);
            trials.insert(trials.end(), loaded.begin(), loaded.end());
        }
        for (auto [path, limb] : {std::pair{&options->left, processing::Limb::left},
                                  std::pair{&options->right, processing::Limb::right}}) {
            if (path->empty())
                continue;
            LoadOptions limb_load = load;
            limb_load.limb = limb;
            auto loaded = load_force_trials(*path, limb_load);
            if (loaded.size() != 1) {
                throw std::runtime_error(
                    fmt::format("{}: --{} expects one trial, the file holds {}", *path,
                                processing::to_string(limb), loaded.size()));
            }
            trials.push_back(std::move(loaded.front()));
        }
        std::optional<processing::Limb> involved;
        if (!options->involved.empty())
            involved = processing::parse_limb(options->involved);
        const AnalysisRun run = analyse_trials(trials, involved, processing::AnalysisSettings{});
        if (options->json) {
            std::cout << processing::analysis_report_json(run.trials, run.symmetry).dump(2) << "\n";
        } else {
            print_text(run, std::cout);
        }
        exit_code = 0;
    });
}

}  // namespace hoplab::cli
