#pragma once

#include <hoplab/acquisition/session_controller.hpp>

#include <string>
#include <string_view>

namespace hoplab::acquisition {

// Routes one control-API request to the controller. `body` is the raw request body (JSON where one
// is expected). Every failure is a JSON error with a 4xx status: unknown route (404), wrong method
// (405), malformed JSON or a body that is not an object (400), and whatever the controller refuses.
// Plain-text pages (/metrics) come back as a JSON string in ApiResult::body with `text = true`.
struct RoutedRequest {
    std::string_view method;  // "GET", "POST", "DELETE"
    std::string_view target;  // path and optional query
    std::string_view body;
};
void route_request(const RoutedRequest& request, SessionController& controller, ApiCallback done);

}  // namespace hoplab::acquisition
