#include <hoplab/processing/trial_analysis.hpp>
#include <hoplab/simulation/simulator.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <sstream>

namespace hoplab::processing {
namespace {

constexpr double kPi = std::numbers::pi;

void append_zeros(std::vector<double>& f, std::size_t n) {
    f.insert(f.end(), n, 0.0);
}

void append_half_sine(std::vector<double>& f, double peak_n, double duration_s, double fs) {
    const auto n = static_cast<std::size_t>(std::lround(duration_s * fs));
    for (std::size_t k = 0; k < n; ++k) {
        f.push_back(peak_n * std::sin(kPi * static_cast<double>(k) / fs / duration_s));
    }
}

TEST(TrialAnalysis, HalfSineContactTimeWithThresholdBias) {
    // Oracle 3-A: Fpk = 2000 N, Tc = 0.25 s, θ = 20 N → detected contact 0.248408424 s (< 1e-5 s at
    // 1 kHz).
    std::vector<double> f;
    for (int hop = 0; hop < 3; ++hop) {
        append_zeros(f, 300);
        append_half_sine(f, 2000.0, 0.25, 1000.0);
    }
    append_zeros(f, 300);
    const auto trial = analyze_trial(f, 1000.0, Protocol::repeated_hops, Limb::left);
    EXPECT_DOUBLE_EQ(trial.threshold_N, 20.0);
    ASSERT_EQ(trial.contacts.size(),
              2u);  // the third ends in a landing-free record end: it is the landing
    for (const auto& c : trial.contacts) {
        EXPECT_NEAR(c.contact_time_s, 0.248408424, 1e-5);
        EXPECT_NEAR(*c.impulse_Ns, 318.293970,
                    318.293970 * 1e-4);  // METHODS §4.3, between θ crossings
    }
    // Flight between two contacts: 0.3 s of zeros plus the two sub-threshold edges of the
    // half-sines.
    EXPECT_NEAR(*trial.contacts[0].flight_time_after_s, 0.300 + (0.25 - 0.248408424), 1e-5);
}

TEST(TrialAnalysis, RectangularFlightIsExact) {
    // Oracle 3-C: 800 N, 400 zero samples, 800 N at 1 kHz, θ = 20 N → flight 0.39905 s exactly.
    std::vector<double> f(1000, 800.0);
    append_zeros(f, 400);
    f.insert(f.end(), 1000, 800.0);
    const auto trial = analyze_trial(f, 1000.0, Protocol::cmj, Limb::both);
    ASSERT_EQ(trial.contacts.size(), 1u);
    EXPECT_NEAR(*trial.contacts[0].flight_time_after_s, 0.39905, 1e-12);
    EXPECT_NEAR(*trial.contacts[0].jump_height_m, 9.80665 * 0.39905 * 0.39905 / 8.0, 1e-12);
    EXPECT_NEAR(*trial.body_weight_N, 800.0, 1e-9);
}

TEST(TrialAnalysis, PhysicallyConsistentHoppingMatchesOracle3B) {
    // Oracle 3-B (m = 70 kg, Tc = 0.25 s, Tf = 0.35 s): Fpk 2587.913966 N, detected Tc 0.248770001
    // s and Tf 0.351229999 s with θ = 20 N. Noiseless simulator, so only sampling and the 50 Hz
    // peak filter remain.
    simulation::AthleteModel athlete;
    athlete.mass_kg = 70.0;
    simulation::PlateNoise quiet;
    quiet.noise_sd_n = 0.0;
    simulation::TrialScript script;
    const auto sim = simulation::simulate_trial(athlete, script, quiet, 1000.0, 1);
    std::vector<double> fz;
    for (const auto& w : sim.plates[0].samples)
        fz.push_back(w.fz_n);
    const auto trial = analyze_trial(fz, 1000.0, Protocol::repeated_hops, Limb::left);
    ASSERT_EQ(trial.contacts.size(), 10u);
    ASSERT_TRUE(trial.initial_push_off.has_value());
    ASSERT_TRUE(trial.body_weight_N.has_value());
    EXPECT_NEAR(*trial.body_weight_N, 686.46550, 1e-6);
    double worst_tc = 0, worst_tf = 0, worst_peak = 0;
    for (const auto& c : trial.contacts) {
        worst_tc = std::max(worst_tc, std::abs(c.contact_time_s - 0.248770001));
        if (c.flight_time_after_s)
            worst_tf = std::max(worst_tf, std::abs(*c.flight_time_after_s - 0.351229999));
        worst_peak = std::max(worst_peak, std::abs(*c.peak_force_N - 2587.913966) / 2587.913966);
    }
    std::cout << "oracle 3-B worst errors: contact " << worst_tc << " s, flight " << worst_tf
              << " s, peak " << worst_peak * 100 << " %\n";
    EXPECT_LT(worst_tc, 1e-3);  // within one sample
    EXPECT_LT(worst_tf, 1e-3);
    EXPECT_LT(worst_peak, 0.005);  // within 0.5 %
    ASSERT_TRUE(trial.landing.has_value());
    ASSERT_TRUE(trial.landing->time_to_stabilisation_s.has_value());
}

TEST(TrialAnalysis, BadInputIsAClearErrorOrANull) {
    std::vector<double> f(1000, 700.0);
    EXPECT_THROW(analyze_trial(f, 0.0, Protocol::cmj, Limb::both), std::invalid_argument);
    EXPECT_THROW(analyze_trial(f, -5.0, Protocol::cmj, Limb::both), std::invalid_argument);
    EXPECT_THROW(analyze_trial(std::vector<double>(50, 700.0), 1000.0, Protocol::cmj, Limb::both),
                 std::invalid_argument);
    f[10] = std::nan("");
    EXPECT_THROW(analyze_trial(f, 1000.0, Protocol::cmj, Limb::both), std::invalid_argument);
    // Standing still: no flight, so no contacts and no jump height — and a flag saying so, not a
    // guess.
    const auto still =
        analyze_trial(std::vector<double>(3000, 700.0), 1000.0, Protocol::cmj, Limb::both);
    EXPECT_TRUE(still.contacts.empty());
    EXPECT_FALSE(still.summary.mean_jump_height_m.has_value());
    EXPECT_FALSE(still.quality_flags.empty());
}

std::vector<double> read_dual_plate_sum(const std::filesystem::path& file) {
    std::ifstream in(file);
    std::string line;
    std::getline(in, line);  // "FP1\tFP2"
    std::vector<double> fz;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        double a = 0, b = 0;
        if (fields >> a >> b)
            fz.push_back(a + b);
    }
    return fz;
}

TEST(TrialAnalysis, RealDualPlateJumpsArePlausible) {
    const std::filesystem::path dir =
        std::filesystem::path(HOPLAB_SHARED_DATA_DIR) / "real/gidiel-dual-fz";
    if (!std::filesystem::exists(dir))
        GTEST_SKIP() << "no shared data at " << dir;
    for (const auto& [name, protocol] :
         {std::pair{"Dual-CMJ-Fz.txt", Protocol::cmj}, std::pair{"Dual-SJ-Fz.txt", Protocol::cmj},
          std::pair{"Dual-DJ-Fz.txt", Protocol::drop_jump}}) {
        const auto fz = read_dual_plate_sum(dir / name);
        ASSERT_GT(fz.size(), 1000u) << name;
        const auto trial = analyze_trial(fz, 1000.0, protocol, Limb::both);
        std::cout << name << ": BW " << trial.body_weight_N.value_or(-1) << " N, contacts "
                  << trial.contacts.size();
        for (const auto& c : trial.contacts) {
            std::cout << " [contact " << c.contact_time_s << " s, flight "
                      << c.flight_time_after_s.value_or(-1) << " s]";
        }
        std::cout << "\n";
        ASSERT_TRUE(trial.body_weight_N.has_value()) << name;
        EXPECT_NEAR(*trial.body_weight_N, 663.0, 40.0) << name;  // the data README: about 663 N
        ASSERT_EQ(trial.contacts.size(), 1u) << name << ": one flight per jump";
        const auto& c = trial.contacts.front();
        EXPECT_GT(*c.flight_time_after_s, 0.30) << name;  // jumps of 11-50 cm
        EXPECT_LT(*c.flight_time_after_s, 0.65) << name;
        EXPECT_TRUE(trial.landing.has_value()) << name;
        if (std::string(name) == "Dual-CMJ-Fz.txt") {
            // A real countermovement: an Owen onset, all three phases, and an impulse-momentum
            // height that agrees with the flight-time height within 20 % (landing posture lengthens
            // the flight, Linthorne 2001).
            ASSERT_TRUE(trial.cmj.has_value());
            ASSERT_TRUE(trial.cmj->jump_height_impulse_m.has_value());
            std::cout << "  CMJ impulse height " << *trial.cmj->jump_height_impulse_m
                      << " m, flight height " << *c.jump_height_m << " m, braking "
                      << trial.cmj->braking_s.value_or(-1) << " s\n";
            EXPECT_NEAR(*trial.cmj->jump_height_impulse_m, *c.jump_height_m,
                        0.2 * *c.jump_height_m);
            EXPECT_TRUE(trial.cmj->unweighting_s && trial.cmj->braking_s &&
                        trial.cmj->propulsion_s);
            EXPECT_GT(*trial.cmj->propulsion_s, 0.1);  // physiological: 0.1–0.5 s
            EXPECT_LT(*trial.cmj->propulsion_s, 0.5);
        }
        EXPECT_GT(c.contact_time_s, 0.1) << name;
    }
}

}  // namespace
}  // namespace hoplab::processing
