// `hoplab device-sim` damages its own DATA messages (drop, corrupt, duplicate, reorder) and says
// what it did; a real hoplabd's per-stream accounting must equal that summary exactly
// (docs/protocol.md §6), and accepted + lost samples must equal what the device sent.
#include <hoplab/cli/child_process.hpp>

#include <gtest/gtest.h>

#include "support/daemon_process.hpp"

namespace hoplab::cli {
namespace {

using namespace std::chrono_literals;

TEST(DeviceSimDamage, DaemonCountersEqualTheSimulatorsSummary) {
    const auto dir = testing::fresh_directory("damage");
    testing::DaemonProcess daemon(dir);
    ChildProcess sim(ChildProcess::Options{
        HOPLAB_PATH,
        {"device-sim", "--connect", "tcp://127.0.0.1:" + std::to_string(daemon.device_port()),
         "--duration", "4", "--drop", "0.05", "--corrupt", "0.03", "--duplicate", "0.04",
         "--reorder", "0.03", "--damage-seed", "11"},
        dir / "device-sim.log",
        true,
        true,
        {}});
    nlohmann::json summary;
    while (auto line = sim.read_line(15s)) {
        const auto event = nlohmann::json::parse(*line, nullptr, false);
        if (!event.is_discarded() && event.value("event", "") == "summary") {
            summary = event;
        }
    }
    ASSERT_EQ(sim.wait(10s), 0);
    ASSERT_TRUE(summary.contains("plates")) << "no summary from device-sim";
    // Let the daemon read what is still in its socket.
    std::this_thread::sleep_for(300ms);
    const auto status = daemon.client().get("/api/v1/status").body;
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
            "%s: sent %llu, accepted %llu, lost %llu (dropped %llu, corrupted %llu, "
            "reordered %llu); duplicates %llu; CRC failures %llu\n",
            plate["name"].get<std::string>().c_str(),
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

}  // namespace
}  // namespace hoplab::cli
