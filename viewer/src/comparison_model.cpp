#include <hoplab/viewer/comparison_model.hpp>

#include <hoplab/recording/session_reader.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <stdexcept>

namespace hoplab::viewer {

std::vector<Point> decimate_min_max(const std::vector<Point>& points, std::size_t columns) {
    if (columns == 0 || points.size() <= 2 * columns) {
        return points;
    }
    std::vector<Point> out;
    out.reserve(2 * columns);
    const double x0 = points.front().x;
    const double width = (points.back().x - x0) / static_cast<double>(columns);
    std::size_t k = 0;
    for (std::size_t column = 0; column < columns && k < points.size(); ++column) {
        const double end =
            column + 1 == columns ? points.back().x : x0 + width * static_cast<double>(column + 1);
        std::size_t lo = k, hi = k;
        for (; k < points.size() && (points[k].x <= end || column + 1 == columns); ++k) {
            if (points[k].y < points[lo].y)
                lo = k;
            if (points[k].y > points[hi].y)
                hi = k;
        }
        out.push_back(points[std::min(lo, hi)]);
        if (lo != hi)
            out.push_back(points[std::max(lo, hi)]);
    }
    return out;
}

std::string metric_name(const std::string& metric) {
    static const std::map<std::string, std::string> kNames{{"jump_height_m", "jump height"},
                                                           {"flight_time_s", "flight time"},
                                                           {"contact_time_s", "contact time"},
                                                           {"rsi", "RSI"},
                                                           {"peak_force_N", "peak force"}};
    const auto name = kNames.find(metric);
    return name == kNames.end() ? metric : name->second;
}

std::optional<std::string> weaker_side(const processing::SymmetryRow& row) {
    if (row.direction == processing::MetricDirection::none || !row.asymmetry_pct)
        return std::nullopt;
    // Shown to 0.1 %: an asymmetry that reads 0.0 % (below 0.05 %) names no side either.
    if (std::round(*row.asymmetry_pct * 10.0) == 0.0 || !row.weaker)
        return "equal";
    return std::string(processing::to_string(*row.weaker));
}

std::string metric_label(const processing::SymmetryRow& row) {
    const auto name = metric_name(row.metric);
    const auto weaker = weaker_side(row);
    const std::string side =
        !weaker ? "" : (*weaker == "equal" ? " · equal" : " · " + *weaker + " weaker");
    char text[160];
    if (row.lsi_pct) {
        std::snprintf(text, sizeof text, "%s\nLSI %.1f %%%s", name.c_str(), *row.lsi_pct,
                      side.c_str());
    } else {
        std::snprintf(text, sizeof text, "%s\nasym. %.1f %%", name.c_str(),
                      row.asymmetry_pct.value_or(0.0));
    }
    return text;
}

LimbComparison load_limb_comparison(const std::filesystem::path& file) {
    const recording::SessionReader reader(file);
    LimbComparison out;
    out.athlete_id = reader.session().athlete.id;
    out.created_utc = reader.session().created_utc;
    out.involved = reader.session().athlete.involved_limb;
    std::map<processing::Limb, recording::TrialSummaryInfo> last;
    for (const auto& trial : reader.trials()) {
        if (trial.limb != processing::Limb::both && trial.status.rfind("complete", 0) == 0) {
            last[trial.limb] = trial;
        }
    }
    if (!last.count(processing::Limb::left) || !last.count(processing::Limb::right)) {
        throw std::runtime_error(
            file.string() +
            ": needs a complete single-leg trial of each limb for a left/right "
            "comparison");
    }
    for (auto limb : {processing::Limb::left, processing::Limb::right}) {
        const auto& trial = last[limb];
        const recording::DeviceInfo* plate = nullptr;
        for (const auto& device : reader.devices()) {
            if (device.limb == limb)
                plate = &device;
        }
        if (plate == nullptr) {
            throw std::runtime_error(file.string() + ": no plate is assigned to the " +
                                     std::string(processing::to_string(limb)) + " limb");
        }
        const auto force = reader.trial_force(trial.id, plate->name);
        std::vector<double> fz;
        fz.reserve(force.samples.size());
        for (const auto& w : force.samples)
            fz.push_back(w.fz_n);
        processing::AnalysisSettings settings;
        settings.body_mass_kg = reader.session().athlete.mass_kg;
        auto analysis =
            processing::analyze_trial(fz, force.rate_hz, trial.protocol, limb, settings);
        analysis.id = trial.id;
        out.protocol = std::string(processing::to_string(trial.protocol));
        for (const auto& contact : analysis.contacts) {
            ContactCurve curve{limb, contact.index, {}};
            // 50 ms of flight either side of the contact, so the touchdown and take-off edges show.
            const auto first =
                static_cast<std::size_t>(std::max(0.0, (contact.start_s - 0.05) * force.rate_hz));
            const auto last_sample = std::min(
                fz.size(), static_cast<std::size_t>((contact.end_s + 0.05) * force.rate_hz));
            for (std::size_t k = first; k < last_sample; ++k) {
                const double t = static_cast<double>(k) / force.rate_hz - contact.start_s;
                curve.points.push_back({t, fz[k]});
                out.max_force_n = std::max(out.max_force_n, fz[k]);
                out.max_time_s = std::max(out.max_time_s, t);
            }
            curve.points = decimate_min_max(curve.points, 400);
            out.curves.push_back(std::move(curve));
        }
        (limb == processing::Limb::left ? out.left : out.right) = std::move(analysis);
    }
    out.metrics = processing::compare_limbs(*out.left, *out.right, out.involved);
    return out;
}

}  // namespace hoplab::viewer
