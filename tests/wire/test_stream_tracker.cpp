#include <hoplab/acquisition/wire/clock_map.hpp>
#include <hoplab/acquisition/wire/stream_tracker.hpp>

#include <gtest/gtest.h>

#include <random>

namespace hoplab::acquisition::wire {
namespace {

DataBlock block(std::uint64_t first, std::uint16_t n = 10) {
    DataBlock b;
    b.first_sample_index = first;
    b.n_samples = n;
    b.n_channels = 1;
    b.counts.assign(n, 0);
    return b;
}

TEST(StreamTracker, CountsLossReorderAndDuplicatesExactly) {
    StreamTracker tracker;
    // Messages 0..9 of 10 samples; 3 and 4 lost, 7 arrives after 8 (late), 5 arrives twice.
    std::uint64_t accepted = 0;
    std::vector<SampleGap> gaps;
    for (std::uint32_t seq : {0u, 1u, 2u, 5u, 5u, 6u, 8u, 7u, 9u}) {
        auto verdict = tracker.on_data(seq, block(seq * 10));
        accepted += verdict.accept ? 10 : 0;
        gaps.insert(gaps.end(), verdict.new_gaps.begin(), verdict.new_gaps.end());
    }
    const auto& c = tracker.counters();
    ASSERT_EQ(gaps.size(), 2u);
    EXPECT_EQ(gaps[0].first_missing_index, 30u);
    EXPECT_EQ(gaps[0].count, 20u);
    EXPECT_EQ(gaps[1].first_missing_index, 70u);
    EXPECT_EQ(gaps[1].count, 10u);
    EXPECT_EQ(c.samples_accepted, accepted);
    EXPECT_EQ(c.samples_accepted, 70u);  // 0,1,2,5,6,8,9
    EXPECT_EQ(c.samples_lost, 30u);      // 3,4 and the late 7 (never inserted: the file is append-only)
    EXPECT_EQ(c.samples_accepted + c.samples_lost, 100u);
    EXPECT_EQ(c.duplicates, 1u);
    EXPECT_EQ(c.out_of_order, 1u);
    EXPECT_EQ(c.sequence_gaps, 2u);
    EXPECT_EQ(c.messages_lost, 3u);  // 3, 4 and (at the time) 7
    EXPECT_EQ(c.samples_received, 90u);
}

TEST(StreamTracker, SequenceNumbersWrap) {
    StreamTracker tracker;
    tracker.on_message(0xFFFFFFFEu);
    tracker.on_message(0xFFFFFFFFu);
    tracker.on_message(0u);
    EXPECT_EQ(tracker.counters().sequence_gaps, 0u);
    tracker.on_message(2u);
    EXPECT_EQ(tracker.counters().messages_lost, 1u);
}

TEST(ClockMap, RecoversOffsetAndDriftFromJitteredPairs) {
    ClockMap map;
    std::mt19937 random(3);
    std::uniform_int_distribution<int> jitter_us(0, 200);
    constexpr double kDriftPpm = 100.0;
    constexpr std::int64_t kOffsetNs = 5'000'000'000;
    for (int i = 0; i < 1000; ++i) {
        const std::int64_t device = static_cast<std::int64_t>(i) * 20'000'000;  // every 20 ms
        const auto host = kOffsetNs + static_cast<std::int64_t>(static_cast<double>(device) * (1 + kDriftPpm * 1e-6)) +
                          jitter_us(random) * 1000;
        map.add(device, host);
    }
    EXPECT_NEAR(map.drift_ppm(), kDriftPpm, 1.0);
    // The mean receive delay (100 µs here) is part of the offset: a constant, the same for every device on one host.
    const auto mapped = *map.to_host_ns(10'000'000'000);
    EXPECT_NEAR(static_cast<double>(mapped - kOffsetNs - 10'001'000'000), 100'000.0, 20'000.0);
}

}  // namespace
}  // namespace hoplab::acquisition::wire
