#pragma once

#include <hoplab/acquisition/simulated_amplifier.hpp>

#include <iosfwd>
#include <optional>
#include <string>

namespace hoplab::acquisition {

struct DeviceSimOptions {
    AmplifierOptions amplifier;
    processing::Protocol protocol =
        processing::Protocol::repeated_hops;  // what a bare "perform" cue performs
    processing::Limb limb = processing::Limb::left;
    std::optional<double>
        duration_s;  // stop after this long (otherwise at "quit", EOF is not a stop, or a signal)
    bool perform_at_start = false;  // perform once as soon as connected, without a cue
};

// Parses "tcp://HOST:PORT", "udp://HOST:PORT" or "pty" (a new pseudo-terminal whose slave path is
// printed as a {"event":"serial","path":…} line); throws std::invalid_argument naming the text.
void parse_connect_url(const std::string& url, AmplifierOptions& amplifier);

// `hoplab device-sim`: streams simulated plates to a daemon. Cues arrive as lines on standard
// input:
// - `perform [left|right|both] [PROTOCOL]`: the simulated athlete performs now (a JSON
//   "performed" line follows with the ground truth);
// - `load KG [X_M Y_M]`: a dead weight of KG kg on every plate at that centre of pressure
//   (default the plate centre), until `unload` or the next `perform` (a JSON "load" line answers);
// - `status`: prints the JSON summary so far; `quit`: stops, says goodbye to the daemon, prints
//   the summary.
// Events and the final summary are JSON lines on `events`; a bad cue gets an "error" line. Returns
// the process exit code.
int run_device_sim(const DeviceSimOptions& options, std::ostream& events);

}  // namespace hoplab::acquisition
