#include <hoplab/viewer/comparison_model.hpp>
#include <hoplab/viewer/live_messages.hpp>

#include <nlohmann/json.hpp>

namespace hoplab::viewer {
namespace {

using nlohmann::json;

json parse_object(std::string_view text, std::string_view what) {
    auto parsed = json::parse(text, nullptr, false);
    if (parsed.is_discarded() || !parsed.is_object()) {
        throw LiveProtocolError(std::string(what) + " is not a JSON object");
    }
    return parsed;
}

const json& field(const json& object, const char* name, std::string_view what) {
    const auto found = object.find(name);
    if (found == object.end()) {
        throw LiveProtocolError(std::string(what) + ": no \"" + name + "\"");
    }
    return *found;
}

std::string string_field(const json& object, const char* name, std::string_view what) {
    const auto& value = field(object, name, what);
    if (!value.is_string()) {
        throw LiveProtocolError(std::string(what) + ": \"" + name + "\" is not a string");
    }
    return value.get<std::string>();
}

double number_field(const json& object, const char* name, std::string_view what) {
    const auto& value = field(object, name, what);
    if (!value.is_number()) {
        throw LiveProtocolError(std::string(what) + ": \"" + name + "\" is not a number");
    }
    return value.get<double>();
}

std::vector<double> numbers_field(const json& object, const char* name, std::string_view what) {
    const auto& value = field(object, name, what);
    if (!value.is_array()) {
        throw LiveProtocolError(std::string(what) + ": \"" + name + "\" is not an array");
    }
    std::vector<double> out;
    out.reserve(value.size());
    for (const auto& v : value) {
        if (!v.is_number()) {
            throw LiveProtocolError(std::string(what) + ": \"" + name + "\" holds a non-number");
        }
        out.push_back(v.get<double>());
    }
    return out;
}

// A number or null at a JSON pointer; anything else is a malformed analysis.
std::optional<double> optional_number(const json& analysis, const char* pointer) {
    const json::json_pointer at(pointer);
    if (!analysis.contains(at) || analysis.at(at).is_null()) {
        return std::nullopt;
    }
    if (!analysis.at(at).is_number()) {
        throw LiveProtocolError(std::string("analysis: ") + pointer + " is not a number");
    }
    return analysis.at(at).get<double>();
}

LiveTrialStopped trial_stopped(const json& message) {
    constexpr std::string_view kWhat = "trial_stopped";
    const auto& trial = field(message, "trial", kWhat);
    if (!trial.is_object()) {
        throw LiveProtocolError("trial_stopped: \"trial\" is not an object");
    }
    LiveTrialStopped out{string_field(trial, "id", "trial"),
                         string_field(trial, "protocol", "trial"),
                         string_field(trial, "limb", "trial"),
                         {}};
    const auto& analysis = field(message, "analysis", kWhat);
    if (!analysis.is_null()) {
        out.metrics = trial_metric_rows(analysis.dump());
    }
    return out;
}

}  // namespace

std::optional<LiveMessage> parse_live_message(std::string_view text) {
    const json message = parse_object(text, "live message");
    const auto type = string_field(message, "type", "live message");
    if (type == "forces") {
        constexpr std::string_view kWhat = "forces message";
        const auto& devices = field(message, "devices", kWhat);
        if (!devices.is_array()) {
            throw LiveProtocolError("forces message: \"devices\" is not an array");
        }
        LiveForces forces;
        forces.devices.reserve(devices.size());
        for (const auto& device : devices) {
            if (!device.is_object()) {
                throw LiveProtocolError("forces message: a device entry is not an object");
            }
            LiveForceBins bins;
            bins.device = string_field(device, "device", kWhat);
            bins.bin_rate_hz = number_field(device, "rate_hz", kWhat);
            const auto& first = field(device, "first_sample_index", kWhat);
            if (!first.is_number_unsigned()) {
                throw LiveProtocolError(
                    "forces message: \"first_sample_index\" is not an unsigned integer");
            }
            bins.first_sample_index = first.get<std::uint64_t>();
            bins.fz_min_n = numbers_field(device, "fz_min_n", kWhat);
            bins.fz_max_n = numbers_field(device, "fz_max_n", kWhat);
            if (bins.fz_min_n.size() != bins.fz_max_n.size()) {
                throw LiveProtocolError("forces message: fz_min_n and fz_max_n differ in length");
            }
            forces.devices.push_back(std::move(bins));
        }
        return forces;
    }
    if (type == "trial_started") {
        const auto& trial = field(message, "trial", "trial_started");
        if (!trial.is_object()) {
            throw LiveProtocolError("trial_started: \"trial\" is not an object");
        }
        return LiveTrialStarted{string_field(trial, "id", "trial"),
                                string_field(trial, "protocol", "trial"),
                                string_field(trial, "limb", "trial")};
    }
    if (type == "trial_stopped") {
        return trial_stopped(message);
    }
    return std::nullopt;
}

LiveTrialStopped parse_trial_stopped(std::string_view text) {
    return trial_stopped(parse_object(text, "trial stop answer"));
}

std::vector<TrialMetricRow> trial_metric_rows(std::string_view analysis_json) {
    const json analysis = parse_object(analysis_json, "analysis");
    if (!analysis.contains("summary") || !analysis["summary"].is_object()) {
        throw LiveProtocolError("analysis: no \"summary\" object");
    }
    std::vector<TrialMetricRow> rows;
    // In a single-leg hop or a CMJ the one contact before the flight is the stance the athlete
    // pushes off from, seconds long: "contact time" would read as a ground contact of a hop.
    const bool push_off_stance =
        analysis.contains("protocol") && analysis["protocol"].is_string() &&
        (analysis["protocol"] == "single-leg-hop" || analysis["protocol"] == "cmj");
    // The left/right view's metrics (processing::compare_limbs: the summary means).
    for (const auto& [metric, pointer] :
         {std::pair{"jump_height_m", "/summary/mean_jump_height_m"},
          std::pair{"flight_time_s", "/summary/mean_flight_time_s"},
          std::pair{"contact_time_s", "/summary/mean_contact_time_s"},
          std::pair{"rsi", "/summary/mean_rsi"},
          std::pair{"peak_force_N", "/summary/mean_peak_force_N"}}) {
        const std::string name = push_off_stance && std::string_view(metric) == "contact_time_s"
                                     ? "stance before take-off"
                                     : metric_name(metric);
        rows.push_back({metric, name, optional_number(analysis, pointer)});
    }
    rows.push_back({"contacts", "hop contacts", optional_number(analysis, "/summary/contacts")});
    rows.push_back({"body_weight_N", "body weight", optional_number(analysis, "/body_weight_N")});
    if (analysis.contains("landing") && analysis["landing"].is_object()) {
        rows.push_back({"landing_peak_force_N", "landing peak force",
                        optional_number(analysis, "/landing/peak_force_N")});
        rows.push_back({"time_to_stabilisation_s", "time to stabilisation",
                        optional_number(analysis, "/landing/time_to_stabilisation_s")});
    }
    return rows;
}

std::vector<LiveDevice> parse_status_devices(std::string_view status_json) {
    const json status = parse_object(status_json, "status");
    const auto& devices = field(status, "devices", "status");
    if (!devices.is_array()) {
        throw LiveProtocolError("status: \"devices\" is not an array");
    }
    std::vector<LiveDevice> out;
    for (const auto& device : devices) {
        if (!device.is_object()) {
            throw LiveProtocolError("status: a device is not an object");
        }
        LiveDevice d;
        d.name = string_field(device, "name", "status device");
        if (device.contains("limb") && device["limb"].is_string()) {
            d.limb = device["limb"].get<std::string>();
        }
        if (device.contains("rate_hz") && device["rate_hz"].is_number() &&
            device["rate_hz"].get<double>() > 0.0) {
            d.sample_rate_hz = device["rate_hz"].get<double>();
        }
        d.connected = device.value("connected", false);
        out.push_back(std::move(d));
    }
    return out;
}

std::string api_error_text(std::string_view request, int http_status, std::string_view body) {
    std::string message;
    const auto parsed = json::parse(body, nullptr, false);
    if (!parsed.is_discarded() && parsed.is_object() && parsed.contains("error") &&
        parsed["error"].is_string()) {
        message = parsed["error"].get<std::string>();
    } else {
        constexpr std::size_t kShownChars = 300;
        message = std::string(body.substr(0, kShownChars));
    }
    return std::string(request) + ": " + std::to_string(http_status) + " " + message;
}

}  // namespace hoplab::viewer
