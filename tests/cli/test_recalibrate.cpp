// `hoplab recalibrate`: trials recomputed from the raw streams through another calibration.
// Oracles: the same calibration reproduces the stored forces bit for bit; a 2 % larger Fz gain
// scales Fz by exactly 1.02 and leaves the other channels unchanged.
#include <hoplab/cli/recalibration.hpp>
#include <hoplab/recording/session_reader.hpp>
#include <hoplab/recording/session_writer.hpp>
#include <hoplab/simulation/simulator.hpp>

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

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

// A recording as the daemon writes it: the trials' force derived from the raw rows (extend_trial),
// each trial starting and stopping inside a 20-sample block, and a tare-free plate. Two trials, so
// that a start_raw_row equal to the stream's row count (what recalibrate wrote before) cannot pass
// for the first. Returns the rows of the stream when each trial began, which the writer stores as
// the trial's start_raw_row.
std::vector<std::uint64_t> write_daemon_like_session(const fs::path& file) {
    hoplab::simulation::TrialScript script;
    script.hops = 4;  // > 5000 samples, as the fixture's trial
    const auto trial = hoplab::simulation::simulate_trial({}, script, {}, 1000.0, /*seed=*/9);
    const auto calibration = plate();
    std::vector<std::int32_t> counts;
    for (const auto& w : trial.plates[0].samples) {
        for (double c : calibration.to_raw(w)) {
            counts.push_back(static_cast<std::int32_t>(std::lround(c)));
        }
    }
    DeviceInfo device{"left",
                      "six-channel",
                      "AMP-1",
                      "tcp",
                      1000.0,
                      {"fx", "fy", "fz", "mx", "my", "mz"},
                      RawFormat::int32_counts,
                      Limb::left,
                      calibration};
    SessionInfo session;
    session.athlete = {"athlete-8", 75.0, Limb::right, ""};
    SessionWriter writer(file, session, {device});
    constexpr std::uint32_t kBlock = 20;
    std::uint64_t next = 0;  // sample index of the next block
    std::optional<std::pair<std::uint64_t, std::uint64_t>> trial_range;
    // Appends the blocks that end at or before sample `end`.
    const auto append_until = [&](std::uint64_t end) {
        for (; next + kBlock <= end; next += kBlock) {
            const BlockRecord record{next, kBlock, static_cast<std::int64_t>(next * 1'000'000),
                                     static_cast<std::int64_t>(next * 1'000'000 + 2'000)};
            writer.append_raw(0, record,
                              std::span<const std::int32_t>(counts).subspan(next * 6, kBlock * 6));
            // The recorder's rule (acquisition/src/recorder.cpp): the block's part inside the
            // trial's samples.
            if (trial_range) {
                const auto from = std::max(next, trial_range->first);
                const auto to = std::min(next + kBlock, trial_range->second);
                if (from < to) {
                    writer.extend_trial(0, writer.raw_samples_written(0) - kBlock + (from - next),
                                        to - from);
                }
            }
        }
    };
    std::vector<std::uint64_t> rows_at_start;
    const std::array<std::pair<std::uint64_t, std::uint64_t>, 2> trials{
        {{1010, 2990}, {3507, 5493}}};
    for (std::size_t t = 0; t < trials.size(); ++t) {
        append_until(trials[t].first);  // the daemon's boundary lies ahead of the samples
        rows_at_start.push_back(writer.raw_samples_written(0));
        trial_range = trials[t];
        writer.begin_trial(TrialStart{"t00" + std::to_string(t + 1),
                                      Protocol::repeated_hops,
                                      Limb::left,
                                      "2026-11-23T10:00:0" + std::to_string(t) + ".000Z",
                                      {trials[t].first},
                                      ""});
        append_until(trials[t].second + 30);  // blocks arrive after the stop boundary too
        TrialEnd end;
        end.stop_sample_index = {trials[t].second};
        end.status = "aborted: test";  // no analysis: only the stored rows are compared
        writer.end_trial(end);
        trial_range.reset();
    }
    append_until(counts.size() / 6);
    writer.close();
    return rows_at_start;
}

TEST_F(RecalibrateTest, EachTrialKeepsTheRawRowItStartedAtAndItsOwnSamples) {
    const auto source_file = folder_ / "daemon.h5";
    const auto rows_at_start = write_daemon_like_session(source_file);
    ASSERT_EQ(rows_at_start, (std::vector<std::uint64_t>{1000, 3500}));
    const auto recalibrated = folder_ / "recalibrated.h5";
    hoplab::cli::recalibrate_recording({source_file, recalibrated, {{"left", plate()}}, false});
    const SessionReader before(source_file), after(recalibrated);
    const auto source_trials = before.trials();
    const auto new_trials = after.trials();
    ASSERT_EQ(source_trials.size(), 2u);
    ASSERT_EQ(new_trials.size(), 2u);
    for (std::size_t t = 0; t < 2; ++t) {
        ASSERT_TRUE(source_trials[t].start_raw_row.has_value());
        EXPECT_EQ(*source_trials[t].start_raw_row, std::vector<std::uint64_t>{rows_at_start[t]});
        // Before the fix: the stream's row count (over 5000) for both trials.
        ASSERT_TRUE(new_trials[t].start_raw_row.has_value()) << new_trials[t].id;
        EXPECT_EQ(*new_trials[t].start_raw_row, *source_trials[t].start_raw_row)
            << new_trials[t].id;
        // The same calibration gives the same rows, bit for bit: the trial's samples inside the
        // blocks at its boundaries are neither dropped nor added (before: whole blocks from the
        // first one starting at or after the start, 1020 ≠ 1010).
        const auto stored = before.trial_force(source_trials[t].id, "left").samples;
        const auto recomputed = after.trial_force(new_trials[t].id, "left").samples;
        ASSERT_EQ(recomputed.size(), stored.size()) << new_trials[t].id;
        for (std::size_t k = 0; k < stored.size(); ++k) {
            ASSERT_EQ(recomputed[k].fz_n, stored[k].fz_n) << new_trials[t].id << " sample " << k;
            ASSERT_EQ(recomputed[k].mx_nm, stored[k].mx_nm) << new_trials[t].id << " sample " << k;
        }
    }
    // A file recalibrated before this fix holds the row count; recalibrating it again stores the
    // row of the trial's first sample (1010 and 3507 here: the source's rows are one per sample).
    const auto old_style = folder_ / "old-style.h5";
    {
        auto devices = before.devices();
        SessionWriter writer(old_style, before.session(), devices);
        const auto raw = before.raw_samples("left");
        std::vector<std::int32_t> counts(raw.values.begin(), raw.values.end());
        std::uint64_t row = 0;
        for (const auto& block : before.blocks("left")) {
            writer.append_raw(
                0, block,
                std::span<const std::int32_t>(counts).subspan(row * 6, block.n_samples * 6));
            row += block.n_samples;
        }
        for (const auto& trial : source_trials) {
            writer.begin_trial(TrialStart{trial.id, trial.protocol, trial.limb, trial.start_utc,
                                          trial.start_sample_index, ""});
            const auto force = before.trial_force(trial.id, "left").samples;
            writer.append_trial_force(0, force);
            TrialEnd end;
            end.stop_sample_index = trial.stop_sample_index;
            end.status = "aborted: test";
            writer.end_trial(end);
        }
    }
    const auto again = folder_ / "again.h5";
    hoplab::cli::recalibrate_recording({old_style, again, {{"left", plate()}}, false});
    const SessionReader old_reader(old_style), again_reader(again);
    const std::uint64_t stream_rows = old_reader.raw_sample_count("left");
    ASSERT_EQ(old_reader.trials()[0].start_raw_row, std::vector<std::uint64_t>{stream_rows});
    const auto again_trials = again_reader.trials();
    ASSERT_EQ(again_trials.size(), 2u);
    EXPECT_EQ(again_trials[0].start_raw_row, std::vector<std::uint64_t>{1010});
    EXPECT_EQ(again_trials[1].start_raw_row, std::vector<std::uint64_t>{3507});
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
