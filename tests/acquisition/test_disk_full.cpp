// A full disk while recording (simulated with `ulimit -f`: writes past the limit fail with EFBIG):
// the open trial ends with an error in the API and the log, the daemon keeps serving, and the trial
// recorded before stays intact in the file.
#include <hoplab/recording/recovery_report.hpp>
#include <hoplab/recording/session_reader.hpp>

#include <gtest/gtest.h>

#include <fstream>

#include "support/daemon_process.hpp"

namespace hoplab::acquisition {
namespace {

using namespace std::chrono_literals;

TEST(DiskFull, TheTrialEndsWithAnErrorAndEarlierTrialsStayIntact) {
    const auto dir = testing::fresh_directory("diskfull");
    testing::DaemonProcess daemon(dir, {"--simulate"}, 1536);  // 1.5 MiB per file
    daemon.wait_for_devices();
    auto api = daemon.client();
    ASSERT_EQ(api.post("/api/v1/sessions", {{"athlete_id", "full"}}).status, 201u);
    ASSERT_EQ(api.post("/api/v1/trials/start", {{"protocol", "quiet-stance"}}).status, 201u);
    std::this_thread::sleep_for(1s);
    const auto first = api.post("/api/v1/trials/stop");
    ASSERT_EQ(first.status, 200u) << first.body.dump();
    ASSERT_EQ(api.post("/api/v1/trials/start", {{"protocol", "quiet-stance"}}).status, 201u);
    // Raw and calibrated data grow by ~100 kB/s: the limit is reached within seconds.
    std::string error;
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (error.empty() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(200ms);
        const auto status = api.get("/api/v1/status").body;
        if (status["recorder"]["error"].is_string()) {
            error = status["recorder"]["error"].get<std::string>();
        }
    }
    ASSERT_FALSE(error.empty()) << "the recorder never failed; log: " << daemon.log();
    std::printf("recorder error (first 160 characters): %.160s\n", error.c_str());
    EXPECT_NE(error.find("/data/full_"), std::string::npos) << "names the file: " << error;
    EXPECT_NE(error.find("File too large"), std::string::npos) << "says why: " << error;
    // The stop reports the failure instead of metrics; the daemon still answers.
    const auto stop = api.post("/api/v1/trials/stop");
    EXPECT_GE(stop.status, 400u) << stop.body.dump();
    EXPECT_TRUE(stop.body.contains("error")) << stop.body.dump();
    EXPECT_EQ(api.get("/api/v1/status").status, 200u);
    EXPECT_NE(daemon.log().find("recorder: "), std::string::npos);
    daemon.process().signal(SIGTERM);
    ASSERT_TRUE(daemon.process().wait(15s).has_value());

    const auto files = daemon.session_files();
    ASSERT_EQ(files.size(), 1u);
    const std::filesystem::path file = files.front();
    // The writes that failed left the file shorter than its superblock records (a flush recorded
    // the space of a failed write) or still marked open for writing (they failed before any flush
    // recorded it; raw-stream chunks are written as they complete): recover() pads it, or clears
    // the superblock's flags, so that it opens.
    const auto report = recording::recover(file);
    bool made_openable = false;
    for (const auto& action : report.actions) {
        std::printf("recover: %s\n", action.c_str());
        made_openable =
            made_openable ||
            action.find("bytes shorter than its superblock records") != std::string::npos ||
            action.find("cleared the superblock's open-for-writing flags") != std::string::npos;
    }
    EXPECT_TRUE(made_openable);
    const recording::SessionReader reader(file);
    const auto trials = reader.trials();
    ASSERT_GE(trials.size(), 1u);
    EXPECT_EQ(trials[0].status, "complete");
    EXPECT_NEAR(static_cast<double>(trials[0].samples), 1000.0, 100.0);
    const auto force = reader.trial_force(trials[0].id, trials[0].devices.front());
    EXPECT_EQ(force.samples.size(), trials[0].samples);
    EXPECT_TRUE(reader.trial_analysis_json(trials[0].id).has_value());
    std::filesystem::remove_all(dir);
}

// The data folder becomes unusable between sessions (here: replaced by a regular file, since the
// tests run as root and permissions would not stop them): the next session is refused with the
// path and the reason, the daemon keeps serving, and the session recorded before stays intact.
TEST(UnwritableDataFolder, TheNextSessionIsRefusedWithThePathAndEarlierFilesStayIntact) {
    const auto dir = testing::fresh_directory("unwritable");
    testing::DaemonProcess daemon(dir, {"--simulate"});
    daemon.wait_for_devices();
    auto api = daemon.client();
    ASSERT_EQ(api.post("/api/v1/sessions", {{"athlete_id", "before"}}).status, 201u);
    ASSERT_EQ(api.post("/api/v1/trials/start", {{"protocol", "quiet-stance"}}).status, 201u);
    std::this_thread::sleep_for(800ms);
    ASSERT_EQ(api.post("/api/v1/trials/stop").status, 200u);
    const auto closed = api.del("/api/v1/sessions/current");
    ASSERT_EQ(closed.status, 200u) << closed.body.dump();
    const std::filesystem::path recorded = closed.body["file"].get<std::string>();

    std::filesystem::rename(dir / "data", dir / "data-kept");
    std::ofstream(dir / "data") << "not a folder\n";
    const auto refused = api.post("/api/v1/sessions", {{"athlete_id", "after"}});
    std::printf("refused: %d %s\n", static_cast<int>(refused.status), refused.body.dump().c_str());
    EXPECT_GE(refused.status, 500u) << refused.body.dump();
    const std::string error = refused.body.value("error", "");
    EXPECT_NE(error.find((dir / "data").string()), std::string::npos) << error;
    EXPECT_EQ(api.get("/api/v1/status").status, 200u);
    EXPECT_TRUE(api.get("/api/v1/status").body["session"].is_null());
    // A trial cannot start without the session.
    EXPECT_EQ(api.post("/api/v1/trials/start", {{"protocol", "quiet-stance"}}).status, 409u);

    const recording::SessionReader reader(dir / "data-kept" / recorded.filename());
    ASSERT_EQ(reader.trials().size(), 1u);
    EXPECT_EQ(reader.trials()[0].status, "complete");
    EXPECT_TRUE(reader.closed_utc().has_value());
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace hoplab::acquisition
