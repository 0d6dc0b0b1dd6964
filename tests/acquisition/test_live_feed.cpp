// The live WebSocket /api/v1/live of a real hoplabd with simulated plates, read by a Beast client:
// force messages come from the ~30 Hz coalescing timer (never per block), their 5 ms min/max bins
// follow on without a hole, and a trial's start and stop (with its analysis) are announced.
#include <gtest/gtest.h>

#include "support/daemon_process.hpp"

#include <hoplab/acquisition/daemon_config.hpp>
#include <hoplab/acquisition/device_stream.hpp>

#include <utility>

#include <sys/socket.h>
#include <sys/time.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

#include <cmath>
#include <map>
#include <set>

namespace hoplab::acquisition {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using nlohmann::json;

class LiveClient {
  public:
    explicit LiveClient(std::uint16_t port) : ws_(io_) {
        asio::ip::tcp::resolver resolver(io_);
        asio::connect(ws_.next_layer(), resolver.resolve("127.0.0.1", std::to_string(port)));
        // A blocking read that waits more than 2 s fails instead of hanging the test.
        const timeval timeout{2, 0};
        ::setsockopt(ws_.next_layer().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout,
                     sizeof timeout);
        ws_.handshake("127.0.0.1", "/api/v1/live");
    }
    json read() {
        beast::flat_buffer buffer;
        ws_.read(buffer);
        return json::parse(beast::buffers_to_string(buffer.data()));
    }

  private:
    asio::io_context io_;
    beast::websocket::stream<asio::ip::tcp::socket> ws_;
};

// Blocks of 7 samples against 5-sample bins: a bin is often half-filled when the timer takes the
// completed ones, and the next message must still start exactly where the last one ended.
TEST(LiveBinning, MessagesFollowOnWhenBinsStraddleBlocksAndTakes) {
    DeviceConfig config;
    config.name = "left";  // identity calibration: Fz = the third channel's count
    DeviceStream stream(0, config);
    wire::Hello hello;
    hello.device_name = "left";
    hello.rate_hz = 1000;
    hello.channel_names = {"fx", "fy", "fz", "mx", "my", "mz"};
    hello.channel_units = std::vector<std::string>(6, "count");
    ASSERT_FALSE(stream.on_hello(hello, "test").has_value());
    std::uint64_t next_block = 0;
    std::optional<std::uint64_t> expected_first;
    std::size_t bins = 0;
    for (std::uint32_t seq = 0; seq < 100; ++seq) {
        wire::DataBlock block;
        block.first_sample_index = next_block;
        block.n_samples = 7;
        block.n_channels = 6;
        block.counts.assign(7 * 6, 0);
        for (std::size_t s = 0; s < 7; ++s) {
            block.counts[s * 6 + 2] = static_cast<std::int32_t>(next_block + s);  // Fz = index
        }
        stream.on_data(seq, block, 0);
        next_block += 7;
        if (const auto* live = stream.live_bins()) {
            if (expected_first) {
                ASSERT_EQ(live->first_sample_index, *expected_first) << "block " << seq;
            }
            // Fz rises with the index: each bin's min is its first sample.
            for (std::size_t b = 0; b < live->fz_min_n.size(); ++b) {
                ASSERT_EQ(live->fz_min_n[b], static_cast<float>(live->first_sample_index + 5 * b));
                ASSERT_EQ(live->fz_max_n[b],
                          static_cast<float>(live->first_sample_index + 5 * b + 4));
            }
            expected_first = live->first_sample_index + 5 * live->fz_min_n.size();
            bins += live->fz_min_n.size();
            stream.clear_live_bins();
            ASSERT_EQ(stream.live_bins(), nullptr);
        }
    }
    EXPECT_EQ(bins, 700u / 5);
}

TEST(LiveFeed, CoalescedContinuousBinsAndTrialEvents) {
    const auto dir = testing::fresh_directory("live");
    testing::DaemonProcess daemon(dir, {"--simulate"});
    daemon.wait_for_devices();
    LiveClient live(daemon.http_port());

    std::map<std::string, int> messages;              // per device: "forces" messages with its bins
    std::map<std::string, std::uint64_t> next_index;  // where the next message must start
    std::map<std::string, std::uint64_t> bins;
    int holes = 0;
    int ticks = 0;  // "forces" messages
    const auto start = std::chrono::steady_clock::now();
    double seconds = 0;
    while (seconds < 2.0) {
        const json m = live.read();
        seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (m["type"] != "forces") {
            continue;
        }
        ++ticks;
        // One message per tick holds every device that completed bins in it, each once.
        ASSERT_TRUE(m["devices"].is_array()) << m.dump();
        ASSERT_GE(m["devices"].size(), 1u) << m.dump();
        std::set<std::string> in_message;
        for (const auto& d : m["devices"]) {
            const std::string device = d["device"];
            ASSERT_TRUE(in_message.insert(device).second) << m.dump();
            EXPECT_EQ(d["rate_hz"].get<double>(), 200.0);  // 5 ms bins of the 1 kHz plates
            const auto n = d["fz_min_n"].size();
            ASSERT_GE(n, 1u);
            ASSERT_EQ(d["fz_max_n"].size(), n);
            for (std::size_t k = 0; k < n; ++k) {
                const double low = d["fz_min_n"][k].get<double>();
                const double high = d["fz_max_n"][k].get<double>();
                ASSERT_LE(low, high);
                // Each bin is a float32 in its shortest text: read as a double it is within half
                // a float32 step (2^-24 relative) of that float, and it reads back as it.
                for (const double v : {low, high}) {
                    EXPECT_LE(std::abs(static_cast<double>(static_cast<float>(v)) - v),
                              std::abs(v) * 0x1p-24)
                        << d.dump();
                }
            }
            const auto first = d["first_sample_index"].get<std::uint64_t>();
            if (next_index.count(device) != 0 && first != next_index[device]) {
                ++holes;
                ADD_FAILURE() << device << ": message starts at sample " << first << ", expected "
                              << next_index[device];
            }
            next_index[device] = first + 5 * n;
            bins[device] += n;
            ++messages[device];
        }
    }
    // At most one message per tick (plus the one in flight at the start).
    const double ticks_in_2_s =
        2.0 / std::chrono::duration<double>(DaemonConfig{}.live_interval).count();
    EXPECT_LE(ticks, static_cast<int>(ticks_in_2_s) + 2);
    ASSERT_EQ(messages.size(), 2u);  // left and right
    for (const auto& [device, count] : messages) {
        // Never more messages per device than ticks (plus the one in flight at the start). The
        // simulator sends 50 blocks per second, so about 100 messages arrive in 2 s; at least
        // half that even on a loaded machine.
        EXPECT_GE(count, 50) << device;
        EXPECT_LE(count, static_cast<int>(ticks_in_2_s) + 2) << device;
        // 2 s at 200 bins/s, give or take the first message's partial coverage and jitter.
        EXPECT_NEAR(static_cast<double>(bins[device]), 400.0, 40.0) << device;
        std::printf("live %s: %d messages, %llu bins in %.2f s\n", device.c_str(), count,
                    static_cast<unsigned long long>(bins[device]), seconds);
    }
    EXPECT_EQ(holes, 0);

    auto api = daemon.client();
    ASSERT_EQ(api.post("/api/v1/sessions", {{"athlete_id", "live"}, {"mass_kg", 75.0}}).status,
              201u);
    ASSERT_EQ(
        api.post("/api/v1/trials/start", {{"protocol", "quiet-stance"}, {"limb", "both"}}).status,
        201u);
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    const auto stop = api.post("/api/v1/trials/stop");
    ASSERT_EQ(stop.status, 200u) << stop.body.dump();
    bool started = false, stopped = false;
    for (int i = 0; i < 400 && !stopped; ++i) {
        const json m = live.read();
        if (m["type"] == "trial_started") {
            started = true;
            EXPECT_EQ(m["trial"]["id"], "trial-001") << m.dump();
        }
        if (m["type"] == "trial_stopped") {
            stopped = true;
            EXPECT_EQ(m["trial"]["id"], "trial-001") << m.dump();
            EXPECT_EQ(m["analysis"]["protocol"], "quiet-stance") << m.dump();
            // The viewers get the very analysis the stop request returned.
            EXPECT_EQ(m["analysis"], stop.body["analysis"]);
            EXPECT_TRUE(m["analysis"].contains("provenance"));
        }
    }
    EXPECT_TRUE(started);
    EXPECT_TRUE(stopped);
    EXPECT_EQ(api.del("/api/v1/sessions/current").status, 200u);
}

}  // namespace
}  // namespace hoplab::acquisition
