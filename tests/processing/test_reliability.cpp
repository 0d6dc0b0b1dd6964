#include <hoplab/processing/reliability.hpp>

#include <gtest/gtest.h>

#include <cmath>

namespace hoplab::processing {
namespace {

TEST(Reliability, Oracle5B) {
    const std::vector<std::vector<double>> sessions{{10, 12, 14, 16, 18}, {11, 11, 15, 15, 18}};
    const auto r = reliability(sessions);
    // Exact values from METHODS 5-B; 1e-9 covers the rounding of sums of squares of small integers.
    EXPECT_NEAR(r.typical_error, 0.707106781, 1e-9);
    EXPECT_NEAR(r.sem, 0.707106781, 1e-9);
    EXPECT_NEAR(r.mdc95, 1.96, 1e-9);
    EXPECT_NEAR(r.swc, 0.632455532, 1e-9);
    EXPECT_NEAR(r.ms_athletes, 18.5, 1e-9);
    EXPECT_NEAR(r.ms_sessions, 0.0, 1e-9);
    EXPECT_NEAR(r.ms_error, 0.5, 1e-9);
    EXPECT_NEAR(r.icc_3_1, 0.947368421, 1e-9);
    EXPECT_NEAR(r.icc_2_1, 0.957446809, 1e-9);
    EXPECT_NEAR(r.cv_pct, 5.050763, 1e-6);
    EXPECT_NEAR(r.grand_mean, 14.0, 1e-12);
}

TEST(Reliability, MisuseThrows) {
    EXPECT_THROW(reliability(std::vector<std::vector<double>>{{1, 2, 3}}), std::invalid_argument);
    EXPECT_THROW(reliability(std::vector<std::vector<double>>{{1, 2, 3}, {1, 2}}),
                 std::invalid_argument);
}

TEST(Change, ClassificationNeedsAConfiguredTypicalError) {
    const std::vector<double> pre{0.30, 0.32, 0.31};
    const std::vector<double> post{0.35, 0.36, 0.34};
    const auto none =
        compare_change(pre, post, MetricDirection::higher_is_better, std::nullopt, std::nullopt);
    EXPECT_NEAR(none.change, 0.04, 1e-12);
    EXPECT_FALSE(none.beyond_mdc);  // null, not guessed
    EXPECT_FALSE(none.worthwhile);
    EXPECT_EQ(none.direction, ChangeDirection::improvement);
    const auto with_te = compare_change(pre, post, MetricDirection::higher_is_better, 0.01, 0.005);
    EXPECT_NEAR(*with_te.mdc95, 1.96 * std::sqrt(2.0) * 0.01, 1e-12);
    EXPECT_TRUE(*with_te.beyond_mdc);  // 0.04 > 0.0277
    EXPECT_TRUE(*with_te.worthwhile);
    const auto small = compare_change(pre, post, MetricDirection::lower_is_better, 0.02, 0.05);
    EXPECT_FALSE(*small.beyond_mdc);  // 0.04 < 0.0554
    EXPECT_FALSE(*small.worthwhile);
    EXPECT_EQ(small.direction,
              ChangeDirection::decline);  // lower is better: an increase is a decline
    EXPECT_THROW(compare_change({}, post, MetricDirection::none, 0.01, std::nullopt),
                 std::invalid_argument);
}

}  // namespace
}  // namespace hoplab::processing
