// Analytic oracles of METHODS.md §2–§5 run through analyze_trial, and the proof that contact-window
// filtering equals whole-record filtering.
#include <hoplab/processing/butterworth.hpp>
#include <hoplab/processing/events.hpp>
#include <hoplab/processing/stability.hpp>
#include <hoplab/processing/symmetry.hpp>
#include <hoplab/processing/trial_analysis.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <optional>
#include <random>

namespace hoplab::processing {
namespace {

constexpr double kPi = std::numbers::pi;
constexpr double kG = 9.80665;
constexpr double kFs = 1000.0;

void append(std::vector<double>& f, std::size_t n, double level) {
    f.insert(f.end(), n, level);
}

void append_half_sine(std::vector<double>& f, double peak_n, double duration_s) {
    const auto n = static_cast<std::size_t>(std::lround(duration_s * kFs));
    for (std::size_t k = 0; k < n; ++k)
        f.push_back(peak_n * std::sin(kPi * static_cast<double>(k) / kFs / duration_s));
}

// Oracle 3-B hopping: a flight, `hops` half-sine contacts Tc separated by flights Tf, a final
// landing stance.
std::vector<double> periodic_hops(double mass_kg, double tc_s, double tf_s, int hops) {
    const double peak = kPi * mass_kg * kG * (tc_s + tf_s) / (2.0 * tc_s);
    std::vector<double> f;
    append(f, static_cast<std::size_t>(std::lround(tf_s * kFs)), 0.0);
    for (int h = 0; h < hops; ++h) {
        append_half_sine(f, peak, tc_s);
        append(f, static_cast<std::size_t>(std::lround(tf_s * kFs)), 0.0);
    }
    append(f, 2500, mass_kg * kG);
    return f;
}

TEST(Oracle3B, PeriodicHoppingContactFlightPeakRsi) {
    AnalysisSettings settings;
    settings.body_mass_kg =
        70.0;  // the record has no stance before the hops; the final stance must agree
    const auto trial = analyze_trial(periodic_hops(70.0, 0.25, 0.35, 8), kFs,
                                     Protocol::repeated_hops, Limb::left, settings);
    ASSERT_EQ(trial.contacts.size(), 8u);
    ASSERT_TRUE(trial.body_weight_N);
    EXPECT_NEAR(*trial.body_weight_N, 686.46550, 1e-5);  // final stance, exact constant
    EXPECT_NE(trial.body_weight_source.find("final stance"), std::string::npos);
    // The last flight ends on a step to BW (the landing stance), not on a half-sine: its touchdown
    // crossing lies 20/BW of a sample after the sample before the step.
    const double tc_det = 0.248770001;
    const double tf_det = 0.351229999;
    const double tf_last = 0.35 + 0.000614999 - (1.0 - 20.0 / 686.46550) / kFs;
    const auto height = [](double tf) { return kG * tf * tf / 8.0; };
    double worst_tc = 0, worst_tf = 0, worst_peak = 0, worst_rsi = 0;
    for (const auto& c : trial.contacts) {
        worst_tc = std::max(worst_tc, std::abs(c.contact_time_s - tc_det));
        const double tf = c.index == 8 ? tf_last : tf_det;
        worst_tf = std::max(worst_tf, std::abs(*c.flight_time_after_s - tf));
        worst_rsi = std::max(worst_rsi, std::abs(*c.rsi - height(tf) / tc_det));
        worst_peak = std::max(worst_peak, std::abs(*c.peak_force_N - 2587.913966) / 2587.913966);
    }
    std::cout << "oracle 3-B worst: contact " << worst_tc << " s, flight " << worst_tf
              << " s, peak " << 100 * worst_peak << " %, rsi " << worst_rsi << "\n";
    // Linear interpolation of a sine at 1 kHz: edges within 1e-5 s (METHODS 3-A); acceptance is one
    // sample.
    EXPECT_LT(worst_tc, 1e-5);
    EXPECT_LT(worst_tf, 1e-5);
    EXPECT_LT(worst_peak,
              0.005);  // acceptance: 0.5 %; the 50 Hz filter keeps 100.0 % of a 250 ms half-sine
    EXPECT_LT(worst_rsi, 1e-4);  // RSI 0.607877 from the detected edges
    EXPECT_NEAR(height(tf_det) / tc_det, 0.607877, 1e-6);
    EXPECT_FALSE(trial.contacts.front()
                     .flight_time_before_s);  // the record starts in a flight of unknown length
    EXPECT_EQ(trial.summary.contacts, 8);
    ASSERT_TRUE(trial.summary.mean_jump_height_m);
    EXPECT_NEAR(*trial.summary.mean_jump_height_m, (7 * height(tf_det) + height(tf_last)) / 8.0,
                1e-6);
    ASSERT_TRUE(trial.summary.fatigue_rsi_pct);
    // Thirds of 8 hops: hops 1–2 against 7–8, where only hop 8's flight differs.
    EXPECT_NEAR(*trial.summary.fatigue_rsi_pct,
                (height(tf_last) - height(tf_det)) / (2 * height(tf_det)) * 100.0, 1e-3);
}

TEST(Oracle3B, NetImpulseGivesTheTakeOffVelocity) {
    // v_to = −g·Tf_before/2 + J_net/m with the detected edges: the θ bias lengthens Tf_before
    // by 1.23 ms and shortens the integration window by the same amount, so v_to is within 0.5 %
    // of 1.716163750 m/s.
    AnalysisSettings settings;
    settings.body_mass_kg = 70.0;
    const auto trial = analyze_trial(periodic_hops(70.0, 0.25, 0.35, 4), kFs,
                                     Protocol::repeated_hops, Limb::left, settings);
    ASSERT_GE(trial.contacts.size(), 2u);
    const auto& c = trial.contacts[1];
    ASSERT_TRUE(c.take_off_velocity_m_s);
    EXPECT_NEAR(*c.take_off_velocity_m_s, 1.716163750, 0.005 * 1.716163750);
    EXPECT_NEAR(*c.net_impulse_Ns, 240.262925, 0.01 * 240.262925);
}

TEST(Oracle4, HalfSineTimeToPeakLoadingRateImpulse) {
    // Oracles 4.1-A, 4.2, 4.3 with BW = 1000 N from an entered mass.
    std::vector<double> f;
    for (int hop = 0; hop < 3; ++hop) {
        append(f, 300, 0.0);
        append_half_sine(f, 2000.0, 0.25);
    }
    append(f, 300, 0.0);
    AnalysisSettings settings;
    settings.body_mass_kg = 1000.0 / kG;
    const auto trial = analyze_trial(f, kFs, Protocol::repeated_hops, Limb::left, settings);
    ASSERT_EQ(trial.contacts.size(), 2u);
    for (const auto& c : trial.contacts) {
        EXPECT_NEAR(c.contact_time_s, 0.248408424, 1e-5);   // 3-A
        EXPECT_NEAR(*c.time_to_peak_s, 0.124204212, 1e-5);  // 4.1-A
        EXPECT_NEAR(*c.loading_rate_bw_per_s, 15.941488,
                    15.941488 * 1e-3);  // 4.2, filtered peak ≥ 99.99 %
        EXPECT_NEAR(*c.impulse_Ns, 318.293970, 318.293970 * 2e-5);  // 4.3, trapezoid error 1.3e-5
        EXPECT_NEAR(*c.peak_force_bw, 2.0, 2.0 * 1e-3);
    }
    EXPECT_NE(trial.body_weight_source, "");
}

TEST(Oracle4, RectangularImpulseOfKnownArea) {
    // 300 samples at 800 N between flights: interpolated edges 0.975 samples outside the first and
    // last loaded samples, so impulse = (399.75 + 299·800 + 399.75) mN·s = 239.9995 N·s, contact
    // 300.95 ms, exactly.
    std::vector<double> f;
    append(f, 400, 0.0);
    append(f, 300, 800.0);
    append(f, 400, 0.0);
    append(f, 300, 800.0);
    append(f, 400, 0.0);
    const auto trial = analyze_trial(f, kFs, Protocol::repeated_hops, Limb::right);
    ASSERT_EQ(trial.contacts.size(), 1u);
    EXPECT_NEAR(*trial.contacts[0].impulse_Ns, 239.9995, 1e-9);
    EXPECT_NEAR(trial.contacts[0].contact_time_s, 0.30095, 1e-12);
    EXPECT_NEAR(*trial.contacts[0].flight_time_after_s, 0.39905, 1e-12);
}

TEST(Oracle4, CmjFullPipelineMatches4_5C_And4_7A) {
    const double bw = 784.532;
    const double mass = bw / kG;
    std::vector<double> f;
    for (int k = 0; k < 1000; ++k)
        f.push_back(bw + 5.0 * std::sin(2 * kPi * 5.0 * (-1.0 + k / kFs)));
    for (int k = 0; k <= 750; ++k) {
        const double t = k / kFs;
        if (t <= 0.40) {
            f.push_back(bw - 0.45 * bw * std::sin(kPi * t / 0.40));
        } else if (t <= 0.70) {
            f.push_back(bw + 1.95 * bw * std::sin(kPi * (t - 0.40) / 0.30));
        } else {
            f.push_back(bw * (1.0 - (t - 0.70) / 0.05));
        }
    }
    append(f, 465, 0.0);
    append(f, 1500, bw);
    const auto trial = analyze_trial(f, kFs, Protocol::cmj, Limb::both);
    ASSERT_TRUE(trial.body_weight_N);
    EXPECT_NEAR(*trial.body_weight_N, bw, 1e-9);  // 2-A: exactly 5 cycles
    EXPECT_NEAR(*trial.body_weight_sd_N, 3.537303, 1e-6);
    ASSERT_TRUE(trial.cmj);
    const auto& c = *trial.cmj;
    EXPECT_NEAR(c.onset_s, 1.0 - 0.023,
                1e-12);  // first sample below BW − 5SD at +7 ms, minus 30 ms
    EXPECT_NEAR(c.take_off_s, 1.748725355, 1e-8);
    EXPECT_NEAR(*c.take_off_velocity_m_s, 2.295108, 1e-4);  // METHODS tolerance
    EXPECT_NEAR(*c.jump_height_impulse_m, 0.268569, 1e-4);
    EXPECT_NEAR(c.time_to_take_off_s, 0.771725, 1e-6);
    EXPECT_NEAR(*c.rsi_mod, 0.348011, 2e-4);  // 1e-4 m on h over 0.77 s
    // 4.7-A phases (sampled): minimum velocity at the sample where F returns to BW (t = 0.400),
    // zero velocity at 0.512328 s; one sample of tolerance on the sampled minimum.
    EXPECT_NEAR(*c.unweighting_s, 0.400 + 0.023, 1e-3);
    EXPECT_NEAR(*c.braking_s, 0.512328 - 0.400, 1e-3);
    EXPECT_NEAR(*c.propulsion_s, 0.748725355 - 0.512328, 1e-4);
    EXPECT_NEAR(*c.unweighting_impulse_Ns, -89.900745,
                0.5);  // integrates from the early onset: sway adds ~0.04
    EXPECT_NEAR(*c.braking_impulse_Ns, 89.900745, 0.5);
    EXPECT_NEAR(*c.propulsion_impulse_Ns, mass * 2.295108, 1e-2);
    ASSERT_EQ(trial.contacts.size(), 1u);
    ASSERT_TRUE(trial.landing);
}

TEST(Oracle4, TimeToStabilisationBandAndSequential4_8) {
    const double bw = 784.532;
    std::vector<double> f;
    append(f, 1500, bw);
    append(f, 400, 0.0);
    const std::size_t touchdown_sample = f.size();
    for (int k = 0; k < 4000; ++k)
        f.push_back(bw + 300.0 * std::exp(-(k / kFs) / 0.25));
    const auto trial = analyze_trial(f, kFs, Protocol::single_leg_hop, Limb::left);
    ASSERT_TRUE(trial.landing);
    const double exponential_start_s = static_cast<double>(touchdown_sample) / kFs;
    const double lead_s = exponential_start_s -
                          trial.landing->start_s;  // the interpolated touchdown is 0.98 ms early
    ASSERT_TRUE(trial.landing->time_to_stabilisation_s);
    // 4.8-A: τ·ln(A/δ) = 0.508606847 s; 1 sample of grid quantisation + < 0.1 ms from the 10 Hz
    // filter.
    EXPECT_NEAR(*trial.landing->time_to_stabilisation_s - lead_s, 0.508606847, 1.1e-3);
    ASSERT_TRUE(trial.landing->time_to_stabilisation_sequential_s);
    // 4.8-B: 1.911052 s for the continuous mean; the discrete mean starts at the step's first
    // sample, which shifts the running mean by A/2 per sample (≈ 0.2 % of the integral → ≈ 4 ms).
    EXPECT_NEAR(*trial.landing->time_to_stabilisation_sequential_s - lead_s, 1.911052, 6e-3);
    // 4.8-C: a record that ends 0.5 s after t* gives null.
    std::vector<double> short_f(f.begin(),
                                f.begin() + static_cast<std::ptrdiff_t>(touchdown_sample + 1009));
    const auto short_trial = analyze_trial(short_f, kFs, Protocol::single_leg_hop, Limb::left);
    ASSERT_TRUE(short_trial.landing);
    EXPECT_FALSE(short_trial.landing->time_to_stabilisation_s);
}

// The range-of-variation TTS inside the analysis: the stance before the hop sways ±5 N at 1 Hz, so
// the reference range (max − min of the 10 Hz low-passed weighing window) is 10 N; the result must
// agree with the cubic method applied to the analytic rectified landing 300·e^(−t/0.25) over the
// same 4 s. The analysis fits the 10 Hz low-passed force, whose step at touchdown is rounded over
// the first ~50 ms; that moves the fitted cubic's crossing by 12 ms here, so the bound is 20 ms (a
// wrong range or window moves it by > 100 ms, as the second case shows).
TEST(Oracle4, TimeToStabilisationPolynomialUsesTheStanceRange) {
    const double bw = 784.532;
    std::vector<double> f;
    for (int k = 0; k < 1500; ++k)
        f.push_back(bw + 5.0 * std::sin(2 * kPi * 1.0 * k / kFs));
    append(f, 400, 0.0);
    const std::size_t touchdown_sample = f.size();
    std::vector<double> rectified;
    for (int k = 0; k < 4000; ++k) {
        rectified.push_back(300.0 * std::exp(-(k / kFs) / 0.25));
        f.push_back(bw + rectified.back());
    }
    const auto trial = analyze_trial(f, kFs, Protocol::single_leg_hop, Limb::left);
    ASSERT_TRUE(trial.landing);
    ASSERT_TRUE(trial.landing->time_to_stabilisation_polynomial_s);
    const auto expected = polynomial_time_to_stabilisation(rectified, kFs, 10.0);
    ASSERT_TRUE(expected);
    const double lead_s = static_cast<double>(touchdown_sample) / kFs - trial.landing->start_s;
    EXPECT_NEAR(*trial.landing->time_to_stabilisation_polynomial_s - lead_s, *expected, 0.020);
    // A steadier stance (smaller range) gives a later time: the method depends on it.
    std::vector<double> still = f;
    for (int k = 0; k < 1500; ++k)
        still[static_cast<std::size_t>(k)] = bw + 1.0 * std::sin(2 * kPi * 1.0 * k / kFs);
    const auto later = analyze_trial(still, kFs, Protocol::single_leg_hop, Limb::left);
    ASSERT_TRUE(later.landing->time_to_stabilisation_polynomial_s);
    EXPECT_GT(*later.landing->time_to_stabilisation_polynomial_s,
              *trial.landing->time_to_stabilisation_polynomial_s + 0.1);
}

TEST(Oracle2, WeighingSteadyUnsteadyAndOperatorMass) {
    std::vector<double> f;
    for (int k = 0; k < 1000; ++k)
        f.push_back(784.532 + 5.0 * std::sin(2 * kPi * 5.0 * k / kFs));
    const auto steady = analyze_trial(f, kFs, Protocol::quiet_stance, Limb::both);
    ASSERT_TRUE(steady.body_weight_N);
    EXPECT_NEAR(*steady.body_weight_N, 784.532, 1e-9);
    EXPECT_NEAR(*steady.body_weight_sd_N, 3.537303, 1e-6);
    for (int k = 0; k < 1000; ++k)
        f[k] += 0.02 * 784.532 * k / 999.0;  // ramp: half-means differ by 1 %
    const auto ramp = analyze_trial(f, kFs, Protocol::quiet_stance, Limb::both);
    EXPECT_FALSE(ramp.body_weight_N);  // "not steady", not a guess
    ASSERT_FALSE(ramp.quality_flags.empty());
    EXPECT_NE(ramp.quality_flags.front().find("unsteady weighing"), std::string::npos);
    AnalysisSettings with_mass;
    with_mass.body_mass_kg = 80.0;
    const auto from_mass = analyze_trial(f, kFs, Protocol::quiet_stance, Limb::both, with_mass);
    EXPECT_NEAR(*from_mass.body_weight_N, 80.0 * kG, 1e-9);
    EXPECT_EQ(from_mass.body_weight_source, "operator mass");
    // A steady stance wins over the entered mass, and a > 5 % disagreement is flagged.
    const auto disagree = analyze_trial(std::vector<double>(1500, 700.0), kFs,
                                        Protocol::quiet_stance, Limb::both, with_mass);
    EXPECT_NEAR(*disagree.body_weight_N, 700.0, 1e-9);
    EXPECT_TRUE(std::any_of(
        disagree.quality_flags.begin(), disagree.quality_flags.end(),
        [](const std::string& s) { return s.find("entered mass") != std::string::npos; }));
}

TEST(Oracle3, DebouncingSpikesDoubleTapsAndOffset) {
    std::vector<double> f;
    append(f, 1200, 800.0);
    append(f, 200, 0.0);
    append(f, 3, 200.0);  // 3-D: spike inside a flight: not a contact
    append(f, 197, 0.0);
    append(f, 150, 800.0);
    append(f, 20, 0.0);  // 3-D: 20-sample drop inside a contact: merged
    append(f, 150, 800.0);
    append(f, 400, 0.0);
    append(f, 1200, 800.0);
    const auto trial = analyze_trial(f, kFs, Protocol::single_leg_hop, Limb::left);
    ASSERT_EQ(trial.contacts.size(), 2u);
    // The spike stays in the flight-noise estimate (METHODS §3 excludes only 20 ms at each edge),
    // so θ rises above 20 N; the edges of rectangular steps of 800 N sit θ/800 of a sample from the
    // bracketing samples.
    const double theta = trial.threshold_N;
    EXPECT_GT(theta, 20.0);
    EXPECT_NEAR(*trial.contacts[0].flight_time_after_s, (399.0 + 2.0 * theta / 800.0) / kFs, 1e-12);
    EXPECT_NEAR(trial.contacts[1].contact_time_s, (321.0 - 2.0 * theta / 800.0) / kFs, 1e-12);
    EXPECT_TRUE(std::any_of(
        trial.quality_flags.begin(), trial.quality_flags.end(),
        [](const std::string& s) { return s.find("double contact") != std::string::npos; }));
    // 3-E: +15 N offset everywhere: flights still found, a re-tare warning, θ stays 20 N.
    std::vector<double> offset;
    append(offset, 1200, 800.0);
    append(offset, 400, 0.0);
    append(offset, 300, 800.0);
    append(offset, 400, 0.0);
    append(offset, 1200, 800.0);
    for (double& v : offset)
        v += 15.0;
    const auto shifted = analyze_trial(offset, kFs, Protocol::single_leg_hop, Limb::left);
    ASSERT_EQ(shifted.contacts.size(), 2u);
    EXPECT_TRUE(
        std::any_of(shifted.quality_flags.begin(), shifted.quality_flags.end(),
                    [](const std::string& s) { return s.find("re-tare") != std::string::npos; }));
}

TEST(WindowedFiltering, EqualsWholeRecordFilteringInsideEveryContact) {
    // Hops with noise: the peak of each contact from analyze_trial (filtered contact window +
    // settled margin) equals the maximum of the whole-record zero-phase filter over the same
    // samples to 1e-9 relative.
    std::mt19937_64 rng(7);
    std::normal_distribution<double> noise(0.0, 2.0);
    auto f = periodic_hops(75.0, 0.22, 0.30, 40);
    for (double& v : f)
        v += noise(rng);
    AnalysisSettings settings;
    settings.body_mass_kg = 75.0;
    const auto trial = analyze_trial(f, kFs, Protocol::repeated_hops, Limb::left, settings);
    ASSERT_EQ(trial.contacts.size(), 40u);
    const auto whole = filtfilt(butterworth_lowpass2(50.0, kFs), f);
    double worst = 0;
    for (const auto& c : trial.contacts) {
        const auto begin = static_cast<std::size_t>(std::ceil(c.start_s * kFs));
        const auto end = static_cast<std::size_t>(std::floor(c.end_s * kFs)) + 1;
        const double expected =
            *std::max_element(whole.begin() + static_cast<std::ptrdiff_t>(begin),
                              whole.begin() + static_cast<std::ptrdiff_t>(end));
        worst = std::max(worst, std::abs(*c.peak_force_N - expected) / expected);
    }
    std::cout << "windowed vs whole-record peak: worst relative difference " << worst << "\n";
    EXPECT_LT(worst, 1e-9);
}

TEST(WindowedFiltering, EverySampleInsideContactsMatches) {
    // The hint's proof, sample by sample: windows of [touchdown − m, take-off + m) with m =
    // settle_samples(1e-9), filtered four at a time, equal whole-record filtering inside every
    // contact to 1e-9 relative to the record's peak force.
    std::mt19937_64 rng(11);
    std::normal_distribution<double> noise(0.0, 2.0);
    auto f = periodic_hops(75.0, 0.22, 0.30, 24);
    for (double& v : f)
        v += noise(rng);
    ZeroPhaseFilter filter(butterworth_lowpass(2, 50.0, kFs));
    const std::size_t margin = filter.settle_samples(1e-9);
    EXPECT_EQ(margin, 96u);  // pole radius 0.80 at 50 Hz / 1 kHz
    const auto whole = filter.apply(f);
    const auto events = detect_events(f, kFs, {});
    std::vector<std::span<const double>> inputs;
    std::vector<std::vector<double>> buffers;
    std::vector<std::pair<std::size_t, std::size_t>> ranges;
    for (const auto& r : events.runs) {
        if (!r.contact)
            continue;
        const std::size_t lo = r.begin > margin ? r.begin - margin : 0;
        const std::size_t hi = std::min(f.size(), r.end + margin);
        inputs.push_back(std::span<const double>(f).subspan(lo, hi - lo));
        buffers.emplace_back(hi - lo);
        ranges.emplace_back(r.begin - lo, r.end - lo);
    }
    std::vector<std::span<double>> outputs(buffers.begin(), buffers.end());
    filter.apply_many(inputs, outputs);
    const double scale = *std::max_element(f.begin(), f.end());
    double worst = 0;
    std::size_t checked = 0;
    for (std::size_t w = 0; w < inputs.size(); ++w) {
        const std::size_t lo = static_cast<std::size_t>(inputs[w].data() - f.data());
        for (std::size_t k = ranges[w].first; k < ranges[w].second; ++k, ++checked) {
            worst = std::max(worst, std::abs(buffers[w][k] - whole[lo + k]) / scale);
        }
    }
    std::cout << "windowed vs whole-record, " << checked << " contact samples: worst " << worst
              << "\n";
    EXPECT_GT(inputs.size(), 20u);
    EXPECT_LT(worst, 1e-9);
}

TEST(WindowedFiltering, PeakStepAndImpactOfEveryContactMatchAPlainWholeRecordReference) {
    // Contacts of 150 to 450 ms (so the side-by-side groups mix lengths), half of them with an
    // impact bump early on the rise, the others with a steeper rise after their peak (late on the
    // fall, or after a broad early peak while the other contacts of their group still rise),
    // filtered during the event pass: each contact's peak, its
    // sample, the steepest rise before it and the impact peak equal a plain computation on the
    // whole-record filter (first maximum, largest forward difference up to it, first local maximum
    // in the first 40 % with a prominence of 0.1 BW). Values to 1e-9 relative (the windows agree
    // with the whole record to ~1e-15), samples exactly.
    std::mt19937_64 rng(23);
    std::normal_distribution<double> noise(0.0, 2.0);
    std::uniform_real_distribution<double> contact_s(0.15, 0.45), flight_s(0.25, 0.40),
        peak_n(1500.0, 2600.0);
    const double bw = 75.0 * kG;
    std::vector<double> f;
    append(f, 2500, bw);
    append(f, 300, 0.0);
    constexpr int kHops = 70;
    for (int h = 0; h < kHops; ++h) {
        const bool impact = h % 2 == 0;
        const bool early_peak = h % 4 == 3;
        // An early peak needs a contact of 300 ms or more for the later rise to be the steeper
        // once filtered.
        const double tc = early_peak ? 0.30 + (contact_s(rng) - 0.15) / 2.0 : contact_s(rng);
        const auto n = static_cast<std::size_t>(std::lround(tc * kFs));
        const double peak = peak_n(rng);
        // sin² humps of `height` N from `from` s, `width` s long.
        const auto hump = [](double t, double from, double width, double height) {
            const double u = (t - from) / width;
            return u >= 0.0 && u < 1.0 ? height * std::sin(kPi * u) * std::sin(kPi * u) : 0.0;
        };
        for (std::size_t k = 0; k < n; ++k) {
            const double t = static_cast<double>(k) / kFs;
            double v = 0;
            if (impact) {  // a 600 N bump at 12 % of the contact, 16 ms wide
                v = peak * std::sin(kPi * t / tc) + hump(t, 0.12 * tc - 0.008, 0.016, 600.0);
            } else if (!early_peak) {  // a steep rise after the peak: not the steepest rise to it
                v = peak * std::sin(kPi * t / tc) + hump(t, 0.80 * tc - 0.005, 0.010, 300.0);
            } else {  // an early peak, then a steeper rise while its neighbours still rise
                v = 300.0 * std::sin(kPi * t / tc) + hump(t, 0.0, 0.35 * tc, 3000.0) +
                    hump(t, 0.35 * tc, 0.015, 1500.0);
            }
            f.push_back(v);
        }
        append(f, static_cast<std::size_t>(std::lround(flight_s(rng) * kFs)), 0.0);
    }
    append(f, 2500, bw);
    for (double& v : f)
        v += noise(rng);
    const auto trial = analyze_trial(f, kFs, Protocol::repeated_hops, Limb::left);
    ASSERT_EQ(trial.contacts.size(), static_cast<std::size_t>(kHops));
    ASSERT_TRUE(trial.body_weight_N);
    const double weight = *trial.body_weight_N;
    const auto whole = filtfilt(butterworth_lowpass2(50.0, kFs), f);
    const auto events = detect_events(f, kFs, {});
    std::vector<StateRun> contacts;
    for (const auto& r : events.runs) {
        if (r.contact && r.begin > 0 && r.end < f.size())
            contacts.push_back(r);
    }
    ASSERT_EQ(contacts.size(), static_cast<std::size_t>(kHops));  // the stances touch the ends
    double worst_peak = 0, worst_step = 0, worst_impact = 0;
    int impacts = 0;
    for (int h = 0; h < kHops; ++h) {
        const StateRun& r = contacts[static_cast<std::size_t>(h)];
        const auto& c = trial.contacts[static_cast<std::size_t>(h)];
        const std::span<const double> y(whole.data() + r.begin, r.end - r.begin);
        const auto peak =
            static_cast<std::size_t>(std::max_element(y.begin(), y.end()) - y.begin());
        double step = y[1] - y[0];
        for (std::size_t k = 1; k < peak; ++k)
            step = std::max(step, y[k + 1] - y[k]);
        std::optional<std::size_t> impact;
        const auto search_end = std::min(
            peak, static_cast<std::size_t>(std::ceil(0.40 * static_cast<double>(y.size()))));
        for (std::size_t k = 1; k < search_end && !impact; ++k) {
            if (!(y[k] > y[k - 1] && y[k] >= y[k + 1]))
                continue;
            double left = y[k], right = y[k];
            for (std::size_t j = k; j-- > 0 && y[j] <= y[k];)
                left = std::min(left, y[j]);
            for (std::size_t j = k + 1; j < y.size() && y[j] <= y[k]; ++j)
                right = std::min(right, y[j]);
            if (y[k] - std::max(left, right) >= 0.10 * weight)
                impact = k;
        }
        const double start_s = c.start_s;
        EXPECT_EQ(std::lround((start_s + *c.time_to_peak_s) * kFs),
                  static_cast<long>(r.begin + peak))
            << "hop " << h;
        worst_peak = std::max(worst_peak, std::abs(*c.peak_force_N - y[peak]) / y[peak]);
        worst_step =
            std::max(worst_step,
                     std::abs(*c.instantaneous_loading_rate_bw_per_s * weight / kFs - step) / step);
        ASSERT_EQ(c.impact_peak_N.has_value(), impact.has_value()) << "hop " << h;
        if (impact) {
            ++impacts;
            EXPECT_EQ(std::lround((start_s + *c.time_to_impact_peak_s) * kFs),
                      static_cast<long>(r.begin + *impact))
                << "hop " << h;
            worst_impact =
                std::max(worst_impact, std::abs(*c.impact_peak_N - y[*impact]) / y[*impact]);
        }
    }
    std::cout << "side-by-side peaks vs whole record: peak " << worst_peak << ", steepest rise "
              << worst_step << ", impact " << worst_impact << " (" << impacts
              << " impacts), relative\n";
    // Most bumps stand out as impact peaks (on the steepest rises some merge into the rise): both
    // paths are exercised.
    EXPECT_GE(impacts, kHops / 3);
    EXPECT_LT(impacts, kHops);
    EXPECT_LT(worst_peak, 1e-9);
    EXPECT_LT(worst_step, 1e-9);
    EXPECT_LT(worst_impact, 1e-9);
}

TEST(Symmetry, LsiFromNoiselessHopTrialsWithinHalfAPoint) {
    // Left: Tf 0.30 s, right: Tf 0.35 s, same Tc; analytic LSI (left involved) = (0.30/0.35)² × 100
    // for height.
    AnalysisSettings settings;
    settings.body_mass_kg = 70.0;
    const auto left = analyze_trial(periodic_hops(70.0, 0.25, 0.30, 6), kFs,
                                    Protocol::repeated_hops, Limb::left, settings);
    const auto right = analyze_trial(periodic_hops(70.0, 0.25, 0.35, 6), kFs,
                                     Protocol::repeated_hops, Limb::right, settings);
    const auto rows = compare_limbs(left, right, Limb::left);
    const auto row = std::find_if(rows.begin(), rows.end(),
                                  [](const auto& r) { return r.metric == "jump_height_m"; });
    ASSERT_NE(row, rows.end());
    const double expected = (0.30 / 0.35) * (0.30 / 0.35) * 100.0;
    std::cout << "jump height LSI " << *row->lsi_pct << " vs analytic " << expected << "\n";
    EXPECT_NEAR(*row->lsi_pct, expected, 0.5);
    EXPECT_EQ(*row->weaker, Limb::left);
    EXPECT_EQ(*row->flag, SymmetryFlag::red);
    const auto flight = std::find_if(rows.begin(), rows.end(),
                                     [](const auto& r) { return r.metric == "flight_time_s"; });
    EXPECT_NEAR(*flight->lsi_pct, 0.30 / 0.35 * 100.0, 0.5);
    const auto per_hop = compare_limbs_per_contact(left, right, Limb::left);
    ASSERT_EQ(per_hop.size(), 6u);
    for (std::size_t i = 0; i + 1 < per_hop.size();
         ++i) {  // the last flight ends on the landing step
        EXPECT_NEAR(*per_hop[i].rows[2].lsi_pct, expected, 0.5) << "hop " << per_hop[i].index;
    }
}

TEST(BadInput, ClearErrorsAndNulls) {
    std::vector<double> f(2000, 700.0);
    AnalysisSettings nyquist;
    nyquist.peak_cutoff_hz = 500.0;
    // A cutoff the design refuses (≥ 0.45·fs): peaks null with a flag, never a made-up number.
    std::vector<double> jump(1000, 800.0);
    jump.insert(jump.end(), 400, 0.0);
    jump.insert(jump.end(), 1000, 800.0);
    const auto unfiltered = analyze_trial(jump, kFs, Protocol::cmj, Limb::both, nyquist);
    ASSERT_EQ(unfiltered.contacts.size(), 1u);
    EXPECT_FALSE(unfiltered.contacts[0].peak_force_N);
    EXPECT_NEAR(*unfiltered.contacts[0].flight_time_after_s, 0.39905, 1e-12);
    EXPECT_TRUE(
        std::any_of(unfiltered.quality_flags.begin(), unfiltered.quality_flags.end(),
                    [](const std::string& s) { return s.find("too low") != std::string::npos; }));
    AnalysisSettings negative;
    negative.peak_cutoff_hz = -5.0;
    EXPECT_THROW(analyze_trial(f, kFs, Protocol::cmj, Limb::both, negative), std::invalid_argument);
    f[5] = std::numeric_limits<double>::infinity();
    EXPECT_THROW(analyze_trial(f, kFs, Protocol::cmj, Limb::both), std::invalid_argument);
    // Saturated contact: peak and loading rate null, flagged; timing still reported.
    AnalysisSettings limit;
    limit.saturation_limit_n = 2500.0;
    limit.body_mass_kg = 70.0;
    auto hops = periodic_hops(70.0, 0.25, 0.35, 3);
    for (double& v : hops)
        v = std::min(v, 2500.0);
    const auto sat = analyze_trial(hops, kFs, Protocol::repeated_hops, Limb::left, limit);
    ASSERT_EQ(sat.contacts.size(), 3u);
    EXPECT_FALSE(sat.contacts[0].peak_force_N);
    EXPECT_FALSE(sat.contacts[0].loading_rate_bw_per_s);
    EXPECT_TRUE(sat.contacts[0].saturated);
    EXPECT_TRUE(std::any_of(
        sat.quality_flags.begin(), sat.quality_flags.end(),
        [](const std::string& s) { return s.find("saturation") != std::string::npos; }));
    // Low sample rate: loading rates null with a flag.
    std::vector<double> slow;
    for (std::size_t k = 0; k < hops.size(); k += 5)
        slow.push_back(hops[k]);
    const auto low = analyze_trial(slow, 200.0, Protocol::repeated_hops, Limb::left, limit);
    for (const auto& c : low.contacts)
        EXPECT_FALSE(c.loading_rate_bw_per_s);
}

}  // namespace
}  // namespace hoplab::processing
