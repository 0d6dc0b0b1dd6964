#pragma once

// Limb symmetry (METHODS.md §5): asymmetry = (max − min)/max × 100 on each metric's performance
// direction, flagged at 10 % (attention) and 20 % (red); LSI = involved/uninvolved × 100
// (direction-corrected) when the involved limb is known, worse/better × 100 otherwise.

#include <hoplab/processing/protocol.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hoplab::processing {

// Defined in trial_analysis.hpp, which includes this header (through bilateral_contacts.hpp, whose
// per-contact pairs carry symmetry rows); include it to call the comparisons of whole trials.
struct TrialAnalysis;

enum class SymmetryFlag { ok, attention, red };
std::string_view to_string(SymmetryFlag flag);

enum class MetricDirection { higher_is_better, lower_is_better, none };

struct SymmetrySettings {
    double attention_pct = 10.0;
    double red_pct = 20.0;
};

struct SymmetryRow {
    std::string
        metric;  // "jump_height_m", "contact_time_s", "flight_time_s", "rsi", "peak_force_N"
    MetricDirection direction = MetricDirection::none;
    std::optional<double> left, right, lsi_pct, asymmetry_pct;
    std::optional<double> symmetry_index_pct;  // Robinson et al. 1987: (R − L)/(0.5·(R + L)) × 100
    std::optional<double> symmetry_angle_pct;    // Zifchock et al. 2008
    std::optional<double> signed_asymmetry_pct;  // (R − L)/max(R, L) × 100 (ForceDecks-style sign)
    std::optional<Limb> weaker;
    std::optional<SymmetryFlag> flag;
};

// One row from two values (left, right). Values ≤ 0 or missing give null indices.
SymmetryRow symmetry_row(std::string metric, MetricDirection direction, std::optional<double> left,
                         std::optional<double> right, std::optional<Limb> involved,
                         const SymmetrySettings& settings = {});

// Hop-by-hop comparison of a bilateral test: hop i of the left trial against hop i of the right
// (contact time, flight time, jump height, RSI), as many hops as both trials have.
struct ContactSymmetry {
    int index = 0;  // hop number, from 1
    std::vector<SymmetryRow> rows;
};
std::vector<ContactSymmetry> compare_limbs_per_contact(const TrialAnalysis& left,
                                                       const TrialAnalysis& right,
                                                       std::optional<Limb> involved,
                                                       const SymmetrySettings& settings = {});

// Compares the trial means of the two limbs' trials metric by metric.
std::vector<SymmetryRow> compare_limbs(const TrialAnalysis& left, const TrialAnalysis& right,
                                       std::optional<Limb> involved,
                                       const SymmetrySettings& settings = {});

}  // namespace hoplab::processing
