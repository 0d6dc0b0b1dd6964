#include <hoplab/acquisition/http_api.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace hoplab::acquisition {
namespace {

using nlohmann::json;

// Parses a JSON object body; an empty body is an empty object.
std::optional<json> parse_object(std::string_view body, const ApiCallback& done) {
    if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
        return json::object();
    }
    json parsed = json::parse(body, nullptr, false);
    if (parsed.is_discarded()) {
        done(ApiResult::error(400, "malformed JSON in the request body"));
        return std::nullopt;
    }
    if (!parsed.is_object()) {
        done(ApiResult::error(400, "the request body must be a JSON object"));
        return std::nullopt;
    }
    return parsed;
}

}  // namespace

void route_request(const RoutedRequest& request, SessionController& controller, ApiCallback done) {
    std::string_view path = request.target.substr(0, request.target.find('?'));
    const auto method_not_allowed = [&](std::string_view allowed) {
        done(ApiResult::error(405, fmt::format("{} is not allowed on {} (allowed: {})",
                                               request.method, path, allowed)));
    };

    if (path == "/api/v1/status") {
        if (request.method != "GET") {
            return method_not_allowed("GET");
        }
        return done(ApiResult{200, controller.status()});
    }
    if (path == "/metrics") {
        if (request.method != "GET") {
            return method_not_allowed("GET");
        }
        return done(ApiResult{200, json(controller.prometheus_metrics())});
    }
    if (path == "/api/v1/sessions") {
        if (request.method != "POST") {
            return method_not_allowed("POST");
        }
        if (auto body = parse_object(request.body, done)) {
            controller.open_session(*body, std::move(done));
        }
        return;
    }
    if (path == "/api/v1/sessions/current") {
        if (request.method != "DELETE") {
            return method_not_allowed("DELETE");
        }
        return controller.close_session(std::move(done));
    }
    if (path == "/api/v1/trials/start") {
        if (request.method != "POST") {
            return method_not_allowed("POST");
        }
        if (auto body = parse_object(request.body, done)) {
            controller.start_trial(*body, std::move(done));
        }
        return;
    }
    if (path == "/api/v1/trials/stop") {
        if (request.method != "POST") {
            return method_not_allowed("POST");
        }
        if (auto body = parse_object(request.body, done)) {
            if (!body->empty()) {
                return done(ApiResult::error(400, "trials/stop takes no fields"));
            }
            controller.stop_trial(std::move(done));
        }
        return;
    }
    constexpr std::string_view kDevices = "/api/v1/devices/";
    constexpr std::string_view kTare = "/tare";
    if (path.starts_with(kDevices) && path.ends_with(kTare) &&
        path.size() > kDevices.size() + kTare.size()) {
        if (request.method != "POST") {
            return method_not_allowed("POST");
        }
        const std::string name(
            path.substr(kDevices.size(), path.size() - kDevices.size() - kTare.size()));
        if (!is_safe_identifier(name)) {
            return done(ApiResult::error(400, fmt::format("'{}' is not a device name", name)));
        }
        if (auto body = parse_object(request.body, done)) {
            if (!body->empty()) {
                return done(ApiResult::error(400, "tare takes no fields"));
            }
            done(controller.tare(name));
        }
        return;
    }
    constexpr std::string_view kCapture = "/capture";
    if (path.starts_with(kDevices) && path.ends_with(kCapture) &&
        path.size() > kDevices.size() + kCapture.size()) {
        if (request.method != "POST") {
            return method_not_allowed("POST");
        }
        const std::string name(
            path.substr(kDevices.size(), path.size() - kDevices.size() - kCapture.size()));
        if (!is_safe_identifier(name)) {
            return done(ApiResult::error(400, fmt::format("'{}' is not a device name", name)));
        }
        if (auto body = parse_object(request.body, done)) {
            controller.capture(name, *body, std::move(done));
        }
        return;
    }
    done(ApiResult::error(404, fmt::format("no such endpoint: {}", path)));
}

}  // namespace hoplab::acquisition
