// METHODS §4.1 impact vs active peak (oracle 4.1-B) against scipy
// (scripts/golden/processing_impact_peak.py), and the landing stability metrics through
// analyze_trial with a plate's full force vector.
#include <hoplab/processing/trial_analysis.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <vector>

namespace hoplab::processing {
namespace {

constexpr double kFs = 1000.0;

// 300 samples of flight, the two half-sines of oracle 4.1-B from touchdown, 300 of flight.
std::vector<double> landing_with_impact(bool impact) {
    std::vector<double> f(800, 0.0);
    for (std::size_t k = 0; k < 200; ++k) {
        const double t = static_cast<double>(k) / kFs;
        f[300 + k] = 1800 * std::sin(std::numbers::pi * t / 0.2) +
                     (impact && t < 0.02 ? 600 * std::sin(std::numbers::pi * t / 0.02) : 0.0);
    }
    return f;
}

AnalysisSettings with_mass() {
    AnalysisSettings settings;
    settings.body_mass_kg = 80.0;  // BW 784.532 N: the 0.10 BW prominence is 78.45 N
    return settings;
}

TEST(ImpactPeak, Oracle41BMatchesScipy) {
    const auto f = landing_with_impact(true);
    const auto a = analyze_trial(f, kFs, Protocol::landing, Limb::left, with_mass());
    ASSERT_TRUE(a.landing.has_value());
    const auto& l = *a.landing;
    // scipy: sosfiltfilt(butter(2, 50, fs=1000)) over the record, find_peaks with prominence ≥
    // 0.10 BW: impact at sample 312 (844.995670074967 N), active peak at 400 (1799.989118020027 N).
    // Windowed filtering equals whole-record filtering to 1e-9 relative.
    ASSERT_TRUE(l.impact_peak_N.has_value());
    EXPECT_NEAR(*l.impact_peak_N, 844.995670074967, 1e-6);
    EXPECT_NEAR(*l.impact_peak_bw, 844.995670074967 / (80.0 * 9.80665), 1e-9);
    // Touchdown: the 20 N crossing between samples 300 (0 N) and 301.
    const double f301 = f[301];
    const double touchdown_s = (300.0 + 20.0 / f301) / kFs;
    EXPECT_NEAR(*l.time_to_impact_peak_s, 0.312 - touchdown_s, 1e-12);
    EXPECT_NEAR(*l.peak_force_N, 1799.989118020027, 1e-6);
    EXPECT_NEAR(*l.time_to_peak_s, 0.400 - touchdown_s, 1e-12);
}

TEST(ImpactPeak, NoneForASingleHumpOrWithoutBodyWeight) {
    const auto single =
        analyze_trial(landing_with_impact(false), kFs, Protocol::landing, Limb::left, with_mass());
    ASSERT_TRUE(single.landing.has_value());
    EXPECT_FALSE(single.landing->impact_peak_N.has_value());
    EXPECT_TRUE(single.landing->peak_force_N.has_value());
    // The prominence threshold is a fraction of BW: with no stance and no mass there is none.
    const auto no_bw =
        analyze_trial(landing_with_impact(true), kFs, Protocol::landing, Limb::left, {});
    ASSERT_TRUE(no_bw.landing.has_value());
    EXPECT_FALSE(no_bw.landing->impact_peak_N.has_value());
}

// A hop-and-stick landing on one plate (a 0.5 s half-sine of 1.5 BW over BW, then BW) with Fx =
// 0.05 BW and Fy = 0: DPSI over 3 s from touchdown follows the METHODS §4.9 sums exactly; the COP
// path over touchdown + 1 s … + 4 s of a COP on a 2 cm circle at 0.5 Hz is 3 s of its chords.
TEST(ImpactPeak, LandingStabilityFromThePlateVector) {
    const double bw = 800.0;
    const std::size_t n = 6000;  // 1 s flight, then 5 s of stance
    PlateSeries series;
    double sz = 0;
    for (std::size_t k = 0; k < n; ++k) {
        if (k < 1000) {
            series.push_back(0, 0, 0, std::nullopt);
            continue;
        }
        const double t = static_cast<double>(k - 1000) / kFs;
        const double fz = t < 0.5 ? bw * (1.0 + 1.5 * std::sin(std::numbers::pi * t / 0.5)) : bw;
        series.push_back(
            0.05 * bw, 0, fz,
            CopPoint{0.02 * std::cos(std::numbers::pi * t), 0.02 * std::sin(std::numbers::pi * t)});
        if (k < 1000 + 3000) {
            sz += (bw - fz) * (bw - fz);
        }
    }
    const auto& fz = series.fz_n;
    AnalysisSettings settings;
    settings.body_mass_kg = bw / settings.gravity_m_s2;
    settings.cop_cutoff_hz = 10.0;
    const PlateKinetics plate = series.view();
    const auto a = analyze_trial(fz, kFs, Protocol::landing, Limb::left, settings, plate);
    ASSERT_TRUE(a.landing.has_value());
    ASSERT_TRUE(a.landing->stability.has_value());
    // The landing's contact run starts at sample 1000 (the first ≥ 20 N): samples 1000–3999.
    EXPECT_NEAR(a.landing->stability->mlsi, 0.05, 1e-12);
    EXPECT_EQ(a.landing->stability->apsi, 0.0);
    EXPECT_NEAR(a.landing->stability->vsi, std::sqrt(sz / 3000) / bw, 1e-12);
    EXPECT_NEAR(a.landing->stability->dpsi,
                std::sqrt((3000 * 0.05 * bw * 0.05 * bw + sz) / 3000) / bw, 1e-12);
    EXPECT_GT(a.landing->stability->vsi, 0.2);  // the half-sine dominates
    ASSERT_TRUE(a.landing->cop_path.has_value());
    // 3000 chords of a 2 cm circle at 0.5 Hz, times the 10 Hz filter's interior gain.
    const double gain = 1 / (1 + std::pow(0.5 / 10.0, 4));
    EXPECT_NEAR(a.landing->cop_path->path_length_m,
                3000 * 2 * 0.02 * gain * std::sin(std::numbers::pi * 0.5 / kFs), 1e-7);
    // Without the plate vector the same trial has neither.
    const auto vertical_only = analyze_trial(fz, kFs, Protocol::landing, Limb::left, settings);
    EXPECT_FALSE(vertical_only.landing->stability.has_value());
    EXPECT_FALSE(vertical_only.landing->cop_path.has_value());
    PlateKinetics short_plate = plate;
    short_plate.fx_n = short_plate.fx_n.first(10);
    EXPECT_THROW((void)analyze_trial(fz, kFs, Protocol::landing, Limb::left, settings, short_plate),
                 std::invalid_argument);
}

}  // namespace
}  // namespace hoplab::processing
