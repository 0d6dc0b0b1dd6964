#include <hoplab/processing/butterworth.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <numbers>
#include <sstream>

namespace hoplab::processing {
namespace {

nlohmann::json load_golden() {
    std::ifstream in(std::string(HOPLAB_GOLDEN_DIR) + "/filters.json");
    if (!in)
        throw std::runtime_error("missing filters.json: run scripts/golden/processing_filters.py");
    return nlohmann::json::parse(in);
}

TEST(Butterworth, CoefficientsMatchScipy) {
    // METHODS §1.1 reference coefficients (scipy 1.10, fs = 1000 Hz), to 1e-12.
    const auto s50 = butterworth_lowpass2(50, 1000);
    EXPECT_NEAR(s50.b0, 0.020083365564, 1e-12);
    EXPECT_NEAR(s50.b1, 0.040166731128, 1e-12);
    EXPECT_NEAR(s50.a1, -1.561018075801, 1e-12);
    EXPECT_NEAR(s50.a2, 0.641351538058, 1e-12);
    const auto s20 = butterworth_lowpass2(20, 1000);
    EXPECT_NEAR(s20.b0, 0.003621681515, 1e-12);
    EXPECT_NEAR(s20.a1, -1.822694925196, 1e-12);
    EXPECT_NEAR(s20.a2, 0.837181651256, 1e-12);
}

TEST(Butterworth, CutoffAtOrAboveNyquistLimitIsRefused) {
    EXPECT_THROW(butterworth_lowpass2(450, 1000), std::invalid_argument);
    EXPECT_THROW(butterworth_lowpass2(50, 0), std::invalid_argument);
    EXPECT_THROW(butterworth_lowpass2(-1, 1000), std::invalid_argument);
}

TEST(FiltFilt, SinusoidInteriorGainIsTheSquaredMagnitude) {
    // Oracle 1-A: interior gain 1/(1 + r^4), r = tan(πf/fs)/tan(π·50/fs).
    const auto section = butterworth_lowpass2(50, 1000);
    for (const auto& [f, expected] :
         {std::pair{10.0, 0.998452436582}, std::pair{50.0, 0.5}, std::pair{80.0, 0.126484123881}}) {
        std::vector<double> x(4000);
        for (std::size_t k = 0; k < x.size(); ++k) {
            x[k] = std::sin(2 * std::numbers::pi * f * static_cast<double>(k) / 1000.0);
        }
        const auto y = filtfilt(section, x);
        double worst = 0;
        for (std::size_t k = 1000; k < 3000; ++k) {
            worst = std::max(worst, std::abs(y[k] - expected * x[k]));
        }
        EXPECT_LT(worst, 1e-9) << f << " Hz";
    }
}

TEST(FiltFilt, ConstantComesOutUnchangedEdgesIncluded) {
    const std::vector<double> x(500, 700.0);  // oracle 1-B
    const auto y = filtfilt(butterworth_lowpass2(50, 1000), x);
    for (double v : y) {
        EXPECT_NEAR(v, 700.0, 1e-9);
    }
}

TEST(FiltFilt, MatchesScipyGoldenVectors) {
    // Golden vectors from scripts/golden/processing_filters.py (scipy sosfiltfilt / filtfilt):
    // Butterworth orders 2, 3 and 4, a ramp (edge transient, oracle 1-C), an 11-sample signal and
    // the 50 Hz notch.
    const auto golden = load_golden();
    for (const auto& c : golden["filters"]) {
        const auto x = c["input"].get<std::vector<double>>();
        const auto expected = c["output"].get<std::vector<double>>();
        const auto sections =
            c["kind"] == "butter"
                ? butterworth_lowpass(c["order"].get<int>(), c["cutoff_hz"].get<double>(), 1000.0)
                : std::vector<Biquad>{
                      iir_notch(c["notch_hz"].get<double>(), c["q"].get<double>(), 1000.0)};
        const auto y = filtfilt(sections, x);
        ASSERT_EQ(y.size(), expected.size());
        double worst = 0;
        for (std::size_t k = 0; k < y.size(); ++k) {
            worst = std::max(worst,
                             std::abs(y[k] - expected[k]) / std::max(1.0, std::abs(expected[k])));
        }
        // Issue acceptance: agreement with scipy within 1e-9 relative (relative to max(1 N,
        // |value|)), edges included.
        EXPECT_LT(worst, 1e-9) << c["name"];
        std::cout << c["name"].get<std::string>() << ": worst relative error " << worst << "\n";
    }
}

TEST(Butterworth, HigherOrderTransferFunctionsMatchScipy) {
    // The cascade's polynomial product equals scipy.signal.butter(order, fc, fs=1000) (b, a) to
    // 1e-12: the coefficients are O(1) and the product of ≤ 3 sections adds only a few ulps.
    for (const auto& t : load_golden()["butter_transfer"]) {
        const auto sections =
            butterworth_lowpass(t["order"].get<int>(), t["cutoff_hz"].get<double>(), 1000.0);
        std::vector<double> b{1.0}, a{1.0};
        const auto multiply = [](const std::vector<double>& p, const std::vector<double>& q) {
            std::vector<double> r(p.size() + q.size() - 1, 0.0);
            for (std::size_t i = 0; i < p.size(); ++i)
                for (std::size_t j = 0; j < q.size(); ++j)
                    r[i + j] += p[i] * q[j];
            return r;
        };
        for (const auto& s : sections) {
            b = multiply(b, s.b2 == 0 && s.a2 == 0 ? std::vector{s.b0, s.b1}
                                                   : std::vector{s.b0, s.b1, s.b2});
            a = multiply(
                a, s.b2 == 0 && s.a2 == 0 ? std::vector{1.0, s.a1} : std::vector{1.0, s.a1, s.a2});
        }
        const auto eb = t["b"].get<std::vector<double>>();
        const auto ea = t["a"].get<std::vector<double>>();
        ASSERT_EQ(b.size(), eb.size());
        for (std::size_t i = 0; i < b.size(); ++i) {
            EXPECT_NEAR(b[i], eb[i], 1e-12) << "order " << t["order"] << " b" << i;
            EXPECT_NEAR(a[i], ea[i], 1e-12) << "order " << t["order"] << " a" << i;
        }
    }
}

TEST(Notch, CoefficientsAndToneRemovalMatchOracle1G) {
    const auto s = iir_notch(50, 30, 1000);
    EXPECT_NEAR(s.b0, 0.994791237659, 1e-12);
    EXPECT_NEAR(s.b1, -1.892205377859, 1e-12);
    EXPECT_NEAR(s.a2, 0.989582475319, 1e-12);
    // Q = 30 puts the poles at radius 0.9948 (time constant ≈ 190 samples): 20 000 samples leave an
    // interior free of edge transients (0.9948^9000 ≈ 1e-21).
    std::vector<double> x(20000);
    for (std::size_t k = 0; k < x.size(); ++k)
        x[k] = std::sin(2 * std::numbers::pi * 50.0 * static_cast<double>(k) / 1000.0);
    const auto y = filtfilt(s, x);
    double worst = 0;
    for (std::size_t k = 9000; k < 11000; ++k)
        worst = std::max(worst, std::abs(y[k]));
    EXPECT_LT(worst, 1e-6);  // METHODS 1-G: ≤ 1e-6 of the amplitude in the interior
    EXPECT_THROW(iir_notch(500, 30, 1000), std::invalid_argument);
}

TEST(CausalFilter, ConstantHasNoTransientAndTheCutoffGainIsHalfPower) {
    CausalFilter f(butterworth_lowpass(2, 50, 1000));
    f.reset(700.0);
    for (int k = 0; k < 100; ++k)
        EXPECT_NEAR(f.step(700.0), 700.0, 1e-9);
    // One pass at the design cutoff: |H| = 1/√2. After 2 s the start-up transient (pole radius 0.8)
    // is gone.
    f.reset(0.0);
    double in_phase = 0, quadrature = 0;
    for (int k = 0; k < 3000; ++k) {
        const double phase = 2 * std::numbers::pi * 50.0 * k / 1000.0;
        const double y = f.step(std::sin(phase));
        if (k >=
            2000) {  // 50 whole periods: the projection onto sin/cos is exact for a steady sinusoid
            in_phase += y * std::sin(phase) * 2.0 / 1000.0;
            quadrature += y * std::cos(phase) * 2.0 / 1000.0;
        }
    }
    EXPECT_NEAR(std::hypot(in_phase, quadrature), 1.0 / std::sqrt(2.0), 1e-9);
}

TEST(FiltFilt, RefusesTooShortOrNonFiniteInput) {
    const auto s = butterworth_lowpass2(50, 1000);
    EXPECT_THROW(filtfilt(s, std::vector<double>(9, 1.0)), std::invalid_argument);
    EXPECT_NO_THROW(filtfilt(s, std::vector<double>(10, 1.0)));
    EXPECT_THROW(butterworth_lowpass(0, 50, 1000), std::invalid_argument);
    std::vector<double> x(100, 1.0);
    x[50] = std::nan("");
    EXPECT_THROW(filtfilt(s, x), std::invalid_argument);
}

}  // namespace
}  // namespace hoplab::processing
