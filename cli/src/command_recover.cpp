#include "commands.hpp"

#include <hoplab/recording/recovery_report.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <iostream>

namespace hoplab::cli {

void add_recover_command(CLI::App& app, int& exit_code) {
    struct Options {
        std::string file;
        bool json = false;
    };
    auto o = std::make_shared<Options>();
    auto* command = app.add_subcommand("recover",
                                       "Make a recording left by a killed daemon readable (clears "
                                       "the HDF5 write flags, closes the open "
                                       "trial as aborted) and report what survived");
    command->add_option("FILE", o->file, "the session recording (.h5)")
        ->required()
        ->check(CLI::ExistingFile);
    command->add_flag("--json", o->json, "print the report as JSON");
    command->callback([o, &exit_code] {
        const auto report = recording::recover(o->file);
        if (o->json) {
            nlohmann::json streams = nlohmann::json::array();
            for (const auto& s : report.streams) {
                streams.push_back({{"device", s.device},
                                   {"samples", s.samples},
                                   {"blocks", s.blocks},
                                   {"gaps", s.gaps}});
            }
            nlohmann::json trials = nlohmann::json::array();
            for (const auto& t : report.trials) {
                trials.push_back({{"id", t.id},
                                  {"status", t.status},
                                  {"samples", t.samples},
                                  {"ended_by_recovery", t.ended_by_recovery}});
            }
            std::cout << nlohmann::json{{"file", report.file.string()},
                                        {"was_closed_cleanly", report.was_closed_cleanly},
                                        {"status_flags_cleared", report.status_flags_cleared},
                                        {"streams", streams},
                                        {"trials", trials},
                                        {"actions", report.actions}}
                             .dump(2)
                      << "\n";
        } else {
            std::cout << fmt::format(
                "{}: {}\n", report.file.string(),
                report.was_closed_cleanly ? "was closed cleanly; nothing to do" : "recovered");
            for (const auto& action : report.actions) {
                std::cout << "  - " << action << "\n";
            }
            for (const auto& s : report.streams) {
                std::cout << fmt::format("  stream {}: {} samples in {} blocks, {} gaps\n",
                                         s.device, s.samples, s.blocks, s.gaps);
            }
            for (const auto& t : report.trials) {
                std::cout << fmt::format("  {}: {} ({} samples)\n", t.id, t.status, t.samples);
            }
        }
        exit_code = 0;
    });
}

}  // namespace hoplab::cli
