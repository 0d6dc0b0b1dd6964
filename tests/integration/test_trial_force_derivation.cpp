// hoplabd records only the raw streams while a trial runs and derives the trial's calibrated force
// from them when the trial ends. Interrupted trials must still get their force: after kill -9 from
// `hoplab recover`, after SIGTERM from the daemon's own graceful stop (which ends the trial as the
// API's stop does). In both cases the trial's force must be the calibration of the raw rows it
// spans, every one of them that reached the file.
#include <hoplab/recording/session_reader.hpp>

#include <gtest/gtest.h>

#include <csignal>

#include "support/daemon_process.hpp"
#include "support/hoplab_run.hpp"

namespace hoplab {
namespace {

using namespace std::chrono_literals;

// Checks one device of the file's only trial: its force rows are the last raw rows of the stream
// that have their block row (a trial spans a contiguous run of raw rows up to the end of the
// recording here, since it was never stopped), each equal bit for bit to the per-row calibration
// of that row through the device's stored calibration (no tare in this session), and the stored
// stop index is one past the last of them.
void expect_force_of_every_surviving_row(const recording::SessionReader& reader,
                                         std::size_t index) {
    const recording::DeviceInfo& device = reader.devices().at(index);
    const auto trial = reader.trials().front();
    const auto blocks = reader.blocks(device.name);
    ASSERT_FALSE(blocks.empty()) << device.name;
    const std::uint64_t raw_rows = reader.raw_sample_count(device.name);
    // Rows of a block the writer never flushed have no sample index: the recording ends at the
    // last block row.
    std::uint64_t covered_rows = 0;
    std::uint64_t end_sample = 0;
    std::uint64_t row = 0;
    for (const auto& block : blocks) {
        const std::uint64_t rows = std::min<std::uint64_t>(block.n_samples, raw_rows - row);
        covered_rows = row + rows;
        end_sample = block.first_sample_index + rows;
        row += block.n_samples;
        if (row >= raw_rows) {
            break;
        }
    }
    const recording::TrialForce force = reader.trial_force(trial.id, device.name);
    const std::uint64_t n = force.samples.size();
    std::printf("%s: %llu raw rows (%llu with a block row), trial force %llu rows, stop %llu\n",
                device.name.c_str(), static_cast<unsigned long long>(raw_rows),
                static_cast<unsigned long long>(covered_rows), static_cast<unsigned long long>(n),
                static_cast<unsigned long long>(trial.stop_sample_index.at(0)));
    // The trial ran for 1.3 s at 1 kHz before the signal.
    ASSERT_GT(n, 1000U) << device.name;
    ASSERT_LE(n, covered_rows) << device.name;
    EXPECT_EQ(trial.stop_sample_index.at(index), end_sample) << device.name;
    EXPECT_GE(end_sample - n, trial.start_sample_index.at(index)) << device.name;
    const auto raw = reader.raw_samples(device.name, covered_rows - n, n);
    const std::size_t channels = raw.channels;
    for (std::size_t k = 0; k < n; ++k) {
        const auto w = device.calibration.to_wrench(
            std::span<const double>(raw.values).subspan(k * channels, channels));
        ASSERT_EQ(force.samples[k], w) << device.name << " row " << k;
        const auto cop = device.calibration.centre_of_pressure(w, force.cop_threshold_n);
        ASSERT_EQ(force.cop[k].has_value(), cop.has_value()) << device.name << " row " << k;
        if (cop) {
            ASSERT_EQ(force.cop[k]->x_m, cop->x_m) << device.name << " row " << k;
            ASSERT_EQ(force.cop[k]->y_m, cop->y_m) << device.name << " row " << k;
        }
    }
}

// Starts a simulated two-plate daemon, opens a session and a trial, records 1.3 s and sends
// `signal` to the daemon. Returns the session file.
std::filesystem::path record_and_signal(const std::filesystem::path& dir,
                                        testing::DaemonProcess& daemon, int signal) {
    daemon.wait_for_devices();
    auto api = daemon.client();
    EXPECT_EQ(api.post("/api/v1/sessions", {{"athlete_id", "interrupted"}}).status, 201u);
    EXPECT_EQ(api.post("/api/v1/trials/start", {{"protocol", "quiet-stance"}}).status, 201u);
    std::this_thread::sleep_for(1300ms);
    daemon.process().signal(signal);
    EXPECT_TRUE(daemon.process().wait(20s).has_value()) << dir;
    const auto files = daemon.session_files();
    EXPECT_EQ(files.size(), 1u);
    return files.empty() ? std::filesystem::path() : files.front();
}

TEST(TrialForceDerivation, KillDuringATrialThenRecoverGivesTheForceOfEverySurvivingRawRow) {
    const auto dir = testing::fresh_directory("derive-kill9");
    testing::DaemonProcess daemon(dir, {"--simulate"});
    const auto file = record_and_signal(dir, daemon, SIGKILL);
    ASSERT_FALSE(file.empty());
    {
        // Before recovery the trial's force datasets are empty: it lives in the raw streams.
        const recording::SessionReader before(file);
        ASSERT_EQ(before.trials().size(), 1u);
        EXPECT_EQ(before.trials().front().samples, 0u);
        EXPECT_GT(before.raw_sample_count(before.devices().front().name), 1000u);
    }
    const auto recovered = testing::run_hoplab({"recover", file.string()}, dir);
    ASSERT_EQ(recovered.exit_code, 0) << recovered.err << recovered.out;
    EXPECT_NE(recovered.out.find("derived the calibrated force of"), std::string::npos)
        << recovered.out;
    const recording::SessionReader reader(file);
    ASSERT_EQ(reader.trials().size(), 1u);
    EXPECT_EQ(reader.trials().front().status.rfind("aborted: ", 0), 0u)
        << reader.trials().front().status;
    ASSERT_EQ(reader.devices().size(), 2u);
    for (std::size_t i = 0; i < reader.devices().size(); ++i) {
        expect_force_of_every_surviving_row(reader, i);
    }
    std::filesystem::remove_all(dir);
}

TEST(TrialForceDerivation, SigtermDuringATrialClosesItWithTheForceOfEveryRawRow) {
    const auto dir = testing::fresh_directory("derive-sigterm");
    testing::DaemonProcess daemon(dir, {"--simulate"});
    const auto file = record_and_signal(dir, daemon, SIGTERM);
    ASSERT_FALSE(file.empty());
    const recording::SessionReader reader(file);
    EXPECT_TRUE(reader.closed_utc().has_value());  // closed by the daemon, no recovery needed
    ASSERT_EQ(reader.trials().size(), 1u);
    // The daemon stops the open trial as the API's stop does, with its analysis.
    EXPECT_EQ(reader.trials().front().status, "complete");
    EXPECT_TRUE(reader.trials().front().has_analysis);
    ASSERT_EQ(reader.devices().size(), 2u);
    for (std::size_t i = 0; i < reader.devices().size(); ++i) {
        expect_force_of_every_surviving_row(reader, i);
    }
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace hoplab
