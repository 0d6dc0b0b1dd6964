// `hoplab device-sim` damages its own DATA messages (drop, corrupt, duplicate, reorder) and says
// what it did; a real hoplabd's per-stream accounting must equal that summary exactly
// (docs/protocol.md §6), and accepted + lost samples must equal what the device sent — over each
// transport: a TCP connection, UDP datagrams, and COBS frames on a pseudo-terminal opened as a
// serial port.
#include <hoplab/acquisition/simulated_plate.hpp>
#include <hoplab/cli/child_process.hpp>

#include <gtest/gtest.h>

#include <fstream>

#include "support/daemon_process.hpp"

namespace hoplab::cli {
namespace {

using namespace std::chrono_literals;

// A daemon configuration for the simulator's two plates on `transport` (serial: `serial_path`),
// with their factory calibrations written beside it.
std::filesystem::path write_simulated_lab(const std::filesystem::path& dir,
                                          const std::string& transport,
                                          const std::string& serial_path = {}) {
    std::ofstream config(dir / "lab.toml");
    for (const std::string name : {"left", "right"}) {
        std::ofstream(dir / (name + ".toml"))
            << acquisition::simulated_plate_calibration("SIM-" + name, false).to_toml();
        config << "[[device]]\nname = \"" << name << "\"\ntransport = \"" << transport
               << "\"\nlimb = \"" << name << "\"\ncalibration = \"" << name << ".toml\"\n";
        if (transport == "serial") {
            config << "port = \"" << serial_path << "\"\nbaud = 921600\n";
        }
    }
    return dir / "lab.toml";
}

class DeviceSimDamage : public ::testing::TestWithParam<std::string> {};

TEST_P(DeviceSimDamage, DaemonCountersEqualTheSimulatorsSummary) {
    const std::string transport = GetParam();
    const auto dir = testing::fresh_directory("damage-" + transport);
    const std::vector<std::string> damage_switches{"--duration", "4",    "--drop",        "0.05",
                                                   "--corrupt",  "0.03", "--duplicate",   "0.04",
                                                   "--reorder",  "0.03", "--damage-seed", "11"};
    const auto start_sim = [&](const std::string& url) {
        std::vector<std::string> arguments{"device-sim", "--connect", url};
        arguments.insert(arguments.end(), damage_switches.begin(), damage_switches.end());
        return std::make_unique<ChildProcess>(
            ChildProcess::Options{HOPLAB_PATH, arguments, dir / "device-sim.log", true, true, {}});
    };
    std::unique_ptr<ChildProcess> sim;
    std::optional<testing::DaemonProcess> daemon;
    if (transport == "tcp") {
        daemon.emplace(dir);
        sim = start_sim("tcp://127.0.0.1:" + std::to_string(daemon->device_port()));
    } else if (transport == "udp") {
        daemon.emplace(dir, std::vector<std::string>{"--config", write_simulated_lab(dir, "udp"),
                                                     "--udp-listen", "127.0.0.1:0"});
        ASSERT_NE(daemon->udp_port(), 0);
        sim = start_sim("udp://127.0.0.1:" + std::to_string(daemon->udp_port()));
    } else {
        // The simulator makes the pseudo-terminal and names it; the daemon then opens it.
        sim = start_sim("pty");
        const auto line = sim->read_line(10s);
        ASSERT_TRUE(line.has_value()) << "device-sim printed no serial path";
        const auto event = nlohmann::json::parse(*line);
        ASSERT_EQ(event["event"], "serial") << *line;
        daemon.emplace(dir, std::vector<std::string>{
                                "--config", write_simulated_lab(dir, "serial", event["path"])});
    }
    nlohmann::json summary;
    while (auto line = sim->read_line(15s)) {
        const auto event = nlohmann::json::parse(*line, nullptr, false);
        if (!event.is_discarded() && event.value("event", "") == "summary") {
            summary = event;
        }
    }
    ASSERT_EQ(sim->wait(10s), 0);
    ASSERT_TRUE(summary.contains("plates")) << "no summary from device-sim";
    EXPECT_EQ(summary["link"], transport == "serial" ? "pty" : transport);
    // Let the daemon read what is still in its socket.
    std::this_thread::sleep_for(300ms);
    const auto status = daemon->client().get("/api/v1/status").body;
    if (transport == "udp") {
        const auto& udp = status["listeners"]["udp"];
        EXPECT_GT(udp["datagrams"].get<std::uint64_t>(), 0u) << udp.dump();
        EXPECT_EQ(udp["ignored_datagrams"].get<std::uint64_t>(), 0u) << udp.dump();
    }
    ASSERT_EQ(summary["plates"].size(), 2u);
    for (const auto& plate : summary["plates"]) {
        const auto& damage = plate["damage"];
        const auto& unseen = plate["damage_after_last_intact_message"];
        nlohmann::json counters;
        std::uint64_t next_sample_index = 0;
        for (const auto& device : status["devices"]) {
            if (device["name"] == plate["name"]) {
                counters = device["counters"];
                next_sample_index = device["next_sample_index"].get<std::uint64_t>();
            }
        }
        ASSERT_FALSE(counters.is_null()) << status.dump();
        const auto u = [](const nlohmann::json& j, const char* key) {
            return j[key].get<std::uint64_t>();
        };
        // Every kind of damage happened, so every equality below is exercised.
        for (const char* kind : {"dropped_messages", "corrupted_messages", "duplicated_messages",
                                 "reordered_messages"}) {
            EXPECT_GT(u(damage, kind), 0u) << plate["name"] << " " << kind;
        }
        EXPECT_EQ(u(counters, "crc_failures"), u(damage, "corrupted_messages")) << plate.dump();
        EXPECT_EQ(u(counters, "duplicates"), u(damage, "duplicated_messages")) << plate.dump();
        EXPECT_EQ(u(counters, "out_of_order"), u(damage, "reordered_messages")) << plate.dump();
        EXPECT_EQ(u(counters, "samples_lost"), u(damage, "dropped_samples") +
                                                   u(damage, "corrupted_samples") +
                                                   u(damage, "reordered_samples"))
            << plate.dump();
        EXPECT_EQ(u(counters, "messages_lost"), u(damage, "dropped_messages") +
                                                    u(damage, "corrupted_messages") +
                                                    u(damage, "reordered_messages"))
            << plate.dump();
        // Nothing invented, nothing unaccounted: what was accepted and what was declared lost
        // make up every sample the device sent, except damage nothing came after.
        const auto trailing = u(unseen, "dropped_samples") + u(unseen, "corrupted_samples") +
                              u(unseen, "held_samples");
        EXPECT_EQ(u(counters, "samples_accepted") + u(counters, "samples_lost"),
                  u(plate, "samples_sent") - trailing)
            << plate.dump() << counters.dump();
        EXPECT_EQ(next_sample_index, u(plate, "next_sample_index") - trailing);
        std::printf(
            "%s over %s: sent %llu, accepted %llu, lost %llu (dropped %llu, corrupted %llu, "
            "reordered %llu); duplicates %llu; CRC failures %llu\n",
            plate["name"].get<std::string>().c_str(), transport.c_str(),
            static_cast<unsigned long long>(u(plate, "samples_sent")),
            static_cast<unsigned long long>(u(counters, "samples_accepted")),
            static_cast<unsigned long long>(u(counters, "samples_lost")),
            static_cast<unsigned long long>(u(damage, "dropped_samples")),
            static_cast<unsigned long long>(u(damage, "corrupted_samples")),
            static_cast<unsigned long long>(u(damage, "reordered_samples")),
            static_cast<unsigned long long>(u(counters, "duplicates")),
            static_cast<unsigned long long>(u(counters, "crc_failures")));
    }
}

// The simulator's other switches: a crystal 400 ppm fast and a connection pulled every 1.5 s. The
// daemon fits the drift from the device times and, since sampling pauses while the cable is out,
// sees every sample with no loss and no restart.
TEST(DeviceSimClock, TheDaemonFitsTheDriftAndRidesOutThePulledCables) {
    const auto dir = testing::fresh_directory("drift");
    testing::DaemonProcess daemon(dir);
    ChildProcess sim(daemon.device_sim(
        HOPLAB_PATH, {"--duration", "4", "--clock-drift-ppm", "400", "--disconnect-after", "1.5"}));
    nlohmann::json summary;
    while (auto line = sim.read_line(15s)) {
        const auto event = nlohmann::json::parse(*line, nullptr, false);
        if (!event.is_discarded() && event.value("event", "") == "summary") {
            summary = event;
        }
    }
    ASSERT_EQ(sim.wait(10s), 0);
    ASSERT_TRUE(summary.contains("plates")) << "no summary from device-sim";
    std::this_thread::sleep_for(300ms);
    const auto status = daemon.client().get("/api/v1/status").body;
    const auto disconnects = summary["disconnects"].get<std::uint64_t>();
    EXPECT_GE(disconnects, 1u) << summary.dump();
    EXPECT_EQ(summary["connections"].get<std::uint64_t>(), disconnects + 1) << summary.dump();
    for (const auto& device : status["devices"]) {
        const auto& counters = device["counters"];
        std::uint64_t sent = 0;
        for (const auto& plate : summary["plates"]) {
            if (plate["name"] == device["name"]) {
                sent = plate["samples_sent"].get<std::uint64_t>();
            }
        }
        EXPECT_EQ(counters["samples_accepted"].get<std::uint64_t>(), sent) << device.dump();
        EXPECT_EQ(counters["samples_lost"].get<std::uint64_t>(), 0u) << device.dump();
        EXPECT_EQ(counters["restarts"].get<std::uint64_t>(), 0u) << device.dump();
        // 4 s of 20 ms blocks on loopback: the lower envelope of the receipt times holds the
        // slope to a few ppm; 60 ppm leaves room for a loaded machine.
        const double drift = device["clock"]["drift_ppm"].get<double>();
        EXPECT_NEAR(drift, -400.0, 60.0) << device.dump();
        std::printf(
            "%s: %llu samples, %llu disconnects, fitted drift %.1f ppm (simulated +400 "
            "ppm crystal)\n",
            device["name"].get<std::string>().c_str(), static_cast<unsigned long long>(sent),
            static_cast<unsigned long long>(disconnects), drift);
    }
}

INSTANTIATE_TEST_SUITE_P(Transports, DeviceSimDamage, ::testing::Values("tcp", "udp", "serial"),
                         [](const auto& test) { return test.param; });

}  // namespace
}  // namespace hoplab::cli
