// `hoplab recalibrate`: trials recomputed from the raw streams through another calibration.
// Oracles: the same calibration reproduces the stored forces bit for bit; a 2 % larger Fz gain
// scales Fz by exactly 1.02 and leaves the other channels unchanged.
#include <hoplab/cli/recalibration.hpp>
#include <hoplab/recording/session_reader.hpp>
#include <hoplab/recording/session_writer.hpp>
#include <hoplab/simulation/simulator.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace {

namespace fs = std::filesystem;
using hoplab::calibration::PlateCalibration;
using hoplab::calibration::Wrench;
using hoplab::processing::Limb;
using hoplab::processing::Protocol;
using namespace hoplab::recording;

constexpr std::array<double, 6> kGain{0.05, 0.05, 0.2, 0.01, 0.01, 0.005};  // N or N·m per count
constexpr std::array<double, 6> kOffset{120, -80, 4000, 10, -10, 3};        // counts

PlateCalibration plate(double fz_gain_scale = 1.0) {
    auto gain = kGain;
    gain[2] *= fz_gain_scale;
    return PlateCalibration::six_channel_diagonal("AMP-1", gain, kOffset, 0.0);
}

class RecalibrateTest : public ::testing::Test {
  protected:
    void SetUp() override {
        folder_ = fs::temp_directory_path() /
                  ("hoplab-recalibrate-" + std::to_string(::getpid()) + "-" +
                   ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(folder_);
        fs::create_directories(folder_);
        write_session();
    }
    void TearDown() override { fs::remove_all(folder_); }

    // One plate under the left limb: raw counts of a simulated hop trial, a tare before it that
    // moves the Fz zero by 37 counts, and the trial's force calibrated as the daemon does.
    void write_session() {
        hoplab::simulation::TrialScript script;
        script.hops = 4;
        const auto trial = hoplab::simulation::simulate_trial({}, script, {}, kRateHz, /*seed=*/5);
        const auto calibration = plate();
        DeviceInfo device{"left",
                          "six-channel",
                          "AMP-1",
                          "tcp",
                          kRateHz,
                          {"fx", "fy", "fz", "mx", "my", "mz"},
                          RawFormat::int32_counts,
                          Limb::left,
                          calibration};
        SessionInfo session;
        session.athlete = {"athlete-7", 75.0, Limb::right, ""};
        SessionWriter writer(source(), session, {device});
        auto tared = kOffset;
        tared[2] += 37;
        const auto tared_calibration =
            calibration.with_offsets(std::vector<double>(tared.begin(), tared.end()));
        // Counts as the amplifier sends them: the load through the tared plate, rounded.
        std::vector<std::int32_t> counts;
        for (const auto& w : trial.plates[0].samples) {
            for (double c : tared_calibration.to_raw(w)) {
                counts.push_back(static_cast<std::int32_t>(std::lround(c)));
            }
        }
        const std::size_t block = 20, blocks = counts.size() / 6 / block;
        std::uint64_t index = 0;
        auto append = [&](std::size_t b) {
            const BlockRecord record{index, static_cast<std::uint32_t>(block),
                                     static_cast<std::int64_t>(index * 1'000'000),
                                     static_cast<std::int64_t>(index * 1'000'000 + 2'000)};
            const auto raw =
                std::span<const std::int32_t>(counts).subspan(b * block * 6, block * 6);
            writer.append_raw(0, record, raw);
            index += block;
            return raw;
        };
        append(0);
        writer.record_tare(0,
                           TareRecord{"2026-11-23T10:00:00.000Z", {tared.begin(), tared.end()}, {}},
                           tared_calibration);
        TrialStart start{
            "t001", Protocol::repeated_hops, Limb::left, "2026-11-23T10:00:05.000Z", {}, ""};
        writer.begin_trial(start);
        for (std::size_t b = 1; b < blocks; ++b) {
            const auto raw = append(b);
            std::vector<double> values(raw.begin(), raw.end());
            std::vector<Wrench> wrenches(block);
            tared_calibration.to_wrenches(values, wrenches);
            writer.append_trial_force(0, wrenches);
        }
        TrialEnd end;
        end.stop_utc = "2026-11-23T10:00:20.000Z";
        writer.end_trial(end);
        writer.close();
    }

    fs::path source() const { return folder_ / "session.h5"; }
    static constexpr double kRateHz = 1000.0;
    fs::path folder_;
};

TEST_F(RecalibrateTest, TheSameCalibrationReproducesTheStoredForcesExactly) {
    const auto summary = hoplab::cli::recalibrate_recording(
        {source(), folder_ / "same.h5", {{"left", plate()}}, false});
    EXPECT_EQ(summary.trials, 1u);
    EXPECT_EQ(summary.trials_analysed, 1u);
    const SessionReader before(source()), after(folder_ / "same.h5");
    const auto stored = before.trial_force("t001", "left").samples;
    const auto recomputed = after.trial_force("t001", "left").samples;
    ASSERT_EQ(stored.size(), recomputed.size());
    ASSERT_GT(stored.size(), 5000u);
    for (std::size_t k = 0; k < stored.size(); ++k) {
        ASSERT_EQ(stored[k].fz_n, recomputed[k].fz_n) << k;
        ASSERT_EQ(stored[k].fx_n, recomputed[k].fx_n) << k;
        ASSERT_EQ(stored[k].my_nm, recomputed[k].my_nm) << k;
    }
    // Raw streams, blocks and the tare travel unchanged, so the new file can be recalibrated again.
    EXPECT_EQ(after.raw_sample_count("left"), before.raw_sample_count("left"));
    EXPECT_EQ(after.raw_samples("left").values, before.raw_samples("left").values);
    ASSERT_EQ(after.tares("left").size(), 1u);
    EXPECT_EQ(after.tares("left")[0].offsets, before.tares("left")[0].offsets);
    EXPECT_NE(after.session().notes.find("recalibrated by hoplab"), std::string::npos);
    EXPECT_TRUE(after.trial_analysis_json("t001").has_value());
}

TEST_F(RecalibrateTest, TwoPercentMoreFzGainScalesFzByExactly102Percent) {
    hoplab::cli::recalibrate_recording(
        {source(), folder_ / "gain.h5", {{"left", plate(1.02)}}, false});
    const SessionReader before(source()), after(folder_ / "gain.h5");
    const auto stored = before.trial_force("t001", "left").samples;
    const auto recomputed = after.trial_force("t001", "left").samples;
    ASSERT_EQ(stored.size(), recomputed.size());
    double worst = 0;
    for (std::size_t k = 0; k < stored.size(); ++k) {
        if (std::abs(stored[k].fz_n) > 1.0) {
            worst = std::max(worst, std::abs(recomputed[k].fz_n / stored[k].fz_n - 1.02));
        }
        ASSERT_EQ(stored[k].fx_n, recomputed[k].fx_n);
        ASSERT_EQ(stored[k].mx_nm, recomputed[k].mx_nm);
    }
    EXPECT_LT(worst, 1e-12);  // one rounding of (count − offset)·gain
    const auto calibration = after.devices().front().calibration;
    EXPECT_EQ(calibration.to_toml(),
              plate(1.02).with_offsets({kOffset.begin(), kOffset.end()}).to_toml());
}

TEST_F(RecalibrateTest, BadRequestsNameTheProblem) {
    const auto message = [&](const hoplab::cli::RecalibrationRequest& request) -> std::string {
        try {
            hoplab::cli::recalibrate_recording(request);
        } catch (const std::exception& error) {
            return error.what();
        }
        return "no exception";
    };
    EXPECT_NE(message({source(), folder_ / "x.h5", {{"right", plate()}}, false})
                  .find("no device named 'right' (the recording has: left)"),
              std::string::npos);
    const std::array<hoplab::calibration::LoadCell, 4> cells{{{0.2, 0.2, 1.0, 0.0},
                                                              {-0.2, 0.2, 1.0, 0.0},
                                                              {-0.2, -0.2, 1.0, 0.0},
                                                              {0.2, -0.2, 1.0, 0.0}}};
    EXPECT_NE(message({source(),
                       folder_ / "x.h5",
                       {{"left", PlateCalibration::load_cell_plate("LC", cells)}},
                       false})
                  .find("reads 4 raw channels but the stream has 6"),
              std::string::npos);
    EXPECT_FALSE(fs::exists(folder_ / "x.h5"));
}

}  // namespace
