#include <utility>  // before Boost.Asio: Boost 1.74 with GCC 12 in C++20 needs it

#include "daemon_child.hpp"
#include "frame_sender.hpp"

#include <hoplab/acquisition/wire/codec.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/write.hpp>

#include <sys/socket.h>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <random>
#include <stdexcept>
#include <thread>

namespace hoplab::bench {

namespace asio = boost::asio;
namespace wire = acquisition::wire;

namespace {

std::int64_t steady_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// Datagrams handed to the kernel per sendmmsg call: enough to make the syscall cost per datagram
// small at 10^5 datagrams/s, few enough that a batch leaves within about 0.3 ms at that rate.
constexpr std::size_t kUdpBatch = 32;

}  // namespace

std::span<const float> bench_signal() {
    static const std::vector<float> values = [] {
        std::vector<float> out(kSignalRows * kPlateChannels);
        std::mt19937 random(7);
        std::uniform_int_distribution<int> noise(-4, 4);
        const float lsb = 2.5F / 8388608.0F;  // 24-bit ADC, ±2.5 V
        for (std::size_t row = 0; row < kSignalRows; ++row) {
            for (std::size_t c = 0; c < kPlateChannels; ++c) {
                const double t_s = static_cast<double>(row) / 2000.0;
                const double volts = 0.8 * std::sin(2.0 * 3.141592653589793 *
                                                    (0.5 + 0.1 * static_cast<double>(c)) * t_s);
                out[row * kPlateChannels + c] = std::round(static_cast<float>(volts) / lsb +
                                                           static_cast<float>(noise(random))) *
                                                lsb;
            }
        }
        return out;
    }();
    return values;
}

struct FrameSender::Socket {
    asio::io_context io;
    asio::ip::tcp::socket tcp{io};
    asio::ip::udp::socket udp{io};
};

FrameSender::FrameSender(SenderTransport transport, std::uint16_t port, std::string device_name,
                         double nominal_rate_hz)
    : socket_(std::make_unique<Socket>()),
      transport_(transport),
      device_name_(std::move(device_name)) {
    const auto loopback = asio::ip::make_address("127.0.0.1");
    try {
        if (transport == SenderTransport::tcp) {
            socket_->tcp.connect({loopback, port});
            socket_->tcp.set_option(asio::ip::tcp::no_delay(true));
        } else {
            socket_->udp.connect({loopback, port});
            // A burst of a batch must not fail with ENOBUFS in the sender's own buffer.
            socket_->udp.set_option(asio::socket_base::send_buffer_size(4 << 20));
        }
    } catch (const std::exception& error) {
        throw std::runtime_error("device '" + device_name_ + "': cannot reach port " +
                                 std::to_string(port) + ": " + error.what());
    }
    wire::Hello hello;
    hello.device_name = device_name_;
    hello.model = "bench Kistler-type 8-channel";
    hello.serial = "BENCH-" + device_name_;
    hello.layout = "kistler8";
    hello.rate_hz = nominal_rate_hz;
    hello.channel_names = {"fx12", "fx34", "fy14", "fy23", "fz1", "fz2", "fz3", "fz4"};
    hello.channel_units.assign(kPlateChannels, "V");
    hello.sample_format = wire::SampleFormat::float32;
    const auto bytes = wire::encode(wire::Message{0, seq_++, 0, hello});
    if (transport == SenderTransport::tcp) {
        asio::write(socket_->tcp, asio::buffer(bytes));
    } else {
        socket_->udp.send(asio::buffer(bytes));
    }
}

FrameSender::~FrameSender() = default;

std::size_t FrameSender::frame_bytes(std::size_t samples_per_frame) {
    return wire::kHeaderBytes + 24 + samples_per_frame * kPlateChannels * sizeof(float) +
           wire::kCrcBytes;
}

void FrameSender::encode_data(std::vector<std::uint8_t>& frame, std::size_t samples,
                              std::int64_t device_time_ns) {
    const auto signal = bench_signal();
    const std::size_t row = (next_index_ % (kSignalRows - samples));
    const auto first = signal.begin() + static_cast<std::ptrdiff_t>(row * kPlateChannels);
    const std::size_t values = samples * kPlateChannels;
    const auto encoded = [&] {
        wire::DataBlock block;
        block.first_sample_index = next_index_;
        block.device_time_ns = device_time_ns;
        block.n_samples = static_cast<std::uint16_t>(samples);
        block.n_channels = static_cast<std::uint16_t>(kPlateChannels);
        block.sample_format = wire::SampleFormat::float32;
        block.values.assign(first, first + static_cast<std::ptrdiff_t>(values));
        return wire::encode(wire::Message{0, seq_, 0, std::move(block)});
    };
    if (frame.size() != frame_bytes(samples)) {
        // The first frame of this size goes through the protocol's encoder; later ones patch
        // the fields that change into it (docs/protocol.md §2–§3), which costs no allocation and
        // lets one sender core offer more than 2·10^5 datagrams/s.
        frame = encoded();
        ++seq_;
        next_index_ += samples;
        return;
    }
    const auto put = [&frame](std::size_t offset, auto value) {
        std::memcpy(frame.data() + offset, &value, sizeof value);  // little-endian host (x86-64)
    };
    constexpr std::size_t kPayload = wire::kHeaderBytes;
    put(12, seq_++);
    put(20, wire::crc32c(std::span<const std::uint8_t>(frame.data(), 20)));
    put(kPayload, next_index_);
    put(kPayload + 8, device_time_ns);
    std::memcpy(frame.data() + kPayload + 24, &*first, values * sizeof(float));
    const std::size_t crc_at = frame.size() - wire::kCrcBytes;
    put(crc_at, wire::crc32c(std::span<const std::uint8_t>(frame.data(), crc_at)));
    if (!patch_checked_) {
        // Once per sender: the patched frame must be the protocol encoder's, byte for byte.
        --seq_;
        if (frame != encoded()) {
            throw std::logic_error("device '" + device_name_ +
                                   "': the bench's patched DATA frame differs from wire::encode");
        }
        ++seq_;
        patch_checked_ = true;
    }
    next_index_ += samples;
}

SendResult FrameSender::run(const SendPlan& plan) {
    if (plan.samples_per_frame == 0 || plan.samples_per_frame > wire::kMaxSamplesPerBlock) {
        throw std::invalid_argument("SendPlan::samples_per_frame must be 1 to 4096");
    }
    if (transport_ == SenderTransport::udp && !plan.samples_per_s) {
        throw std::invalid_argument(
            "a UDP send plan needs an offered rate (UDP has no backpressure)");
    }
    SendResult result;
    const auto start = std::chrono::steady_clock::now();
    const auto stop = start + plan.duration;
    // Frame k is due at start + k / frames_per_s; a late sender catches up in a burst, so the mean
    // offered rate holds even where the sleep granularity is longer than a frame interval.
    const double frames_per_s =
        plan.samples_per_s ? *plan.samples_per_s / static_cast<double>(plan.samples_per_frame) : 0;
    const auto due = [&](std::uint64_t frame) {
        return start +
               std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                   std::chrono::duration<double>(static_cast<double>(frame) / frames_per_s));
    };
    std::vector<std::vector<std::uint8_t>> batch(kUdpBatch);
    std::vector<mmsghdr> headers(kUdpBatch);
    std::vector<iovec> vectors(kUdpBatch);
    for (auto now = start; now < stop; now = std::chrono::steady_clock::now()) {
        if (plan.samples_per_s && due(result.frames) > now) {
            std::this_thread::sleep_until(std::min(due(result.frames), stop));
            continue;
        }
        const auto send_ns = steady_ns();
        if (transport_ == SenderTransport::tcp) {
            auto& frame = batch.front();
            encode_data(frame, plan.samples_per_frame, plan.device_time ? send_ns : 0);
            asio::write(socket_->tcp, asio::buffer(frame));
            result.bytes += frame.size();
            ++result.frames;
            if (plan.record_frames) {
                result.frames_sent.push_back({next_index_, send_ns});
            }
            continue;
        }
        std::size_t count = 0;
        while (count < kUdpBatch && due(result.frames + count) <= now) {
            encode_data(batch[count++], plan.samples_per_frame, plan.device_time ? send_ns : 0);
            if (plan.record_frames) {
                result.frames_sent.push_back({next_index_, send_ns});
            }
        }
        for (std::size_t i = 0; i < count; ++i) {
            vectors[i] = iovec{batch[i].data(), batch[i].size()};
            headers[i] = mmsghdr{};
            headers[i].msg_hdr.msg_iov = &vectors[i];
            headers[i].msg_hdr.msg_iovlen = 1;
        }
        std::size_t sent = 0;
        while (sent < count) {
            const int n = ::sendmmsg(socket_->udp.native_handle(), headers.data() + sent,
                                     static_cast<unsigned>(count - sent), 0);
            if (n < 0) {
                if (errno == ENOBUFS || errno == EAGAIN) {
                    std::this_thread::yield();
                    continue;
                }
                throw std::runtime_error("device '" + device_name_ + "': sendmmsg failed, errno " +
                                         std::to_string(errno));
            }
            sent += static_cast<std::size_t>(n);
        }
        result.bytes += count * batch.front().size();
        result.frames += count;
    }
    result.samples = result.frames * plan.samples_per_frame;
    result.elapsed_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
}

void FrameSender::send_heartbeat() {
    wire::Heartbeat heartbeat;
    heartbeat.device_time_ns = steady_ns();
    heartbeat.next_sample_index = next_index_;
    heartbeat.samples_produced = next_index_;
    const auto bytes = wire::encode(wire::Message{0, seq_++, 0, heartbeat});
    if (transport_ == SenderTransport::tcp) {
        asio::write(socket_->tcp, asio::buffer(bytes));
    } else {
        socket_->udp.send(asio::buffer(bytes));
    }
}

}  // namespace hoplab::bench
