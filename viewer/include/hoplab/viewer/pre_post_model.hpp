#pragma once

// Pre against post, without Qt: the left/right comparison of two or more sessions of one athlete,
// oldest first, and each later session's change from the first against the smallest worthwhile
// change (SWC) and the minimal detectable change (MDC95 = 1.96·√2·TE) of
// processing::compare_change.

#include <hoplab/viewer/comparison_model.hpp>

#include <hoplab/processing/reliability.hpp>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace hoplab::viewer {

// A lab's between-session reliability of one metric, in the metric's unit. Without a typical error
// there is no MDC band; without an SWC no SWC band (never an invented default).
struct ChangeThresholds {
    std::optional<double> typical_error, swc;
};

struct PrePostComparison {
    std::string athlete_id;
    std::vector<std::string> file_names;   // one per session, oldest first
    std::vector<LimbComparison> sessions;  // oldest first (by created_utc)
};

// Throws std::invalid_argument for fewer than two files; std::runtime_error (from
// load_limb_comparison, or naming both files when the athletes differ) otherwise.
PrePostComparison load_pre_post(const std::vector<std::filesystem::path>& files);

// The trial mean of `metric` ("jump_height_m", "contact_time_s", "rsi", …) for one limb in one
// session; nullopt when the session's analysis has no value for it.
std::optional<double> metric_value(const LimbComparison& session, const std::string& metric,
                                   processing::Limb limb);
std::optional<double> lsi_pct(const LimbComparison& session, const std::string& metric);

// Change of one limb's metric from the first session to `session` (an index ≥ 1); nullopt when
// either session lacks the value.
std::optional<processing::ChangeResult> change_from_first(const PrePostComparison& comparison,
                                                          std::size_t session,
                                                          const std::string& metric,
                                                          processing::Limb limb,
                                                          const ChangeThresholds& thresholds);

}  // namespace hoplab::viewer
