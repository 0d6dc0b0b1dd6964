// device-sim's "performed" event: the JSON line a test reads to know what the simulated athlete
// did. Its truth must carry what the simulation's truth carries, so tests can compare the daemon's
// analysis with it.
#include <hoplab/acquisition/simulated_amplifier.hpp>
#include <hoplab/simulation/simulator.hpp>

#include <gtest/gtest.h>

namespace hoplab::acquisition {
namespace {

PerformanceReport report_for(processing::Protocol protocol, processing::Limb limb) {
    simulation::TrialScript script;
    script.protocol = protocol;
    script.limb = limb;
    PerformanceReport report{protocol, limb, 1000, 0, {}};
    const auto trial = simulation::simulate_trial(simulation::AthleteModel{}, script,
                                                  simulation::PlateNoise{}, 1000.0, 5);
    report.end_sample_index = report.first_sample_index + trial.plates.front().samples.size();
    report.truth = trial.truth;
    return report;
}

TEST(PerformanceReport, TruthCarriesTheLandingsHorizontalTimeToStabilisation) {
    const auto report = report_for(processing::Protocol::single_leg_hop, processing::Limb::left);
    ASSERT_TRUE(report.truth.landing_tts_ml_s.has_value());
    ASSERT_TRUE(report.truth.landing_tts_ap_s.has_value());
    const auto json = report.to_json();
    EXPECT_EQ(json["event"], "performed");
    EXPECT_EQ(json["protocol"], "single-leg-hop");
    EXPECT_EQ(json["limb"], "left");
    EXPECT_EQ(json["first_sample_index"].get<std::uint64_t>(), 1000u);
    EXPECT_EQ(json["end_sample_index"].get<std::uint64_t>(), report.end_sample_index);
    const auto& truth = json["truth"];
    // Exact: the event copies the simulation's doubles, and JSON round-trips a double exactly.
    EXPECT_EQ(truth["landing_tts_ml_s"].get<double>(), *report.truth.landing_tts_ml_s);
    EXPECT_EQ(truth["landing_tts_ap_s"].get<double>(), *report.truth.landing_tts_ap_s);
    // The analytic values of the default athlete (note5: 1.04971 s ML, 1.90555 s AP): the ML sway
    // (0.8 Hz) settles before the AP sway (0.7 Hz, larger), both within the 4.5-s stick.
    EXPECT_NEAR(truth["landing_tts_ml_s"].get<double>(), 1.04971, 5e-5);
    EXPECT_NEAR(truth["landing_tts_ap_s"].get<double>(), 1.90555, 5e-5);
    EXPECT_EQ(truth["body_weight_n"].get<double>(), report.truth.body_weight_n);
    EXPECT_EQ(truth["flight_times_s"].get<std::vector<double>>(), report.truth.flight_times_s);
}

TEST(PerformanceReport, TimeToStabilisationIsNullWithoutAStickLanding) {
    const auto report = report_for(processing::Protocol::quiet_stance, processing::Limb::left);
    ASSERT_FALSE(report.truth.landing_tts_ml_s.has_value());
    const auto json = report.to_json();
    const auto& truth = json["truth"];
    ASSERT_TRUE(truth.contains("landing_tts_ml_s"));
    ASSERT_TRUE(truth.contains("landing_tts_ap_s"));
    EXPECT_TRUE(truth["landing_tts_ml_s"].is_null());
    EXPECT_TRUE(truth["landing_tts_ap_s"].is_null());
}

}  // namespace
}  // namespace hoplab::acquisition
