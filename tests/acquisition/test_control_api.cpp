// The control API of a real hoplabd process on loopback: every bad request gets a JSON error with a
// 4xx status.
#include <gtest/gtest.h>

#include <cmath>

#include "support/daemon_process.hpp"

#include <csignal>

namespace hoplab::acquisition {
namespace {

using nlohmann::json;

class ControlApi : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        dir_ = new std::filesystem::path(testing::fresh_directory("api"));
        daemon_ = new testing::DaemonProcess(*dir_, {"--simulate"});
        daemon_->wait_for_devices();
    }
    static void TearDownTestSuite() {
        delete daemon_;
        std::filesystem::remove_all(*dir_);
        delete dir_;
    }
    static ControlClient api() { return daemon_->client(); }

    static void expect_error(const ControlResponse& response, unsigned status,
                             const std::string& fragment) {
        EXPECT_EQ(response.status, status) << response.body.dump();
        ASSERT_TRUE(response.body.is_object()) << response.body.dump();
        ASSERT_TRUE(response.body.contains("error")) << response.body.dump();
        EXPECT_NE(response.body["error"].get<std::string>().find(fragment), std::string::npos)
            << "expected '" << fragment << "' in " << response.body.dump();
    }

    static inline std::filesystem::path* dir_ = nullptr;
    static inline testing::DaemonProcess* daemon_ = nullptr;
};

TEST_F(ControlApi, MalformedJsonIs400) {
    expect_error(api().raw("POST", "/api/v1/sessions", "{\"athlete_id\": "), 400, "malformed JSON");
    expect_error(api().raw("POST", "/api/v1/sessions", "[1,2]"), 400, "JSON object");
}

// The calibration capture: bad requests are 4xx and named; a good one answers the raw statistics
// of exactly the requested window (the built-in simulated plates: Fz offset 4000 counts, no load).
TEST_F(ControlApi, CaptureValidatesAndAnswersTheWindow) {
    const std::string target = "/api/v1/devices/left/capture";
    expect_error(api().post(target, {{"seconds", 100}}), 400, "'seconds' must be 0.2 to 30");
    expect_error(api().post(target, {{"seconds", "two"}}), 400, "'seconds' (a number) is required");
    expect_error(api().post(target, {{"seconds", 1}, {"sec", 1}}), 400, "unknown field 'sec'");
    expect_error(api().post("/api/v1/devices/middle/capture", {{"seconds", 1}}), 404,
                 "no device named 'middle'");
    expect_error(api().get(target), 405, "GET is not allowed");
    const auto captured = api().post(target, {{"seconds", 0.5}});
    ASSERT_EQ(captured.status, 200u) << captured.body.dump();
    const double rate = captured.body["rate_hz"].get<double>();
    EXPECT_EQ(captured.body["samples"].get<double>(), std::round(0.5 * rate));
    EXPECT_EQ(captured.body["unit"], "count");
    ASSERT_EQ(captured.body["mean_raw"].size(), 6u);
    const double fz = captured.body["mean_raw"][2].get<double>();
    const double sd = captured.body["sd_raw"][2].get<double>();
    // Unloaded: the amplifier zero of 4000 counts, noise 1.5 N / 0.05 N per count = 30 counts.
    EXPECT_NEAR(fz, 4000.0, 10.0);
    EXPECT_NEAR(sd, 30.0, 6.0);
    EXPECT_LE(captured.body["min_raw"][2].get<double>(), fz);
    EXPECT_GE(captured.body["max_raw"][2].get<double>(), fz);
}

TEST_F(ControlApi, UnknownFieldIs400AndNamed) {
    expect_error(api().post("/api/v1/sessions", {{"athlete_id", "a1"}, {"masss_kg", 70}}), 400,
                 "'masss_kg'");
}

TEST_F(ControlApi, AthleteIdThatWouldEscapeTheDataFolderIs400) {
    for (const char* id : {"../etc", "a/b", "..", "x y"}) {
        expect_error(api().post("/api/v1/sessions", {{"athlete_id", id}}), 400, "athlete_id");
    }
    expect_error(api().post("/api/v1/sessions", json::object()), 400, "athlete_id");
    expect_error(api().post("/api/v1/sessions", {{"athlete_id", "a1"}, {"mass_kg", -3}}), 400,
                 "mass_kg");
    expect_error(
        api().post("/api/v1/sessions", {{"athlete_id", "a1"}, {"involved_limb", "middle"}}), 400,
        "involved_limb");
}

TEST_F(ControlApi, OversizeBodyIs413) {
    const std::string huge = "{\"notes\": \"" + std::string(100 * 1024, 'x') + "\"}";
    const auto response = api().raw("POST", "/api/v1/sessions", huge);
    EXPECT_EQ(response.status, 413u) << response.body.dump();
}

TEST_F(ControlApi, TrialWithoutSessionIs409) {
    expect_error(api().post("/api/v1/trials/start", {{"protocol", "cmj"}}), 409, "no session");
    expect_error(api().post("/api/v1/trials/stop"), 409, "no trial");
}

TEST_F(ControlApi, UnknownRouteAndWrongMethod) {
    expect_error(api().get("/api/v1/nothing"), 404, "no such endpoint");
    expect_error(api().get("/api/v1/sessions"), 405, "allowed: POST");
    expect_error(api().post("/api/v1/devices/nope/tare"), 404, "no device named 'nope'");
    expect_error(api().post("/api/v1/devices/..%2f/tare"), 400, "not a device name");
}

TEST_F(ControlApi, StatusAndMetricsReportEveryDevice) {
    const auto status = api().get("/api/v1/status");
    ASSERT_EQ(status.status, 200u);
    EXPECT_EQ(status.body["devices"].size(), 2u);
    EXPECT_EQ(status.body["software"]["name"], "hoplab");
    const auto metrics = api().get("/metrics");
    ASSERT_EQ(metrics.status, 200u);
    const auto text = metrics.body.get<std::string>();
    EXPECT_NE(text.find("hoplab_samples_received_total{device=\"left\"}"), std::string::npos)
        << text;
    EXPECT_NE(text.find("hoplab_crc_failures_total{device=\"right\"} 0"), std::string::npos)
        << text;
}

TEST_F(ControlApi, TareRecoversTheAmplifierOffsets) {
    std::this_thread::sleep_for(
        std::chrono::milliseconds(2200));  // the tare window is the last 2 s
    const auto response = api().post("/api/v1/devices/left/tare");
    ASSERT_EQ(response.status, 200u) << response.body.dump();
    const auto offsets = response.body["offsets"].get<std::vector<double>>();
    ASSERT_EQ(offsets.size(), 6u);
    // The simulated amplifier's Fz zero is 4000 counts; 2000 samples of 1.5 N noise (30 counts)
    // average to within ~0.7 counts, so 0.1 % (4 counts) is a strict bound.
    EXPECT_NEAR(offsets[2], 4000.0, 4.0);
    EXPECT_NEAR(offsets[0], 1500.0, 0.001 * 1500.0 + 4.0);
}

TEST_F(ControlApi, SessionAndTrialLifecycle) {
    const auto opened =
        api().post("/api/v1/sessions", {{"athlete_id", "lifecycle"}, {"mass_kg", 70.0}});
    ASSERT_EQ(opened.status, 201u) << opened.body.dump();
    expect_error(api().post("/api/v1/sessions", {{"athlete_id", "again"}}), 409, "already open");
    expect_error(api().post("/api/v1/trials/start", {{"protocol", "hopscotch"}}), 400,
                 "unknown protocol");
    ASSERT_EQ(
        api().post("/api/v1/trials/start", {{"protocol", "quiet-stance"}, {"limb", "both"}}).status,
        201u);
    expect_error(api().post("/api/v1/trials/start", {{"protocol", "cmj"}}), 409,
                 "already recording");
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const auto stopped = api().post("/api/v1/trials/stop");
    ASSERT_EQ(stopped.status, 200u) << stopped.body.dump();
    EXPECT_EQ(stopped.body["trial"]["id"], "trial-001");
    const auto closed = api().del("/api/v1/sessions/current");
    ASSERT_EQ(closed.status, 200u) << closed.body.dump();
    const std::filesystem::path file = closed.body["file"].get<std::string>();
    EXPECT_TRUE(std::filesystem::exists(file));
    EXPECT_EQ(file.parent_path().filename(), "data");  // inside the data folder
    expect_error(api().del("/api/v1/sessions/current"), 404, "no session");
}

TEST(DaemonExposure, NonLoopbackBindWithoutTokenIsRefused) {
    const auto dir = testing::fresh_directory("exposure");
    cli::ChildProcess daemon({HOPLABD_PATH,
                              {"--listen", "0.0.0.0:0", "--data-dir", dir.string()},
                              dir / "log",
                              false,
                              false,
                              {}});
    const auto code = daemon.wait(std::chrono::seconds(10));
    ASSERT_TRUE(code.has_value());
    EXPECT_EQ(*code, 2);
    std::ifstream in(dir / "log");
    const std::string log(std::istreambuf_iterator<char>(in), {});
    EXPECT_NE(log.find("not a loopback address"), std::string::npos) << log;
    std::filesystem::remove_all(dir);
}

TEST(DaemonExposure, TokenIsRequiredOnEveryRequest) {
    const auto dir = testing::fresh_directory("token");
    std::ofstream(dir / "token") << "s3cret-token-0123456789\n";
    testing::DaemonProcess daemon(dir, {"--token-file", (dir / "token").string()});
    EXPECT_EQ(daemon.client().get("/api/v1/status").status, 401u);
    EXPECT_EQ(daemon.client("wrong-token-0123456789").get("/api/v1/status").status, 401u);
    EXPECT_EQ(daemon.client("s3cret-token-0123456789").get("/api/v1/status").status, 200u);
    std::filesystem::remove_all(dir);
}

TEST(DaemonStop, SigtermClosesTheOpenTrialAndTheFile) {
    const auto dir = testing::fresh_directory("sigterm");
    testing::DaemonProcess daemon(dir, {"--simulate"});
    daemon.wait_for_devices();
    ASSERT_EQ(daemon.client().post("/api/v1/sessions", {{"athlete_id", "stopper"}}).status, 201u);
    ASSERT_EQ(daemon.client().post("/api/v1/trials/start", {{"protocol", "quiet-stance"}}).status,
              201u);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    daemon.process().signal(SIGTERM);
    const auto code = daemon.process().wait(std::chrono::seconds(15));
    ASSERT_TRUE(code.has_value());
    EXPECT_EQ(*code, 0) << daemon.log();
    EXPECT_EQ(daemon.session_files().size(), 1u);
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace hoplab::acquisition
