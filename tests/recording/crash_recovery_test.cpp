// kill -9 of a writer: a forked child writes a session and reports over a pipe how much it had
// flushed; the parent kills it with SIGKILL and checks that recover() makes the file readable with
// at least everything flushed.

#include "schema_check.hpp"
#include "test_session.hpp"

#include <hoplab/recording/recovery_report.hpp>
#include <hoplab/recording/session_reader.hpp>
#include <hoplab/recording/session_writer.hpp>

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>
#include <csignal>
#include <cstdio>

namespace hoplab::recording {
namespace {

using testing::make_devices;
using testing::make_session;
using testing::ScratchDir;

// What the child had made durable at its n-th flush.
struct FlushReport {
    std::uint64_t raw_rows[2];
    std::uint64_t trial_rows;
    std::uint64_t trials_complete;
};

enum class KillPoint { during_trial, between_trials };

constexpr std::uint32_t kBlockSamples = 20;  // 20 ms blocks at 1000 Hz

// The child: a session with two plates, one complete trial, then raw blocks forever, with a second
// trial open when `point` is during_trial. It flushes every 7 blocks and writes a FlushReport to
// `report_fd` after each flush. It never returns: the parent kills it.
[[noreturn]] void run_writer(const std::filesystem::path& file, KillPoint point, bool compress,
                             int report_fd) {
    try {
        WriterOptions options;
        options.compress_raw = compress;
        options.chunk_rows = 128;
        options.flush_interval = std::chrono::hours(1);  // only the explicit flushes count
        SessionWriter writer(file, make_session(), make_devices(), options);
        std::uint64_t next = 0;
        std::uint64_t trial_rows = 0;
        std::uint64_t complete = 0;
        const auto append = [&] {
            for (std::size_t device = 0; device < 2; ++device) {
                writer.append_raw(device, BlockRecord{next, kBlockSamples, 0, 0},
                                  testing::raw_counts(device, next, kBlockSamples, 6));
            }
            if (writer.trial_open()) {
                writer.append_trial_force(0, testing::trial_wrenches(0, trial_rows, kBlockSamples));
                trial_rows += kBlockSamples;
            }
            next += kBlockSamples;
        };
        writer.begin_trial(
            TrialStart{"trial-001", processing::Protocol::cmj, processing::Limb::left, "", {}, ""});
        for (int b = 0; b < 30; ++b) {
            append();
        }
        writer.end_trial(TrialEnd{});
        ++complete;
        trial_rows = 0;
        if (point == KillPoint::during_trial) {
            writer.begin_trial(TrialStart{"trial-002",
                                          processing::Protocol::single_leg_hop,
                                          processing::Limb::left,
                                          "",
                                          {},
                                          ""});
        }
        for (std::uint64_t b = 1;; ++b) {
            append();
            if (b % 7 == 0) {
                writer.flush();
                const FlushReport report{
                    {writer.raw_samples_written(0), writer.raw_samples_written(1)},
                    trial_rows,
                    complete};
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

struct KillResult {
    FlushReport last;
    int flushes = 0;
};

KillResult kill_writer_after(const std::filesystem::path& file, KillPoint point, bool compress,
                             int flushes) {
    int fds[2];
    if (::pipe(fds) != 0) {
        ADD_FAILURE() << "pipe failed";
        return {};
    }
    const pid_t child = ::fork();
    if (child == 0) {
        ::close(fds[0]);
        run_writer(file, point, compress, fds[1]);
    }
    ::close(fds[1]);
    KillResult result;
    FlushReport report{};
    while (result.flushes < flushes && ::read(fds[0], &report, sizeof report) == sizeof report) {
        result.last = report;
        ++result.flushes;
    }
    // The child keeps appending (and flushing) while the signal is on its way: mid-trial,
    // mid-chunk.
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    ::close(fds[0]);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "the child ended by itself: " << status;
    return result;
}

// Uncompressed and with shuffle + deflate on the raw streams: compressed chunks change size when a
// flushed partial chunk is completed, which SWMR must also survive.
class KillDuringTrialTest : public ::testing::TestWithParam<bool> {};

TEST_P(KillDuringTrialTest, KeepsEverythingFlushed) {
    ScratchDir scratch;
    const auto file = scratch.file("killed.h5");
    const KillResult killed = kill_writer_after(file, KillPoint::during_trial, GetParam(), 12);
    ASSERT_EQ(killed.flushes, 12);

    {
        // Before recovery the file already opens for reading (SWMR read of a file marked "open for
        // SWMR write").
        const SessionReader reader(file);
        EXPECT_TRUE(reader.opened_while_writing());
        EXPECT_GE(reader.raw_sample_count("left"), killed.last.raw_rows[0]);
        const RawSamples raw = reader.raw_samples("left", 0, killed.last.raw_rows[0]);
        for (std::size_t row = 0; row < killed.last.raw_rows[0]; ++row) {
            ASSERT_EQ(raw.values[row * 6], static_cast<double>(testing::raw_count(0, row, 0)))
                << row;
        }
    }

    const RecoveryReport report = recover(file);
    EXPECT_TRUE(report.status_flags_cleared);
    EXPECT_FALSE(report.was_closed_cleanly);
    ASSERT_EQ(report.streams.size(), 2U);
    RecordProperty("raw_rows_flushed_before_kill", static_cast<int>(killed.last.raw_rows[0]));
    RecordProperty("raw_rows_recovered", static_cast<int>(report.streams[0].samples));
    for (std::size_t device = 0; device < 2; ++device) {
        EXPECT_GE(report.streams[device].samples, killed.last.raw_rows[device]) << device;
        EXPECT_GE(report.streams[device].blocks * kBlockSamples, report.streams[device].samples);
    }
    ASSERT_EQ(report.trials.size(), 2U);
    EXPECT_EQ(report.trials_complete, 1U);
    EXPECT_EQ(report.trials_aborted, 1U);
    EXPECT_EQ(report.trials[0].status, "complete");
    EXPECT_FALSE(report.trials[0].ended_by_recovery);
    EXPECT_TRUE(report.trials[1].ended_by_recovery);
    EXPECT_EQ(report.trials[1].status,
              "aborted: writer stopped before the trial ended (recovered)");
    EXPECT_GE(report.trials[1].samples, killed.last.trial_rows);

    // After recovery the file opens normally, and what survived is the data that was written.
    const SessionReader reader(file);
    EXPECT_FALSE(reader.opened_while_writing());
    EXPECT_TRUE(reader.recovered_utc().has_value());
    for (std::size_t device = 0; device < 2; ++device) {
        const std::string name = device == 0 ? "left" : "right";
        const RawSamples raw = reader.raw_samples(name);
        ASSERT_EQ(raw.values.size(), report.streams[device].samples * 6);
        for (std::size_t row = 0; row < report.streams[device].samples; ++row) {
            ASSERT_EQ(raw.values[row * 6 + 2],
                      static_cast<double>(testing::raw_count(device, row, 2)))
                << name << " row " << row;
        }
    }
    const TrialForce force = reader.trial_force("trial-002", "left");
    ASSERT_GE(force.samples.size(), killed.last.trial_rows);
    const auto expected = testing::trial_wrenches(0, 0, force.samples.size());
    for (std::size_t k = 0; k < force.samples.size(); ++k) {
        ASSERT_EQ(force.samples[k].fz_n, expected[k].fz_n) << k;
    }
    EXPECT_EQ(reader.trial("trial-002").stop_sample_index.size(), 2U);

    // And h5py reads it: the recovered file passes the schema check (not --complete: it was never
    // closed).
    const auto schema = testing::run_schema_check(file, false);
    EXPECT_EQ(schema.exit_code, 0) << schema.output;

    // A second recover() finds nothing to clear.
    const RecoveryReport again = recover(file);
    EXPECT_FALSE(again.status_flags_cleared);
    EXPECT_EQ(again.trials_aborted, 1U);
}

INSTANTIATE_TEST_SUITE_P(CrashRecoveryTest, KillDuringTrialTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& param_info) {
                             return param_info.param ? "compressed" : "uncompressed";
                         });

TEST(CrashRecoveryTest, KillBetweenTrialsKeepsTheCompleteTrial) {
    ScratchDir scratch;
    const auto file = scratch.file("killed-idle.h5");
    const KillResult killed = kill_writer_after(file, KillPoint::between_trials, true, 5);
    ASSERT_EQ(killed.flushes, 5);
    const RecoveryReport report = recover(file);
    EXPECT_TRUE(report.status_flags_cleared);
    EXPECT_EQ(report.trials_complete, 1U);
    EXPECT_EQ(report.trials_aborted, 0U);
    EXPECT_GE(report.streams[0].samples, killed.last.raw_rows[0]);
    const SessionReader reader(file);
    EXPECT_EQ(reader.trial_force("trial-001", "left").samples.size(), 30U * kBlockSamples);
}

TEST(CrashRecoveryTest, RecoverOnACleanFileOnlyReports) {
    ScratchDir scratch;
    const auto file = scratch.file("clean.h5");
    {
        SessionWriter writer(file, make_session(), make_devices());
        writer.append_raw(1, BlockRecord{0, 3, 0, 0}, testing::raw_counts(1, 0, 3, 6));
    }
    const auto before = std::filesystem::last_write_time(file);
    const RecoveryReport report = recover(file);
    EXPECT_TRUE(report.was_closed_cleanly);
    EXPECT_FALSE(report.status_flags_cleared);
    EXPECT_TRUE(report.actions.empty());
    EXPECT_EQ(report.streams[1].samples, 3U);
    EXPECT_EQ(std::filesystem::last_write_time(file), before);
}

TEST(CrashRecoveryTest, RecoverRefusesForeignFiles) {
    ScratchDir scratch;
    const auto file = scratch.file("text.h5");
    std::FILE* out = std::fopen(file.c_str(), "w");
    std::fputs("not hdf5\n", out);
    std::fclose(out);
    EXPECT_THROW((void)recover(file), RecordingError);
}

}  // namespace
}  // namespace hoplab::recording
