#include "h5.hpp"

#include <hoplab/recording/nwb_export.hpp>
#include <hoplab/recording/recording_error.hpp>
#include <hoplab/recording/session_reader.hpp>
#include <hoplab/version.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <limits>
#include <optional>
#include <span>

#include "utc_clock.hpp"

namespace hoplab::recording {
namespace {

// Seconds since the epoch of an ISO 8601 UTC time "YYYY-MM-DDTHH:MM:SS[.fff]Z", as the writer
// stores them; nullopt for anything else.
std::optional<double> epoch_seconds(const std::string& utc) {
    std::tm parts{};
    int consumed = 0;
    if (std::sscanf(utc.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &parts.tm_year, &parts.tm_mon,
                    &parts.tm_mday, &parts.tm_hour, &parts.tm_min, &parts.tm_sec, &consumed) != 6) {
        return std::nullopt;
    }
    parts.tm_year -= 1900;
    parts.tm_mon -= 1;
    double fraction = 0;
    std::size_t at = static_cast<std::size_t>(consumed);
    if (at < utc.size() && utc[at] == '.') {
        std::size_t digits = 0;
        double scale = 0.1;
        for (++at; at < utc.size() && std::isdigit(static_cast<unsigned char>(utc[at])) != 0;
             ++at, ++digits, scale /= 10) {
            fraction += (utc[at] - '0') * scale;
        }
        if (digits == 0) {
            return std::nullopt;
        }
    }
    if (at + 1 != utc.size() || utc[at] != 'Z') {
        return std::nullopt;
    }
    return static_cast<double>(timegm(&parts)) + fraction;
}

double seconds_between(const std::string& from_utc, const std::string& to_utc,
                       const std::filesystem::path& file, const std::string& where) {
    const auto from = epoch_seconds(from_utc);
    const auto to = epoch_seconds(to_utc);
    if (!from || !to) {
        throw RecordingError(file, where,
                             "cannot place the trial in time: '" + (from ? to_utc : from_utc) +
                                 "' is not an ISO 8601 UTC time");
    }
    return *to - *from;
}

void mark(const h5::Object& object, const char* neurodata_type, std::string_view description) {
    object.write_attribute("namespace", "core");
    object.write_attribute("neurodata_type", neurodata_type);
    object.write_attribute("description", description);
}

// An NWB TimeSeries: data (rows × 3 or rows), starting_time with its rate, NWB's data attributes.
void write_time_series(const h5::Group& parent, const std::string& name,
                       std::span<const double> row_major, std::size_t rows, std::size_t columns,
                       const char* unit, double starting_time_s, double rate_hz,
                       const std::string& description, const std::string& comments) {
    const h5::Group series = parent.create_group(name);
    mark(series, "TimeSeries", description);
    series.write_attribute("comments", comments);
    const h5::Dataset data = columns == 1 ? series.write_vector("data", row_major)
                                          : series.write_matrix("data", row_major, rows, columns);
    data.write_attribute("unit", unit);
    data.write_attribute("conversion", 1.0);
    data.write_attribute("offset", 0.0);
    data.write_attribute("resolution", -1.0);
    const h5::Dataset start = series.write_scalar("starting_time", starting_time_s);
    start.write_attribute("rate", rate_hz);
    start.write_attribute("unit", "seconds");
}

struct Trial {
    TrialSummaryInfo info;
    double start_s = 0, stop_s = 0;  // from session_start_time
};

std::vector<Trial> chosen_trials(const SessionReader& reader, const std::vector<std::string>& ids) {
    std::vector<Trial> chosen;
    for (const auto& id : ids) {
        const auto all = reader.trials();
        if (std::none_of(all.begin(), all.end(), [&](const auto& t) { return t.id == id; })) {
            throw RecordingError(reader.path(), "/trials", "no trial '" + id + "'");
        }
    }
    for (const auto& info : reader.trials()) {
        if (!ids.empty() && std::find(ids.begin(), ids.end(), info.id) == ids.end()) {
            continue;
        }
        if (info.devices.empty()) {
            throw RecordingError(reader.path(), "/trials/" + info.id, "has no calibrated force");
        }
        Trial trial{info};
        trial.start_s = seconds_between(reader.session().created_utc, info.start_utc, reader.path(),
                                        "/trials/" + info.id + "@start_utc");
        trial.stop_s = trial.start_s + static_cast<double>(info.samples) / info.rate_hz;
        chosen.push_back(std::move(trial));
    }
    return chosen;
}

void write_file(const SessionReader& reader, const std::vector<Trial>& trials, const h5::File& file,
                NwbExportSummary& summary) {
    const h5::Group root = file.root();
    const auto& session = reader.session();
    mark(root, "NWBFile", "hoplab session exported in NWB 2 layout (not a validated NWB file)");
    root.write_attribute("hoplab_format", "hoplab-nwb-like");
    root.write_attribute("hoplab_format_version", std::int64_t{1});
    root.write_attribute("source_file", reader.path().filename().string());
    std::string identifier = reader.path().filename().string() + ":";
    for (const auto& trial : trials) {
        identifier += " " + trial.info.id;
    }
    root.write_text("identifier", identifier);
    root.write_text("session_description", "hop and landing tests of athlete " +
                                               session.athlete.id + " (" +
                                               std::to_string(trials.size()) + " trials)");
    root.write_text("session_start_time", session.created_utc);
    root.write_text("timestamps_reference_time", session.created_utc);
    root.write_vector("file_create_date", std::vector<std::string>{utc_now()});

    const h5::Group general = root.create_group("general");
    general.write_text("experimenter", session.operator_name);
    general.write_text("lab", session.lab);
    general.write_text("notes", session.notes);
    general.write_text("source_script",
                       std::string(kSoftwareName) + " " + std::string(kSoftwareVersion));
    const h5::Group subject = general.create_group("subject");
    mark(subject, "Subject", "the athlete");
    subject.write_text("subject_id", session.athlete.id);
    if (session.athlete.mass_kg) {
        subject.write_text("weight", std::to_string(*session.athlete.mass_kg) + " kg");
    }
    if (session.athlete.involved_limb) {
        subject.write_text(
            "description",
            "involved limb: " + std::string(processing::to_string(*session.athlete.involved_limb)));
    }
    const h5::Group devices = general.create_group("devices");
    for (const auto& device : reader.devices()) {
        const h5::Group group = devices.create_group(device.name);
        mark(group, "Device",
             device.model + " serial " + device.serial + " (" + device.transport + ")");
        if (device.limb) {
            group.write_attribute("limb", processing::to_string(*device.limb));
        }
        group.write_text("calibration", device.calibration.to_toml())
            .write_attribute("content_type", "application/toml");
    }

    const h5::Group acquisition = root.create_group("acquisition");
    const h5::Group processing_module = root.create_group("processing").create_group("hoplab");
    mark(processing_module, "ProcessingModule",
         "hoplab's trial analyses: contacts, metrics, methods and parameters (JSON)");
    for (const auto& trial : trials) {
        for (const auto& device : trial.info.devices) {
            const auto force = reader.trial_force(trial.info.id, device);
            const std::size_t rows = force.samples.size();
            std::vector<double> f(rows * 3), m(rows * 3), cop(rows * 2), tz(rows);
            const double nan = std::numeric_limits<double>::quiet_NaN();
            for (std::size_t k = 0; k < rows; ++k) {
                const auto& w = force.samples[k];
                std::copy_n(std::array{w.fx_n, w.fy_n, w.fz_n}.begin(), 3, f.begin() + 3 * k);
                std::copy_n(std::array{w.mx_nm, w.my_nm, w.mz_nm}.begin(), 3, m.begin() + 3 * k);
                cop[2 * k] = force.cop[k] ? force.cop[k]->x_m : nan;
                cop[2 * k + 1] = force.cop[k] ? force.cop[k]->y_m : nan;
                tz[k] = force.cop[k] ? force.cop[k]->free_moment_nm : nan;
            }
            const std::string prefix = trial.info.id + "_" + device + "_";
            const double start_s = trial.start_s + force.starting_time_s;
            const std::string frame = "plate frame: z up, ground reaction on the athlete; trial " +
                                      trial.info.id + ", plate " + device;
            write_time_series(acquisition, prefix + "force", f, rows, 3, "N", start_s,
                              force.rate_hz, "ground reaction force Fx, Fy, Fz", frame);
            write_time_series(acquisition, prefix + "moment", m, rows, 3, "N.m", start_s,
                              force.rate_hz, "moments Mx, My, Mz about the transducer origin",
                              frame);
            write_time_series(acquisition, prefix + "cop", cop, rows, 2, "m", start_s,
                              force.rate_hz,
                              "centre of pressure x, y from the surface centre; NaN where Fz < " +
                                  std::to_string(force.cop_threshold_n) + " N",
                              frame);
            write_time_series(acquisition, prefix + "free_moment", tz, rows, 1, "N.m", start_s,
                              force.rate_hz, "free moment about the vertical at the COP", frame);
            summary.time_series += 4;
        }
        if (const auto analysis = reader.trial_analysis_json(trial.info.id)) {
            processing_module.write_text(trial.info.id + "_analysis", *analysis)
                .write_attribute("content_type", "application/json");
        }
        ++summary.trials;
    }

    // NWB's trials table: a DynamicTable of equal-length columns.
    const h5::Group table = root.create_group("intervals").create_group("trials");
    mark(table, "TimeIntervals", "one row per exported trial");
    const std::vector<std::string> columns{"start_time", "stop_time", "trial_id",
                                           "protocol",   "limb",      "status"};
    table.write_attribute("colnames", columns);
    std::vector<double> starts, stops;
    std::vector<std::int64_t> ids;
    std::vector<std::string> names, protocols, limbs, statuses;
    for (const auto& trial : trials) {
        ids.push_back(static_cast<std::int64_t>(ids.size()));
        starts.push_back(trial.start_s);
        stops.push_back(trial.stop_s);
        names.push_back(trial.info.id);
        protocols.emplace_back(processing::to_string(trial.info.protocol));
        limbs.emplace_back(processing::to_string(trial.info.limb));
        statuses.push_back(trial.info.status);
    }
    table.write_vector("id", std::span<const std::int64_t>(ids))
        .write_attribute("neurodata_type", "ElementIdentifiers");
    table.write_vector("start_time", std::span<const double>(starts))
        .write_attribute("unit", "seconds");
    table.write_vector("stop_time", std::span<const double>(stops))
        .write_attribute("unit", "seconds");
    table.write_vector("trial_id", names).write_attribute("unit", "");
    table.write_vector("protocol", protocols).write_attribute("unit", "");
    table.write_vector("limb", limbs).write_attribute("unit", "");
    table.write_vector("status", statuses).write_attribute("unit", "");
}

}  // namespace

NwbExportSummary export_nwb_like(const std::filesystem::path& session_file,
                                 const std::filesystem::path& out,
                                 const std::vector<std::string>& trial_ids) {
    h5::silence_errors();
    const SessionReader reader(session_file);
    const auto trials = chosen_trials(reader, trial_ids);
    if (std::filesystem::exists(out)) {
        throw RecordingError(out, "/", "already exists; not overwritten");
    }
    NwbExportSummary summary;
    try {
        h5::File file = h5::File::create(out, h5::FileAccess{});
        write_file(reader, trials, file, summary);
        file.close();
    } catch (...) {
        std::error_code ignored;
        std::filesystem::remove(out, ignored);
        throw;
    }
    return summary;
}

}  // namespace hoplab::recording
