#include <hoplab/acquisition/wire/clock_map.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

namespace hoplab::acquisition::wire {
namespace {

// A device clock: device_ns = (host_ns − offset_ns) / (1 + drift_ppm·1e-6), i.e. host = offset +
// device·(1 + drift).
struct DeviceClock {
    std::int64_t offset_ns = 0;
    double drift_ppm = 0;
    std::int64_t host_of(std::int64_t device_ns) const {
        return offset_ns + static_cast<std::int64_t>(std::llround(static_cast<double>(device_ns) *
                                                                  (1 + drift_ppm * 1e-6)));
    }
    std::int64_t device_of(std::int64_t host_ns) const {
        return static_cast<std::int64_t>(
            std::llround(static_cast<double>(host_ns - offset_ns) / (1 + drift_ppm * 1e-6)));
    }
};

// Feeds one block every 20 ms for 20 s (1000 pairs, inside the 1024-pair window): host receive time
// = true host time of the block's device time + latency_ns + a random extra delay (scheduler and
// network jitter) drawn by `delay_ns`.
template <typename Delay>
void feed(ClockMap& map, const DeviceClock& clock, std::int64_t latency_ns, Delay&& delay_ns) {
    for (std::int64_t i = 0; i < 1000; ++i) {
        const std::int64_t device = 1'000'000'000 + i * 20'000'000;
        map.add(device, clock.host_of(device) + latency_ns + delay_ns());
    }
}

// Exponential extra delays with a 30 µs mean: most receives come close to the floor, as on a LAN or
// loopback.
auto lan_jitter(std::mt19937& random) {
    return [&random, delay = std::exponential_distribution<double>(1.0 / 30'000)]() mutable {
        return static_cast<std::int64_t>(std::llround(delay(random)));
    };
}

// Uniform extra delays over 0-200 µs: few receives near the floor, a harsh case.
auto harsh_jitter(std::mt19937& random) {
    return [&random, delay = std::uniform_int_distribution<std::int64_t>(0, 200'000)]() mutable {
        return delay(random);
    };
}

double worst_error_ns(const ClockMap& map, const DeviceClock& clock) {
    double worst = 0;
    for (std::int64_t device = 1'000'000'000; device <= 21'000'000'000; device += 500'000'000) {
        worst = std::max(
            worst, std::abs(static_cast<double>(*map.to_host_ns(device) - clock.host_of(device))));
    }
    return worst;
}

TEST(ClockMap, EmptyMapHasNoMapping) {
    const ClockMap map;
    EXPECT_FALSE(map.to_host_ns(0).has_value());
    EXPECT_EQ(map.pairs(), 0u);
}

TEST(ClockMap, RecoversOffsetAndDriftFromJitteredPairs) {
    // Brief: within 1 µs and 1 ppm. The lower envelope discards the jitter; what remains is how
    // close the least-delayed pairs come to zero extra delay. Over 200 seeds (measured while
    // writing this test) the worst error anywhere in the 20 s window was 0.83 µs and 0.075 ppm with
    // LAN jitter, 5.1 µs and 0.49 ppm with the harsh jitter (at the window's ends, where a slope
    // error of 0.5 ppm × 10 s adds up). Five seeds are asserted.
    const DeviceClock clock{5'000'000'000, 100.0};
    for (unsigned seed = 1; seed <= 5; ++seed) {
        std::mt19937 random(seed);
        ClockMap map;
        feed(map, clock, 0, lan_jitter(random));
        EXPECT_NEAR(map.drift_ppm(), 100.0, 1.0) << "seed " << seed;
        EXPECT_LT(worst_error_ns(map, clock), 1'000.0) << "seed " << seed;
        EXPECT_NEAR(static_cast<double>(map.offset_ns()),
                    static_cast<double>(clock.host_of(20'980'000'000) - 20'980'000'000), 1'000.0);

        ClockMap harsh;
        feed(harsh, clock, 0, harsh_jitter(random));
        EXPECT_NEAR(harsh.drift_ppm(), 100.0, 1.0) << "seed " << seed;
        EXPECT_LT(worst_error_ns(harsh, clock), 6'000.0) << "seed " << seed;
    }
}

TEST(ClockMap, TwoPlatesOnTwoAmplifiersAlignWithinOneSamplePeriod) {
    // Two amplifiers with unrelated clocks sample the same physical instant; mapped to the host
    // clock the two stamps must agree within one sample period at 1 kHz (1 ms). The shared
    // transport latency cancels and each fit errs by under 1 µs (previous test), so 2 µs is
    // asserted as well as the 1 ms requirement.
    std::mt19937 random(11);
    const DeviceClock left{5'000'000'000, 100.0};
    const DeviceClock right{-3'000'000'000, -40.0};
    ClockMap left_map, right_map;
    feed(left_map, left, 80'000, lan_jitter(random));
    feed(right_map, right, 80'000, lan_jitter(random));
    for (std::int64_t host : {6'000'000'000LL, 12'000'000'000LL, 15'500'000'000LL}) {
        const auto left_host = *left_map.to_host_ns(left.device_of(host));
        const auto right_host = *right_map.to_host_ns(right.device_of(host));
        EXPECT_LT(std::abs(left_host - right_host), 2'000) << host;
        EXPECT_LT(std::abs(left_host - right_host), 1'000'000) << host;
    }
}

TEST(ClockMap, FollowsAChangingDriftThroughItsWindow) {
    // After the drift changes, old pairs leave the 1024-pair window and the fit follows the new
    // clock.
    std::mt19937 random(5);
    ClockMap map;
    feed(map, DeviceClock{0, 100.0}, 0, harsh_jitter(random));
    auto jitter = harsh_jitter(random);
    const DeviceClock later{0, -50.0};
    for (std::int64_t i = 0; i < 2000; ++i) {
        const std::int64_t device = 30'000'000'000 + i * 20'000'000;
        map.add(device, later.host_of(device) + jitter());
    }
    EXPECT_EQ(map.pairs(), ClockMap::kWindow);
    EXPECT_NEAR(map.drift_ppm(), -50.0, 1.0);
}

TEST(ClockMap, ResetForgetsTheOldClock) {
    ClockMap map;
    map.add(0, 1'000);
    map.add(1'000'000, 1'001'100);
    map.reset();
    EXPECT_EQ(map.pairs(), 0u);
    map.add(500, 10'500);
    EXPECT_EQ(map.to_host_ns(1'500), 11'500);
    EXPECT_EQ(map.drift_ppm(), 0.0);
}

}  // namespace
}  // namespace hoplab::acquisition::wire
