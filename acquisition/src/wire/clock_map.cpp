#include <hoplab/acquisition/wire/clock_map.hpp>

#include <cmath>

namespace hoplab::acquisition::wire {

void ClockMap::add(std::int64_t device_ns, std::int64_t host_ns) {
    pairs_.emplace_back(device_ns, host_ns);
    if (pairs_.size() > kWindow) {
        pairs_.pop_front();
    }
    fit();
}

void ClockMap::fit() {
    // Centre both axes on the newest pair so the sums stay small enough for doubles to hold nanoseconds exactly.
    device_ref_ = pairs_.back().first;
    const std::int64_t host_ref = pairs_.back().second;
    const auto n = static_cast<double>(pairs_.size());
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (const auto& [device, host] : pairs_) {
        const auto x = static_cast<double>(device - device_ref_);
        const auto y = static_cast<double>(host - host_ref);
        sx += x;
        sy += y;
        sxx += x * x;
        sxy += x * y;
    }
    const double denominator = n * sxx - sx * sx;
    slope_ = (pairs_.size() >= 2 && denominator > 0) ? (n * sxy - sx * sy) / denominator : 1.0;
    host_at_ref_ = static_cast<double>(host_ref) + (sy - slope_ * sx) / n;
}

std::optional<std::int64_t> ClockMap::to_host_ns(std::int64_t device_ns) const {
    if (pairs_.empty()) {
        return std::nullopt;
    }
    return static_cast<std::int64_t>(
        std::llround(host_at_ref_ + slope_ * static_cast<double>(device_ns - device_ref_)));
}

std::int64_t ClockMap::offset_ns() const {
    return pairs_.empty() ? 0 : static_cast<std::int64_t>(std::llround(host_at_ref_)) - device_ref_;
}

}  // namespace hoplab::acquisition::wire
