#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>

namespace hoplab::acquisition::wire {

// Device clock → host steady clock, host = host_ref + (device − device_ref)·slope, fitted continuously by least
// squares over the last kWindow (device time, host receive time) pairs. Receive delays bias the offset by their mean
// (microseconds on loopback); the slope (drift) is unbiased.
class ClockMap {
public:
    static constexpr std::size_t kWindow = 1024;
    void add(std::int64_t device_ns, std::int64_t host_ns);
    std::optional<std::int64_t> to_host_ns(std::int64_t device_ns) const;
    double drift_ppm() const { return (slope_ - 1.0) * 1e6; }
    std::int64_t offset_ns() const;  // host − device at the latest device time
    std::size_t pairs() const { return pairs_.size(); }

private:
    void fit();
    std::deque<std::pair<std::int64_t, std::int64_t>> pairs_;
    std::int64_t device_ref_ = 0;
    double host_at_ref_ = 0;
    double slope_ = 1.0;
};

}  // namespace hoplab::acquisition::wire
