// hoplab: the command-line side of the hop-test lab (DESIGN.md §8).
#include "commands.hpp"

#include <hoplab/version.hpp>

#include <iostream>

int main(int argc, char** argv) {
    CLI::App app{
        "hoplab — force-plate hop and landing tests: simulate, analyse, stream and demo.\n"
        "Protocols: single-leg-hop, repeated-hops, drop-jump, cmj, landing, quiet-stance."};
    app.set_version_flag("--version", std::string(hoplab::kSoftwareVersion));
    app.require_subcommand(1);
    int exit_code = 0;
    hoplab::cli::add_demo_command(app, exit_code);
    hoplab::cli::add_analyze_command(app, exit_code);
    hoplab::cli::add_simulate_command(app, exit_code);
    hoplab::cli::add_device_sim_command(app, exit_code);
    hoplab::cli::add_recover_command(app, exit_code);
    hoplab::cli::add_recalibrate_command(app, exit_code);
    hoplab::cli::add_calibrate_command(app, exit_code);
    hoplab::cli::add_record_command(app, exit_code);
    hoplab::cli::add_import_command(app, exit_code);
    hoplab::cli::add_export_command(app, exit_code);
    hoplab::cli::add_reanalyze_command(app, exit_code);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        return app.exit(error);
    } catch (const std::exception& error) {
        std::cerr << "hoplab: " << error.what() << "\n";
        return 1;
    }
    return exit_code;
}
