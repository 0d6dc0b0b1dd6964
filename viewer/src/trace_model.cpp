#include <hoplab/viewer/trace_model.hpp>

#include <hoplab/processing/trial_analysis.hpp>
#include <hoplab/recording/session_reader.hpp>

#include <nlohmann/json.hpp>

#include <stdexcept>

namespace hoplab::viewer {
namespace {

// Contacts and landing of one plate from the processing module's JSON (DESIGN.md §8 trials[]).
// Its times count from the first analysed sample, which is at offset_s from the trial start.
void markers_from_json(const nlohmann::json& analysis, double offset_s, PlateTrace& plate) {
    for (const auto& contact : analysis.value("contacts", nlohmann::json::array())) {
        plate.contacts.push_back({offset_s + contact.at("start_s").get<double>(),
                                  offset_s + contact.at("end_s").get<double>()});
    }
    if (const auto landing = analysis.find("landing");
        landing != analysis.end() && landing->is_object()) {
        plate.landing_s = offset_s + landing->at("start_s").get<double>();
    }
}

}  // namespace

SessionEntry read_session_entry(const std::filesystem::path& file) {
    const recording::SessionReader reader(file);
    SessionEntry out{file, reader.session().athlete.id, reader.session().created_utc, {}};
    for (const auto& trial : reader.trials()) {
        out.trials.push_back(
            {trial.id, std::string(processing::to_string(trial.protocol)),
             std::string(processing::to_string(trial.limb)), trial.status, trial.start_utc,
             trial.rate_hz > 0 ? static_cast<double>(trial.samples) / trial.rate_hz : 0.0});
    }
    return out;
}

TrialTrace load_trial_trace(const std::filesystem::path& file, const std::string& trial_id) {
    const recording::SessionReader reader(file);
    const auto trial = reader.trial(trial_id);
    TrialTrace out;
    out.file_name = file.filename().string();
    out.athlete_id = reader.session().athlete.id;
    out.trial_id = trial.id;
    out.protocol = std::string(processing::to_string(trial.protocol));
    out.limb = std::string(processing::to_string(trial.limb));
    out.status = trial.status;
    std::optional<nlohmann::json> stored;
    if (const auto text = reader.trial_analysis_json(trial_id)) {
        stored = nlohmann::json::parse(*text, nullptr, false);
        if (stored->is_discarded())
            stored.reset();
    }
    for (const auto& device : trial.devices) {
        // Fz only, read as one column hyperslab (no Wrench rows built): about 1/6 of the bytes.
        auto force = reader.trial_vertical_force(trial_id, device);
        std::optional<processing::Limb> limb;
        for (const auto& info : reader.devices()) {
            if (info.name == device)
                limb = info.limb;
        }
        PlateTrace plate{device,
                         limb,
                         TraceEnvelope(std::move(force.fz_n), force.rate_hz, force.starting_time_s),
                         {},
                         std::nullopt,
                         {}};
        // The stored analysis is the trial's own (one per trial, DESIGN.md §8): for a two-limb
        // trial it is of the plates' summed force, so its contacts mark every plate; for a
        // single-leg trial it marks the plate of that limb (or the only plate). Any other plate is
        // analysed here.
        const bool stored_is_this_plate =
            stored && (trial.limb == processing::Limb::both || trial.devices.size() == 1 ||
                       (limb && trial.limb == *limb));
        if (stored_is_this_plate) {
            markers_from_json(*stored, force.starting_time_s, plate);
        } else {
            processing::AnalysisSettings settings;
            settings.body_mass_kg = reader.session().athlete.mass_kg;
            try {
                const auto analysis =
                    processing::analyze_trial(plate.fz_n.values(), force.rate_hz, trial.protocol,
                                              limb.value_or(trial.limb), settings);
                for (const auto& contact : analysis.contacts)
                    plate.contacts.push_back({force.starting_time_s + contact.start_s,
                                              force.starting_time_s + contact.end_s});
                if (analysis.landing)
                    plate.landing_s = force.starting_time_s + analysis.landing->start_s;
            } catch (const std::invalid_argument&) {
                // Too short or unusable for the analysis: the trace is still shown, unmarked.
            }
        }
        plate.markers_source = stored_is_this_plate ? "stored analysis" : "analysed on opening";
        out.plates.push_back(std::move(plate));
    }
    return out;
}

}  // namespace hoplab::viewer
