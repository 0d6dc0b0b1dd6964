#include <hoplab/calibration/procedures.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <vector>

namespace hoplab::calibration {
namespace {

TEST(KnownWeightFit, Oracle7AQuadraticCell) {
    std::vector<KnownLoadStep> steps;
    for (int i = 0; i <= 10; ++i) {
        const double f = 200.0 * i;
        steps.push_back({f, 5000 + 50 * f - 1.0e-4 * f * f, true});
    }
    const auto outcome = fit_known_weights(steps, {.full_scale_n = 2000});
    ASSERT_TRUE(outcome.fit) << outcome.refusal.value_or("");
    const auto& fit = *outcome.fit;
    // METHODS 7-A values are printed to 9–12 significant digits: tolerances are half a unit in the
    // last digit.
    EXPECT_NEAR(fit.offset_n, -101.605039835, 5e-9);
    EXPECT_NEAR(fit.sensitivity_n_per_count, 0.020080296023, 5e-13);
    EXPECT_NEAR(fit.bfsl_nonlinearity_pct_fs, 0.060304, 5e-7);
    EXPECT_NEAR(fit.terminal_nonlinearity_pct_fs, 0.100402, 5e-7);
    EXPECT_FALSE(fit.hysteresis_n.has_value());
    EXPECT_TRUE(fit.pass);
    std::printf("7-A: BFSL NL %.6f %%FS, terminal NL %.6f %%FS, R2 %.9f\n",
                fit.bfsl_nonlinearity_pct_fs, fit.terminal_nonlinearity_pct_fs, fit.r_squared);
}

TEST(KnownWeightFit, Oracle7BHysteresis) {
    const double fs = 2000;
    std::vector<KnownLoadStep> steps;
    for (int i = 0; i <= 10; ++i) {
        steps.push_back({200.0 * i, 5000 + 50 * 200.0 * i, true});
    }
    for (int i = 10; i >= 0; --i) {
        const double f = 200.0 * i;
        steps.push_back({f, 5000 + 50 * (f + 3.0 * std::sin(std::numbers::pi * f / fs)), false});
    }
    const auto outcome =
        fit_known_weights(steps, {.full_scale_n = fs, .max_hysteresis_pct_fs = 0.1});
    ASSERT_TRUE(outcome.fit);
    // Converted with the OLS slope over both directions, which the ±3 N loop biases by ~2e-6
    // relative: 1e-4 N.
    EXPECT_NEAR(*outcome.fit->hysteresis_n, 3.0, 1e-4);
    EXPECT_NEAR(*outcome.fit->hysteresis_pct_fs, 0.15, 1e-5);
    EXPECT_FALSE(outcome.fit->pass);  // 0.15 % > the 0.1 % limit set here
    std::printf("7-B: hysteresis %.6f N = %.6f %%FS\n", *outcome.fit->hysteresis_n,
                *outcome.fit->hysteresis_pct_fs);
}

TEST(KnownWeightFit, RefusesTooFewLoadsAndNonMonotonic) {
    const std::vector<KnownLoadStep> two{{0, 0, true}, {100, 10, true}};
    EXPECT_TRUE(fit_known_weights(two, {.full_scale_n = 100}).refusal.has_value());
    const std::vector<KnownLoadStep> bent{{0, 0, true}, {100, 10, true}, {200, 5, true}};
    const auto outcome = fit_known_weights(bent, {.full_scale_n = 200});
    ASSERT_TRUE(outcome.refusal);
    EXPECT_NE(outcome.refusal->find("200.000 N"), std::string::npos) << *outcome.refusal;
}

TEST(Drift, Oracle7C) {
    const auto slow = check_drift(0.0, 0.0, 0.1 * 10, 10.0, 20.0);
    EXPECT_NEAR(slow.zero_change_n, 1.0, 1e-12);
    EXPECT_FALSE(slow.warning);
    const auto fast = check_drift(0.0, 0.0, 0.5 * 10, 10.0, 20.0);
    EXPECT_NEAR(fast.drift_n_per_s, 0.5, 1e-12);
    EXPECT_TRUE(fast.warning);
}

TEST(Tare, RefusesLoadedPlateAndTaresQuietOne) {
    const auto plate = PlateCalibration::six_channel_diagonal(
        "T", {0.5, 0.5, 0.5, 0.01, 0.01, 0.01}, {0, 0, 0, 0, 0, 0}, -0.04);
    std::vector<double> quiet, loaded;
    for (int s = 0; s < 1000; ++s) {
        const double wobble = (s % 2 == 0) ? 1.0 : -1.0;  // ±1 count = ±0.5 N on Fz
        for (double v : {10.0, 20.0, 30.0 + wobble, 1.0, 2.0, 3.0}) {
            quiet.push_back(v);
        }
        const double sway = 40.0 * std::sin(2 * std::numbers::pi * s /
                                            1000.0);  // standing person: 20 N SD-scale sway
        for (double v : {10.0, 20.0, 1400.0 + sway, 1.0, 2.0, 3.0}) {
            loaded.push_back(v);
        }
    }
    const auto ok = tare(plate, quiet, 1000.0, TareLimits{});
    ASSERT_TRUE(ok.calibration) << ok.refusal.value_or("");
    EXPECT_NEAR(ok.offsets[2], 30.0, 1e-12);
    EXPECT_NEAR(ok.fz_noise_sd_n, 0.5 * std::sqrt(1000.0 / 999.0), 1e-9);  // SD divisor N−1
    const auto refused = tare(plate, loaded, 1000.0, TareLimits{});
    EXPECT_TRUE(refused.refusal.has_value());
    EXPECT_FALSE(refused.calibration.has_value());
}

TEST(Verification, ReportsForceAndCopErrors) {
    const auto plate =
        PlateCalibration::six_channel_diagonal("V", {1, 1, 1, 1, 1, 1}, {0, 0, 0, 0, 0, 0}, -0.04);
    // 800 N at (0.1, 0.2) read with a 1 N·m My error: COP x off by 1/800 m.
    Wrench w{0, 0, 800, 0.2 * 800, -0.1 * 800 - 1.0, 0};
    const std::vector<VerificationLoad> loads{{0, 0, 800, 0.1, 0.2, plate.to_raw(w)}};
    const auto result = verify(plate, loads, 20.0);
    EXPECT_NEAR(result.max_force_error_n, 0.0, 1e-9);
    EXPECT_NEAR(result.max_cop_error_m, 1.0 / 800.0, 1e-12);
}

}  // namespace
}  // namespace hoplab::calibration
