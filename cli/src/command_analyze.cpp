#include "commands.hpp"

#include <hoplab/cli/batch_analysis.hpp>
#include <hoplab/cli/force_trials.hpp>
#include <hoplab/processing/analysis_json.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <iostream>

#include <unistd.h>

namespace hoplab::cli {
namespace {

struct AnalyzeOptions {
    std::vector<std::string> inputs;
    std::string left, right, involved, protocol, time, fz, fz_left, fz_right;
    double rate_hz = 0;
    bool json = false;
    int jobs = 1;
    std::string table;
    bool batch_rows = false;
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

bool wants_batch(const AnalyzeOptions& o) {
    return o.jobs > 1 || !o.table.empty() ||
           std::any_of(o.inputs.begin(), o.inputs.end(), [](const std::string& input) {
               return std::filesystem::is_directory(input) ||
                      (input.find_first_of("*?[") != std::string::npos &&
                       !std::filesystem::exists(input));
           });
}

// Folders, globs, --jobs and --table: one combined table of every trial's metrics. Returns the
// exit code: non-zero when any file could not be analysed (each is named on stderr).
int run_batch_analysis(const AnalyzeOptions& o, const LoadOptions& load) {
    BatchOptions batch;
    batch.load = load;
    batch.jobs = o.jobs;
    batch.program = std::filesystem::read_symlink("/proc/self/exe");
    for (const auto& [flag, value] :
         {std::pair{"--protocol", &o.protocol}, std::pair{"--time", &o.time},
          std::pair{"--fz", &o.fz}, std::pair{"--fz-left", &o.fz_left},
          std::pair{"--fz-right", &o.fz_right}}) {
        if (!value->empty()) {
            batch.worker_arguments.insert(batch.worker_arguments.end(), {flag, *value});
        }
    }
    if (o.rate_hz > 0) {
        batch.worker_arguments.insert(batch.worker_arguments.end(),
                                      {"--rate", fmt::format("{}", o.rate_hz)});
    }
    const auto files = expand_batch_inputs(o.inputs);
    const BatchResult result =
        run_batch(files, batch, isatty(STDERR_FILENO) ? &std::cerr : nullptr);
    for (const auto& failure : result.failures) {
        std::cerr << fmt::format("hoplab analyze: {}\n", failure.error);
    }
    if (!o.table.empty()) {
        write_batch_table(result.rows, o.table);
    } else {
        std::cout << nlohmann::json(result.rows).dump(2) << "\n";
    }
    std::cerr << fmt::format("{} files, {} trials analysed, {} files failed{}\n", files.size(),
                             result.rows.size(), result.failures.size(),
                             o.table.empty() ? std::string() : " → " + o.table);
    return result.failures.empty() ? 0 : 1;
}

}  // namespace

void add_analyze_command(CLI::App& app, int& exit_code) {
    auto options = std::make_shared<AnalyzeOptions>();
    auto* command = app.add_subcommand("analyze",
                                       "Analyse recordings (.h5) or CSV files: contacts, flights, "
                                       "peaks, jump height, RSI, symmetry");
    command->add_option(
        "INPUT", options->inputs,
        "recordings (.h5) or CSV files (header row), folders of them, or quoted globs");
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
    command
        ->add_option("--jobs", options->jobs,
                     "worker processes for many inputs (folders, globs); implies batch mode")
        ->check(CLI::Range(1, 256));
    command->add_option("--table", options->table,
                        "batch mode: write one table of every trial's metrics (.csv or .json)");
    command->add_flag("--batch-rows", options->batch_rows, "batch worker: JSON lines per file")
        ->group("");
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
        if (options->batch_rows) {
            write_batch_rows(expand_batch_inputs(options->inputs), load, std::cout);
            exit_code = 0;
            return;
        }
        if (options->left.empty() && wants_batch(*options)) {
            exit_code = run_batch_analysis(*options, load);
            return;
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
