// A trial on raw streams stores no force while it records: the writer derives it from the raw rows
// the trial spans when it ends (SessionWriter::extend_trial), and recover() derives it for a trial
// cut short by kill -9. Both must give exactly the force the ingest path wrote when it calibrated
// every block as it arrived (PlateCalibration::to_wrenches, then append_trial_force), and the
// force an independent per-row calibration through the public calibration API gives.

#include "test_session.hpp"

#include <hoplab/recording/recovery_report.hpp>
#include <hoplab/recording/session_reader.hpp>
#include <hoplab/recording/session_writer.hpp>

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>
#include <algorithm>
#include <csignal>
#include <cstring>
#include <stdexcept>

namespace hoplab::recording {
namespace {

using testing::make_devices;
using testing::make_session;
using testing::ScratchDir;

constexpr std::uint32_t kBlockSamples = 37;  // not a divisor of the chunk size: blocks straddle

// The raw values of `n` samples of a device from sample `first`, widened to double (exact).
std::vector<double> raw_rows(RawFormat format, std::size_t device, std::uint64_t first,
                             std::size_t n) {
    std::vector<double> out;
    if (format == RawFormat::int32_counts) {
        for (const auto v : testing::raw_counts(device, first, n, 6)) {
            out.push_back(v);
        }
    } else {
        for (const auto v : testing::raw_volts(device, first, n, 6)) {
            out.push_back(static_cast<double>(v));
        }
    }
    return out;
}

void append_block(SessionWriter& writer, RawFormat format, std::size_t device,
                  std::uint64_t first) {
    const BlockRecord block{first, kBlockSamples, 0, 0};
    if (format == RawFormat::int32_counts) {
        writer.append_raw(device, block, testing::raw_counts(device, first, kBlockSamples, 6));
    } else {
        writer.append_raw(device, block, testing::raw_volts(device, first, kBlockSamples, 6));
    }
}

// Per row through the public calibration API, independently of the writer's code.
TrialForce independent_force(const calibration::PlateCalibration& calibration,
                             std::span<const double> raw, double threshold_n) {
    TrialForce force{1000.0, 0.0, {}, {}, threshold_n};
    for (std::size_t k = 0; k * 6 < raw.size(); ++k) {
        const auto w = calibration.to_wrench(raw.subspan(k * 6, 6));
        force.samples.push_back(w);
        force.cop.push_back(calibration.centre_of_pressure(w, threshold_n));
    }
    return force;
}

// Bit for bit: doubles compared with ==, the undefined COP as nullopt on both sides.
void expect_same_force(const TrialForce& actual, const TrialForce& expected,
                       const std::string& what) {
    ASSERT_EQ(actual.samples.size(), expected.samples.size()) << what;
    std::size_t defined = 0;
    for (std::size_t k = 0; k < actual.samples.size(); ++k) {
        ASSERT_EQ(actual.samples[k], expected.samples[k]) << what << " row " << k;
        ASSERT_EQ(actual.cop[k].has_value(), expected.cop[k].has_value()) << what << " row " << k;
        if (actual.cop[k]) {
            ++defined;
            ASSERT_EQ(actual.cop[k]->x_m, expected.cop[k]->x_m) << what << " row " << k;
            ASSERT_EQ(actual.cop[k]->y_m, expected.cop[k]->y_m) << what << " row " << k;
            ASSERT_EQ(actual.cop[k]->free_moment_nm, expected.cop[k]->free_moment_nm)
                << what << " row " << k;
        }
    }
    // The data must exercise both branches of the COP, or the comparison proves half of it.
    EXPECT_GT(defined, 0U) << what;
    EXPECT_LT(defined, actual.samples.size()) << what;
}

class DerivedTrialForce : public ::testing::TestWithParam<RawFormat> {};

// Two files from the same raw blocks: one whose trial is given the calibrated force of each block
// as it arrives (the ingest path before the derivation: to_wrenches on the block's trial part, then
// append_trial_force), one whose trial only spans the raw rows. A tare before the trial changes the
// calibration both use; the trial starts and stops inside blocks; the derived trial is read back
// in the middle (the analysis at the stop does that) and then goes on.
TEST_P(DerivedTrialForce, EqualsTheForceCalibratedAsSamplesArrived) {
    const RawFormat format = GetParam();
    ScratchDir scratch;
    const auto arrived_file = scratch.file("arrived.h5");
    const auto derived_file = scratch.file("derived.h5");
    WriterOptions options;
    options.chunk_rows = 64;
    options.cop_threshold_n = 20.0;
    auto devices = make_devices(format);
    std::vector<double> offsets{3.0, -1.5, 120.0, 0.5, -0.25, 2.0};
    if (format == RawFormat::float32_volts) {
        // ±1 V test signals: gains of a 2 kN/V amplifier so that Fz crosses the COP threshold.
        devices[0].calibration = calibration::PlateCalibration::six_channel_diagonal(
            devices[0].serial, {500.0, 500.0, 2000.0, 50.0, 50.0, 20.0},
            {0.0, 0.0, 0.0, 0.0, 0.0, 0.0}, -0.040);
        offsets = {0.001, -0.002, 0.05, 0.0, 0.001, -0.001};
    }
    const auto tared = devices[0].calibration.with_offsets(offsets);
    const TareRecord tare{"2026-11-23T01:31:00.000Z", offsets, {}};
    constexpr std::uint64_t kStart = 5 * kBlockSamples + 11;  // inside the sixth block
    constexpr std::uint64_t kStop = 40 * kBlockSamples + 5;   // inside the 41st block
    constexpr int kBlocks = 45;
    std::vector<double> midway_fz;
    {
        SessionWriter arrived(arrived_file, make_session(), devices, options);
        SessionWriter derived(derived_file, make_session(), devices, options);
        for (auto* writer : {&arrived, &derived}) {
            writer->record_tare(0, tare, tared);
        }
        calibration::PlateCalibration in_force = tared;
        for (int b = 0; b < kBlocks; ++b) {
            const std::uint64_t first = static_cast<std::uint64_t>(b) * kBlockSamples;
            for (auto* writer : {&arrived, &derived}) {
                append_block(*writer, format, 0, first);
            }
            if (b == 5) {
                const TrialStart start{
                    "hop", processing::Protocol::single_leg_hop,  processing::Limb::left,
                    "",    std::vector<std::uint64_t>{kStart, 0}, ""};
                arrived.begin_trial(start);
                derived.begin_trial(start);
            }
            if (b < 5) {
                continue;
            }
            const std::uint64_t from = std::max(first, kStart);
            const std::uint64_t to = std::min(first + kBlockSamples, kStop);
            if (to <= from) {
                continue;
            }
            const auto raw = raw_rows(format, 0, from, static_cast<std::size_t>(to - from));
            std::vector<calibration::Wrench> wrenches((to - from));
            in_force.to_wrenches(raw, wrenches);
            arrived.append_trial_force(0, wrenches);
            const std::uint64_t block_row = derived.raw_samples_written(0) - kBlockSamples;
            derived.extend_trial(0, block_row + (from - first), to - from);
            if (b == 20) {
                // Read back while recording: derives what the trial spans so far.
                EXPECT_EQ(derived.trial_samples(0), to - kStart);
                midway_fz = derived.trial_vertical_force(0);
                EXPECT_EQ(midway_fz, arrived.trial_vertical_force(0));
            }
        }
        EXPECT_EQ(derived.trial_samples(0), kStop - kStart);
        EXPECT_EQ(derived.trial_plate(0).fz_n, arrived.trial_plate(0).fz_n);
        const TrialEnd end{"", {kStop, 0}, "complete", {}, std::nullopt};
        arrived.end_trial(end);
        derived.end_trial(end);
    }
    const SessionReader arrived(arrived_file);
    const SessionReader derived(derived_file);
    const TrialForce from_arrival = arrived.trial_force("hop", "left");
    const TrialForce from_raw = derived.trial_force("hop", "left");
    ASSERT_EQ(from_raw.samples.size(), kStop - kStart);
    expect_same_force(from_raw, from_arrival, "derived vs calibrated on arrival");
    const auto raw = raw_rows(format, 0, kStart, static_cast<std::size_t>(kStop - kStart));
    expect_same_force(from_raw, independent_force(tared, raw, options.cop_threshold_n),
                      "derived vs per-row to_wrench");
    EXPECT_EQ(derived.trial_force("hop", "right").samples.size(), 0U);
    EXPECT_EQ(derived.trial("hop").stop_sample_index, (std::vector<std::uint64_t>{kStop, 0}));
    ASSERT_EQ(midway_fz.size(), 21 * kBlockSamples - kStart);
    for (std::size_t k = 0; k < midway_fz.size(); ++k) {
        ASSERT_EQ(midway_fz[k], from_raw.samples[k].fz_n) << k;
    }
}

INSTANTIATE_TEST_SUITE_P(RawFormats, DerivedTrialForce,
                         ::testing::Values(RawFormat::int32_counts, RawFormat::float32_volts),
                         [](const auto& param_info) {
                             return param_info.param == RawFormat::int32_counts
                                        ? std::string("counts")
                                        : std::string("volts");
                         });

TEST(DerivedTrialForceMisuse, RefusesATareInsideATrialRowsThatDoNotContinueAndMixedSources) {
    ScratchDir scratch;
    SessionWriter writer(scratch.file("misuse.h5"), make_session(), make_devices());
    for (std::uint64_t b = 0; b < 4; ++b) {
        append_block(writer, RawFormat::int32_counts, 0, b * kBlockSamples);
        append_block(writer, RawFormat::int32_counts, 1, b * kBlockSamples);
    }
    EXPECT_THROW(writer.extend_trial(0, 0, 10), std::invalid_argument);  // no trial open
    writer.begin_trial(
        TrialStart{"t", processing::Protocol::cmj, processing::Limb::left, "", {}, ""});
    writer.extend_trial(0, 10, 20);
    EXPECT_THROW(writer.extend_trial(0, 31, 5), std::invalid_argument);    // skips row 30
    EXPECT_THROW(writer.extend_trial(0, 30, 200), std::invalid_argument);  // rows not written yet
    EXPECT_THROW(writer.append_trial_force(0, testing::trial_wrenches(0, 0, 3)),
                 std::invalid_argument);
    writer.append_trial_force(1, testing::trial_wrenches(1, 0, 3));
    EXPECT_THROW(writer.extend_trial(1, 0, 3), std::invalid_argument);
    EXPECT_THROW(writer.record_tare(0, TareRecord{"", std::vector<double>(6, 1.0), {}},
                                    make_devices()[0].calibration),
                 std::invalid_argument);
    writer.end_trial(TrialEnd{});
    // Between trials a tare is fine again.
    writer.record_tare(0, TareRecord{"", std::vector<double>(6, 1.0), {}},
                       make_devices()[0].calibration);
    writer.close();
    const SessionReader reader(scratch.file("misuse.h5"));
    EXPECT_EQ(reader.trial_force("t", "left").samples.size(), 20U);
    EXPECT_EQ(reader.trial_force("t", "right").samples.size(), 3U);
}

// How far the child had got at its n-th flush.
struct FlushReport {
    std::uint64_t raw_rows;
    std::uint64_t trial_first_row;
};

constexpr std::uint64_t kTrialStartSample = 3 * kBlockSamples + 5;

// The child records like the daemon: raw blocks of both plates, a trial spanning plate 0's rows
// from kTrialStartSample on, a flush every 5 blocks reported to the parent. It never returns.
[[noreturn]] void run_writer(const std::filesystem::path& file, int report_fd) {
    try {
        WriterOptions options;
        options.chunk_rows = 128;
        options.flush_interval = std::chrono::hours(1);  // only the explicit flushes count
        SessionWriter writer(file, make_session(), make_devices(), options);
        for (std::uint64_t b = 0;; ++b) {
            const std::uint64_t first = b * kBlockSamples;
            if (b == 3) {
                writer.begin_trial(TrialStart{
                    "killed", processing::Protocol::single_leg_hop, processing::Limb::left, "",
                    std::vector<std::uint64_t>{kTrialStartSample, first}, ""});
            }
            append_block(writer, RawFormat::int32_counts, 0, first);
            append_block(writer, RawFormat::int32_counts, 1, first);
            if (b >= 3) {
                const std::uint64_t from = std::max(first, kTrialStartSample);
                const std::uint64_t block_row = writer.raw_samples_written(0) - kBlockSamples;
                writer.extend_trial(0, block_row + (from - first), first + kBlockSamples - from);
                writer.extend_trial(1, writer.raw_samples_written(1) - kBlockSamples,
                                    kBlockSamples);
            }
            if (b % 5 == 4) {
                writer.flush();
                const FlushReport report{writer.raw_samples_written(0), kTrialStartSample};
                if (::write(report_fd, &report, sizeof report) != sizeof report) {
                    ::_exit(3);
                }
            }
        }
    } catch (const std::exception& error) {
        std::fprintf(stderr, "writer child: %s\n", error.what());
        ::_exit(2);
    }
}

TEST(DerivedTrialForceRecovery, KillDuringTrialThenRecoverDerivesEverySurvivingRow) {
    ScratchDir scratch;
    const auto file = scratch.file("killed.h5");
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t child = ::fork();
    if (child == 0) {
        ::close(fds[0]);
        run_writer(file, fds[1]);
    }
    ::close(fds[1]);
    FlushReport last{};
    int flushes = 0;
    while (flushes < 30 && ::read(fds[0], &last, sizeof last) == sizeof last) {
        ++flushes;
    }
    // The child goes on appending while the signal is on its way: mid-chunk, mid-trial.
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    ::close(fds[0]);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
    ASSERT_EQ(flushes, 30);

    const RecoveryReport report = recover(file);
    EXPECT_TRUE(report.status_flags_cleared);
    const bool said_so =
        std::any_of(report.actions.begin(), report.actions.end(), [](const auto& a) {
            return a.find("trial killed: derived the calibrated force of") != std::string::npos &&
                   a.find("device 'left'") != std::string::npos;
        });
    EXPECT_TRUE(said_so) << ::testing::PrintToString(report.actions);

    const SessionReader reader(file);
    const auto devices = make_devices();
    // Every raw row of plate 0 from the trial's start on that survived with its block row.
    const auto blocks = reader.blocks("left");
    ASSERT_FALSE(blocks.empty());
    const std::uint64_t raw_rows_left = reader.raw_sample_count("left");
    ASSERT_GE(raw_rows_left, last.raw_rows);  // at least everything flushed survived
    const std::uint64_t covered = std::min<std::uint64_t>(
        raw_rows_left, blocks.back().first_sample_index + blocks.back().n_samples);
    const std::uint64_t expected_rows = covered - kTrialStartSample;
    const auto trial = reader.trial("killed");
    EXPECT_EQ(trial.status.rfind("aborted: ", 0), 0U) << trial.status;
    ASSERT_EQ(trial.stop_sample_index.size(), 2U);
    EXPECT_EQ(trial.stop_sample_index[0], covered);
    const TrialForce force = reader.trial_force("killed", "left");
    ASSERT_EQ(force.samples.size(), expected_rows);
    const auto raw = reader.raw_samples("left", kTrialStartSample, expected_rows);
    expect_same_force(force,
                      independent_force(devices[0].calibration, raw.values, force.cop_threshold_n),
                      "recovered vs per-row to_wrench");
    // Plate 1's trial began at a block boundary: all its rows from there on.
    EXPECT_EQ(reader.trial_force("killed", "right").samples.size(),
              std::min<std::uint64_t>(reader.raw_sample_count("right"),
                                      reader.blocks("right").back().first_sample_index +
                                          reader.blocks("right").back().n_samples) -
                  3 * kBlockSamples);
}

}  // namespace
}  // namespace hoplab::recording
