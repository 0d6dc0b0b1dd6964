#include <hoplab/acquisition/device_stream.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>

namespace hoplab::acquisition {

DeviceStream::DeviceStream(std::size_t index, DeviceConfig config)
    : index_(index), config_(std::move(config)), name_json_(nlohmann::json(config_.name).dump()) {
    derive_live_fz();
}

void DeviceStream::set_calibration(calibration::PlateCalibration calibration) {
    config_.calibration = std::move(calibration);
    derive_live_fz();
}

void DeviceStream::derive_live_fz() {
    const auto& plate = config_.calibration;
    channels_ = plate.channel_count();
    std::vector<double> raw(channels_, 0.0);
    fz_at_zero_n_ = plate.to_wrench(raw).fz_n;
    fz_per_raw_.assign(channels_, 0.0);
    for (std::size_t c = 0; c < channels_; ++c) {
        raw[c] = 1.0;
        fz_per_raw_[c] = plate.to_wrench(raw).fz_n - fz_at_zero_n_;
        raw[c] = 0.0;
    }
}

std::optional<std::string> DeviceStream::on_hello(const wire::Hello& hello,
                                                  const std::string& peer) {
    const std::size_t channels = config_.calibration.channel_count();
    if (hello.channel_names.size() != channels) {
        return fmt::format("device '{}' announces {} channels but its calibration ({}) takes {}",
                           name(), hello.channel_names.size(), config_.calibration_source,
                           channels);
    }
    if (!(hello.rate_hz > 0) || !std::isfinite(hello.rate_hz)) {
        return fmt::format("device '{}' announces sample rate {} Hz", name(), hello.rate_hz);
    }
    if (hello_ && hello_->rate_hz != hello.rate_hz) {
        return fmt::format("device '{}' reconnected at {} Hz, was {} Hz: restart the session",
                           name(), hello.rate_hz, hello_->rate_hz);
    }
    if (hello_) {
        reconnected_ = true;
        tracker_.on_reconnect();
    }
    hello_ = hello;
    peer_ = peer;
    connected_ = true;
    history_capacity_samples_ = static_cast<std::size_t>(std::ceil(kRawHistoryS * hello.rate_hz));
    history_.assign(history_capacity_samples_ * channels, 0.0);
    history_head_ = 0;
    history_size_ = 0;
    history_received_ = 0;
    bin_samples_ = std::max<std::size_t>(
        1, static_cast<std::size_t>(std::lround(hello.rate_hz / kLiveBinRateHz)));
    bin_fill_ = 0;
    pending_ = LiveBins{};
    return std::nullopt;
}

void DeviceStream::on_disconnect(const std::string& reason) {
    connected_ = false;
    last_disconnect_ = reason;
}

wire::StreamTracker::Verdict DeviceStream::on_data(std::uint32_t seq, wire::DataBlock& block,
                                                   std::int64_t host_ns) {
    std::optional<wire::SampleGap> restart;
    if (reconnected_) {
        reconnected_ = false;
        if (block.first_sample_index + index_offset_ < next_sample_index_) {
            restart = wire::SampleGap{next_sample_index_, 0,
                                      fmt::format("device restarted: its index {} is index {}",
                                                  block.first_sample_index, next_sample_index_)};
            index_offset_ = next_sample_index_ - block.first_sample_index;
            ++restarts_;
            clock_.reset();
        }
    }
    block.first_sample_index += index_offset_;
    auto verdict = tracker_.on_data(seq, block);
    if (restart) {
        verdict.new_gaps.insert(verdict.new_gaps.begin(), *restart);
    }
    if (!verdict.accept) {
        return verdict;
    }
    if (block.device_time_ns != 0) {
        // A device sends a block once its last sample is taken: pairing the receipt with that
        // sample's device time leaves only the transport delay in the map's offset, the same for
        // devices that send blocks of different lengths.
        const auto last_sample_ns =
            block.device_time_ns + static_cast<std::int64_t>(std::llround(
                                       static_cast<double>(block.n_samples - 1) * 1e9 / rate_hz()));
        clock_.add(last_sample_ns, host_ns);
        timed_block_index_ = block.first_sample_index;
        timed_block_device_ns_ = block.device_time_ns;
    }
    next_sample_index_ = block.first_sample_index + block.n_samples;
    push_history(block);
    push_live(block);
    return verdict;
}

std::optional<std::uint64_t> DeviceStream::sample_index_at(std::int64_t host_ns) const {
    if (clock_.pairs() < kAlignmentPairs || rate_hz() <= 0) {
        return std::nullopt;
    }
    const auto device_ns = clock_.to_device_ns(host_ns);
    const double offset =
        std::round(static_cast<double>(*device_ns - timed_block_device_ns_) * rate_hz() / 1e9);
    const double index = static_cast<double>(timed_block_index_) + offset;
    return index <= 0 ? 0 : static_cast<std::uint64_t>(index);
}

std::optional<std::int64_t> DeviceStream::host_ns_of(std::uint64_t sample_index) const {
    if (clock_.pairs() < kAlignmentPairs || rate_hz() <= 0) {
        return std::nullopt;
    }
    const double samples =
        static_cast<double>(sample_index) - static_cast<double>(timed_block_index_);
    return clock_.to_host_ns(timed_block_device_ns_ +
                             static_cast<std::int64_t>(std::llround(samples * 1e9 / rate_hz())));
}

void DeviceStream::count_ring_overrun(std::uint64_t samples) {
    ring_overrun_samples_ += samples;
}

namespace {

// Whole samples of a block as doubles into a circular buffer of `capacity` samples from `head`:
// at most two straight runs.
template <class T>
void copy_into_ring(const std::vector<T>& values, std::size_t samples, std::size_t channels,
                    std::vector<double>& ring, std::size_t capacity, std::size_t head) {
    std::size_t done = 0;
    while (done < samples) {
        const std::size_t run = std::min(samples - done, capacity - head);
        std::copy_n(values.begin() + static_cast<std::ptrdiff_t>(done * channels), run * channels,
                    ring.begin() + static_cast<std::ptrdiff_t>(head * channels));
        done += run;
        head = (head + run) % capacity;
    }
}

}  // namespace

void DeviceStream::push_history(const wire::DataBlock& block) {
    const std::size_t samples = block.n_samples;
    if (block.sample_format == wire::SampleFormat::int32) {
        copy_into_ring(block.counts, samples, channels_, history_, history_capacity_samples_,
                       history_head_);
    } else {
        copy_into_ring(block.values, samples, channels_, history_, history_capacity_samples_,
                       history_head_);
    }
    history_head_ = (history_head_ + samples) % history_capacity_samples_;
    history_size_ = std::min(history_size_ + samples, history_capacity_samples_);
    history_received_ += samples;
}

std::optional<std::vector<double>> DeviceStream::recent_raw(double seconds) const {
    if (!hello_) {
        return std::nullopt;
    }
    const auto wanted = static_cast<std::size_t>(std::lround(seconds * hello_->rate_hz));
    if (wanted == 0 || wanted > history_size_) {
        return std::nullopt;
    }
    const std::size_t channels = channels_;
    std::vector<double> raw(wanted * channels);
    std::size_t slot =
        (history_head_ + history_capacity_samples_ - wanted) % history_capacity_samples_;
    for (std::size_t s = 0; s < wanted; ++s) {
        std::copy_n(history_.data() + slot * channels, channels, raw.data() + s * channels);
        slot = (slot + 1) % history_capacity_samples_;
    }
    return raw;
}

void DeviceStream::push_live(const wire::DataBlock& block) {
    const bool counts = block.sample_format == wire::SampleFormat::int32;
    for (std::size_t s = 0; s < block.n_samples; ++s) {
        double fz_n = fz_at_zero_n_;
        for (std::size_t c = 0; c < channels_; ++c) {
            const std::size_t k = s * channels_ + c;
            fz_n += fz_per_raw_[c] * (counts ? static_cast<double>(block.counts[k])
                                             : static_cast<double>(block.values[k]));
        }
        const auto fz = static_cast<float>(fz_n);
        if (bin_fill_ == 0) {
            bin_first_sample_index_ = block.first_sample_index + s;
            bin_min_ = fz;
            bin_max_ = fz;
        } else {
            bin_min_ = std::min(bin_min_, fz);
            bin_max_ = std::max(bin_max_, fz);
        }
        if (++bin_fill_ == bin_samples_) {
            // A bin can start before a clear_live_bins() and end after it: the message's first
            // index is that of its first complete bin.
            if (pending_.fz_min_n.empty()) {
                pending_.first_sample_index = bin_first_sample_index_;
                pending_.bin_rate_hz = hello_->rate_hz / static_cast<double>(bin_samples_);
            }
            pending_.fz_min_n.push_back(bin_min_);
            pending_.fz_max_n.push_back(bin_max_);
            bin_fill_ = 0;
        }
    }
}

void DeviceStream::clear_live_bins() {
    pending_.fz_min_n.clear();
    pending_.fz_max_n.clear();
}

nlohmann::json DeviceStream::status_json(std::uint64_t samples_written) const {
    const auto& c = tracker_.counters();
    nlohmann::json j = {
        {"name", name()},
        {"transport", to_string(config_.transport)},
        {"connected", connected_},
        {"peer", peer_},
        {"limb", config_.limb ? nlohmann::json(processing::to_string(*config_.limb))
                              : nlohmann::json(nullptr)},
        {"calibration", config_.calibration_source},
        {"rate_hz", rate_hz()},
        {"next_sample_index", next_sample_index_},
        {"counters",
         {{"messages", c.messages},
          {"data_messages", c.data_messages},
          {"samples_received", c.samples_received},
          {"samples_accepted", c.samples_accepted},
          {"samples_written", samples_written},
          {"sequence_gaps", c.sequence_gaps},
          {"messages_lost", c.messages_lost},
          {"samples_lost", c.samples_lost},
          {"duplicates", c.duplicates},
          {"out_of_order", c.out_of_order},
          {"crc_failures", c.crc_failures},
          {"restarts", restarts_},
          {"malformed", c.malformed},
          {"device_reported_lost", c.device_reported_lost},
          {"ring_overrun_samples", ring_overrun_samples_}}},
        {"clock",
         {{"pairs", clock_.pairs()},
          {"offset_ns", clock_.offset_ns()},
          {"drift_ppm", clock_.drift_ppm()}}},
    };
    if (hello_) {
        j["model"] = hello_->model;
        j["serial"] = hello_->serial;
        j["channels"] = hello_->channel_names;
    }
    if (!last_disconnect_.empty()) {
        j["last_disconnect"] = last_disconnect_;
    }
    return j;
}

}  // namespace hoplab::acquisition
