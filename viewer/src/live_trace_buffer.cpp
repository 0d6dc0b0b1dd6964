#include <hoplab/viewer/live_trace_buffer.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace hoplab::viewer {

LiveTraceBuffer::LiveTraceBuffer(double window_s) : window_s_(window_s) {
    if (!(window_s > 0.0 && window_s <= 120.0)) {
        throw std::invalid_argument("live window must be 0 to 120 s, not " +
                                    std::to_string(window_s));
    }
}

void LiveTraceBuffer::set_sample_rate_hz(const std::string& device, double sample_rate_hz) {
    if (!(sample_rate_hz > 0.0 && sample_rate_hz <= 100'000.0)) {
        throw std::invalid_argument("device '" + device +
                                    "': sample rate must be 0 to 100000 Hz, not " +
                                    std::to_string(sample_rate_hz));
    }
    auto& d = devices_[device];
    if (d.sample_rate_hz != sample_rate_hz) {
        d = Device{};
        d.sample_rate_hz = sample_rate_hz;
    }
}

LiveAddResult LiveTraceBuffer::add(const LiveForceBins& bins) {
    if (bins.fz_min_n.size() != bins.fz_max_n.size()) {
        throw std::invalid_argument("device '" + bins.device +
                                    "': " + std::to_string(bins.fz_min_n.size()) + " minima but " +
                                    std::to_string(bins.fz_max_n.size()) + " maxima");
    }
    const auto found = devices_.find(bins.device);
    if (found == devices_.end() || found->second.sample_rate_hz == 0.0) {
        return {LiveAddOutcome::rate_unknown, 0};
    }
    Device& d = found->second;
    if (!(bins.bin_rate_hz > 0.0 && bins.bin_rate_hz <= kMaxBinRateHz &&
          bins.bin_rate_hz <= d.sample_rate_hz)) {
        throw std::invalid_argument("device '" + bins.device + "': bin rate " +
                                    std::to_string(bins.bin_rate_hz) + " Hz is not in (0, " +
                                    std::to_string(std::min(kMaxBinRateHz, d.sample_rate_hz)) +
                                    "] Hz");
    }
    LiveAddResult result;
    if (d.bin_rate_hz != bins.bin_rate_hz) {
        // First message, or the daemon changed its binning: start a ring sized for the window.
        const double sample_rate_hz = d.sample_rate_hz;
        const std::size_t restarts = d.restarts;
        d = Device{};
        d.sample_rate_hz = sample_rate_hz;
        d.restarts = restarts;
        d.bin_rate_hz = bins.bin_rate_hz;
        d.samples_per_bin = std::max<std::uint64_t>(
            1, static_cast<std::uint64_t>(std::llround(sample_rate_hz / bins.bin_rate_hz)));
        d.ring.resize(static_cast<std::size_t>(std::ceil(window_s_ * bins.bin_rate_hz)) + 1);
    } else if (d.size > 0 && bins.first_sample_index > d.next_index) {
        d.gaps.push_back({d.next_index, bins.first_sample_index});
        result = {LiveAddOutcome::gap_marked, bins.first_sample_index - d.next_index};
    } else if (d.size > 0 && bins.first_sample_index < d.next_index) {
        d.size = 0;
        d.head = 0;
        d.gaps.clear();
        ++d.restarts;
        result.outcome = LiveAddOutcome::restarted;
    }
    for (std::size_t k = 0; k < bins.fz_min_n.size(); ++k) {
        push(d, Bin{bins.first_sample_index + k * d.samples_per_bin,
                    static_cast<float>(bins.fz_min_n[k]), static_cast<float>(bins.fz_max_n[k])});
    }
    d.next_index = bins.first_sample_index + bins.fz_min_n.size() * d.samples_per_bin;
    prune_gaps(d);
    return result;
}

void LiveTraceBuffer::push(Device& device, const Bin& bin) {
    const std::size_t capacity = device.ring.size();
    if (device.size < capacity) {
        device.ring[(device.head + device.size) % capacity] = bin;
        ++device.size;
    } else {
        device.ring[device.head] = bin;  // overwrites the oldest
        device.head = (device.head + 1) % capacity;
    }
}

void LiveTraceBuffer::prune_gaps(Device& device) const {
    const double window_samples = window_s_ * device.sample_rate_hz;
    const auto old = std::remove_if(device.gaps.begin(), device.gaps.end(), [&](const auto& gap) {
        return static_cast<double>(device.next_index - gap.end) >= window_samples;
    });
    device.gaps.erase(old, device.gaps.end());
}

const LiveTraceBuffer::Device* LiveTraceBuffer::find(const std::string& device) const {
    const auto found = devices_.find(device);
    return found == devices_.end() ? nullptr : &found->second;
}

LiveColumns LiveTraceBuffer::columns(const std::string& device, std::size_t columns) const {
    LiveColumns out;
    const Device* d = find(device);
    if (d == nullptr || d->size == 0 || columns == 0) {
        return out;
    }
    // Placed in whole samples from the window's start, so a bin on a column boundary lands in
    // the column it starts (p·n / W is exact for integers below 2^53).
    const double window_samples = window_s_ * d->sample_rate_hz;
    const double n = static_cast<double>(columns);
    const double column_s = window_s_ / n;
    std::vector<std::optional<LiveColumn>> filled(columns);
    for (std::size_t k = 0; k < d->size; ++k) {
        const Bin& bin = d->ring[(d->head + k) % d->ring.size()];
        const double age_samples = static_cast<double>(d->next_index - bin.first_sample_index);
        const double from_start = window_samples - age_samples;
        if (from_start < 0.0) {
            continue;
        }
        const auto c = std::min(
            columns - 1, static_cast<std::size_t>(std::floor(from_start * n / window_samples)));
        auto& column = filled[c];
        if (!column) {
            column = LiveColumn{-window_s_ + (static_cast<double>(c) + 0.5) * column_s, bin.min_n,
                                bin.max_n};
        } else {
            column->min_n = std::min(column->min_n, static_cast<double>(bin.min_n));
            column->max_n = std::max(column->max_n, static_cast<double>(bin.max_n));
        }
    }
    for (const auto& column : filled) {
        if (column) {
            out.columns.push_back(*column);
        }
    }
    for (const auto& gap : d->gaps) {
        const double start_s =
            -static_cast<double>(d->next_index - gap.first_missing) / d->sample_rate_hz;
        const double end_s = -static_cast<double>(d->next_index - gap.end) / d->sample_rate_hz;
        out.gaps.push_back({std::max(start_s, -window_s_), end_s});
    }
    return out;
}

std::size_t LiveTraceBuffer::stored_bins(const std::string& device) const {
    const Device* d = find(device);
    return d == nullptr ? 0 : d->size;
}

std::size_t LiveTraceBuffer::capacity_bins(const std::string& device) const {
    const Device* d = find(device);
    return d == nullptr ? 0 : d->ring.size();
}

std::size_t LiveTraceBuffer::gap_count(const std::string& device) const {
    const Device* d = find(device);
    return d == nullptr ? 0 : d->gaps.size();
}

std::size_t LiveTraceBuffer::restarts(const std::string& device) const {
    const Device* d = find(device);
    return d == nullptr ? 0 : d->restarts;
}

std::optional<double> LiveTraceBuffer::newest_s(const std::string& device) const {
    const Device* d = find(device);
    if (d == nullptr || d->size == 0) {
        return std::nullopt;
    }
    return static_cast<double>(d->next_index) / d->sample_rate_hz;
}

}  // namespace hoplab::viewer
