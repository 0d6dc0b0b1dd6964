#include "commands.hpp"

#include <hoplab/acquisition/device_sim.hpp>

#include <fmt/format.h>

#include <iostream>
#include <tuple>

namespace hoplab::cli {

void add_device_sim_command(CLI::App& app, int& exit_code) {
    struct Options {
        std::string connect, protocol = "repeated-hops", limb = "left", weaker = "right";
        int plates = 2, block_samples = 20;
        double rate_hz = 1000, asymmetry_pct = 0, mass_kg = 75, duration_s = 0;
        std::uint64_t seed = 1;
        bool perform = false;
        std::optional<double> plate_gain, plate_offset, disconnect_after_s;
        double clock_drift_ppm = 0;
        acquisition::WireDamage damage;
    };
    auto o = std::make_shared<Options>();
    auto* command = app.add_subcommand("device-sim",
                                       "Simulated force-plate amplifier: streams raw counts (six "
                                       "channels per plate) to hoplabd in the wire "
                                       "protocol. Cue the simulated athlete on stdin: 'perform "
                                       "[left|right|both] [PROTOCOL]', 'load KG [X_M Y_M]', "
                                       "'unload', 'status', 'quit'. "
                                       "Events and a final summary are JSON lines on stdout.");
    command
        ->add_option("--connect", o->connect,
                     "tcp://HOST:PORT (hoplabd's device port), udp://HOST:PORT (its UDP port), or "
                     "pty (a new pseudo-terminal: its path is printed for the daemon's serial "
                     "[[device]] port)")
        ->required();
    command->add_option("--block", o->block_samples, "samples per DATA message (default 20)")
        ->check(CLI::Range(1, 1000));
    command->add_option("--clock-drift-ppm", o->clock_drift_ppm,
                        "the amplifier's crystal runs this many ppm fast (the daemon then fits a "
                        "drift of about minus this)");
    command->add_option("--disconnect-after", o->disconnect_after_s,
                        "tcp: drop the connection without a goodbye this many seconds after each "
                        "connect, then reconnect");
    command->add_option("--plates", o->plates, "number of plates (1 or 2; plate 1 is left)")
        ->check(CLI::Range(1, 2));
    command->add_option("--rate", o->rate_hz, "sample rate in Hz (default 1000)")
        ->check(CLI::Range(10.0, 20000.0));
    command->add_option("--protocol", o->protocol,
                        "what a bare 'perform' cue performs (default repeated-hops)");
    command->add_option("--limb", o->limb, "limb a bare 'perform' cue uses (default left)")
        ->check(CLI::IsMember({"left", "right", "both"}));
    command
        ->add_option("--asymmetry", o->asymmetry_pct, "the weaker limb's jump-height deficit in %")
        ->check(CLI::Range(0.0, 90.0));
    command->add_option("--weaker", o->weaker, "the weaker limb (default right)")
        ->check(CLI::IsMember({"left", "right"}));
    command->add_option("--mass", o->mass_kg, "athlete mass in kg (default 75)")
        ->check(CLI::Range(20.0, 250.0));
    command->add_option("--seed", o->seed, "random seed (default 1)");
    command->add_option("--duration", o->duration_s,
                        "stop after this many seconds (default: run until quit)");
    command->add_option("--plate-gain", o->plate_gain,
                        "the plates' true Fz gain in N per count (default 0.05), when it should "
                        "differ from the daemon's configured calibration");
    for (const auto& [flag, value, what] :
         {std::tuple{"--drop", &o->damage.drop, "never send"},
          std::tuple{"--corrupt", &o->damage.corrupt, "flip a payload byte (a CRC failure) in"},
          std::tuple{"--duplicate", &o->damage.duplicate, "send twice"},
          std::tuple{"--reorder", &o->damage.reorder, "hold back until after the next"}}) {
        command->add_option(flag, *value,
                            fmt::format("{} this fraction of data messages (0–0.5; the summary "
                                        "says what was damaged)",
                                        what));
    }
    command->add_option("--damage-seed", o->damage.seed, "random seed of the damage (default 1)");
    command->add_option("--plate-offset", o->plate_offset,
                        "the plates' true Fz zero offset in counts (default 4000)");
    command->add_flag("--perform", o->perform,
                      "perform once as soon as streaming starts, without a cue");
    command->callback([o, &exit_code] {
        acquisition::DeviceSimOptions options;
        acquisition::parse_connect_url(o->connect, options.amplifier);
        options.amplifier.plates = o->plates;
        options.amplifier.rate_hz = o->rate_hz;
        options.amplifier.block_samples = o->block_samples;
        options.amplifier.clock_drift_ppm = o->clock_drift_ppm;
        options.amplifier.disconnect_after_s = o->disconnect_after_s;
        options.amplifier.seed = o->seed;
        options.amplifier.fz_gain_n_per_count = o->plate_gain;
        options.amplifier.fz_offset_counts = o->plate_offset;
        options.amplifier.damage = o->damage;
        options.amplifier.athlete.mass_kg = o->mass_kg;
        options.amplifier.athlete.asymmetry_pct = o->asymmetry_pct;
        options.amplifier.athlete.weaker_limb = *processing::parse_limb(o->weaker);
        const auto protocol = processing::parse_protocol(o->protocol);
        if (!protocol) {
            throw std::runtime_error(
                fmt::format("--protocol '{}' is not a hoplab protocol", o->protocol));
        }
        options.protocol = *protocol;
        options.limb = *processing::parse_limb(o->limb);
        if (o->duration_s > 0) {
            options.duration_s = o->duration_s;
        }
        options.perform_at_start = o->perform;
        exit_code = acquisition::run_device_sim(options, std::cout);
    });
}

}  // namespace hoplab::cli
