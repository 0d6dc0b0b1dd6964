#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <utility>

namespace hoplab::acquisition::wire {

// Device clock → host steady clock: host_ns = host_at_reference + slope·(device_ns −
// device_reference), refitted on every add() over the last kWindow (device time, host receive time)
// pairs. The fit is the lower envelope of the pairs: the line below every pair that lies closest to
// them (the edge of their lower convex hull above the pairs' mean device time). A receive delay
// only ever adds to the host time, so the least-delayed pairs carry the clock relation and the rest
// are ignored — unlike a least-squares line, which would absorb the mean delay and follow its
// fluctuations. The smallest receive delay (the transport's constant latency, microseconds on a
// LAN) remains in the offset; it is the same for devices on the same link and transport.
// Preconditions: device times of one ClockMap come from one continuous device clock (call reset()
// after a device restart); host times from one steady clock. add() only stores the pair; the line
// is fitted when it is next asked for (a trial boundary, a status request), so a device sending
// 10^5 blocks per second does not pay a fit per block.
class ClockMap {
  public:
    static constexpr std::size_t kWindow = 1024;
    void add(std::int64_t device_ns, std::int64_t host_ns);
    // Forgets every pair (a device restart starts a new clock).
    void reset();
    // The host steady-clock time of a device time; nullopt before the first pair.
    std::optional<std::int64_t> to_host_ns(std::int64_t device_ns) const;
    // The inverse: the device time at a host steady-clock time; nullopt before the first pair.
    std::optional<std::int64_t> to_device_ns(std::int64_t host_ns) const;
    // Host clock rate relative to the device's, in parts per million: (slope − 1)·10^6; 0 before
    // two distinct pairs.
    double drift_ppm() const {
        ensure_fitted();
        return (slope_ - 1.0) * 1e6;
    }
    // host − device at the newest pair's device time, ns; 0 before the first pair.
    std::int64_t offset_ns() const;
    std::size_t pairs() const { return pairs_.size(); }

  private:
    void ensure_fitted() const;
    std::deque<std::pair<std::int64_t, std::int64_t>> pairs_;
    // The fitted line, refreshed lazily from pairs_.
    mutable bool fitted_ = true;
    mutable std::int64_t device_reference_ns_ = 0;
    mutable double host_at_reference_ns_ = 0;
    mutable double slope_ = 1.0;
};

}  // namespace hoplab::acquisition::wire
