// METHODS §4.9 (DPSI) and §4.10 (COP path) against their oracles.
#include <hoplab/calibration/plate_calibration.hpp>
#include <hoplab/processing/stability.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <vector>

namespace hoplab::processing {
namespace {

// A plate at rest with the COP defined everywhere; tests overwrite what they need.
PlateSeries plate_of(std::size_t samples) {
    PlateSeries plate;
    for (std::size_t k = 0; k < samples; ++k) {
        plate.push_back(0, 0, 0, CopPoint{});
    }
    return plate;
}

// Oracle 4.9-A: constant Fx = 0.05·BW, Fy = 0, Fz = 1.1·BW → MLSI 0.05, APSI 0, VSI 0.1,
// DPSI √(0.05² + 0.1²).
TEST(Stability, DpsiOracle49A) {
    const double bw = 784.532;
    auto plate = plate_of(4000);
    std::fill(plate.fx_n.begin(), plate.fx_n.end(), 0.05 * bw);
    std::fill(plate.fz_n.begin(), plate.fz_n.end(), 1.1 * bw);
    const auto s = dynamic_postural_stability(plate.view(), 1000.0, 500, bw);
    ASSERT_TRUE(s.has_value());
    EXPECT_NEAR(s->mlsi, 0.05, 1e-12);
    EXPECT_EQ(s->apsi, 0.0);
    EXPECT_NEAR(s->vsi, 0.1, 1e-12);
    EXPECT_NEAR(s->dpsi, 0.111803399, 1e-9);
    EXPECT_DOUBLE_EQ(s->window_s, 3.0);
    // 3 s from sample 1001 needs samples up to 4000: one short → null, not a shorter window.
    EXPECT_FALSE(dynamic_postural_stability(plate.view(), 1000.0, 1001, bw).has_value());
    EXPECT_TRUE(dynamic_postural_stability(plate.view(), 1000.0, 1000, bw).has_value());
    EXPECT_THROW((void)dynamic_postural_stability(plate.view(), 1000.0, 4000, bw),
                 std::invalid_argument);
    EXPECT_THROW((void)dynamic_postural_stability(plate.view(), 1000.0, 0, 0.0),
                 std::invalid_argument);
}

// Oracle 4.10-A: the COP on a circle (r = 2 cm, 0.5 Hz, 1 kHz, 2001 samples) made through the plate
// equations (Fz = 800 N, Mx = y·Fz, My = −x·Fz about a surface-level origin) and recovered by the
// calibration module's COP: path = 2000 chords of 2r·sin(πf/fs) = 0.125663654 m.
TEST(Stability, CopPathOracle410A) {
    const double fs = 1000, r = 0.02, f = 0.5;
    auto plate = plate_of(2001);
    for (std::size_t k = 0; k < 2001; ++k) {
        const double t = static_cast<double>(k) / fs;
        const double cx = r * std::cos(2 * std::numbers::pi * f * t);
        const double cy = r * std::sin(2 * std::numbers::pi * f * t);
        calibration::Wrench w{0, 0, 800, cy * 800, -cx * 800, 0};
        const auto cop = calibration::centre_of_pressure_at(w, 0.0, 20.0);
        ASSERT_TRUE(cop.has_value());
        plate.fz_n[k] = w.fz_n;
        plate.cop[k] = CopPoint{cop->x_m, cop->y_m};
    }
    const auto path = cop_path(plate.view(), fs, 0, 2000, std::nullopt);
    ASSERT_TRUE(path.has_value());
    EXPECT_NEAR(path->path_length_m, 2000 * 2 * r * std::sin(std::numbers::pi * f / fs), 1e-12);
    EXPECT_NEAR(path->path_length_m, 0.125663654, 1e-9);
    EXPECT_NEAR(path->mean_speed_m_s, 0.125663654 / 2.0, 1e-9);
    EXPECT_NEAR(path->ml_range_m, 0.04, 1e-12);  // x spans −r … r over a full turn
    EXPECT_NEAR(path->ap_range_m, 0.04, 1e-6);   // y's extremes fall between samples
    // With the default 10 Hz zero-lag low-pass the window's edges (scipy's odd extension) shorten
    // the path by 0.8 %: scipy.signal.sosfiltfilt gives 0.124658641183 m
    // (scripts/golden/processing_cop_path.py).
    const auto filtered = cop_path(plate.view(), fs, 0, 2000, 10.0);
    ASSERT_TRUE(filtered.has_value());
    EXPECT_NEAR(filtered->path_length_m, 0.124658641183, 1e-11);
    // A window inside the record is filtered with the samples around it: no edge effect, only the
    // interior gain 1/(1 + (0.5/10)^4) of the radius (METHODS oracle 1-A).
    const auto inner = cop_path(plate.view(), fs, 500, 1500, 10.0);
    ASSERT_TRUE(inner.has_value());
    const double gain = 1 / (1 + std::pow(f / 10.0, 4));
    EXPECT_NEAR(inner->path_length_m, 1000 * 2 * r * gain * std::sin(std::numbers::pi * f / fs),
                1e-9);
}

TEST(Stability, CopPathIsNullWhenTheCopIsUndefinedAnywhereInTheWindow) {
    auto plate = plate_of(500);
    plate.cop[300].reset();  // a step off the plate
    EXPECT_FALSE(cop_path(plate.view(), 1000.0, 100, 400, std::nullopt).has_value());
    EXPECT_TRUE(cop_path(plate.view(), 1000.0, 310, 499, std::nullopt).has_value());
    EXPECT_FALSE(cop_path(plate.view(), 1000.0, 310, 500, std::nullopt).has_value());  // past end
    EXPECT_THROW((void)cop_path(plate.view(), 1000.0, 400, 400, std::nullopt),
                 std::invalid_argument);
    PlateKinetics bad = plate.view();
    bad.fx_n = bad.fx_n.first(10);
    EXPECT_THROW((void)cop_path(bad, 1000.0, 0, 5, std::nullopt), std::invalid_argument);
}

// Range of variation + cubic (Ross & Guskiewicz 2003) on oracle 4.8-A rectified about BW:
// numpy.polyfit gives 0.841 s for a 10 N range and 0.621 s for 40 N
// (scripts/golden/processing_polynomial_tts.py). The sample index must match exactly.
TEST(Stability, PolynomialTimeToStabilisationMatchesNumpy) {
    std::vector<double> rectified(3000);
    for (std::size_t k = 0; k < rectified.size(); ++k) {
        rectified[k] = 300.0 * std::exp(-static_cast<double>(k) / 1000.0 / 0.25);
    }
    const auto at_10 = polynomial_time_to_stabilisation(rectified, 1000.0, 10.0);
    ASSERT_TRUE(at_10.has_value());
    EXPECT_NEAR(*at_10, 0.841, 1e-12);
    const auto at_40 = polynomial_time_to_stabilisation(rectified, 1000.0, 40.0);
    ASSERT_TRUE(at_40.has_value());
    EXPECT_NEAR(*at_40, 0.621, 1e-12);
    // A landing that never settles inside the range: no number.
    const std::vector<double> restless(2000, 5.0);
    EXPECT_FALSE(polynomial_time_to_stabilisation(restless, 1000.0, 4.0).has_value());
    EXPECT_THROW((void)polynomial_time_to_stabilisation(std::span(restless).first(3), 1000.0, 4.0),
                 std::invalid_argument);
}

}  // namespace
}  // namespace hoplab::processing
