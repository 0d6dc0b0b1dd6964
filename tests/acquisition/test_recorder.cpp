// The recorder thread keeps no copy of a trial: at the stop it reads the trial's force back from
// the session file and analyses that. The analysis must equal one made independently from the
// closed file, and a trial longer than the recorder's limit is recorded in full but not analysed.

#include <hoplab/acquisition/recorder.hpp>
#include <hoplab/processing/trial_analysis.hpp>
#include <hoplab/recording/session_reader.hpp>
#include <hoplab/simulation/simulator.hpp>

#include <gtest/gtest.h>

#include <unistd.h>
#include <chrono>
#include <filesystem>
#include <future>
#include <random>

namespace hoplab::acquisition {
namespace {

constexpr double kRateHz = 1000.0;

recording::DeviceInfo left_plate() {
    recording::DeviceInfo device;
    device.name = "left";
    device.model = "SIM-6";
    device.serial = "SN-1";
    device.transport = "tcp";
    device.rate_hz = kRateHz;
    device.channel_names = {"fx", "fy", "fz", "mx", "my", "mz"};
    device.raw_format = recording::RawFormat::float32_newtons;
    device.limb = processing::Limb::left;
    // Unit gains: the raw float32 values are the calibrated wrench.
    device.calibration = calibration::PlateCalibration::six_channel_diagonal(
        device.serial, {1, 1, 1, 1, 1, 1}, {0, 0, 0, 0, 0, 0}, -0.040);
    return device;
}

class RecorderTest : public ::testing::Test {
  protected:
    void SetUp() override {
        std::random_device seed;
        folder_ =
            std::filesystem::temp_directory_path() /
            ("hoplab-recorder-test-" + std::to_string(::getpid()) + "-" + std::to_string(seed()));
        file_ = folder_ / "session.h5";
    }
    void TearDown() override {
        std::error_code ignored;
        std::filesystem::remove_all(folder_, ignored);
    }

    // Submits a command carrying a completion and waits for its reply.
    template <class C>
    RecorderReply call(Recorder& recorder, C command) {
        std::promise<RecorderReply> promise;
        auto reply = promise.get_future();
        command.done = [&promise](RecorderReply r) { promise.set_value(std::move(r)); };
        EXPECT_TRUE(recorder.submit(Recorder::Command{std::move(command)}));
        EXPECT_EQ(reply.wait_for(std::chrono::seconds(20)), std::future_status::ready);
        return reply.get();
    }

    // Streams `samples` in 37-sample blocks from sample index `first`; returns the next index.
    static std::uint64_t stream(Recorder& recorder, std::uint64_t first,
                                std::span<const calibration::Wrench> samples) {
        for (std::size_t at = 0; at < samples.size(); at += 37) {
            const std::size_t n = std::min<std::size_t>(37, samples.size() - at);
            Recorder::RawBlock block;
            block.device = 0;
            block.block = recording::BlockRecord{first + at, static_cast<std::uint32_t>(n), 0, 0};
            for (const auto& w : samples.subspan(at, n)) {
                for (const double v : {w.fx_n, w.fy_n, w.fz_n, w.mx_nm, w.my_nm, w.mz_nm}) {
                    block.values.push_back(static_cast<float>(v));
                }
            }
            while (!recorder.submit(Recorder::Command{std::move(block)})) {
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
            }
        }
        return first + samples.size();
    }

    recording::TrialStart trial_start(std::string id, std::uint64_t first) const {
        return recording::TrialStart{std::move(id),
                                     processing::Protocol::repeated_hops,
                                     processing::Limb::left,
                                     "2026-11-23T14:00:00.000Z",
                                     std::vector<std::uint64_t>{first},
                                     ""};
    }

    std::filesystem::path folder_, file_;
};

TEST_F(RecorderTest, AnalysesTheTrialItReadsBackAndRefusesOnlyTrialsOverItsLimit) {
    simulation::TrialScript script;
    script.hops = 4;
    const auto simulated =
        simulation::simulate_trial({}, script, simulation::PlateNoise{}, kRateHz, 11);
    const auto& samples = simulated.plates.front().samples;
    ASSERT_GT(samples.size(), 5000U);
    // The limit sits between the two trials' lengths.
    const std::uint64_t limit = samples.size() + 100;
    std::vector<calibration::Wrench> long_stance(samples.size() + 101, samples[1000]);

    RecorderReply first, second;
    {
        Recorder recorder(1024, limit);
        recording::SessionInfo session;
        session.athlete.id = "athlete-1";
        session.athlete.mass_kg = 75;
        session.created_utc = "2026-11-23T14:00:00.000Z";
        ASSERT_TRUE(
            call(recorder, Recorder::SessionOpen{file_, session, {left_plate()}, {}, {}}).ok);
        std::uint64_t next = stream(recorder, 0, std::span(samples).first(500));
        ASSERT_TRUE(call(recorder, Recorder::TrialBegin{trial_start("hops", next), {}, {}}).ok);
        next = stream(recorder, next, std::span(samples).subspan(500));
        first = call(recorder, Recorder::TrialEnd{{}, {}});
        ASSERT_TRUE(call(recorder, Recorder::TrialBegin{trial_start("long", next), {}, {}}).ok);
        next = stream(recorder, next, long_stance);
        second = call(recorder, Recorder::TrialEnd{{}, {}});
        ASSERT_TRUE(call(recorder, Recorder::SessionClose{}).ok);
    }

    // The first trial: the stop's analysis equals one made from the closed file.
    ASSERT_TRUE(first.ok) << first.error;
    ASSERT_TRUE(first.analysis.has_value()) << first.analysis_error;
    const recording::SessionReader reader(file_);
    const recording::TrialForce force = reader.trial_force("hops", "left");
    ASSERT_EQ(force.samples.size(), samples.size() - 500);
    processing::PlateSeries plate;
    for (std::size_t k = 0; k < force.samples.size(); ++k) {
        const auto& w = force.samples[k];
        const auto& cop = force.cop[k];
        plate.push_back(
            w.fx_n, w.fy_n, w.fz_n,
            cop ? std::optional(processing::CopPoint{cop->x_m, cop->y_m}) : std::nullopt);
    }
    const auto expected =
        processing::analyze_trial(plate.fz_n, kRateHz, processing::Protocol::repeated_hops,
                                  processing::Limb::left, {}, plate.view());
    const auto& analysis = *first.analysis;
    EXPECT_EQ(analysis.body_weight_N, expected.body_weight_N);
    ASSERT_EQ(analysis.contacts.size(), expected.contacts.size());
    ASSERT_GE(analysis.contacts.size(), simulated.truth.hop_contacts.size());
    for (std::size_t i = 0; i < analysis.contacts.size(); ++i) {
        EXPECT_EQ(analysis.contacts[i].start_s, expected.contacts[i].start_s) << i;
        EXPECT_EQ(analysis.contacts[i].end_s, expected.contacts[i].end_s) << i;
        EXPECT_EQ(analysis.contacts[i].peak_force_N, expected.contacts[i].peak_force_N) << i;
    }

    // The second trial: over the limit, so no analysis, a reason naming both lengths, and every
    // sample in the file.
    ASSERT_TRUE(second.ok) << second.error;
    EXPECT_FALSE(second.analysis.has_value());
    EXPECT_NE(second.analysis_error.find(std::to_string(long_stance.size()) + " samples per plate"),
              std::string::npos)
        << second.analysis_error;
    EXPECT_NE(second.analysis_error.find("at most " + std::to_string(limit) + " samples"),
              std::string::npos)
        << second.analysis_error;
    EXPECT_NE(second.analysis_error.find("hoplab analyze session.h5"), std::string::npos)
        << second.analysis_error;
    EXPECT_EQ(reader.trial_force("long", "left").samples.size(), long_stance.size());
}

}  // namespace
}  // namespace hoplab::acquisition
