#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace hoplab::acquisition {

// The daemon could not be reached, or answered something that is not HTTP/JSON.
class ControlClientError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

struct ControlResponse {
    unsigned status = 0;
    nlohmann::json body;  // parsed JSON, or a string for plain-text pages
};

// A blocking HTTP/1.1 client for hoplabd's control API (used by `hoplab record`, the demo and the
// tests). One request per connection; a timeout bounds every request.
class ControlClient {
  public:
    ControlClient(std::string host, std::uint16_t port, std::string token = {},
                  std::chrono::milliseconds timeout = std::chrono::seconds(30));
    ControlResponse get(const std::string& target) const;
    ControlResponse post(const std::string& target,
                         const nlohmann::json& body = nlohmann::json::object()) const;
    ControlResponse del(const std::string& target) const;
    // Sends bytes verbatim (tests of malformed requests); returns status and raw body.
    ControlResponse raw(const std::string& method, const std::string& target,
                        const std::string& body,
                        const std::string& content_type = "application/json") const;

  private:
    std::string host_;
    std::uint16_t port_;
    std::string token_;
    std::chrono::milliseconds timeout_;
};

}  // namespace hoplab::acquisition
