// `hoplab calibrate tare|fit|verify|drift`: calibration procedures against a running hoplabd,
// through its control API (tare, and raw captures of static loads). The maths is the calibration
// module's (METHODS §7); this file talks to the daemon and the operator.
#include "commands.hpp"
#include "daemon_connection.hpp"

#include <hoplab/acquisition/control_client.hpp>
#include <hoplab/calibration/plate_calibration.hpp>
#include <hoplab/calibration/procedures.hpp>
#include <hoplab/cli/calibration_file.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <cmath>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace hoplab::cli {
namespace {

using nlohmann::json;

constexpr double kStandardGravity = 9.80665;  // m/s²

// A procedure's daemon and plate.
struct PlateOptions : DaemonOptions {
    std::string device;
};

void add_plate_options(CLI::App* command, PlateOptions& o) {
    add_daemon_options(command, o);
    command->add_option("--device", o.device, "the plate, by its configured name")->required();
}

json capture(const acquisition::ControlClient& client, const std::string& device, double seconds) {
    return expect_success(
        client.post(fmt::format("/api/v1/devices/{}/capture", device), json{{"seconds", seconds}}),
        fmt::format("capture on '{}'", device));
}

std::size_t channel_index(const json& captured, const std::string& channel) {
    const auto& names = captured["channels"];
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (names[i] == channel) {
            return i;
        }
    }
    throw std::runtime_error(
        fmt::format("--channel '{}': the device's channels are {}", channel, names.dump()));
}

// One capture's mean raw sample, checked against the calibration that will read it.
std::vector<double> mean_raw_sample(const acquisition::ControlClient& client, const PlateOptions& o,
                                    double seconds, const calibration::PlateCalibration& plate,
                                    const std::string& calibration_file) {
    auto raw = capture(client, o.device, seconds)["mean_raw"].get<std::vector<double>>();
    if (raw.size() != plate.channel_count()) {
        throw std::runtime_error(
            fmt::format("{}: the calibration reads {} channels, device '{}' "
                        "sends {}",
                        calibration_file, plate.channel_count(), o.device, raw.size()));
    }
    return raw;
}

// Waits for the operator (or a script) before each load: a line on stdin; "q" aborts.
void wait_for_operator(const std::string& prompt) {
    std::cerr << prompt << (isatty(STDIN_FILENO) ? " — press Enter when it is still: " : "\n")
              << std::flush;
    std::string line;
    if (!std::getline(std::cin, line) || line == "q") {
        throw std::runtime_error("calibration aborted before every load was measured");
    }
}

std::vector<double> parse_list(const std::string& text, std::string_view option) {
    std::vector<double> values;
    std::stringstream in(text);
    for (std::string item; std::getline(in, item, ',');) {
        char* end = nullptr;
        const double value = std::strtod(item.c_str(), &end);
        if (item.empty() || *end != '\0' || !std::isfinite(value)) {
            throw std::runtime_error(
                fmt::format("{} '{}': '{}' is not a number", option, text, item));
        }
        values.push_back(value);
    }
    return values;
}

void add_tare(CLI::App* parent) {
    auto o = std::make_shared<PlateOptions>();
    auto* command = parent->add_subcommand(
        "tare",
        "Zero the plate (nobody on it): the daemon takes 2 s of raw samples, refuses "
        "when the plate is loaded or noisy, and records the tare in the open session");
    add_plate_options(command, *o);
    command->callback([o] {
        const auto client = connect_daemon(*o, std::chrono::seconds(30));
        const auto body =
            expect_success(client.post(fmt::format("/api/v1/devices/{}/tare", o->device)),
                           fmt::format("tare of '{}'", o->device));
        std::cout << fmt::format("tared '{}' at {}: offsets {} (raw units), noise SD {}\n",
                                 o->device, body["utc"].get<std::string>(), body["offsets"].dump(),
                                 body["noise_sd"].dump());
    });
}

void add_fit(CLI::App* parent) {
    struct Options : PlateOptions {
        std::string loads_kg = "0,10,20,40,60,40,20,10,0";
        std::string channel = "fz";
        double seconds = 2.0, gravity = kStandardGravity, full_scale_n = 0;
        double max_nonlinearity_pct = 0.5, max_hysteresis_pct = 0.5;
        bool json_output = false;
    };
    auto o = std::make_shared<Options>();
    auto* command = parent->add_subcommand(
        "fit",
        "Known-weight fit (METHODS §7): for each load the operator places the certified "
        "mass on the plate and presses Enter (one line on stdin per load; 'q' aborts); "
        "the daemon captures the settled raw reading; a least-squares line gives the "
        "channel's sensitivity and offset, R², non-linearity and hysteresis, pass/fail");
    add_plate_options(command, *o);
    command->add_option("--loads-kg", o->loads_kg,
                        "masses in kg, in the order they are applied: up then down for "
                        "hysteresis (default 0,10,20,40,60,40,20,10,0)");
    command->add_option("--channel", o->channel, "the raw channel to fit (default fz)");
    command->add_option("--seconds", o->seconds, "capture per load (default 2 s)")
        ->check(CLI::Range(0.2, 30.0));
    command->add_option("--gravity", o->gravity, "local g in m/s² (default 9.80665)")
        ->check(CLI::Range(9.7, 9.9));
    command->add_option("--full-scale", o->full_scale_n,
                        "full scale in N for the % FS figures (default: the largest load)");
    command->add_option("--max-nonlinearity", o->max_nonlinearity_pct,
                        "pass limit, % of full scale (default 0.5)");
    command->add_option("--max-hysteresis", o->max_hysteresis_pct,
                        "pass limit, % of full scale (default 0.5)");
    command->add_flag("--json", o->json_output, "print the result as JSON");
    command->callback([o] {
        const auto loads = parse_list(o->loads_kg, "--loads-kg");
        const auto client =
            connect_daemon(*o, std::chrono::seconds(static_cast<int>(o->seconds) + 30));
        std::vector<calibration::KnownLoadStep> steps;
        json captures = json::array();
        const auto top = std::max_element(loads.begin(), loads.end()) - loads.begin();
        for (std::size_t i = 0; i < loads.size(); ++i) {
            if (loads[i] < 0) {
                throw std::runtime_error(fmt::format("--loads-kg: {} kg is not a mass", loads[i]));
            }
            wait_for_operator(fmt::format("step {}/{}: place {} kg on plate '{}'", i + 1,
                                          loads.size(), loads[i], o->device));
            const auto captured = capture(client, o->device, o->seconds);
            const auto channel = channel_index(captured, o->channel);
            const double reading = captured["mean_raw"][channel].get<double>();
            steps.push_back(
                {loads[i] * o->gravity, reading, static_cast<std::ptrdiff_t>(i) <= top});
            captures.push_back({{"kg", loads[i]},
                                {"force_n", loads[i] * o->gravity},
                                {"reading", reading},
                                {"sd", captured["sd_raw"][channel]},
                                {"samples", captured["samples"]}});
            std::cout << fmt::format("step {}/{}: {} kg → {} {:.3f} (SD {:.3f}, {} samples)\n",
                                     i + 1, loads.size(), loads[i], o->channel, reading,
                                     captured["sd_raw"][channel].get<double>(),
                                     captured["samples"].get<std::size_t>())
                      << std::flush;
        }
        calibration::KnownWeightLimits limits;
        limits.full_scale_n = o->full_scale_n > 0
                                  ? o->full_scale_n
                                  : *std::max_element(loads.begin(), loads.end()) * o->gravity;
        limits.max_nonlinearity_pct_fs = o->max_nonlinearity_pct;
        limits.max_hysteresis_pct_fs = o->max_hysteresis_pct;
        const auto outcome = calibration::fit_known_weights(steps, limits);
        if (outcome.refusal) {
            throw std::runtime_error("known-weight fit refused: " + *outcome.refusal);
        }
        const auto& fit = *outcome.fit;
        // F = offset_n + sensitivity · reading, so the zero reading is −offset_n / sensitivity.
        const double zero_counts = -fit.offset_n / fit.sensitivity_n_per_count;
        const json result{{"device", o->device},
                          {"channel", o->channel},
                          {"sensitivity_n_per_count", fit.sensitivity_n_per_count},
                          {"offset_n", fit.offset_n},
                          {"zero_reading", zero_counts},
                          {"r_squared", fit.r_squared},
                          {"residual_sd_n", fit.residual_sd_n},
                          {"bfsl_nonlinearity_pct_fs", fit.bfsl_nonlinearity_pct_fs},
                          {"terminal_nonlinearity_pct_fs", fit.terminal_nonlinearity_pct_fs},
                          {"hysteresis_pct_fs",
                           fit.hysteresis_pct_fs ? json(*fit.hysteresis_pct_fs) : json(nullptr)},
                          {"full_scale_n", limits.full_scale_n},
                          {"pass", fit.pass},
                          {"steps", captures},
                          {"method", "known-weight least squares (METHODS §7)"}};
        if (o->json_output) {
            std::cout << result.dump() << "\n";
        } else {
            std::cout << fmt::format(
                "{} of '{}': sensitivity {:.9g} N per count, zero reading {:.3f} counts, R² "
                "{:.9f}, non-linearity {:.4f} % FS (BFSL), {:.4f} % FS (terminal), hysteresis "
                "{} % FS, full scale {:.1f} N: {}\n",
                o->channel, o->device, fit.sensitivity_n_per_count, zero_counts, fit.r_squared,
                fit.bfsl_nonlinearity_pct_fs, fit.terminal_nonlinearity_pct_fs,
                fit.hysteresis_pct_fs ? fmt::format("{:.4f}", *fit.hysteresis_pct_fs) : "n/a",
                limits.full_scale_n, fit.pass ? "PASS" : "FAIL");
        }
    });
}

void add_verify(CLI::App* parent) {
    struct Options : PlateOptions {
        std::string calibration_file;
        std::vector<std::string> loads;
        double seconds = 2.0, gravity = kStandardGravity, threshold_n = 20.0;
        double max_force_error_n = 5.0, max_cop_error_mm = 5.0;
    };
    auto o = std::make_shared<Options>();
    auto* command = parent->add_subcommand(
        "verify",
        "Verification run: known masses at known positions (the operator places each "
        "and presses Enter); reports the force and centre-of-pressure errors of a "
        "calibration file, zeroed on an unloaded capture taken first");
    add_plate_options(command, *o);
    command->add_option("--calibration", o->calibration_file, "the plate's calibration (.toml)")
        ->required()
        ->check(CLI::ExistingFile);
    command
        ->add_option("--load", o->loads,
                     "KG@X_M,Y_M, repeatable (position from the plate "
                     "centre, plate frame)")
        ->required();
    command->add_option("--seconds", o->seconds, "capture per load (default 2 s)")
        ->check(CLI::Range(0.2, 30.0));
    command->add_option("--max-force-error", o->max_force_error_n, "pass limit in N (default 5)");
    command->add_option("--max-cop-error", o->max_cop_error_mm, "pass limit in mm (default 5)");
    command->callback([o] {
        const auto plate = read_calibration_file(o->calibration_file);
        const auto client =
            connect_daemon(*o, std::chrono::seconds(static_cast<int>(o->seconds) + 30));
        wait_for_operator(fmt::format("zero: take everything off plate '{}'", o->device));
        const auto zero = mean_raw_sample(client, *o, o->seconds, plate, o->calibration_file);
        std::cout << fmt::format("zero captured ({} s)\n", o->seconds) << std::flush;
        const auto zeroed = plate.with_offsets(zero);
        std::vector<calibration::VerificationLoad> loads;
        for (const auto& text : o->loads) {
            const auto at = text.find('@');
            const auto position = at == std::string::npos
                                      ? std::vector<double>{}
                                      : parse_list(text.substr(at + 1), "--load");
            const auto kg = parse_list(text.substr(0, at), "--load");
            if (kg.size() != 1 || position.size() != 2 || !(kg[0] > 0)) {
                throw std::runtime_error(
                    fmt::format("--load '{}': expected KG@X_M,Y_M with KG > 0", text));
            }
            wait_for_operator(fmt::format("place {} kg at x = {} m, y = {} m on plate '{}'", kg[0],
                                          position[0], position[1], o->device));
            calibration::VerificationLoad load;
            load.fz_n = kg[0] * o->gravity;
            load.x_m = position[0];
            load.y_m = position[1];
            load.raw_sample = mean_raw_sample(client, *o, o->seconds, plate, o->calibration_file);
            std::cout << fmt::format("{} captured ({} s)\n", text, o->seconds) << std::flush;
            loads.push_back(std::move(load));
        }
        const auto result = calibration::verify(zeroed, loads, o->threshold_n);
        for (std::size_t i = 0; i < loads.size(); ++i) {
            std::cout << fmt::format("{}: force error {:.3f} N, COP error {:.2f} mm\n", o->loads[i],
                                     result.force_error_n[i], result.cop_error_m[i] * 1000.0);
        }
        const bool pass = result.max_force_error_n <= o->max_force_error_n &&
                          result.max_cop_error_m * 1000.0 <= o->max_cop_error_mm;
        std::cout << fmt::format("worst: {:.3f} N, {:.2f} mm: {}\n", result.max_force_error_n,
                                 result.max_cop_error_m * 1000.0, pass ? "PASS" : "FAIL");
    });
}

void add_drift(CLI::App* parent) {
    struct Options : PlateOptions {
        std::string calibration_file;
        double interval_s = 60.0, seconds = 2.0, threshold_n = 20.0;
        bool json_output = false;
    };
    auto o = std::make_shared<Options>();
    auto* command = parent->add_subcommand(
        "drift",
        "Drift check (METHODS §7 step 6): the unloaded zero now and again after "
        "--interval seconds, through a calibration file; warns when the zero moved by "
        "max(2 N, threshold/4) or more");
    add_plate_options(command, *o);
    command->add_option("--calibration", o->calibration_file, "the plate's calibration (.toml)")
        ->required()
        ->check(CLI::ExistingFile);
    command->add_option("--interval", o->interval_s, "seconds between the two zeros (default 60)")
        ->check(CLI::Range(1.0, 86400.0));
    command->add_option("--seconds", o->seconds, "capture per zero (default 2 s)")
        ->check(CLI::Range(0.2, 30.0));
    command->add_option("--threshold", o->threshold_n,
                        "the contact threshold in N the warning scales with (default 20)");
    command->add_flag("--json", o->json_output, "print the result as JSON");
    command->callback([o] {
        const auto plate = read_calibration_file(o->calibration_file);
        const auto client =
            connect_daemon(*o, std::chrono::seconds(static_cast<int>(o->seconds) + 30));
        const auto zero_fz = [&] {
            return plate
                .to_wrench(mean_raw_sample(client, *o, o->seconds, plate, o->calibration_file))
                .fz_n;
        };
        const auto start = std::chrono::steady_clock::now();
        const double before = zero_fz();
        std::cout << fmt::format("zero {:.3f} N; the next in {} s\n", before, o->interval_s)
                  << std::flush;
        std::this_thread::sleep_until(start + std::chrono::duration_cast<std::chrono::nanoseconds>(
                                                  std::chrono::duration<double>(o->interval_s)));
        const double elapsed_s =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        const double after = zero_fz();
        const auto drift = calibration::check_drift(before, 0.0, after, elapsed_s, o->threshold_n);
        if (o->json_output) {
            std::cout << json{{"device", o->device},
                              {"zero_before_n", before},
                              {"zero_after_n", after},
                              {"interval_s", elapsed_s},
                              {"zero_change_n", drift.zero_change_n},
                              {"drift_n_per_s", drift.drift_n_per_s},
                              {"warning", drift.warning}}
                             .dump()
                      << "\n";
        } else {
            std::cout << fmt::format("zero moved {:+.3f} N in {:.1f} s ({:+.4f} N/s): {}\n",
                                     drift.zero_change_n, elapsed_s, drift.drift_n_per_s,
                                     drift.warning ? "WARNING: tare again" : "ok");
        }
    });
}

}  // namespace

void add_calibrate_command(CLI::App& app, int& /*exit_code: failures throw, main reports them*/) {
    auto* command =
        app.add_subcommand("calibrate",
                           "Plate calibration procedures against a running hoplabd: tare, "
                           "known-weight fit, verification");
    command->require_subcommand(1);
    add_tare(command);
    add_fit(command);
    add_verify(command);
    add_drift(command);
}

}  // namespace hoplab::cli
