#include <hoplab/processing/symmetry.hpp>
#include <hoplab/processing/trial_analysis.hpp>

#include <algorithm>
#include <cmath>
#include <numbers>

namespace hoplab::processing {

std::string_view to_string(SymmetryFlag flag) {
    switch (flag) {
        case SymmetryFlag::ok:
            return "ok";
        case SymmetryFlag::attention:
            return "attention";
        case SymmetryFlag::red:
            return "red";
    }
    return "unknown";
}

SymmetryRow symmetry_row(std::string metric, MetricDirection direction, std::optional<double> left,
                         std::optional<double> right, std::optional<Limb> involved,
                         const SymmetrySettings& settings) {
    SymmetryRow row;
    row.metric = std::move(metric);
    row.direction = direction;
    row.left = left;
    row.right = right;
    if (!left || !right || !(*left > 0) || !(*right > 0)) {
        return row;
    }
    const double l = *left;
    const double r = *right;
    const double high = std::max(l, r);
    const double low = std::min(l, r);
    // Rounded to the reported 0.01 % before classifying: (1.0 − 0.9)/1.0 × 100 is 9.999999999999998
    // in doubles.
    row.asymmetry_pct = std::round((high - low) / high * 100.0 * 100.0) / 100.0;
    row.symmetry_index_pct = (r - l) / (0.5 * (r + l)) * 100.0;
    row.signed_asymmetry_pct = (r - l) / high * 100.0;
    double angle = 45.0 - std::atan(l / r) * 180.0 / std::numbers::pi;
    if (angle > 90.0)
        angle -= 180.0;
    row.symmetry_angle_pct = angle / 90.0 * 100.0;
    row.flag = *row.asymmetry_pct >= settings.red_pct         ? SymmetryFlag::red
               : *row.asymmetry_pct >= settings.attention_pct ? SymmetryFlag::attention
                                                              : SymmetryFlag::ok;
    if (direction != MetricDirection::none && *row.asymmetry_pct > 0.0) {
        const bool left_better = direction == MetricDirection::higher_is_better ? l > r : l < r;
        row.weaker = left_better ? Limb::right : Limb::left;
    }
    const auto ratio = [direction](double involved_value, double other) {
        return direction == MetricDirection::lower_is_better ? other / involved_value * 100.0
                                                             : involved_value / other * 100.0;
    };
    if (involved && *involved != Limb::both) {
        row.lsi_pct = *involved == Limb::left ? ratio(l, r) : ratio(r, l);
    } else if (direction != MetricDirection::none) {
        row.lsi_pct = low / high * 100.0;  // worse over better
    }
    return row;
}

std::vector<SymmetryRow> compare_limbs(const TrialAnalysis& left, const TrialAnalysis& right,
                                       std::optional<Limb> involved,
                                       const SymmetrySettings& settings) {
    const auto& l = left.summary;
    const auto& r = right.summary;
    return {
        symmetry_row("jump_height_m", MetricDirection::higher_is_better, l.mean_jump_height_m,
                     r.mean_jump_height_m, involved, settings),
        symmetry_row("flight_time_s", MetricDirection::higher_is_better, l.mean_flight_time_s,
                     r.mean_flight_time_s, involved, settings),
        symmetry_row("contact_time_s", MetricDirection::lower_is_better, l.mean_contact_time_s,
                     r.mean_contact_time_s, involved, settings),
        symmetry_row("rsi", MetricDirection::higher_is_better, l.mean_rsi, r.mean_rsi, involved,
                     settings),
        symmetry_row("peak_force_N", MetricDirection::none, l.mean_peak_force_N,
                     r.mean_peak_force_N, involved, settings),
    };
}

std::vector<ContactSymmetry> compare_limbs_per_contact(const TrialAnalysis& left,
                                                       const TrialAnalysis& right,
                                                       std::optional<Limb> involved,
                                                       const SymmetrySettings& settings) {
    std::vector<ContactSymmetry> out;
    const std::size_t hops = std::min(left.contacts.size(), right.contacts.size());
    for (std::size_t i = 0; i < hops; ++i) {
        const ContactMetrics& l = left.contacts[i];
        const ContactMetrics& r = right.contacts[i];
        ContactSymmetry c;
        c.index = static_cast<int>(i) + 1;
        c.rows = {
            symmetry_row("contact_time_s", MetricDirection::lower_is_better, l.contact_time_s,
                         r.contact_time_s, involved, settings),
            symmetry_row("flight_time_s", MetricDirection::higher_is_better, l.flight_time_after_s,
                         r.flight_time_after_s, involved, settings),
            symmetry_row("jump_height_m", MetricDirection::higher_is_better, l.jump_height_m,
                         r.jump_height_m, involved, settings),
            symmetry_row("rsi", MetricDirection::higher_is_better, l.rsi, r.rsi, involved,
                         settings),
        };
        out.push_back(std::move(c));
    }
    return out;
}

}  // namespace hoplab::processing
