#pragma once

// The JSON of `hoplab analyze --json` (DESIGN.md §8): field names are a promise to users; fields
// that cannot be computed are null. Each trial also carries its quality flags and provenance
// (methods, parameters, version).

#include <hoplab/processing/symmetry.hpp>
#include <hoplab/processing/trial_analysis.hpp>

#include <nlohmann/json_fwd.hpp>

#include <span>

namespace hoplab::processing {

nlohmann::json to_json(const TrialAnalysis& trial);
nlohmann::json to_json(const SymmetryRow& row);
nlohmann::json analysis_report_json(std::span<const TrialAnalysis> trials,
                                    std::span<const SymmetryRow> symmetry);

}  // namespace hoplab::processing
