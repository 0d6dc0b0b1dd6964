#pragma once

// How long `hoplab record stop` and `hoplab record trial` wait for the answer to
// POST /api/v1/trials/stop.

#include <nlohmann/json.hpp>

#include <chrono>

namespace hoplab::cli {

// The stop derives the trial's calibrated force from its raw rows and writes 72 B per sample
// (docs/recording-format.md §5), so it takes time in proportion to the trial: 3.8–5.6 M
// samples/s measured while the page cache absorbs the writes, 1.7 M samples/s at this machine's
// disk write-back rate (71.0 M samples in 42.3 s). The wait is a fixed allowance for the analysis
// and the file's restructuring plus one second per kStopSamplesPerSecond samples, a third of the
// slower rate, for a slower disk.
inline constexpr std::chrono::seconds kStopBaseTimeout{120};
inline constexpr double kStopSamplesPerSecond = 500'000.0;

// The wait for a stop, from the daemon's GET /api/v1/status answer taken before it:
// kStopBaseTimeout + S / kStopSamplesPerSecond rounded up to whole seconds, where S is the samples
// written in the session so far summed over the devices (devices[].counters.samples_written). S
// bounds the trial's samples from above: the status does not give the trial's own count. Throws
// std::invalid_argument when `status` has no "devices" array or a device has no
// counters.samples_written count.
std::chrono::seconds trial_stop_timeout(const nlohmann::json& status);

}  // namespace hoplab::cli
