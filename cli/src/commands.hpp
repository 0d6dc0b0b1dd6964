#pragma once

#include <CLI/CLI.hpp>

namespace hoplab::cli {

// Each `hoplab` subcommand registers itself; its callback throws on failure (main prints the
// message to stderr and exits non-zero) and may set `exit_code` for a failure it has already
// reported.
void add_analyze_command(CLI::App& app, int& exit_code);
void add_simulate_command(CLI::App& app, int& exit_code);
void add_device_sim_command(CLI::App& app, int& exit_code);
void add_demo_command(CLI::App& app, int& exit_code);
void add_recover_command(CLI::App& app, int& exit_code);
void add_recalibrate_command(CLI::App& app, int& exit_code);
void add_calibrate_command(CLI::App& app, int& exit_code);
void add_record_command(CLI::App& app, int& exit_code);
void add_import_command(CLI::App& app, int& exit_code);
void add_export_command(CLI::App& app, int& exit_code);
void add_reanalyze_command(CLI::App& app, int& exit_code);

}  // namespace hoplab::cli
