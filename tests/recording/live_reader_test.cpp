// A reader in another process following a file that is being written (SWMR read) sees what the
// writer has flushed, and more after the next flush, also across the writer's trial boundaries.

#include "test_session.hpp"

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

// The writer child tells the parent "step n is flushed" on one pipe and waits for a go on the
// other.
struct Handshake {
    int to_parent[2];
    int to_child[2];
    void tell(int fd, char step) const {
        if (::write(fd, &step, 1) != 1) {
            ::_exit(3);
        }
    }
    char hear(int fd) const {
        char step = 0;
        return ::read(fd, &step, 1) == 1 ? step : '\0';
    }
};

[[noreturn]] void run_writer(const std::filesystem::path& file, const Handshake& handshake) {
    try {
        WriterOptions options;
        options.chunk_rows = 256;
        options.flush_interval = std::chrono::hours(1);  // only the explicit flushes below
        SessionWriter writer(file, make_session(), make_devices(), options);
        writer.begin_trial(TrialStart{
            "t1", processing::Protocol::repeated_hops, processing::Limb::left, "", {}, ""});
        const auto append = [&](std::uint64_t from_block, std::uint64_t to_block) {
            for (std::uint64_t b = from_block; b < to_block; ++b) {
                writer.append_raw(0, BlockRecord{b * 50, 50, 0, 0},
                                  testing::raw_counts(0, b * 50, 50, 6));
                if (writer.trial_open()) {
                    writer.append_trial_force(0, testing::trial_wrenches(0, b * 50, 50));
                }
            }
        };
        append(0, 10);
        writer.flush();
        handshake.tell(handshake.to_parent[1], '1');
        handshake.hear(handshake.to_child[0]);
        append(10, 30);
        writer.flush();
        handshake.tell(handshake.to_parent[1], '2');
        handshake.hear(handshake.to_child[0]);
        writer.end_trial(TrialEnd{});
        append(30, 31);  // raw only: the trial has ended
        writer.flush();
        handshake.tell(handshake.to_parent[1], '3');
        handshake.hear(handshake.to_child[0]);
        writer.close();
    } catch (const std::exception& error) {
        std::fprintf(stderr, "writer child: %s\n", error.what());
        ::_exit(2);
    }
    ::_exit(0);
}

TEST(LiveReaderTest, FollowsFlushedSamplesAcrossFlushesAndTrialBoundaries) {
    ScratchDir scratch;
    const auto file = scratch.file("live.h5");
    Handshake handshake{};
    ASSERT_EQ(::pipe(handshake.to_parent), 0);
    ASSERT_EQ(::pipe(handshake.to_child), 0);
    const pid_t child = ::fork();
    if (child == 0) {
        ::close(handshake.to_parent[0]);
        ::close(handshake.to_child[1]);
        run_writer(file, handshake);
    }
    ::close(handshake.to_parent[1]);
    ::close(handshake.to_child[0]);
    // Whatever fails below, the child does not outlive the test: closing the pipe ends its wait,
    // then it is killed.
    struct ChildGuard {
        pid_t pid;
        int fd;
        ~ChildGuard() {
            ::close(fd);
            int status = 0;
            if (::waitpid(pid, &status, WNOHANG) == 0) {
                ::kill(pid, SIGKILL);
                ::waitpid(pid, &status, 0);
            }
        }
    };
    const ChildGuard guard{child, handshake.to_child[1]};
    ASSERT_EQ(handshake.hear(handshake.to_parent[0]), '1');
    {
        const SessionReader reader(file);
        EXPECT_TRUE(reader.opened_while_writing());
        EXPECT_FALSE(reader.closed_utc().has_value());
        ASSERT_EQ(reader.trials().size(), 1U);
        EXPECT_EQ(reader.trials()[0].status, "recording");
        EXPECT_EQ(reader.raw_sample_count("left"), 500U);
        EXPECT_EQ(reader.trial_force("t1", "left").samples.size(), 500U);
        EXPECT_EQ(reader.blocks("left").size(), 10U);

        handshake.tell(handshake.to_child[1], 'g');
        ASSERT_EQ(handshake.hear(handshake.to_parent[0]), '2');
        EXPECT_EQ(reader.raw_sample_count("left"), 1500U);
        const TrialForce force = reader.trial_force("t1", "left");
        ASSERT_EQ(force.samples.size(), 1500U);
        EXPECT_EQ(force.samples[1234].fz_n, testing::trial_wrenches(0, 1234, 1)[0].fz_n);
        const RawSamples raw = reader.raw_samples("left", 1499, 1);
        EXPECT_EQ(raw.values[0], static_cast<double>(testing::raw_count(0, 1499, 0)));

        // The writer left SWMR mode to end the trial and entered it again; this reader's handles
        // still read.
        handshake.tell(handshake.to_child[1], 'g');
        ASSERT_EQ(handshake.hear(handshake.to_parent[0]), '3');
        EXPECT_EQ(reader.raw_sample_count("left"), 1550U);
        EXPECT_EQ(reader.raw_samples("left", 1549, 1).values[0],
                  static_cast<double>(testing::raw_count(0, 1549, 0)));
    }
    {
        // A new reader sees the ended trial.
        const SessionReader reader(file);
        EXPECT_EQ(reader.trials()[0].status, "complete");
    }
    handshake.tell(handshake.to_child[1], 'g');
    int status = 0;
    ::waitpid(child, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    const SessionReader closed(file);
    EXPECT_FALSE(closed.opened_while_writing());
    EXPECT_EQ(closed.raw_sample_count("left"), 1550U);
}

}  // namespace
}  // namespace hoplab::recording
