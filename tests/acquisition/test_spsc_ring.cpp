#include <hoplab/acquisition/spsc_ring.hpp>

#include <gtest/gtest.h>

#include <numeric>
#include <thread>

namespace hoplab::acquisition {
namespace {

TEST(SpscRing, RoundsCapacityUpAndRefusesWhenFull) {
    SpscRing<int> ring(5);
    EXPECT_EQ(ring.capacity(), 8u);
    for (int i = 0; i < 8; ++i) {
        EXPECT_TRUE(ring.try_push(int{i}));
    }
    EXPECT_FALSE(ring.try_push(99));  // full: the caller must count an overrun
    EXPECT_EQ(ring.try_pop(), 0);
    EXPECT_TRUE(ring.try_push(8));
    EXPECT_EQ(ring.size(), 8u);
}

TEST(SpscRing, TransfersEveryItemInOrderAcrossThreads) {
    constexpr int kItems = 200'000;
    SpscRing<int> ring(64);
    long long consumed_sum = 0;
    int expected = 0;
    bool in_order = true;
    std::thread consumer([&] {
        while (expected < kItems) {
            ring.wait_for_data();
            while (auto value = ring.try_pop()) {
                in_order = in_order && *value == expected;
                consumed_sum += *value;
                ++expected;
            }
        }
    });
    for (int i = 0; i < kItems; ++i) {
        while (!ring.try_push(int{i})) {
            std::this_thread::yield();
        }
    }
    consumer.join();
    EXPECT_TRUE(in_order);
    EXPECT_EQ(consumed_sum, static_cast<long long>(kItems) * (kItems - 1) / 2);
}

TEST(SpscRing, ZeroCapacityIsMisuse) {
    EXPECT_THROW(SpscRing<int>(0), std::invalid_argument);
}

}  // namespace
}  // namespace hoplab::acquisition
