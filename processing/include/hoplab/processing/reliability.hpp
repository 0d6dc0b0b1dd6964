#pragma once

// Between-session reliability and meaningful change (METHODS §5.4; Hopkins 2000, Weir 2005).
//
// A lab's own reliability data set is n athletes × k sessions of one metric (rows = athletes,
// columns = sessions). From the two-way ANOVA: MS_R (athletes), MS_C (sessions), MS_E (residual).
//   typical error TE = √MS_E (= SD(differences)/√2 when k = 2), SEM = √MS_E (reported as such),
//   CV% = 100·TE / grand mean (raw, not log-transformed), ICC(3,1) = (MS_R − MS_E)/(MS_R +
//   (k−1)·MS_E), ICC(2,1) = (MS_R − MS_E)/(MS_R + (k−1)·MS_E + k·(MS_C − MS_E)/n), MDC95
//   = 1.96·√2·SEM, SWC = 0.2 × between-athlete SD of the first session (N−1).

#include <hoplab/processing/symmetry.hpp>

#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace hoplab::processing {

struct Reliability {
    std::size_t athletes = 0;
    std::size_t sessions = 0;
    double grand_mean = 0;
    double ms_athletes = 0, ms_sessions = 0, ms_error = 0;
    double typical_error = 0;  // in the metric's unit
    double sem = 0;            // √MS_E
    double cv_pct = 0;
    double icc_3_1 = 0, icc_2_1 = 0;
    double mdc95 = 0;
    double between_athlete_sd = 0;  // first session, N−1
    double swc = 0;
};

// sessions[j][i] = athlete i in session j. Throws std::invalid_argument for fewer than 2 sessions
// or 2 athletes, sessions of different lengths, or non-finite values.
Reliability reliability(std::span<const std::vector<double>> sessions);

enum class ChangeDirection { improvement, decline, none };
std::string_view to_string(ChangeDirection direction);  // "improvement", "decline", "none"

// One athlete's pre → post change of one metric (`hoplab compare PRE POST`).
struct ChangeResult {
    double pre_mean = 0, post_mean = 0, change = 0;  // change = post − pre, metric units
    std::optional<double> mdc95, swc;                // from the configured TE / SWC
    std::optional<bool> beyond_mdc;                  // |Δ| > MDC95; null when no TE is configured
    std::optional<bool> worthwhile;                  // |Δ| > SWC; null when no SWC is configured
    ChangeDirection direction = ChangeDirection::none;  // by the metric's performance direction
};

// pre, post: the trial values of each session (≥ 1 each). typical_error must come from a
// between-session reliability set (MDC95 = 1.96·√2·TE); swc from the same set or norms. Throws
// std::invalid_argument for empty or non-finite inputs or a non-positive TE/SWC.
ChangeResult compare_change(std::span<const double> pre, std::span<const double> post,
                            MetricDirection direction, std::optional<double> typical_error,
                            std::optional<double> swc);

}  // namespace hoplab::processing
