// `hoplab record stop` waits in proportion to what the session has recorded: the stop derives the
// trial's force from its raw rows (docs/recording-format.md §5), and a fixed wait was exceeded by
// long trials (the daemon still finished, the command reported a failure).
#include <hoplab/cli/stop_timeout.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <stdexcept>

namespace {

using nlohmann::json;

json status_with(std::initializer_list<std::uint64_t> samples_written) {
    json devices = json::array();
    for (const auto samples : samples_written) {
        devices.push_back({{"name", "plate"}, {"counters", {{"samples_written", samples}}}});
    }
    return {{"devices", devices}, {"trial", {{"id", "trial-001"}}}};
}

TEST(StopTimeout, GrowsWithTheSamplesTheSessionHasWritten) {
    // A 30-s lab trial of four 2 kHz plates: 240 000 samples, one second more than the base.
    EXPECT_EQ(hoplab::cli::trial_stop_timeout(status_with({60'000, 60'000, 60'000, 60'000})),
              std::chrono::seconds(121));
    // Run G's 71.0 M-sample trial took 42.3 s to stop at the disk's write-back rate (1.7 M/s):
    // 120 s + 71.0e6 / 0.5e6 = 262 s, ≈ 6× that, where the former fixed 120 s was < 3×.
    EXPECT_EQ(hoplab::cli::trial_stop_timeout(status_with({71'000'000})),
              std::chrono::seconds(262));
    // Summed over the devices, rounded up to a whole second.
    EXPECT_EQ(hoplab::cli::trial_stop_timeout(status_with({35'500'001, 35'500'000})),
              std::chrono::seconds(263));
    EXPECT_EQ(hoplab::cli::trial_stop_timeout(status_with({})), std::chrono::seconds(120));
}

TEST(StopTimeout, AStatusWithoutSampleCountsIsRefused) {
    EXPECT_THROW(hoplab::cli::trial_stop_timeout(json{{"session", nullptr}}),
                 std::invalid_argument);
    EXPECT_THROW(hoplab::cli::trial_stop_timeout(json{{"devices", {{{"name", "left"}}}}}),
                 std::invalid_argument);
    EXPECT_THROW(hoplab::cli::trial_stop_timeout(
                     json{{"devices", {{{"counters", {{"samples_written", -1}}}}}}}),
                 std::invalid_argument);
}

}  // namespace
