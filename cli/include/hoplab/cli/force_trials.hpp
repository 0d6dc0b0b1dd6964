#pragma once

#include <hoplab/cli/csv_force.hpp>
#include <hoplab/processing/protocol.hpp>
#include <hoplab/processing/symmetry.hpp>
#include <hoplab/processing/trial_analysis.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace hoplab::cli {

// One trial's vertical force, whatever file it came from.
struct ForceTrial {
    std::string id;
    std::string source;
    processing::Protocol protocol = processing::Protocol::repeated_hops;
    processing::Limb limb = processing::Limb::both;
    double sample_rate_hz = 0;
    std::vector<double> fz_n;
    // A recording's single plate under the tested limb, with Fx, Fy and COP (DPSI, COP paths).
    std::optional<processing::PlateSeries> plate;
    // Bilateral work on one left and one right plate: each plate's Fz (as long as fz_n, their
    // sum), so every contact is also paired left against right (processing::pair_contacts).
    struct LeftRight {
        std::vector<double> left_fz_n, right_fz_n;
    };
    std::optional<LeftRight> left_right;
    std::optional<double> mass_kg;                  // the athlete's mass, when the recording has it
    std::optional<processing::Limb> involved_limb;  // likewise
};

struct LoadOptions {
    CsvColumns columns;
    std::optional<processing::Protocol> protocol;  // --protocol (overrides what the file says)
    std::optional<processing::Limb> limb;          // set for --left / --right inputs
};

// Loads a recording (.h5: every trial, the plate under the tested limb or the sum for bilateral
// work) or a CSV
// (.csv/.txt: one trial, or one per plate for a single-leg protocol with fz_left/fz_right columns).
// Throws std::runtime_error subclasses naming the file and the problem.
std::vector<ForceTrial> load_force_trials(const std::filesystem::path& input,
                                          const LoadOptions& options);

// Analyses every trial and, where both limbs were tested in the same protocol, compares the last
// trial of each.
struct AnalysisRun {
    std::vector<processing::TrialAnalysis> trials;
    std::vector<processing::SymmetryRow> symmetry;
};
AnalysisRun analyse_trials(const std::vector<ForceTrial>& trials,
                           std::optional<processing::Limb> involved,
                           const processing::AnalysisSettings& settings);

}  // namespace hoplab::cli
