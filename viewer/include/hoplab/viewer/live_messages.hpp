#pragma once

// hoplabd's live and control-API answers as the live view needs them, without Qt: the WebSocket
// messages of GET /api/v1/live, the devices of GET /api/v1/status, the text shown for a refused
// request, and the metrics table of a stopped trial (docs/daemon.md).

#include <hoplab/viewer/live_trace_buffer.hpp>

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace hoplab::viewer {

// A message or answer that is not the JSON docs/daemon.md describes; what() names the field.
class LiveProtocolError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

struct LiveTrialStarted {
    std::string trial_id, protocol, limb;
};

// One row of a trial's metrics table: the metric's key (the analysis JSON's name, unit in it), the
// name a PT reads (metric_name()), and the value; nullopt where the analysis has none (null).
struct TrialMetricRow {
    std::string metric, name;
    std::optional<double> value;
};

// The trial_stopped message, or the answer to POST /api/v1/trials/stop.
struct LiveTrialStopped {
    std::string trial_id, protocol, limb;
    std::vector<TrialMetricRow> metrics;  // empty when the daemon could not analyse the trial
};

// The `forces` message: every device's bins completed in one 10 ms tick of the daemon, each device
// at most once.
struct LiveForces {
    std::vector<LiveForceBins> devices;
};

using LiveMessage = std::variant<LiveForces, LiveTrialStarted, LiveTrialStopped>;

// One WebSocket text message. nullopt for a message type this viewer does not know (a newer
// daemon); throws LiveProtocolError for malformed JSON or a missing or mistyped field.
std::optional<LiveMessage> parse_live_message(std::string_view text);

// {"trial": …, "analysis": … | null} of a stop answer or trial_stopped message; throws
// LiveProtocolError as parse_live_message does.
LiveTrialStopped parse_trial_stopped(std::string_view text);

// The trial's metrics, in the names of the left/right view: the summary means over the hop
// contacts (jump height, flight time, contact time, RSI, peak force), the contacts counted and
// body weight, then for a protocol with a landing its peak force and time to stabilisation.
// `analysis_json` is DESIGN.md §8's trials[] element; throws LiveProtocolError if it is not one.
std::vector<TrialMetricRow> trial_metric_rows(std::string_view analysis_json);

struct LiveDevice {
    std::string name;
    std::optional<std::string> limb;       // "left" / "right" as configured, nullopt if none
    std::optional<double> sample_rate_hz;  // nullopt until the device has said HELLO
    bool connected = false;
};

// The devices of a GET /api/v1/status answer; throws LiveProtocolError as above.
std::vector<LiveDevice> parse_status_devices(std::string_view status_json);

// What the user reads for a refused request: the daemon's {"error": …} verbatim, prefixed with the
// request and the status ("POST /api/v1/trials/start: 409 no session is open"); a body that is not
// such JSON is shown as it came, cut at 300 characters.
std::string api_error_text(std::string_view request, int http_status, std::string_view body);

}  // namespace hoplab::viewer
