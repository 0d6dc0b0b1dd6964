#include <hoplab/processing/analysis_json.hpp>
#include <hoplab/version.hpp>

#include <nlohmann/json.hpp>

namespace hoplab::processing {
namespace {

using nlohmann::json;

json value(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

json contact_json(const ContactMetrics& c) {
    return {{"index", c.index},
            {"start_s", c.start_s},
            {"end_s", c.end_s},
            {"contact_time_s", c.contact_time_s},
            {"peak_force_N", value(c.peak_force_N)},
            {"peak_force_bw", value(c.peak_force_bw)},
            {"time_to_peak_s", value(c.time_to_peak_s)},
            {"impulse_Ns", value(c.impulse_Ns)},
            {"net_impulse_Ns", value(c.net_impulse_Ns)},
            {"loading_rate_bw_per_s", value(c.loading_rate_bw_per_s)},
            {"flight_time_before_s", value(c.flight_time_before_s)},
            {"flight_time_after_s", value(c.flight_time_after_s)},
            {"jump_height_m", value(c.jump_height_m)},
            {"rsi", value(c.rsi)}};
}

}  // namespace

json to_json(const TrialAnalysis& t) {
    json contacts = json::array();
    for (const auto& c : t.contacts) {
        contacts.push_back(contact_json(c));
    }
    json landing = nullptr;
    if (t.landing) {
        landing = {{"start_s", t.landing->start_s},
                   {"peak_force_N", value(t.landing->peak_force_N)},
                   {"peak_force_bw", value(t.landing->peak_force_bw)},
                   {"time_to_peak_s", value(t.landing->time_to_peak_s)},
                   {"loading_rate_bw_per_s", value(t.landing->loading_rate_bw_per_s)},
                   {"time_to_stabilisation_s", value(t.landing->time_to_stabilisation_s)}};
    }
    const auto& s = t.summary;
    const auto& p = t.settings;
    return {
        {"id", t.id},
        {"source", t.source},
        {"protocol", to_string(t.protocol)},
        {"limb", to_string(t.limb)},
        {"sample_rate_hz", t.sample_rate_hz},
        {"body_weight_N", value(t.body_weight_N)},
        {"body_weight_source", t.body_weight_source},
        {"threshold_N", t.threshold_N},
        {"initial_push_off", t.initial_push_off ? contact_json(*t.initial_push_off) : json(nullptr)},
        {"contacts", contacts},
        {"landing", landing},
        {"summary",
         {{"contacts", s.contacts},
          {"mean_contact_time_s", value(s.mean_contact_time_s)},
          {"mean_peak_force_N", value(s.mean_peak_force_N)},
          {"mean_flight_time_s", value(s.mean_flight_time_s)},
          {"mean_jump_height_m", value(s.mean_jump_height_m)},
          {"mean_rsi", value(s.mean_rsi)},
          {"cv_contact_time_pct", value(s.cv_contact_time_pct)},
          {"cv_jump_height_pct", value(s.cv_jump_height_pct)}}},
        {"quality_flags", t.quality_flags},
        {"provenance",
         {{"software", {{"name", kSoftwareName}, {"version", kSoftwareVersion}}},
          {"events",
           {{"method", "threshold on unfiltered Fz, sub-sample linear interpolation"},
            {"threshold_floor_N", p.threshold_floor_n},
            {"threshold_noise_factor", p.threshold_noise_factor},
            {"min_contact_s", p.min_contact_s},
            {"min_flight_s", p.min_flight_s}}},
          {"peak_force", {{"method", "zero-phase 2nd-order Butterworth, scipy sosfiltfilt edges"},
                          {"cutoff_hz", p.peak_cutoff_hz}}},
          {"loading_rate", {{"method", "average, touchdown to peak, (F_peak - threshold) / time / BW"}}},
          {"jump_height", {{"method", "flight time, g*t^2/8"}, {"gravity_m_s2", p.gravity_m_s2}}},
          {"body_weight",
           {{"method", "first steady window of quiet stance"},
            {"window_s", p.weighing_window_s},
            {"max_sd_fraction", p.weighing_max_sd_fraction},
            {"max_half_difference", p.weighing_max_half_difference},
            {"operator_mass_kg", value(p.body_mass_kg)}}},
          {"time_to_stabilisation",
           {{"method", "band: Fz within +/- band*BW for the rest of the stance, on a zero-phase low-pass"},
            {"cutoff_hz", p.stabilisation_cutoff_hz},
            {"band_bw", p.stabilisation_band_bw},
            {"hold_s", p.stabilisation_hold_s}}}}},
    };
}

json to_json(const SymmetryRow& row) {
    const char* direction = row.direction == MetricDirection::higher_is_better ? "higher_is_better"
                            : row.direction == MetricDirection::lower_is_better ? "lower_is_better"
                                                                                : "none";
    return {{"metric", row.metric},
            {"left", value(row.left)},
            {"right", value(row.right)},
            {"lsi_pct", value(row.lsi_pct)},
            {"asymmetry_pct", value(row.asymmetry_pct)},
            {"symmetry_index_pct", value(row.symmetry_index_pct)},
            {"symmetry_angle_pct", value(row.symmetry_angle_pct)},
            {"direction", direction},
            {"weaker", row.weaker ? json(to_string(*row.weaker)) : json(nullptr)},
            {"flag", row.flag ? json(to_string(*row.flag)) : json(nullptr)},
            {"asymmetry_formula", "(max - min) / max * 100"}};
}

json analysis_report_json(std::span<const TrialAnalysis> trials, std::span<const SymmetryRow> symmetry) {
    json report = {{"software", {{"name", kSoftwareName}, {"version", kSoftwareVersion}}},
                   {"trials", json::array()},
                   {"symmetry", json::array()}};
    for (const auto& t : trials) {
        report["trials"].push_back(to_json(t));
    }
    for (const auto& row : symmetry) {
        report["symmetry"].push_back(to_json(row));
    }
    return report;
}

}  // namespace hoplab::processing
