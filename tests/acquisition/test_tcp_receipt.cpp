// TCP connections are read on the daemon's 15 ms tick, not as each frame arrives (docs/daemon.md,
// DeviceServer). A frame's receipt time must still be when it arrived: the clock maps and the
// stored clock line are fitted on receipt times, and a tick-late receipt would shift a plate by up
// to 15 ms (TrialAlignment). The daemon reads each frame with its kernel receive timestamp.
#include <hoplab/acquisition/simulated_plate.hpp>
#include <hoplab/acquisition/wire/codec.hpp>
#include <hoplab/recording/session_reader.hpp>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include <fstream>
#include <limits>
#include <map>
#include <thread>

#include "support/daemon_process.hpp"

namespace hoplab::acquisition {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

std::int64_t steady_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

wire::Message data_message(std::uint32_t seq, std::uint64_t first, std::uint16_t samples) {
    wire::DataBlock block;
    block.first_sample_index = first;
    block.device_time_ns = 1'000'000'000 + static_cast<std::int64_t>(first) * 1'000'000;
    block.n_samples = samples;
    block.n_channels = 6;
    block.sample_format = wire::SampleFormat::int32;
    block.counts.assign(std::size_t{samples} * 6, 100);
    return wire::Message{1, seq, 0, std::move(block)};
}

TEST(StreamDecoderReadSize, EachReadEndsWhereTheNextFrameEnds) {
    const auto first = wire::encode(data_message(1, 0, 20));
    const auto second = wire::encode(data_message(2, 20, 7));
    wire::StreamDecoder decoder;
    EXPECT_EQ(decoder.bytes_to_frame_end(), wire::kHeaderBytes);
    // Fed exactly what it asks for, the decoder completes one frame per feed and never holds
    // bytes of the next one.
    std::vector<std::uint8_t> stream(first.begin(), first.end());
    stream.insert(stream.end(), second.begin(), second.end());
    std::size_t at = 0;
    std::vector<std::size_t> completed_after;  // stream offset at each completed frame
    while (at < stream.size()) {
        const std::size_t wanted = decoder.bytes_to_frame_end();
        ASSERT_GT(wanted, 0u);
        const std::size_t fed = std::min(wanted, stream.size() - at);
        decoder.feed(std::span<const std::uint8_t>(stream.data() + at, fed));
        at += fed;
        while (auto result = decoder.next()) {
            ASSERT_TRUE(std::holds_alternative<wire::Message>(*result));
            completed_after.push_back(at);
        }
    }
    EXPECT_EQ(completed_after, (std::vector<std::size_t>{first.size(), stream.size()}));
    // Part of a header: the rest of it; a valid header: the rest of its frame.
    wire::StreamDecoder partial;
    partial.feed(std::span<const std::uint8_t>(first.data(), 10));
    EXPECT_EQ(partial.bytes_to_frame_end(), wire::kHeaderBytes - 10);
    partial.feed(std::span<const std::uint8_t>(first.data() + 10, 30));
    EXPECT_EQ(partial.bytes_to_frame_end(), first.size() - 40);
}

TEST(StreamDecoderReadSize, AtAFrameStartTheGuessIsTheLastFramesLength) {
    const auto first = wire::encode(data_message(1, 0, 20));
    const auto second = wire::encode(data_message(2, 20, 20));
    const auto shorter = wire::encode(data_message(3, 40, 7));
    wire::StreamDecoder decoder;
    // Before any frame: only the header's length is known.
    EXPECT_EQ(decoder.bytes_to_likely_frame_end(), wire::kHeaderBytes);
    decoder.feed(first);
    ASSERT_TRUE(decoder.next().has_value());
    // Equal frames: one read of the last frame's length takes exactly the next frame.
    EXPECT_EQ(decoder.bytes_to_likely_frame_end(), first.size());
    decoder.feed(std::span<const std::uint8_t>(second.data(), first.size()));
    ASSERT_TRUE(decoder.next().has_value());
    EXPECT_FALSE(decoder.next().has_value());
    EXPECT_EQ(decoder.buffered(), 0u);
    // Part of a frame buffered: as bytes_to_frame_end, whatever the last frame's length.
    decoder.feed(std::span<const std::uint8_t>(shorter.data(), 30));
    EXPECT_EQ(decoder.bytes_to_likely_frame_end(), shorter.size() - 30);
    EXPECT_EQ(decoder.bytes_to_likely_frame_end(), decoder.bytes_to_frame_end());
}

TEST(TcpReceipt, BlocksCarryTheirArrivalTimesNotTheTickThatReadThem) {
    const auto dir = testing::fresh_directory("tcp-receipt");
    std::ofstream(dir / "left.toml") << simulated_plate_calibration("SIM-left", false).to_toml();
    std::ofstream(dir / "lab.toml")
        << "[[device]]\nname = \"left\"\ntransport = \"tcp\"\nlimb = \"left\"\ncalibration = "
           "\"left.toml\"\n";
    testing::DaemonProcess daemon(dir, {"--config", (dir / "lab.toml").string()});

    asio::io_context io;
    asio::ip::tcp::socket tcp(io);
    tcp.connect({asio::ip::make_address("127.0.0.1"), daemon.device_port()});
    tcp.set_option(asio::ip::tcp::no_delay(true));
    wire::Hello hello;
    hello.device_name = "left";
    hello.rate_hz = 1000.0;
    hello.channel_names = {"fx", "fy", "fz", "mx", "my", "mz"};
    hello.sample_format = wire::SampleFormat::int32;
    asio::write(tcp, asio::buffer(wire::encode(wire::Message{1, 0, 0, hello})));
    daemon.wait_for_devices();
    auto api = daemon.client();
    ASSERT_EQ(api.post("/api/v1/sessions", {{"athlete_id", "receipt"}}).status, 201u);

    // 40 frames 23 ms apart: at most two in one 15 ms tick, and at every phase of the tick. Each
    // frame's write spans its delivery on loopback: [before, after] brackets its arrival.
    constexpr std::uint16_t kSamples = 20;
    constexpr int kFrames = 40;
    std::map<std::uint64_t, std::pair<std::int64_t, std::int64_t>> sent;  // end index → times
    for (int k = 0; k < kFrames; ++k) {
        const auto first = static_cast<std::uint64_t>(k) * kSamples;
        const auto frame =
            wire::encode(data_message(static_cast<std::uint32_t>(k + 1), first, kSamples));
        const std::int64_t before = steady_ns();
        asio::write(tcp, asio::buffer(frame));
        sent[first + kSamples] = {before, steady_ns()};
        std::this_thread::sleep_for(23ms);
    }
    std::this_thread::sleep_for(100ms);
    const auto closed = api.del("/api/v1/sessions/current");
    ASSERT_EQ(closed.status, 200u) << closed.body.dump();

    const recording::SessionReader reader(closed.body["file"].get<std::string>());
    const auto blocks = reader.blocks("left");
    ASSERT_FALSE(blocks.empty());
    std::size_t on_time = 0;
    std::uint64_t samples = 0;
    double worst_late_ms = std::numeric_limits<double>::lowest();
    for (const auto& block : blocks) {
        samples += block.n_samples;
        // A record's receipt time is that of its last block: frames read in the same tick are
        // coalesced into one record.
        const auto times = sent.find(block.first_sample_index + block.n_samples);
        ASSERT_NE(times, sent.end())
            << "a record ends inside a frame at " << block.first_sample_index + block.n_samples;
        const auto [before, after] = times->second;
        const double late_ms = static_cast<double>(block.host_time_ns - after) / 1e6;
        worst_late_ms = std::max(worst_late_ms, late_ms);
        // Stamped while the sender's write delivered it: not before the write began, and at most
        // a scheduling delay of the kernel's receive processing after it returned (2 ms). Read
        // times would lie anywhere up to the 15 ms tick after it, most of them beyond 2 ms.
        EXPECT_GE(block.host_time_ns, before) << "record ending at " << times->first;
        if (late_ms <= 2.0) {
            ++on_time;
        }
    }
    std::printf(
        "%zu of %zu records stamped within 2 ms of their last frame's write; latest %.3f "
        "ms after it\n",
        on_time, blocks.size(), worst_late_ms);
    EXPECT_EQ(samples, std::uint64_t{kSamples} * kFrames);  // every frame recorded once
    // All but a few (a loaded machine may defer the receive processing of one or two).
    EXPECT_GE(on_time + 2, blocks.size());
}

}  // namespace
}  // namespace hoplab::acquisition
