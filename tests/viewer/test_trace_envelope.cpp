#include <hoplab/viewer/trace_envelope.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>

namespace hoplab::viewer {
namespace {

std::vector<double> noisy_trace(std::size_t n, unsigned seed) {
    std::mt19937 random(seed);
    std::normal_distribution<double> noise(700.0, 150.0);
    std::vector<double> values(n);
    for (auto& v : values)
        v = noise(random);
    return values;
}

// The oracle: brute-force extremes of the samples in [first, end).
std::pair<double, double> brute_min_max(const std::vector<double>& values, std::size_t first,
                                        std::size_t end) {
    const auto [lo, hi] = std::minmax_element(values.begin() + static_cast<std::ptrdiff_t>(first),
                                              values.begin() + static_cast<std::ptrdiff_t>(end));
    return {*lo, *hi};
}

TEST(TraceEnvelope, EveryColumnHoldsExactlyItsSamplesExtremes) {
    const double rate_hz = 2000.0;
    const auto values = noisy_trace(1'000'003, 11);  // not a multiple of any level's bin
    const TraceEnvelope envelope(values, rate_hz);
    // Odd intervals and column counts so columns straddle every level's bin edges.
    for (const auto& [first, end, columns] :
         {std::tuple<std::size_t, std::size_t, std::size_t>{0, 1'000'003, 1500},
          {12'345, 987'654, 777},
          {500'001, 503'333, 301},
          {3, 70'000, 1}}) {
        const double t0_s = static_cast<double>(first) / rate_hz;
        const double t1_s = static_cast<double>(end - 1) / rate_hz;
        const auto points = envelope.view(t0_s, t1_s, columns);
        ASSERT_LE(points.size(), 2 * columns);
        const std::size_t count = end - first;
        std::size_t p = 0;
        for (std::size_t column = 0; column < columns; ++column) {
            const std::size_t a = first + count * column / columns;
            const std::size_t b = first + count * (column + 1) / columns;
            const auto [lo, hi] = brute_min_max(values, a, b);
            // Exact: the points are copies of samples, no arithmetic on the values.
            const double first_y = points[p].y;
            const double second_y = lo == hi ? first_y : points[p + 1].y;
            EXPECT_EQ(std::min(first_y, second_y), lo) << "column " << column;
            EXPECT_EQ(std::max(first_y, second_y), hi) << "column " << column;
            // Each point sits at its own sample's time inside the column, earlier first.
            const double x_first = points[p].x;
            EXPECT_GE(x_first, static_cast<double>(a) / rate_hz - 1e-9);
            p += lo == hi ? 1 : 2;
            EXPECT_LE(points[p - 1].x, static_cast<double>(b - 1) / rate_hz + 1e-9);
            EXPECT_LE(x_first, points[p - 1].x);
        }
        EXPECT_EQ(p, points.size());
    }
}

TEST(TraceEnvelope, AOneSampleSpikeSurvivesEveryZoom) {
    auto values = noisy_trace(7'200'000, 3);  // one hour at 2 kHz
    values[5'000'017] = 9000.0;
    values[123] = -500.0;
    const TraceEnvelope envelope(values, 2000.0);
    for (const std::size_t columns : {100u, 1000u, 1920u}) {
        const auto points = envelope.view(0.0, envelope.end_s(), columns);
        const auto [lo, hi] = std::minmax_element(
            points.begin(), points.end(), [](const Point& a, const Point& b) { return a.y < b.y; });
        EXPECT_EQ(hi->y, 9000.0);
        EXPECT_DOUBLE_EQ(hi->x, 5'000'017 / 2000.0);
        EXPECT_EQ(lo->y, -500.0);
    }
    const auto extremes = envelope.extremes(2000.0, 2600.0);
    ASSERT_TRUE(extremes);
    EXPECT_EQ(extremes->max, 9000.0);
}

TEST(TraceEnvelope, FewSamplesAreDrawnRawAndTimesFollowTheStart) {
    const TraceEnvelope envelope({1.0, 5.0, 2.0, 8.0, 3.0}, 100.0, 0.5);
    EXPECT_DOUBLE_EQ(envelope.end_s(), 0.54);
    const auto points = envelope.view(0.51, 0.53, 10);  // samples 1..3 only
    ASSERT_EQ(points.size(), 3u);
    EXPECT_DOUBLE_EQ(points[0].x, 0.51);
    EXPECT_EQ(points[0].y, 5.0);
    EXPECT_EQ(points[2].y, 8.0);
    EXPECT_TRUE(envelope.view(0.0, 0.49, 10).empty());  // before the first sample
    EXPECT_FALSE(envelope.extremes(0.6, 0.7).has_value());
}

TEST(TraceEnvelope, MisuseThrows) {
    EXPECT_THROW(TraceEnvelope({1.0}, 0.0), std::invalid_argument);
    EXPECT_THROW(TraceEnvelope({1.0}, std::nan("")), std::invalid_argument);
    const TraceEnvelope envelope({1.0, 2.0}, 10.0);
    EXPECT_THROW(envelope.view(0.0, 1.0, 0), std::invalid_argument);
    EXPECT_THROW(envelope.view(1.0, 0.0, 10), std::invalid_argument);
}

}  // namespace
}  // namespace hoplab::viewer
