// Two plates on two amplifiers — one over TCP in 20-sample blocks, one over UDP in 7-sample blocks
// with its own sample counter, its own clock origin and a crystal 100 ppm fast — see the same
// force step at the same instant. The daemon sets each trial's boundaries through each device's
// clock map, so in the recorded trial the step falls on the same sample of both plates within one
// sample period (issue #4, clocks). By arrival alone the boundaries would differ by the blocks'
// phase, up to 20 samples.
#include <hoplab/acquisition/simulated_plate.hpp>
#include <hoplab/acquisition/wire/codec.hpp>
#include <hoplab/recording/session_reader.hpp>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/write.hpp>

#include <atomic>
#include <cmath>
#include <fstream>
#include <thread>

#include "support/daemon_process.hpp"

namespace hoplab::acquisition {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr double kRateHz = 1000.0;
constexpr double kStepN = 800.0;

// One simulated amplifier: a sample counter, a device clock and a sampling crystal relative to
// the host clock.
struct Amplifier {
    std::string name;
    std::uint64_t first_index;
    std::int64_t device_clock_origin_ns;
    double crystal_ppm;  // samples come this much faster than the nominal rate in host time
    std::uint16_t block_samples;
    calibration::PlateCalibration calibration;
    std::uint64_t sent = 0;  // samples
    std::uint32_t seq = 0;

    Clock::time_point sample_time(Clock::time_point origin, std::uint64_t k) const {
        return origin +
               std::chrono::nanoseconds(static_cast<std::int64_t>(std::llround(
                   1e9 * static_cast<double>(k) / (kRateHz * (1.0 + crystal_ppm * 1e-6)))));
    }
    std::vector<std::uint8_t> hello() {
        wire::Hello h;
        h.device_name = name;
        h.rate_hz = kRateHz;
        h.channel_names = {"fx", "fy", "fz", "mx", "my", "mz"};
        h.sample_format = wire::SampleFormat::int32;
        wire::Message m{1, seq++, 0, h};
        return wire::encode(m);
    }
    // The next block: the step's force on samples taken at or after `step`.
    std::vector<std::uint8_t> block(Clock::time_point origin, Clock::time_point step) {
        wire::DataBlock b;
        b.first_sample_index = first_index + sent;
        b.device_time_ns = device_clock_origin_ns +
                           static_cast<std::int64_t>(std::llround(1e9 * static_cast<double>(sent) /
                                                                  kRateHz));  // its own time base
        b.n_samples = block_samples;
        b.n_channels = 6;
        b.sample_format = wire::SampleFormat::int32;
        for (std::uint16_t s = 0; s < block_samples; ++s) {
            calibration::Wrench w;
            w.fz_n = sample_time(origin, sent + s) >= step ? kStepN : 0.0;
            for (double raw : calibration.to_raw(w)) {
                b.counts.push_back(static_cast<std::int32_t>(std::lround(raw)));
            }
        }
        sent += block_samples;
        wire::Message m{1, seq++, 0, std::move(b)};
        return wire::encode(m);
    }
};

// The first sample at or above half the step.
std::optional<std::size_t> step_sample(const recording::TrialForce& force) {
    for (std::size_t k = 0; k < force.samples.size(); ++k) {
        if (force.samples[k].fz_n > kStepN / 2) {
            return k;
        }
    }
    return std::nullopt;
}

TEST(TrialAlignment, PlatesOnTwoAmplifiersStartAndStopTogetherWithinOneSample) {
    const auto dir = testing::fresh_directory("alignment");
    {
        std::ofstream config(dir / "lab.toml");
        for (const auto& [name, transport] :
             {std::pair{"left", "tcp"}, std::pair{"right", "udp"}}) {
            std::ofstream(dir / (std::string(name) + ".toml"))
                << simulated_plate_calibration(std::string("SIM-") + name, false).to_toml();
            config << "[[device]]\nname = \"" << name << "\"\ntransport = \"" << transport
                   << "\"\nlimb = \"" << name << "\"\ncalibration = \"" << name << ".toml\"\n";
        }
    }
    testing::DaemonProcess daemon(
        dir, {"--config", (dir / "lab.toml").string(), "--udp-listen", "127.0.0.1:0"});

    Amplifier left{"left", 0,  1'000'000'000,
                   0.0,    20, simulated_plate_calibration("SIM-left", false)};
    Amplifier right{"right", 1'000'000, 7'000'000'000'000,
                    100.0,   7,         simulated_plate_calibration("SIM-right", false)};
    asio::io_context io;
    asio::ip::tcp::socket tcp(io);
    tcp.connect({asio::ip::make_address("127.0.0.1"), daemon.device_port()});
    tcp.set_option(asio::ip::tcp::no_delay(true));
    asio::ip::udp::socket udp(io);
    udp.connect({asio::ip::make_address("127.0.0.1"), daemon.udp_port()});

    const auto origin = Clock::now() + 50ms;
    const auto step = origin + 2500ms;
    std::atomic<bool> stop{false};
    std::thread sender([&] {
        asio::write(tcp, asio::buffer(left.hello()));
        udp.send(asio::buffer(right.hello()));
        auto next_hello = origin + 1s;
        while (!stop) {
            const auto now = Clock::now();
            // A block goes out once its last sample is taken.
            while (left.sample_time(origin, left.sent + left.block_samples - 1) <= now) {
                asio::write(tcp, asio::buffer(left.block(origin, step)));
            }
            while (right.sample_time(origin, right.sent + right.block_samples - 1) <= now) {
                udp.send(asio::buffer(right.block(origin, step)));
            }
            if (now >= next_hello) {
                udp.send(asio::buffer(right.hello()));  // datagram senders repeat their HELLO
                next_hello += 1s;
            }
            std::this_thread::sleep_for(200us);
        }
    });

    daemon.wait_for_devices();
    auto api = daemon.client();
    ASSERT_EQ(api.post("/api/v1/sessions", {{"athlete_id", "alignment"}}).status, 201u);
    std::this_thread::sleep_until(origin + 1500ms);
    const auto started =
        api.post("/api/v1/trials/start", {{"protocol", "quiet-stance"}, {"limb", "both"}});
    ASSERT_EQ(started.status, 201u) << started.body.dump();
    EXPECT_EQ(started.body["trial"]["alignment"], "device clocks");
    std::this_thread::sleep_until(origin + 3500ms);
    const auto stopped = api.post("/api/v1/trials/stop");
    ASSERT_EQ(stopped.status, 200u) << stopped.body.dump();
    const auto status = api.get("/api/v1/status").body;
    const auto closed = api.del("/api/v1/sessions/current");
    stop = true;
    sender.join();
    ASSERT_EQ(closed.status, 200u) << closed.body.dump();

    const recording::SessionReader reader(closed.body["file"].get<std::string>());
    const auto trial = reader.trials().front().id;
    const auto left_force = reader.trial_force(trial, "left");
    const auto right_force = reader.trial_force(trial, "right");
    const auto left_step = step_sample(left_force);
    const auto right_step = step_sample(right_force);
    ASSERT_TRUE(left_step && right_step);
    const auto difference = static_cast<long>(*left_step) - static_cast<long>(*right_step);
    std::printf(
        "step at trial sample %zu (left) and %zu (right); lengths %zu and %zu; drift "
        "fitted for right: %.1f ppm\n",
        *left_step, *right_step, left_force.samples.size(), right_force.samples.size(),
        status["devices"][1]["clock"]["drift_ppm"].get<double>());
    EXPECT_LE(std::abs(difference), 1) << "the step is " << difference << " samples apart";
    // The step came 1 s after the start: the start lies where it should, within a block's jitter.
    EXPECT_NEAR(static_cast<double>(*left_step), 1000.0, 40.0);
    // The stop is aligned too: both plates end within one sample (2 s at the two crystals' rates
    // differ by 0.2 samples).
    EXPECT_LE(std::abs(static_cast<long>(left_force.samples.size()) -
                       static_cast<long>(right_force.samples.size())),
              1);

    // Offline, the clock maps stored with the streams put the step at the same host time on both
    // plates. Each block's point is its last sample's device time; with the first sample's, the
    // 20-sample and 7-sample blocks would put the two plates 13 ms apart.
    const auto step_host_ns = [&](const std::string& name, std::size_t device,
                                  std::size_t trial_sample) {
        const std::uint64_t index =
            reader.trials().front().start_sample_index.at(device) + trial_sample;
        for (const auto& block : reader.blocks(name)) {
            if (index >= block.first_sample_index &&
                index < block.first_sample_index + block.n_samples) {
                const double device_ns =
                    static_cast<double>(block.device_time_ns) +
                    1e9 * static_cast<double>(index - block.first_sample_index) / kRateHz;
                const auto map = reader.clock_map(name);
                return map->host_at_reference_ns +
                       map->slope * (device_ns - static_cast<double>(map->device_reference_ns));
            }
        }
        ADD_FAILURE() << name << ": no block holds sample " << index;
        return 0.0;
    };
    const double apart_ms =
        (step_host_ns("left", 0, *left_step) - step_host_ns("right", 1, *right_step)) / 1e6;
    std::printf("stored clock maps: the step is %.3f ms apart in host time\n", apart_ms);
    // One sample period (1 ms) plus the difference of the two transports' mean delays (a least-
    // squares line holds the mean delay; on loopback TCP and UDP differ by well under 0.5 ms).
    EXPECT_LE(std::abs(apart_ms), 1.5);
}

}  // namespace
}  // namespace hoplab::acquisition
