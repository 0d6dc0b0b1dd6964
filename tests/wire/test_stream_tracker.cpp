#include <hoplab/acquisition/wire/stream_tracker.hpp>

#include <gtest/gtest.h>

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
    EXPECT_EQ(c.samples_lost, 30u);  // 3,4 and the late 7 (never inserted: the file is append-only)
    EXPECT_EQ(c.samples_accepted + c.samples_lost, 100u);
    EXPECT_EQ(c.duplicates, 1u);
    EXPECT_EQ(c.out_of_order, 1u);
    EXPECT_EQ(c.sequence_gaps, 2u);
    EXPECT_EQ(c.messages_lost, 3u);  // 3, 4 and (at the time) 7
    EXPECT_EQ(c.samples_received, 90u);
}

TEST(StreamTracker, ReconnectKeepsLossVisibleAndDetectsARestart) {
    StreamTracker tracker;
    tracker.on_data(0, block(0));
    tracker.on_data(1, block(10));
    tracker.on_reconnect();
    // The device kept counting while disconnected: samples 20-49 are a gap; seq restarting is no
    // loss.
    auto verdict = tracker.on_data(0, block(50));
    EXPECT_TRUE(verdict.accept);
    ASSERT_EQ(verdict.new_gaps.size(), 1u);
    EXPECT_EQ(verdict.new_gaps[0].first_missing_index, 20u);
    EXPECT_EQ(verdict.new_gaps[0].count, 30u);
    EXPECT_EQ(tracker.counters().messages_lost, 0u);
    // Without a reconnect, a block going backwards is a duplicate...
    EXPECT_FALSE(tracker.on_data(1, block(0)).accept);
    EXPECT_EQ(tracker.counters().duplicates, 1u);
    // ...after one, the device restarted its counter: accepted, and the next block continues from
    // it.
    tracker.on_reconnect();
    EXPECT_TRUE(tracker.on_data(0, block(0)).accept);
    EXPECT_TRUE(tracker.on_data(1, block(10)).accept);
    EXPECT_EQ(tracker.counters().restarts, 1u);
    EXPECT_EQ(tracker.counters().samples_accepted, 50u);
    EXPECT_EQ(tracker.counters().samples_lost, 30u);
    EXPECT_EQ(tracker.next_sample_index(), 20u);
}

TEST(StreamTracker, DeviceReportedLossAndDecodeErrorsAreCountedApart) {
    StreamTracker tracker;
    tracker.on_decode_error(true);
    tracker.on_decode_error(false);
    tracker.on_decode_error(false);
    tracker.on_device_reported_loss(25);
    EXPECT_EQ(tracker.counters().crc_failures, 1u);
    EXPECT_EQ(tracker.counters().malformed, 2u);
    EXPECT_EQ(tracker.counters().device_reported_lost, 25u);
    EXPECT_EQ(tracker.counters().samples_lost, 0u);
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

}  // namespace
}  // namespace hoplab::acquisition::wire
