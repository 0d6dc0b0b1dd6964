#include <hoplab/processing/analysis_json.hpp>
#include <hoplab/version.hpp>

#include <nlohmann/json.hpp>

namespace hoplab::processing {
namespace {

using nlohmann::json;

json value(const std::optional<double>& v) {
    return v ? json(*v) : json(nullptr);
}

json stability_json(const std::optional<PosturalStability>& s) {
    if (!s) {
        return nullptr;
    }
    return {{"mlsi", s->mlsi},
            {"apsi", s->apsi},
            {"vsi", s->vsi},
            {"dpsi", s->dpsi},
            {"window_s", s->window_s}};
}

json cop_path_json(const std::optional<CopPath>& p) {
    if (!p) {
        return nullptr;
    }
    return {{"start_s", p->start_s},
            {"end_s", p->end_s},
            {"path_length_m", p->path_length_m},
            {"mean_speed_m_s", p->mean_speed_m_s},
            {"ml_range_m", p->ml_range_m},
            {"ap_range_m", p->ap_range_m}};
}

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
            {"rsi", value(c.rsi)},
            {"instantaneous_loading_rate_bw_per_s", value(c.instantaneous_loading_rate_bw_per_s)},
            {"jump_height_impulse_m", value(c.jump_height_impulse_m)},
            {"take_off_velocity_m_s", value(c.take_off_velocity_m_s)},
            {"impact_peak_N", value(c.impact_peak_N)},
            {"impact_peak_bw", value(c.impact_peak_bw)},
            {"time_to_impact_peak_s", value(c.time_to_impact_peak_s)},
            {"saturated", c.saturated}};
}

json limb_contact_json(const std::optional<LimbContact>& c) {
    if (!c) {
        return nullptr;
    }
    return {{"touchdown_s", value(c->touchdown_s)},       {"take_off_s", value(c->take_off_s)},
            {"contact_time_s", value(c->contact_time_s)}, {"peak_force_N", value(c->peak_force_N)},
            {"impulse_Ns", value(c->impulse_Ns)},         {"saturated", c->saturated}};
}

json bilateral_contacts_json(const std::optional<std::vector<BilateralContact>>& pairs) {
    if (!pairs) {
        return nullptr;
    }
    json out = json::array();
    for (const auto& c : *pairs) {
        json rows = json::array();
        for (const auto& row : c.symmetry) {
            rows.push_back(to_json(row));
        }
        out.push_back({{"index", c.index},
                       {"paired", c.paired()},
                       {"left", limb_contact_json(c.left)},
                       {"right", limb_contact_json(c.right)},
                       {"onset_difference_ms", value(c.onset_difference_ms)},
                       {"symmetry", rows}});
    }
    return out;
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
                   {"time_to_stabilisation_s", value(t.landing->time_to_stabilisation_s)},
                   {"time_to_stabilisation_method", "band"},
                   {"time_to_stabilisation_sequential_s",
                    value(t.landing->time_to_stabilisation_sequential_s)},
                   {"time_to_stabilisation_polynomial_s",
                    value(t.landing->time_to_stabilisation_polynomial_s)},
                   {"time_to_stabilisation_ml_s", value(t.landing->time_to_stabilisation_ml_s)},
                   {"time_to_stabilisation_ap_s", value(t.landing->time_to_stabilisation_ap_s)},
                   {"time_to_stabilisation_resultant_s",
                    value(t.landing->time_to_stabilisation_resultant_s)},
                   {"stance_end_s", value(t.landing->stance_end_s)},
                   {"impact_peak_N", value(t.landing->impact_peak_N)},
                   {"impact_peak_bw", value(t.landing->impact_peak_bw)},
                   {"time_to_impact_peak_s", value(t.landing->time_to_impact_peak_s)},
                   {"stability", stability_json(t.landing->stability)},
                   {"cop_path", cop_path_json(t.landing->cop_path)}};
    }
    json cmj = nullptr;
    if (t.cmj) {
        const auto& c = *t.cmj;
        cmj = {{"onset_s", c.onset_s},
               {"take_off_s", c.take_off_s},
               {"time_to_take_off_s", c.time_to_take_off_s},
               {"unweighting_s", value(c.unweighting_s)},
               {"braking_s", value(c.braking_s)},
               {"propulsion_s", value(c.propulsion_s)},
               {"unweighting_impulse_Ns", value(c.unweighting_impulse_Ns)},
               {"braking_impulse_Ns", value(c.braking_impulse_Ns)},
               {"propulsion_impulse_Ns", value(c.propulsion_impulse_Ns)},
               {"take_off_velocity_m_s", value(c.take_off_velocity_m_s)},
               {"jump_height_impulse_m", value(c.jump_height_impulse_m)},
               {"jump_height_flight_m", value(c.jump_height_flight_m)},
               {"rsi_mod", value(c.rsi_mod)},
               {"rsi_mod_height", "impulse-momentum"}};
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
        {"body_weight_sd_N", value(t.body_weight_sd_N)},
        {"threshold_N", t.threshold_N},
        {"flight_noise_mean_N", value(t.flight_noise_mean_N)},
        {"flight_noise_sd_N", value(t.flight_noise_sd_N)},
        {"cmj", cmj},
        {"initial_push_off",
         t.initial_push_off ? contact_json(*t.initial_push_off) : json(nullptr)},
        {"contacts", contacts},
        {"landing", landing},
        {"stance_cop_path", cop_path_json(t.stance_cop_path)},
        {"bilateral_contacts", bilateral_contacts_json(t.bilateral_contacts)},
        {"summary",
         {{"contacts", s.contacts},
          {"mean_contact_time_s", value(s.mean_contact_time_s)},
          {"mean_peak_force_N", value(s.mean_peak_force_N)},
          {"mean_flight_time_s", value(s.mean_flight_time_s)},
          {"mean_jump_height_m", value(s.mean_jump_height_m)},
          {"mean_rsi", value(s.mean_rsi)},
          {"cv_contact_time_pct", value(s.cv_contact_time_pct)},
          {"cv_jump_height_pct", value(s.cv_jump_height_pct)},
          {"cv_rsi_pct", value(s.cv_rsi_pct)},
          {"fatigue_rsi_pct", value(s.fatigue_rsi_pct)},
          {"fatigue_contact_time_pct", value(s.fatigue_contact_time_pct)},
          {"fatigue_jump_height_pct", value(s.fatigue_jump_height_pct)},
          {"hops_exclude", "initial push-off from stance and a trailing step-off"}}},
        {"quality_flags", t.quality_flags},
        {"provenance",
         {{"software", {{"name", kSoftwareName}, {"version", kSoftwareVersion}}},
          {"events",
           {{"method", "threshold on unfiltered Fz, sub-sample linear interpolation"},
            {"threshold_floor_N", p.threshold_floor_n},
            {"threshold_noise_factor", p.threshold_noise_factor},
            {"hysteresis_N", p.hysteresis_n},
            {"saturation_limit_N", value(p.saturation_limit_n)},
            {"min_contact_s", p.min_contact_s},
            {"min_flight_s", p.min_flight_s}}},
          {"peak_force",
           {{"method", "zero-phase 2nd-order Butterworth, scipy sosfiltfilt edges"},
            {"cutoff_hz", p.peak_cutoff_hz}}},
          {"impact_peak",
           {{"method",
             "first local maximum of the peak-filtered force in the first part of the contact, "
             "before the global maximum, with a prominence of at least a fraction of BW"},
            {"search_fraction", p.impact_search_fraction},
            {"min_prominence_bw", p.impact_min_prominence_bw}}},
          {"stability",
           {{"method",
             "DPSI (Wikstrom et al. 2005) over the window from the landing touchdown, plate axes "
             "x = ML, y = AP"},
            {"window_s", p.dpsi_window_s}}},
          {"cop_path",
           {{"method",
             "path length of the zero-phase low-passed COP; null if the COP is undefined anywhere "
             "in the window"},
            {"cutoff_hz", p.cop_cutoff_hz},
            {"landing_window_s", {p.landing_cop_from_s, p.landing_cop_to_s}},
            {"stance_trim_s", p.stance_cop_trim_s}}},
          {"loading_rate",
           {{"method", "average, touchdown to peak, (F_peak - threshold) / time / BW"}}},
          {"bilateral_contacts",
           {{"method",
             "contacts detected on each plate's unfiltered Fz with that plate's own threshold "
             "(events method above); a left and a right contact are paired when each overlaps the "
             "other longer than any other contact of the opposite plate; a contact without such a "
             "partner is listed unpaired"},
            {"onset_difference", "left touchdown - right touchdown, ms"},
            {"peak_force", "maximum of the peak_force low-pass of the plate's Fz"},
            {"impulse", "trapezoid of unfiltered Fz, touchdown to take-off"},
            {"symmetry",
             "per pair: peak_force_N (no direction), contact_time_s (lower is "
             "better), impulse_Ns (no direction); symmetry formulas as the report's"}}},
          {"jump_height", {{"method", "flight time, g*t^2/8"}, {"gravity_m_s2", p.gravity_m_s2}}},
          {"body_weight",
           {{"method", "steadiest window of the first steady stance"},
            {"window_s", p.weighing_window_s},
            {"max_sd_fraction", p.weighing_max_sd_fraction},
            {"skip_after_touchdown_s", p.weighing_skip_after_touchdown_s},
            {"max_half_difference", p.weighing_max_half_difference},
            {"operator_mass_kg", value(p.body_mass_kg)}}},
          {"time_to_stabilisation",
           {{"method",
             "band: Fz within +/- band*BW for the rest of the stance, on a zero-phase low-pass"},
            {"cutoff_hz", p.stabilisation_cutoff_hz},
            {"band_bw", p.stabilisation_band_bw},
            {"hold_s", p.stabilisation_hold_s},
            {"alternative",
             "sequential averaging (Colby et al. 1999) of unfiltered Fz, same band and hold"},
            {"alternative_polynomial",
             "range of variation + unbounded cubic (Ross & Guskiewicz 2003): |Fz - BW| on the "
             "same low-pass, reference range = max - min of the low-passed weighing window"},
            {"horizontal",
             "band on the tested plate's Fx (ML) and Fy (AP): reference 0 N, same band, low-pass, "
             "hold and window as the vertical"},
            {"resultant",
             "sqrt(ML^2 + AP^2 + V^2) of the three band values (Gribble et al. 2012)"}}}}},
    };
}

json to_json(const SymmetryRow& row) {
    const char* direction = row.direction == MetricDirection::higher_is_better  ? "higher_is_better"
                            : row.direction == MetricDirection::lower_is_better ? "lower_is_better"
                                                                                : "none";
    return {{"metric", row.metric},
            {"left", value(row.left)},
            {"right", value(row.right)},
            {"lsi_pct", value(row.lsi_pct)},
            {"asymmetry_pct", value(row.asymmetry_pct)},
            {"symmetry_index_pct", value(row.symmetry_index_pct)},
            {"symmetry_angle_pct", value(row.symmetry_angle_pct)},
            {"signed_asymmetry_pct", value(row.signed_asymmetry_pct)},
            {"direction", direction},
            {"weaker", row.weaker ? json(to_string(*row.weaker)) : json(nullptr)},
            {"flag", row.flag ? json(to_string(*row.flag)) : json(nullptr)},
            {"asymmetry_formula", "(max - min) / max * 100"}};
}

json analysis_report_json(std::span<const TrialAnalysis> trials,
                          std::span<const SymmetryRow> symmetry) {
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
