// Left/right pairing per contact (issue #3 item 7) against half-sine trains whose every edge, peak
// and impulse is known in closed form (METHODS oracles 3-A, 4.1-A, 4.3).
#include <hoplab/processing/analysis_json.hpp>
#include <hoplab/processing/bilateral_contacts.hpp>
#include <hoplab/processing/trial_analysis.hpp>
#include <hoplab/simulation/simulator.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <limits>
#include <numbers>
#include <stdexcept>
#include <string>
#include <vector>

namespace hoplab::processing {
namespace {

constexpr double kFs = 1000.0;
constexpr double kThetaN = 20.0;  // the default threshold floor; noiseless flights keep θ there
constexpr double kPi = std::numbers::pi;

struct HalfSine {
    double start_s, duration_s, peak_n;
};

// A record of `length_s` that is 0 N except for the half-sines, evaluated at t = k/fs.
std::vector<double> train(const std::vector<HalfSine>& contacts, double length_s) {
    std::vector<double> f(static_cast<std::size_t>(std::lround(length_s * kFs)), 0.0);
    for (std::size_t k = 0; k < f.size(); ++k) {
        const double t = static_cast<double>(k) / kFs;
        for (const auto& c : contacts) {
            if (t >= c.start_s && t <= c.start_s + c.duration_s) {
                f[k] = c.peak_n * std::sin(kPi * (t - c.start_s) / c.duration_s);
            }
        }
    }
    return f;
}

// Oracle 3-A: the θ crossing lies (Tc/π)·asin(θ/Fpk) inside each edge of the half-sine.
double edge_s(const HalfSine& c) {
    return c.duration_s / kPi * std::asin(kThetaN / c.peak_n);
}
double touchdown_s(const HalfSine& c) {
    return c.start_s + edge_s(c);
}
double contact_time_s(const HalfSine& c) {
    return c.duration_s - 2.0 * edge_s(c);
}
// Oracle 4.3: impulse between the θ crossings = (2·Fpk·Tc/π)·√(1 − (θ/Fpk)²).
double impulse_ns(const HalfSine& c) {
    return 2.0 * c.peak_n * c.duration_s / kPi *
           std::sqrt(1.0 - (kThetaN / c.peak_n) * (kThetaN / c.peak_n));
}

// Five hops per side: left 2000 N × 0.25 s, right 1800 N × 0.22 s starting 2.5 ms later (a
// fractional number of samples, so the onset difference is not a sample-grid artefact).
constexpr double kRightDelayS = 0.0025;
std::vector<HalfSine> left_hops() {
    std::vector<HalfSine> hops;
    for (int i = 0; i < 5; ++i) {
        hops.push_back({0.5003 + 0.6 * i, 0.25, 2000.0});
    }
    return hops;
}
std::vector<HalfSine> right_hops() {
    std::vector<HalfSine> hops;
    for (int i = 0; i < 5; ++i) {
        hops.push_back({0.5003 + kRightDelayS + 0.6 * i, 0.22, 1800.0});
    }
    return hops;
}
constexpr double kLengthS = 3.8;

const SymmetryRow& row(const BilateralContact& c, const std::string& metric) {
    for (const auto& r : c.symmetry) {
        if (r.metric == metric) {
            return r;
        }
    }
    throw std::logic_error("no row " + metric);
}

TEST(BilateralContacts, HalfSineTrainsPairExactly) {
    const auto left = left_hops();
    const auto right = right_hops();
    const auto pairs =
        pair_contacts(train(left, kLengthS), train(right, kLengthS), kFs, {}, Limb::right);
    ASSERT_EQ(pairs.size(), 5u);
    double worst_onset_ms = 0, worst_tc_s = 0, worst_peak = 0, worst_lsi = 0;
    for (std::size_t i = 0; i < pairs.size(); ++i) {
        const auto& p = pairs[i];
        EXPECT_EQ(p.index, static_cast<int>(i) + 1);
        ASSERT_TRUE(p.paired());
        const double onset_ms = (touchdown_s(left[i]) - touchdown_s(right[i])) * 1000.0;
        ASSERT_TRUE(p.onset_difference_ms);
        worst_onset_ms = std::max(worst_onset_ms, std::abs(*p.onset_difference_ms - onset_ms));
        worst_tc_s =
            std::max({worst_tc_s, std::abs(*p.left->contact_time_s - contact_time_s(left[i])),
                      std::abs(*p.right->contact_time_s - contact_time_s(right[i]))});
        worst_peak = std::max({worst_peak, std::abs(*p.left->peak_force_N / 2000.0 - 1.0),
                               std::abs(*p.right->peak_force_N / 1800.0 - 1.0)});
        // Involved right: peak and impulse (no direction) give right/left; contact time (lower is
        // better) gives left/right.
        const double peak_lsi = 1800.0 / 2000.0 * 100.0;
        const double tc_lsi = contact_time_s(left[i]) / contact_time_s(right[i]) * 100.0;
        const double impulse_lsi = impulse_ns(right[i]) / impulse_ns(left[i]) * 100.0;
        worst_lsi = std::max({worst_lsi, std::abs(*row(p, "peak_force_N").lsi_pct - peak_lsi),
                              std::abs(*row(p, "contact_time_s").lsi_pct - tc_lsi),
                              std::abs(*row(p, "impulse_Ns").lsi_pct - impulse_lsi)});
        EXPECT_NEAR(*p.left->impulse_Ns, impulse_ns(left[i]), 1e-3 * impulse_ns(left[i]));
        EXPECT_EQ(*row(p, "contact_time_s").weaker, Limb::left);  // the longer contact
        EXPECT_FALSE(row(p, "peak_force_N").weaker.has_value());  // no direction
        EXPECT_DOUBLE_EQ(*row(p, "peak_force_N").asymmetry_pct,
                         std::round((*p.left->peak_force_N - *p.right->peak_force_N) /
                                    *p.left->peak_force_N * 1e4) /
                             100.0);
    }
    std::cout << "bilateral oracle worst errors: onset " << worst_onset_ms << " ms, contact "
              << worst_tc_s << " s, peak " << worst_peak * 100 << " %, LSI " << worst_lsi
              << " points\n";
    // Linear interpolation of a sine's crossing near its zero is exact to ~1e-7 s at 1 kHz; the
    // acceptance bound is one sample.
    EXPECT_LT(worst_onset_ms, 1.0);
    EXPECT_LT(worst_tc_s, 1.0 / kFs);
    // The 50 Hz zero-lag low-pass lowers a 0.22–0.25 s half-sine's crest by < 0.5 % (issue #3).
    EXPECT_LT(worst_peak, 0.005);
    EXPECT_LT(worst_lsi, 0.5);
}

TEST(BilateralContacts, AMissingContactIsUnpairedNeverDroppedOrInvented) {
    auto left = left_hops();
    auto right = right_hops();
    right.erase(right.begin() + 2);  // the third hop lands on the left foot only
    left.pop_back();                 // the last on the right foot only
    const auto pairs =
        pair_contacts(train(left, kLengthS), train(right, kLengthS), kFs, {}, Limb::left);
    ASSERT_EQ(pairs.size(), 5u);  // 3 pairs + 1 left-only + 1 right-only, in time order
    for (int i : {0, 1, 3}) {
        EXPECT_TRUE(pairs[i].paired()) << i;
    }
    EXPECT_TRUE(pairs[2].left && !pairs[2].right);
    EXPECT_NEAR(*pairs[2].left->touchdown_s, touchdown_s(left[2]), 1e-6);
    EXPECT_TRUE(!pairs[4].left && pairs[4].right);
    EXPECT_NEAR(*pairs[4].right->touchdown_s, touchdown_s(right[3]), 1e-6);
    for (int i : {2, 4}) {
        EXPECT_FALSE(pairs[i].onset_difference_ms.has_value());
        for (const auto& r : pairs[i].symmetry) {
            EXPECT_FALSE(r.lsi_pct || r.asymmetry_pct || r.flag) << r.metric;
            EXPECT_TRUE(r.left || r.right) << r.metric;  // the one measured value is kept
        }
    }
}

TEST(BilateralContacts, AnUnloadedPlateLeavesEveryOtherContactUnpaired) {
    const std::vector<double> unloaded(static_cast<std::size_t>(kLengthS * kFs), 0.0);
    const auto pairs = pair_contacts(unloaded, train(right_hops(), kLengthS), kFs, {});
    ASSERT_EQ(pairs.size(), 5u);
    for (const auto& p : pairs) {
        EXPECT_TRUE(!p.left && p.right);
    }
}

TEST(BilateralContacts, ADoubleContactPairsWithTheLongerOverlapOnly) {
    // Left: one 0.40 s contact. Right: 0.15 s, then (after a 0.06 s flight, longer than min_flight)
    // 0.18 s, both inside the left contact. The second overlaps longer; the first stays unpaired.
    const std::vector<HalfSine> left{{0.5, 0.40, 1500.0}};
    const std::vector<HalfSine> right{{0.51, 0.15, 900.0}, {0.72, 0.18, 900.0}};
    const auto pairs = pair_contacts(train(left, 1.5), train(right, 1.5), kFs, {});
    ASSERT_EQ(pairs.size(), 2u);
    EXPECT_TRUE(pairs[0].left && pairs[0].right);
    EXPECT_NEAR(*pairs[0].right->touchdown_s, touchdown_s(right[1]), 1e-6);
    EXPECT_TRUE(!pairs[1].left && pairs[1].right);
    EXPECT_NEAR(*pairs[1].right->touchdown_s, touchdown_s(right[0]), 1e-6);
    // Ordered by first sample: the pair starts with the left contact at 0.5 s, before 0.51 s.
    EXPECT_LT(pairs[0].left->first_sample, pairs[1].right->first_sample);
}

TEST(BilateralContacts, SimulatedBilateralHopsPairEveryContactWithinOneSample) {
    simulation::TrialScript script;
    script.limb = Limb::both;
    script.hops = 6;
    const auto sim = simulation::simulate_trial({}, script, simulation::PlateNoise{}, kFs, 5);
    std::vector<double> left, right;
    for (const auto& w : sim.plates[0].samples) {
        left.push_back(w.fz_n);
    }
    for (const auto& w : sim.plates[1].samples) {
        right.push_back(w.fz_n);
    }
    const auto trial = analyze_bilateral_trial(left, right, kFs, Protocol::repeated_hops, {});
    ASSERT_TRUE(trial.bilateral_contacts);
    // Step-on stance with push-off, 6 hops, stick landing: 8 contacts on each plate.
    ASSERT_EQ(trial.bilateral_contacts->size(), 8u);
    for (const auto& p : *trial.bilateral_contacts) {
        ASSERT_TRUE(p.paired());
        // Both plates carry the same half-load trace with independent 1.5 N noise: the edges agree
        // to within one sample.
        ASSERT_TRUE(p.onset_difference_ms);
        EXPECT_LT(std::abs(*p.onset_difference_ms), 1.0);
    }
    // Each hop on each plate is a half-sine of half the total peak, so oracle 3-A with Fpk/2: the
    // 20 N threshold sits (Tc/π)·asin(20/(Fpk/2)) inside each edge (2.27 ms for the 2.8 kN hops,
    // twice the summed force's bias). Within one sample.
    ASSERT_EQ(sim.truth.hop_contacts.size(), 6u);
    for (std::size_t i = 0; i < 6; ++i) {
        const auto& truth = sim.truth.hop_contacts[i];
        const double tc = truth.take_off_s - truth.touchdown_s;
        const double expected = tc - 2.0 * tc / kPi * std::asin(kThetaN / (truth.peak_force_n / 2));
        const auto& p = (*trial.bilateral_contacts)[i + 1];
        EXPECT_NEAR(*p.left->contact_time_s, expected, 1.0 / kFs);
        EXPECT_NEAR(*p.right->contact_time_s, expected, 1.0 / kFs);
    }
    // The summed analysis is analyze_trial's, untouched.
    std::vector<double> sum(left.size());
    for (std::size_t k = 0; k < sum.size(); ++k) {
        sum[k] = left[k] + right[k];
    }
    auto plain = to_json(analyze_trial(sum, kFs, Protocol::repeated_hops, Limb::both));
    auto paired = to_json(trial);
    EXPECT_TRUE(plain["bilateral_contacts"].is_null());
    ASSERT_EQ(paired["bilateral_contacts"].size(), 8u);
    EXPECT_EQ(paired["bilateral_contacts"][1]["symmetry"].size(), 3u);
    EXPECT_EQ(paired["bilateral_contacts"][1]["symmetry"][1]["metric"], "contact_time_s");
    EXPECT_TRUE(paired["bilateral_contacts"][1]["paired"].get<bool>());
    EXPECT_TRUE(paired["provenance"].contains("bilateral_contacts"));
    paired.erase("bilateral_contacts");
    plain.erase("bilateral_contacts");
    EXPECT_EQ(paired.dump(), plain.dump());
}

TEST(BilateralContacts, UnpairedContactsRaiseAQualityFlag) {
    auto right = right_hops();
    right.erase(right.begin() + 1);
    const auto trial = analyze_bilateral_trial(train(left_hops(), kLengthS), train(right, kLengthS),
                                               kFs, Protocol::repeated_hops, {});
    const auto unpaired = std::count_if(
        trial.quality_flags.begin(), trial.quality_flags.end(),
        [](const std::string& f) { return f.rfind("unpaired contact: left", 0) == 0; });
    EXPECT_EQ(unpaired, 1);
}

TEST(BilateralContacts, BadInputsAreRefused) {
    const std::vector<double> a(2000, 0.0), b(1999, 0.0);
    EXPECT_THROW(pair_contacts(a, b, kFs, {}), std::invalid_argument);
    EXPECT_THROW(pair_contacts(a, a, 0.0, {}), std::invalid_argument);
    auto bad = a;
    bad[17] = std::numeric_limits<double>::quiet_NaN();
    try {
        pair_contacts(a, bad, kFs, {});
        FAIL() << "a NaN sample was accepted";
    } catch (const std::invalid_argument& error) {
        EXPECT_STREQ(error.what(),
                     "pair_contacts: right plate vertical force sample 17 is not finite");
    }
    EXPECT_THROW(analyze_bilateral_trial(a, b, kFs, Protocol::cmj, {}), std::invalid_argument);
    // No contact at all: an empty list, not an invented pair.
    EXPECT_TRUE(pair_contacts(a, a, kFs, {}).empty());
}

}  // namespace
}  // namespace hoplab::processing
