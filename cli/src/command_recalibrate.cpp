#include "commands.hpp"

#include <hoplab/cli/calibration_file.hpp>
#include <hoplab/cli/recalibration.hpp>
#include <hoplab/recording/session_reader.hpp>

#include <fmt/format.h>

#include <iostream>

namespace hoplab::cli {

void add_recalibrate_command(CLI::App& app, int& exit_code) {
    struct Options {
        std::string file, out;
        std::vector<std::string> calibrations;
        bool offsets_from_calibration = false;
    };
    auto o = std::make_shared<Options>();
    auto* command = app.add_subcommand(
        "recalibrate",
        "Recompute every trial of a recording from its raw streams with another calibration, "
        "re-run the analysis and write a new recording (the source is never changed)");
    command->add_option("FILE", o->file, "the session recording (.h5) with raw streams")
        ->required()
        ->check(CLI::ExistingFile);
    command
        ->add_option("--calibration", o->calibrations,
                     "DEVICE=PLATE.toml (repeatable), or PLATE.toml alone for a recording with "
                     "one device")
        ->required();
    command->add_option("--out", o->out, "the new recording (.h5; must not exist)")->required();
    command->add_flag("--offsets-from-calibration", o->offsets_from_calibration,
                      "use the zero offsets of the new calibration files instead of the tares "
                      "recorded in the session");
    command->callback([o, &exit_code] {
        RecalibrationRequest request;
        request.source = o->file;
        request.output = o->out;
        request.offsets_from_calibration = o->offsets_from_calibration;
        for (const auto& item : o->calibrations) {
            const auto equals = item.find('=');
            std::string device;
            std::filesystem::path file = item;
            if (equals != std::string::npos) {
                device = item.substr(0, equals);
                file = item.substr(equals + 1);
            } else {
                const recording::SessionReader reader(o->file);
                if (reader.devices().size() != 1) {
                    throw std::runtime_error(
                        fmt::format("--calibration {}: the recording has {} devices; name one as "
                                    "DEVICE=FILE",
                                    item, reader.devices().size()));
                }
                device = reader.devices().front().name;
            }
            if (!request.calibrations.emplace(device, read_calibration_file(file)).second) {
                throw std::runtime_error(
                    fmt::format("--calibration: device '{}' is named twice", device));
            }
        }
        const auto summary = recalibrate_recording(request);
        std::cout << fmt::format(
            "{}: {} trials recomputed ({} analysed) with new calibrations for {}; {} raw samples "
            "copied\n",
            o->out, summary.trials, summary.trials_analysed,
            fmt::join(summary.recalibrated_devices, ", "), summary.raw_samples_copied);
        exit_code = 0;
    });
}

}  // namespace hoplab::cli
