// kill -9 of a recording hoplabd: the file is recovered with `hoplab recover` and holds everything
// up to the last flush (DESIGN §5: at most one flush interval, 250 ms by default, is lost).
#include <hoplab/recording/session_reader.hpp>

#include <gtest/gtest.h>

#include "support/daemon_process.hpp"
#include "support/hoplab_run.hpp"

#include <csignal>

namespace hoplab::cli {
namespace {

using namespace std::chrono_literals;

TEST(KillDaemon, AKilledRecordingLosesAtMostOneFlushInterval) {
    const auto dir = testing::fresh_directory("kill9");
    testing::DaemonProcess daemon(dir, {"--simulate"});
    daemon.wait_for_devices();
    auto api = daemon.client();
    ASSERT_EQ(api.post("/api/v1/sessions", {{"athlete_id", "killed"}}).status, 201u);
    ASSERT_EQ(api.post("/api/v1/trials/start", {{"protocol", "quiet-stance"}}).status, 201u);
    std::this_thread::sleep_for(1300ms);
    // What the daemon had accepted just before the kill; it keeps receiving for the few ms until
    // the signal lands, so the loss below is measured against a slight underestimate.
    const auto status = api.get("/api/v1/status").body;
    daemon.process().signal(SIGKILL);
    ASSERT_TRUE(daemon.process().wait(10s).has_value());

    const auto files = daemon.session_files();
    ASSERT_EQ(files.size(), 1u);
    const std::filesystem::path file = files.front();
    const auto recovered = testing::run_hoplab({"recover", file.string()}, dir);
    ASSERT_EQ(recovered.exit_code, 0) << recovered.err << recovered.out;
    EXPECT_NE(recovered.out.find("recovered"), std::string::npos) << recovered.out;

    const recording::SessionReader reader(file);
    ASSERT_EQ(reader.trials().size(), 1u);
    EXPECT_EQ(reader.trials()[0].status.rfind("aborted", 0), 0u) << reader.trials()[0].status;
    for (const auto& device : status["devices"]) {
        const std::string name = device["name"];
        const auto accepted = device["counters"]["samples_accepted"].get<std::uint64_t>();
        const auto kept = reader.raw_sample_count(name);
        // The stream starts at the session's first sample, not at the device's first.
        const auto blocks = reader.blocks(name);
        ASSERT_FALSE(blocks.empty());
        const auto first = blocks.front().first_sample_index;
        const auto lost =
            static_cast<double>(accepted) - static_cast<double>(first) - static_cast<double>(kept);
        std::printf(
            "%s: samples %llu to %llu accepted before the kill, %llu in the recovered "
            "file (%.0f lost, %.0f ms at 1 kHz)\n",
            name.c_str(), static_cast<unsigned long long>(first),
            static_cast<unsigned long long>(accepted), static_cast<unsigned long long>(kept), lost,
            lost);
        // The flush interval (250 ms = 250 samples) plus one 20-sample block in flight.
        EXPECT_LE(lost, 270.0) << name;
        EXPECT_GE(lost, 0.0) << name;    // nothing invented
        EXPECT_GT(kept, 1000u) << name;  // most of the 1.3 s trial is there
    }
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace hoplab::cli
