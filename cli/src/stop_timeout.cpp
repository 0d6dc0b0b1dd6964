#include <hoplab/cli/stop_timeout.hpp>

#include <cmath>
#include <cstdint>
#include <stdexcept>

namespace hoplab::cli {

std::chrono::seconds trial_stop_timeout(const nlohmann::json& status) {
    if (!status.is_object() || !status.contains("devices") || !status["devices"].is_array()) {
        throw std::invalid_argument("the daemon's status has no \"devices\" array: " +
                                    status.dump());
    }
    double samples = 0;
    for (const auto& device : status["devices"]) {
        const auto counters = device.find("counters");
        if (counters == device.end() || !counters->is_object() ||
            !counters->contains("samples_written") ||
            !(*counters)["samples_written"].is_number_unsigned()) {
            throw std::invalid_argument(
                "a device in the daemon's status has no counters.samples_written count: " +
                device.dump());
        }
        samples += static_cast<double>((*counters)["samples_written"].get<std::uint64_t>());
    }
    return kStopBaseTimeout + std::chrono::seconds(static_cast<std::int64_t>(
                                  std::ceil(samples / kStopSamplesPerSecond)));
}

}  // namespace hoplab::cli
