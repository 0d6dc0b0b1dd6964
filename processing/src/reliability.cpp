#include <hoplab/processing/reliability.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

namespace hoplab::processing {
namespace {

double mean(std::span<const double> v) {
    return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

void check_finite(std::span<const double> v, const char* what) {
    if (!std::all_of(v.begin(), v.end(), [](double x) { return std::isfinite(x); })) {
        throw std::invalid_argument(std::string(what) + " holds a non-finite value");
    }
}

}  // namespace

Reliability reliability(std::span<const std::vector<double>> sessions) {
    if (sessions.size() < 2) {
        throw std::invalid_argument("reliability: need at least 2 sessions, got " +
                                    std::to_string(sessions.size()));
    }
    const std::size_t n = sessions.front().size();
    if (n < 2) {
        throw std::invalid_argument("reliability: need at least 2 athletes, got " +
                                    std::to_string(n));
    }
    for (std::size_t j = 0; j < sessions.size(); ++j) {
        if (sessions[j].size() != n) {
            throw std::invalid_argument("reliability: session " + std::to_string(j + 1) + " has " +
                                        std::to_string(sessions[j].size()) +
                                        " athletes, session 1 has " + std::to_string(n));
        }
        check_finite(sessions[j], "reliability data");
    }
    const std::size_t k = sessions.size();
    const auto nd = static_cast<double>(n);
    const auto kd = static_cast<double>(k);
    double grand = 0;
    for (const auto& s : sessions)
        grand += mean(s);
    grand /= kd;
    double ss_total = 0, ss_rows = 0, ss_cols = 0;
    for (std::size_t i = 0; i < n; ++i) {
        double row = 0;
        for (const auto& s : sessions)
            row += s[i];
        ss_rows += kd * std::pow(row / kd - grand, 2);
    }
    for (const auto& s : sessions) {
        ss_cols += nd * std::pow(mean(s) - grand, 2);
        for (double v : s)
            ss_total += (v - grand) * (v - grand);
    }
    const double ss_error = std::max(0.0, ss_total - ss_rows - ss_cols);
    Reliability r;
    r.athletes = n;
    r.sessions = k;
    r.grand_mean = grand;
    r.ms_athletes = ss_rows / (nd - 1.0);
    r.ms_sessions = ss_cols / (kd - 1.0);
    r.ms_error = ss_error / ((nd - 1.0) * (kd - 1.0));
    r.sem = std::sqrt(r.ms_error);
    r.typical_error = r.sem;
    r.cv_pct = grand != 0 ? 100.0 * r.typical_error / grand : 0.0;
    r.icc_3_1 = (r.ms_athletes - r.ms_error) / (r.ms_athletes + (kd - 1.0) * r.ms_error);
    r.icc_2_1 = (r.ms_athletes - r.ms_error) /
                (r.ms_athletes + (kd - 1.0) * r.ms_error + kd * (r.ms_sessions - r.ms_error) / nd);
    r.mdc95 = 1.96 * std::sqrt(2.0) * r.sem;
    const double baseline = mean(sessions.front());
    double sq = 0;
    for (double v : sessions.front())
        sq += (v - baseline) * (v - baseline);
    r.between_athlete_sd = std::sqrt(sq / (nd - 1.0));
    r.swc = 0.2 * r.between_athlete_sd;
    return r;
}

std::string_view to_string(ChangeDirection direction) {
    switch (direction) {
        case ChangeDirection::improvement:
            return "improvement";
        case ChangeDirection::decline:
            return "decline";
        case ChangeDirection::none:
            return "none";
    }
    return "none";
}

ChangeResult compare_change(std::span<const double> pre, std::span<const double> post,
                            MetricDirection direction, std::optional<double> typical_error,
                            std::optional<double> swc) {
    if (pre.empty() || post.empty()) {
        throw std::invalid_argument("compare_change: pre and post need at least one trial each");
    }
    check_finite(pre, "pre-test values");
    check_finite(post, "post-test values");
    if (typical_error && !(*typical_error > 0)) {
        throw std::invalid_argument("compare_change: typical error must be positive, not " +
                                    std::to_string(*typical_error));
    }
    if (swc && !(*swc > 0)) {
        throw std::invalid_argument(
            "compare_change: smallest worthwhile change must be positive, not " +
            std::to_string(*swc));
    }
    ChangeResult c;
    c.pre_mean = mean(pre);
    c.post_mean = mean(post);
    c.change = c.post_mean - c.pre_mean;
    if (typical_error) {
        c.mdc95 = 1.96 * std::sqrt(2.0) * *typical_error;
        c.beyond_mdc = std::abs(c.change) > *c.mdc95;
    }
    if (swc) {
        c.swc = swc;
        c.worthwhile = std::abs(c.change) > *swc;
    }
    if (c.change != 0 && direction != MetricDirection::none) {
        const bool better =
            direction == MetricDirection::higher_is_better ? c.change > 0 : c.change < 0;
        c.direction = better ? ChangeDirection::improvement : ChangeDirection::decline;
    }
    return c;
}

}  // namespace hoplab::processing
