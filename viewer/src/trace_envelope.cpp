#include <hoplab/viewer/trace_envelope.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace hoplab::viewer {

TraceEnvelope::TraceEnvelope(std::vector<double> values, double rate_hz, double start_s)
    : values_(std::move(values)), rate_hz_(rate_hz), start_s_(start_s) {
    if (!(rate_hz_ > 0.0) || !std::isfinite(rate_hz_)) {
        throw std::invalid_argument("TraceEnvelope: rate_hz must be finite and > 0, got " +
                                    std::to_string(rate_hz_));
    }
    if (values_.size() >= std::numeric_limits<std::uint32_t>::max()) {
        throw std::invalid_argument("TraceEnvelope: " + std::to_string(values_.size()) +
                                    " samples exceed the 2^32 − 1 an index level can address");
    }
    // Level 0 from the raw samples, each further level from the one below it.
    std::size_t bin = kLevelFactor;
    while (values_.size() / bin >= 2) {
        Level level;
        level.bin = bin;
        const std::size_t entries = values_.size() / bin;  // a partial last bin is read raw
        level.argmin.resize(entries);
        level.argmax.resize(entries);
        for (std::size_t e = 0; e < entries; ++e) {
            std::size_t lo = 0, hi = 0;
            if (levels_.empty()) {
                lo = hi = e * bin;
                for (std::size_t k = e * bin + 1; k < (e + 1) * bin; ++k) {
                    if (values_[k] < values_[lo])
                        lo = k;
                    if (values_[k] > values_[hi])
                        hi = k;
                }
            } else {
                const Level& below = levels_.back();
                lo = below.argmin[e * kLevelFactor];
                hi = below.argmax[e * kLevelFactor];
                for (std::size_t k = e * kLevelFactor + 1; k < (e + 1) * kLevelFactor; ++k) {
                    if (values_[below.argmin[k]] < values_[lo])
                        lo = below.argmin[k];
                    if (values_[below.argmax[k]] > values_[hi])
                        hi = below.argmax[k];
                }
            }
            level.argmin[e] = static_cast<std::uint32_t>(lo);
            level.argmax[e] = static_cast<std::uint32_t>(hi);
        }
        levels_.push_back(std::move(level));
        bin *= kLevelFactor;
    }
}

double TraceEnvelope::end_s() const {
    return values_.empty() ? start_s_
                           : start_s_ + static_cast<double>(values_.size() - 1) / rate_hz_;
}

TraceEnvelope::IndexRange TraceEnvelope::indices(double t0_s, double t1_s) const {
    const double n = static_cast<double>(values_.size());
    // Sample k is at start_s + k / rate_hz; the range holds k with t0 ≤ t_k ≤ t1.
    const double first = std::clamp(std::ceil((t0_s - start_s_) * rate_hz_ - 1e-9), 0.0, n);
    const double last_plus_one =
        std::clamp(std::floor((t1_s - start_s_) * rate_hz_ + 1e-9) + 1.0, 0.0, n);
    if (last_plus_one <= first)
        return {};
    return {static_cast<std::size_t>(first), static_cast<std::size_t>(last_plus_one)};
}

std::pair<std::size_t, std::size_t> TraceEnvelope::min_max(std::size_t first,
                                                           std::size_t end) const {
    std::size_t lo = first, hi = first;
    const auto take = [&](std::size_t min_index, std::size_t max_index) {
        if (values_[min_index] < values_[lo])
            lo = min_index;
        if (values_[max_index] > values_[hi])
            hi = max_index;
    };
    std::size_t k = first;
    while (k < end) {
        // The coarsest level whose bin starts at k and ends inside the range.
        const Level* best = nullptr;
        for (const Level& level : levels_) {
            if (k % level.bin != 0 || k + level.bin > end || k / level.bin >= level.argmin.size()) {
                break;
            }
            best = &level;
        }
        if (best == nullptr) {
            take(k, k);
            ++k;
        } else {
            take(best->argmin[k / best->bin], best->argmax[k / best->bin]);
            k += best->bin;
        }
    }
    return {lo, hi};
}

std::vector<Point> TraceEnvelope::view(double t0_s, double t1_s, std::size_t columns) const {
    if (columns == 0 || t1_s < t0_s) {
        throw std::invalid_argument("TraceEnvelope::view: needs columns > 0 and t1_s ≥ t0_s");
    }
    const auto [first, end] = indices(t0_s, t1_s);
    std::vector<Point> out;
    const auto time = [&](std::size_t k) { return start_s_ + static_cast<double>(k) / rate_hz_; };
    const std::size_t count = end - first;
    if (count <= 2 * columns) {
        out.reserve(count);
        for (std::size_t k = first; k < end; ++k)
            out.push_back({time(k), values_[k]});
        return out;
    }
    out.reserve(2 * columns);
    for (std::size_t column = 0; column < columns; ++column) {
        const std::size_t a = first + count * column / columns;
        const std::size_t b = first + count * (column + 1) / columns;
        const auto [lo, hi] = min_max(a, b);
        const std::size_t earlier = std::min(lo, hi), later = std::max(lo, hi);
        out.push_back({time(earlier), values_[earlier]});
        if (later != earlier)
            out.push_back({time(later), values_[later]});
    }
    return out;
}

std::optional<TraceEnvelope::Extremes> TraceEnvelope::extremes(double t0_s, double t1_s) const {
    const auto [first, end] = indices(t0_s, t1_s);
    if (end <= first)
        return std::nullopt;
    const auto [lo, hi] = min_max(first, end);
    return Extremes{values_[lo], values_[hi]};
}

}  // namespace hoplab::viewer
