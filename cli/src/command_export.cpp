// `hoplab export`: a recording's trials → files other programs read (DESIGN.md §7).
#include "commands.hpp"

#include <hoplab/interchange/c3d_writer.hpp>
#include <hoplab/recording/nwb_export.hpp>
#include <hoplab/recording/session_reader.hpp>
#include <hoplab/version.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <limits>

namespace hoplab::cli {
namespace {

struct ExportOptions {
    std::string input, to = "csv", out;
    std::vector<std::string> trials;
};

// Column names of one device: the bare channel for a one-plate recording (`fz`), else the channel
// and the device (`fz_left`), which is what `hoplab import` and `hoplab analyze` read back.
std::string column(const std::string& channel, const std::string& device, bool one_device) {
    return one_device ? channel : fmt::format("{}_{}", channel, device);
}

// One CSV per trial: `# protocol:` / `# limb:` lines (read back by parse_force_csv), a header with
// units, time in seconds from the trial start, then per device Fx Fy Fz (N) and Mx My Mz (N m) in
// the plate's frame. Values are printed in their shortest round-trip form, so importing the file
// gives back the stored doubles exactly.
std::filesystem::path export_csv_trial(const recording::SessionReader& reader,
                                       const recording::TrialSummaryInfo& trial,
                                       const std::filesystem::path& folder) {
    const auto path = folder / (trial.id + ".csv");
    if (std::filesystem::exists(path)) {
        throw std::runtime_error(fmt::format("{}: already exists; not overwritten", path.string()));
    }
    const bool one_device = trial.devices.size() == 1;
    std::vector<recording::TrialForce> forces;
    for (const auto& device : trial.devices) {
        forces.push_back(reader.trial_force(trial.id, device));
    }
    std::size_t rows = forces.front().samples.size();
    for (const auto& force : forces) {
        rows = std::min(rows, force.samples.size());
    }
    std::ofstream out(path);
    if (!out) {
        throw std::runtime_error(fmt::format("{}: cannot create file", path.string()));
    }
    out << fmt::format("# athlete: {}\n# source: {} trial {}\n# protocol: {}\n# limb: {}\n",
                       reader.session().athlete.id, reader.path().filename().string(), trial.id,
                       processing::to_string(trial.protocol), processing::to_string(trial.limb));
    out << "time (s)";
    for (const auto& device : trial.devices) {
        for (const char* channel : {"fx", "fy", "fz"}) {
            out << fmt::format(",{} (N)", column(channel, device, one_device));
        }
        for (const char* channel : {"mx", "my", "mz"}) {
            out << fmt::format(",{} (N m)", column(channel, device, one_device));
        }
    }
    out << "\n";
    const auto& first = forces.front();
    for (std::size_t k = 0; k < rows; ++k) {
        out << fmt::format("{}", first.starting_time_s + static_cast<double>(k) / first.rate_hz);
        for (const auto& force : forces) {
            const auto& w = force.samples[k];
            out << fmt::format(",{},{},{},{},{},{}", w.fx_n, w.fy_n, w.fz_n, w.mx_nm, w.my_nm,
                               w.mz_nm);
        }
        out << "\n";
    }
    if (!out.flush()) {
        throw std::runtime_error(fmt::format("{}: write failed", path.string()));
    }
    return path;
}

// One C3D per trial, each plate a FORCE_PLATFORM TYPE-2 with its calibration's surface height as
// ORIGIN. The recording has no lab layout, so the plates are placed side by side along the lab x
// axis, 0.7 m apart in recording order (their forces and plate-frame COP do not depend on it).
std::filesystem::path export_c3d_trial(const recording::SessionReader& reader,
                                       const recording::TrialSummaryInfo& trial,
                                       const std::filesystem::path& folder) {
    const auto path = folder / (trial.id + ".c3d");
    if (std::filesystem::exists(path)) {
        throw std::runtime_error(fmt::format("{}: already exists; not overwritten", path.string()));
    }
    interchange::C3dExport c3d;
    c3d.software = fmt::format("{} {}", kSoftwareName, kSoftwareVersion);
    c3d.description =
        fmt::format("{} trial {} ({}, {})", reader.path().filename().string(), trial.id,
                    processing::to_string(trial.protocol), processing::to_string(trial.limb));
    std::size_t rows = std::numeric_limits<std::size_t>::max();
    for (const auto& device : trial.devices) {
        auto force = reader.trial_force(trial.id, device);
        const auto info = std::find_if(reader.devices().begin(), reader.devices().end(),
                                       [&](const auto& d) { return d.name == device; });
        interchange::C3dPlateExport plate;
        plate.label = device;
        plate.surface_height_m =
            info != reader.devices().end() ? info->calibration.surface_height_m() : 0.0;
        plate.centre_lab_m = {0.7 * static_cast<double>(c3d.plates.size()), 0, 0};
        plate.wrenches = std::move(force.samples);
        rows = std::min(rows, plate.wrenches.size());
        c3d.analog_rate_hz = force.rate_hz;
        c3d.plates.push_back(std::move(plate));
    }
    for (auto& plate : c3d.plates) {
        plate.wrenches.resize(rows);  // plates of one trial stop on the same sample
    }
    try {
        interchange::write_c3d(path, c3d);
    } catch (const std::invalid_argument& error) {
        throw std::runtime_error(
            fmt::format("{}: trial {}: {}", reader.path().string(), trial.id, error.what()));
    }
    return path;
}

void export_trials(const ExportOptions& o) {
    const recording::SessionReader reader(o.input);
    std::vector<recording::TrialSummaryInfo> chosen;
    for (const auto& trial : reader.trials()) {
        if (o.trials.empty() ||
            std::find(o.trials.begin(), o.trials.end(), trial.id) != o.trials.end()) {
            chosen.push_back(trial);
        }
    }
    for (const auto& id : o.trials) {
        if (std::none_of(chosen.begin(), chosen.end(),
                         [&](const auto& trial) { return trial.id == id; })) {
            throw std::runtime_error(fmt::format("{}: no trial '{}'", o.input, id));
        }
    }
    for (const auto& trial : chosen) {
        if (trial.devices.empty()) {
            throw std::runtime_error(
                fmt::format("{}: trial {} has no calibrated force", o.input, trial.id));
        }
    }
    std::filesystem::create_directories(o.out);
    for (const auto& trial : chosen) {
        const auto path = o.to == "c3d" ? export_c3d_trial(reader, trial, o.out)
                                        : export_csv_trial(reader, trial, o.out);
        std::cout << path.string() << "\n";
    }
}

}  // namespace

void add_export_command(CLI::App& app, int& exit_code) {
    auto o = std::make_shared<ExportOptions>();
    auto* command = app.add_subcommand(
        "export",
        "Export a recording's trials: one CSV (units in the header) or C3D (force platforms) per "
        "trial, or one NWB-like HDF5 file");
    command->add_option("FILE", o->input, "a recording (.h5)")
        ->required()
        ->check(CLI::ExistingFile);
    command->add_option("--to", o->to, "output format: csv (default), c3d or nwb")
        ->check(CLI::IsMember({"csv", "c3d", "nwb"}));
    command
        ->add_option("--out", o->out,
                     "csv, c3d: folder for the files (created if missing); nwb: the .h5 file to "
                     "create")
        ->required();
    command->add_option("--trial", o->trials, "trial ids to export (default: all)");
    command->callback([o, &exit_code] {
        if (o->to == "nwb") {
            const auto summary = recording::export_nwb_like(o->input, o->out, o->trials);
            std::cout << fmt::format("{}: {} trials, {} time series (NWB-like layout)\n", o->out,
                                     summary.trials, summary.time_series);
        } else {
            export_trials(*o);
        }
        exit_code = 0;
    });
}

}  // namespace hoplab::cli
