#include <hoplab/acquisition/wire/clock_map.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

namespace hoplab::acquisition::wire {
namespace {

struct Point {
    double x = 0;  // device time − reference, ns
    double y = 0;  // host time − reference − x, ns: the deviation from a slope of exactly 1, kept
                   // small for precision
};

// z-component of (b − a) × (c − a): negative when a → b → c turns clockwise.
double cross(const Point& a, const Point& b, const Point& c) {
    return (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x);
}

}  // namespace

void ClockMap::add(std::int64_t device_ns, std::int64_t host_ns) {
    pairs_.emplace_back(device_ns, host_ns);
    if (pairs_.size() > kWindow) {
        pairs_.pop_front();
    }
    fitted_ = false;
}

void ClockMap::reset() {
    pairs_.clear();
    device_reference_ns_ = 0;
    host_at_reference_ns_ = 0;
    slope_ = 1.0;
    fitted_ = true;
}

void ClockMap::ensure_fitted() const {
    if (fitted_ || pairs_.empty()) {
        return;
    }
    fitted_ = true;
    // Reference on the newest pair so every coordinate is a difference of at most a window's span
    // (seconds), which a double holds to well under a nanosecond.
    device_reference_ns_ = pairs_.back().first;
    const std::int64_t host_reference_ns = pairs_.back().second;
    std::vector<Point> points;
    points.reserve(pairs_.size());
    double sum_x = 0;
    for (const auto& [device, host] : pairs_) {
        const auto x = static_cast<double>(device - device_reference_ns_);
        points.push_back({x, static_cast<double>(host - host_reference_ns) - x});
        sum_x += x;
    }
    const double mean_x = sum_x / static_cast<double>(points.size());
    std::sort(points.begin(), points.end(), [](const Point& a, const Point& b) {
        return a.x < b.x || (a.x == b.x && a.y < b.y);
    });
    // Lower convex hull (Andrew's monotone chain); of pairs with equal device time only the least
    // delayed counts.
    std::vector<Point> hull;
    for (const auto& p : points) {
        if (!hull.empty() && hull.back().x == p.x) {
            continue;
        }
        while (hull.size() >= 2 && cross(hull[hull.size() - 2], hull.back(), p) <= 0) {
            hull.pop_back();
        }
        hull.push_back(p);
    }
    // Of all lines below every point, the one with the least summed distance to them is the hull
    // edge spanning the mean device time: Σ(yᵢ − a − b·xᵢ) = n·(ȳ − (a + b·x̄)) is least where the
    // line is highest at x̄.
    double slope_deviation = 0;
    Point through = hull.front();
    if (hull.size() >= 2) {
        std::size_t edge = 0;
        while (edge + 2 < hull.size() && hull[edge + 1].x <= mean_x) {
            ++edge;
        }
        const Point& a = hull[edge];
        const Point& b = hull[edge + 1];
        slope_deviation = (b.y - a.y) / (b.x - a.x);
        through = a;
    }
    slope_ = 1.0 + slope_deviation;
    // The line's host time at the reference device time (x = 0).
    host_at_reference_ns_ =
        static_cast<double>(host_reference_ns) + through.y - slope_deviation * through.x;
}

std::optional<std::int64_t> ClockMap::to_host_ns(std::int64_t device_ns) const {
    if (pairs_.empty()) {
        return std::nullopt;
    }
    ensure_fitted();
    return static_cast<std::int64_t>(std::llround(
        host_at_reference_ns_ + slope_ * static_cast<double>(device_ns - device_reference_ns_)));
}

std::optional<std::int64_t> ClockMap::to_device_ns(std::int64_t host_ns) const {
    if (pairs_.empty()) {
        return std::nullopt;
    }
    ensure_fitted();
    return device_reference_ns_ +
           static_cast<std::int64_t>(
               std::llround((static_cast<double>(host_ns) - host_at_reference_ns_) / slope_));
}

std::int64_t ClockMap::offset_ns() const {
    ensure_fitted();
    return pairs_.empty() ? 0
                          : static_cast<std::int64_t>(std::llround(host_at_reference_ns_)) -
                                device_reference_ns_;
}

}  // namespace hoplab::acquisition::wire
