#include <hoplab/cli/force_trials.hpp>
#include <hoplab/processing/bilateral_contacts.hpp>

#include <hoplab/recording/session_reader.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace hoplab::cli {
namespace {

std::string lower_extension(const std::filesystem::path& path) {
    std::string ext = path.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    return ext;
}

std::vector<ForceTrial> load_recording(const std::filesystem::path& input,
                                       const LoadOptions& options) {
    const recording::SessionReader reader(input);
    const auto& devices = reader.devices();
    std::vector<ForceTrial> trials;
    for (const auto& info : reader.trials()) {
        ForceTrial trial;
        trial.id = info.id;
        trial.source = input.string();
        trial.protocol = options.protocol.value_or(info.protocol);
        trial.limb = options.limb.value_or(info.limb);
        trial.mass_kg = reader.session().athlete.mass_kg;
        trial.involved_limb = reader.session().athlete.involved_limb;
        const auto take = [&](const recording::DeviceInfo& device) {
            return trial.limb == processing::Limb::both || device.limb == trial.limb;
        };
        // One plate under the tested limb: its full vector also feeds DPSI and the COP path.
        const bool single_plate = trial.limb != processing::Limb::both &&
                                  std::count_if(devices.begin(), devices.end(), take) == 1;
        bool first = true;
        std::map<processing::Limb, std::vector<std::vector<double>>> fz_by_limb;
        for (const auto& device : devices) {
            if (!take(device)) {
                continue;
            }
            const auto force = reader.trial_force(info.id, device.name);
            trial.sample_rate_hz = force.rate_hz;
            if (trial.limb == processing::Limb::both && device.limb) {
                auto& fz = fz_by_limb[*device.limb].emplace_back();
                for (const auto& w : force.samples) {
                    fz.push_back(w.fz_n);
                }
            }
            if (first) {
                trial.fz_n.reserve(force.samples.size());
                for (const auto& w : force.samples) {
                    trial.fz_n.push_back(w.fz_n);
                }
                first = false;
            } else {
                trial.fz_n.resize(std::min(trial.fz_n.size(), force.samples.size()));
                for (std::size_t k = 0; k < trial.fz_n.size(); ++k) {
                    trial.fz_n[k] += force.samples[k].fz_n;
                }
            }
            if (single_plate) {
                processing::PlateSeries series;
                for (std::size_t k = 0; k < force.samples.size(); ++k) {
                    const auto& w = force.samples[k];
                    const auto& cop = force.cop[k];
                    series.push_back(w.fx_n, w.fy_n, w.fz_n,
                                     cop ? std::optional(processing::CopPoint{cop->x_m, cop->y_m})
                                         : std::nullopt);
                }
                trial.plate = std::move(series);
            }
        }
        if (first) {
            throw std::runtime_error(
                fmt::format("{}: trial {} is on the {} limb but no plate in the recording is "
                            "assigned to it",
                            input.string(), info.id, processing::to_string(trial.limb)));
        }
        auto& lefts = fz_by_limb[processing::Limb::left];
        auto& rights = fz_by_limb[processing::Limb::right];
        if (lefts.size() == 1 && rights.size() == 1) {
            lefts.front().resize(trial.fz_n.size());
            rights.front().resize(trial.fz_n.size());
            trial.left_right =
                ForceTrial::LeftRight{std::move(lefts.front()), std::move(rights.front())};
        }
        trials.push_back(std::move(trial));
    }
    if (trials.empty()) {
        throw std::runtime_error(fmt::format("{}: the recording holds no trials", input.string()));
    }
    return trials;
}

std::vector<ForceTrial> load_csv(const std::filesystem::path& input, const LoadOptions& options) {
    const CsvForce csv = read_force_csv(input, options.columns);
    std::optional<processing::Protocol> protocol = options.protocol;
    if (!protocol && !csv.protocol.empty()) {
        protocol = processing::parse_protocol(csv.protocol);
        if (!protocol) {
            throw CsvError(fmt::format("{}: comment line names unknown protocol '{}'",
                                       input.string(), csv.protocol));
        }
    }
    if (!protocol) {
        throw CsvError(fmt::format(
            "{}: which protocol is this? Give --protocol (single-leg-hop, repeated-hops, "
            "drop-jump, cmj, landing, quiet-stance)",
            input.string()));
    }
    std::optional<processing::Limb> file_limb = options.limb;
    if (!file_limb && !csv.limb.empty()) {
        file_limb = processing::parse_limb(csv.limb);
    }
    ForceTrial base;
    base.source = input.string();
    base.protocol = *protocol;
    base.sample_rate_hz = csv.sample_rate_hz;
    std::vector<ForceTrial> trials;
    if (!csv.fz.empty()) {
        ForceTrial trial = base;
        trial.id = input.stem().string();
        trial.limb = file_limb.value_or(processing::Limb::both);
        trial.fz_n = csv.fz;
        trials.push_back(std::move(trial));
        return trials;
    }
    const bool single_leg = *protocol == processing::Protocol::single_leg_hop ||
                            *protocol == processing::Protocol::repeated_hops ||
                            *protocol == processing::Protocol::drop_jump;
    if (single_leg) {
        for (auto [limb, samples] : {std::pair{processing::Limb::left, &csv.fz_left},
                                     std::pair{processing::Limb::right, &csv.fz_right}}) {
            ForceTrial trial = base;
            trial.id = fmt::format("{}-{}", input.stem().string(), processing::to_string(limb));
            trial.limb = limb;
            trial.fz_n = *samples;
            trials.push_back(std::move(trial));
        }
        return trials;
    }
    ForceTrial trial = base;
    trial.id = input.stem().string();
    trial.limb = processing::Limb::both;
    trial.fz_n.resize(csv.fz_left.size());
    for (std::size_t k = 0; k < csv.fz_left.size(); ++k) {
        trial.fz_n[k] = csv.fz_left[k] + csv.fz_right[k];
    }
    trial.left_right = ForceTrial::LeftRight{csv.fz_left, csv.fz_right};
    trials.push_back(std::move(trial));
    return trials;
}

}  // namespace

std::vector<ForceTrial> load_force_trials(const std::filesystem::path& input,
                                          const LoadOptions& options) {
    if (!std::filesystem::exists(input)) {
        throw std::runtime_error(fmt::format("{}: no such file", input.string()));
    }
    const std::string ext = lower_extension(input);
    if (ext == ".h5" || ext == ".hdf5") {
        return load_recording(input, options);
    }
    if (ext == ".csv" || ext == ".txt" || ext == ".tsv") {
        return load_csv(input, options);
    }
    throw std::runtime_error(
        fmt::format("{}: unknown input type '{}' (expected .h5 recordings or .csv/.txt/.tsv)",
                    input.string(), ext));
}

AnalysisRun analyse_trials(const std::vector<ForceTrial>& trials,
                           std::optional<processing::Limb> involved,
                           const processing::AnalysisSettings& settings) {
    AnalysisRun run;
    std::map<processing::Protocol, std::map<processing::Limb, std::size_t>> last_by_limb;
    for (const auto& trial : trials) {
        auto trial_settings = settings;
        if (!trial_settings.body_mass_kg) {
            trial_settings.body_mass_kg = trial.mass_kg;
        }
        try {
            auto analysis =
                trial.left_right
                    ? processing::analyze_bilateral_trial(
                          trial.left_right->left_fz_n, trial.left_right->right_fz_n,
                          trial.sample_rate_hz, trial.protocol, trial_settings,
                          involved ? involved : trial.involved_limb)
                    : processing::analyze_trial(
                          trial.fz_n, trial.sample_rate_hz, trial.protocol, trial.limb,
                          trial_settings,
                          trial.plate ? std::optional(trial.plate->view()) : std::nullopt);
            analysis.id = trial.id;
            analysis.source = trial.source;
            last_by_limb[trial.protocol][trial.limb] = run.trials.size();
            run.trials.push_back(std::move(analysis));
        } catch (const std::invalid_argument& error) {
            throw std::runtime_error(
                fmt::format("{}: trial {}: {}", trial.source, trial.id, error.what()));
        }
        if (!involved && trial.involved_limb) {
            involved = trial.involved_limb;
        }
    }
    for (const auto& [protocol, limbs] : last_by_limb) {
        const auto left = limbs.find(processing::Limb::left);
        const auto right = limbs.find(processing::Limb::right);
        if (left != limbs.end() && right != limbs.end()) {
            auto rows = processing::compare_limbs(run.trials[left->second],
                                                  run.trials[right->second], involved);
            run.symmetry.insert(run.symmetry.end(), rows.begin(), rows.end());
        }
    }
    return run;
}

}  // namespace hoplab::cli
