#include <hoplab/processing/symmetry.hpp>

#include <gtest/gtest.h>

namespace hoplab::processing {
namespace {

TEST(Symmetry, Oracle5A) {
    const auto row =
        symmetry_row("jump_height_m", MetricDirection::higher_is_better, 0.90, 1.00, Limb::left);
    EXPECT_NEAR(*row.lsi_pct, 90.0, 1e-12);
    EXPECT_DOUBLE_EQ(*row.asymmetry_pct, 10.0);
    EXPECT_EQ(*row.flag,
              SymmetryFlag::attention);  // 9.999999999999998 before rounding: must not read "ok"
    EXPECT_EQ(*row.weaker, Limb::left);
    EXPECT_NEAR(*row.symmetry_index_pct, 10.526316, 1e-6);
    EXPECT_NEAR(*row.symmetry_angle_pct, 3.347542, 1e-6);
    EXPECT_NEAR(*row.signed_asymmetry_pct, 10.0, 1e-12);  // (1.0 − 0.9)/1.0 × 100, right better
    EXPECT_EQ(*symmetry_row("x", MetricDirection::higher_is_better, 0.8, 1.0, std::nullopt).flag,
              SymmetryFlag::red);
    const auto equal = symmetry_row("x", MetricDirection::higher_is_better, 1.0, 1.0, std::nullopt);
    EXPECT_EQ(*equal.flag, SymmetryFlag::ok);
    EXPECT_FALSE(equal.weaker.has_value());
}

TEST(Symmetry, LowerIsBetterContactTime) {
    const auto row =
        symmetry_row("contact_time_s", MetricDirection::lower_is_better, 0.25, 0.20, Limb::left);
    EXPECT_EQ(*row.weaker, Limb::left);
    EXPECT_DOUBLE_EQ(*row.asymmetry_pct, 20.0);
    EXPECT_EQ(*row.flag, SymmetryFlag::red);
    EXPECT_NEAR(*row.lsi_pct, 80.0, 1e-12);
}

TEST(Symmetry, NonPositiveOrMissingValuesGiveNulls) {
    const auto row = symmetry_row("x", MetricDirection::higher_is_better, 0.0, 1.0, std::nullopt);
    EXPECT_FALSE(row.asymmetry_pct.has_value());
    EXPECT_FALSE(row.flag.has_value());
    EXPECT_FALSE(symmetry_row("x", MetricDirection::none, std::nullopt, 1.0, std::nullopt)
                     .lsi_pct.has_value());
    const auto none = symmetry_row("peak_force_N", MetricDirection::none, 900, 1000, std::nullopt);
    EXPECT_FALSE(none.weaker.has_value());  // no direction: no weaker limb
}

}  // namespace
}  // namespace hoplab::processing
