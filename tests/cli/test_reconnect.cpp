// An amplifier that drops its connection and comes back with its sample counter restarted (a
// reboot) mid-trial: the daemon shows it disconnected, then accepts the new stream with indices
// that continue where the old one stopped, marks the restart in the gaps table, and the trial keeps
// every sample from both connections.
#include <hoplab/cli/child_process.hpp>
#include <hoplab/recording/session_reader.hpp>

#include <gtest/gtest.h>

#include "support/daemon_process.hpp"

#include <csignal>

namespace hoplab::cli {
namespace {

using namespace std::chrono_literals;

TEST(Reconnect, ARestartedAmplifierContinuesTheTrialWithoutLosingSamples) {
    const auto dir = testing::fresh_directory("reconnect");
    testing::DaemonProcess daemon(dir);
    auto api = daemon.client();
    std::optional<ChildProcess> first;
    first.emplace(daemon.device_sim(HOPLAB_PATH, {"--seed", "1"}, dir / "sim1.log"));
    daemon.wait_for_devices();
    ASSERT_EQ(api.post("/api/v1/sessions", {{"athlete_id", "reboot"}}).status, 201u);
    ASSERT_EQ(api.post("/api/v1/trials/start", {{"protocol", "quiet-stance"}}).status, 201u);
    std::this_thread::sleep_for(800ms);
    first->signal(SIGKILL);
    (void)first->wait(5s);
    first.reset();
    std::this_thread::sleep_for(300ms);
    const auto down = api.get("/api/v1/status").body;
    for (const auto& device : down["devices"]) {
        EXPECT_FALSE(device["connected"].get<bool>()) << device.dump();
    }
    ChildProcess second(daemon.device_sim(HOPLAB_PATH, {"--seed", "2"}, dir / "sim2.log"));
    daemon.wait_for_devices();
    std::this_thread::sleep_for(800ms);
    const auto stop = api.post("/api/v1/trials/stop");
    ASSERT_EQ(stop.status, 200u) << stop.body.dump();
    // The trial says it spans a restart, in the answer and in the analysis' quality flags.
    ASSERT_EQ(stop.body["losses"].size(), 2u) << stop.body.dump();
    for (const auto& loss : stop.body["losses"]) {
        EXPECT_NE(loss.get<std::string>().find("restarted during the trial"), std::string::npos)
            << loss;
    }
    if (!stop.body["analysis"].is_null()) {
        const auto& flags = stop.body["analysis"]["quality_flags"];
        EXPECT_TRUE(std::any_of(flags.begin(), flags.end(), [](const auto& flag) {
            return flag.template get<std::string>().find("restarted during the trial") !=
                   std::string::npos;
        })) << flags.dump();
    }
    const auto status = api.get("/api/v1/status").body;
    const auto closed = api.del("/api/v1/sessions/current");
    ASSERT_EQ(closed.status, 200u);
    const recording::SessionReader reader(closed.body["file"].get<std::string>());
    const auto trial = reader.trials().front();
    for (const auto& device : status["devices"]) {
        const std::string name = device["name"];
        EXPECT_EQ(device["counters"]["restarts"].get<std::uint64_t>(), 1u) << name;
        EXPECT_EQ(device["counters"]["samples_lost"].get<std::uint64_t>(), 0u) << name;
        const auto gaps = reader.gaps(name);
        ASSERT_EQ(gaps.size(), 1u) << name;
        EXPECT_EQ(gaps[0].count, 0u);
        EXPECT_EQ(gaps[0].reason.rfind("device restarted: its index ", 0), 0u) << gaps[0].reason;
        // The raw stream is one run of consecutive indices across both connections.
        const auto blocks = reader.blocks(name);
        for (std::size_t b = 1; b < blocks.size(); ++b) {
            ASSERT_EQ(blocks[b].first_sample_index,
                      blocks[b - 1].first_sample_index + blocks[b - 1].n_samples)
                << name << " block " << b;
        }
        EXPECT_EQ(reader.raw_sample_count(name), blocks.back().first_sample_index +
                                                     blocks.back().n_samples -
                                                     blocks.front().first_sample_index);
    }
    // The trial holds samples from before and after the reconnect: 1.6 s of streaming, give or
    // take the reconnect wait (the amplifier samples nothing while it is down).
    const auto start = trial.start_sample_index.front();
    const auto stop_index = trial.stop_sample_index.front();
    EXPECT_EQ(trial.samples, stop_index - start);
    EXPECT_GT(trial.samples, 1400u);
    std::printf("reconnect: trial %llu samples (indices %llu to %llu), restart marked at %llu\n",
                static_cast<unsigned long long>(trial.samples),
                static_cast<unsigned long long>(start), static_cast<unsigned long long>(stop_index),
                static_cast<unsigned long long>(reader.gaps("left")[0].first_missing_index));
}

}  // namespace
}  // namespace hoplab::cli
