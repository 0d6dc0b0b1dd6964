#include <hoplab/processing/spectrum.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <numbers>

namespace hoplab::processing {
namespace {

nlohmann::json load_golden() {
    std::ifstream in(std::string(HOPLAB_GOLDEN_DIR) + "/filters.json");
    if (!in)
        throw std::runtime_error("missing filters.json: run scripts/golden/processing_filters.py");
    return nlohmann::json::parse(in);
}

TEST(Welch, ParsevalOracle1H) {
    // 3·sin at 156.25 Hz (bin 40 of 256), 10 000 samples, scipy defaults: ΣP·Δf = A²/2 = 4.5
    // exactly (scipy: 4.500000000000094), peak at 156.25 Hz.
    std::vector<double> x(10000);
    for (std::size_t k = 0; k < x.size(); ++k)
        x[k] = 3.0 * std::sin(2 * std::numbers::pi * 156.25 * static_cast<double>(k) / 1000.0);
    const auto p = welch_psd(x, 1000.0, 256);
    double total = 0;
    for (double v : p.density)
        total += v * (1000.0 / 256.0);
    EXPECT_NEAR(total, 4.5, 1e-9);
    const auto peak = std::max_element(p.density.begin(), p.density.end()) - p.density.begin();
    EXPECT_DOUBLE_EQ(p.frequency_hz[static_cast<std::size_t>(peak)], 156.25);
    EXPECT_EQ(p.segments, (10000u - 256u) / 128u + 1u);
}

TEST(Welch, MatchesScipyGolden) {
    const auto golden = load_golden();  // a range over a member of a temporary would dangle
    for (const auto& c : golden["welch"]) {
        const auto x = c["input"].get<std::vector<double>>();
        const auto p = welch_psd(x, c["sample_rate_hz"].get<double>());
        EXPECT_EQ(p.segment_samples, c["segment"].get<std::size_t>());
        const auto expected = c["density"].get<std::vector<double>>();
        ASSERT_EQ(p.density.size(), expected.size());
        double peak = *std::max_element(expected.begin(), expected.end());
        double worst = 0;
        for (std::size_t k = 0; k < expected.size(); ++k)
            worst = std::max(worst, std::abs(p.density[k] - expected[k]) / peak);
        EXPECT_LT(worst, 1e-9)
            << c["name"];  // relative to the spectrum's peak (FFT rounding ~1e-15)
    }
}

TEST(Welch, BadInputThrows) {
    EXPECT_THROW(welch_psd(std::vector<double>(4, 1.0), 1000.0), std::invalid_argument);
    EXPECT_THROW(welch_psd(std::vector<double>(100, 1.0), 0.0), std::invalid_argument);
}

TEST(ResidualAnalysis, Oracle1FMatchesScipyReimplementation) {
    const auto r = load_golden()["residual"];
    const auto x = r["input"].get<std::vector<double>>();
    const auto result = residual_analysis(x, 1000.0);
    const auto expected = r["residual"].get<std::vector<double>>();
    ASSERT_EQ(result.residual_n.size(), expected.size());
    for (std::size_t i = 0; i < expected.size(); i += 37)
        EXPECT_NEAR(result.residual_n[i], expected[i], 1e-9 * expected[i]);
    EXPECT_DOUBLE_EQ(result.fit_from_hz, r["fit_from_hz"].get<double>());
    EXPECT_NEAR(result.noise_rms_n, r["intercept"].get<double>(), 1e-8);
    ASSERT_TRUE(result.suggested_cutoff_hz);
    EXPECT_NEAR(*result.suggested_cutoff_hz, r["suggested_cutoff_hz"].get<double>(), 1e-6);
    EXPECT_NEAR(result.noise_rms_n, 5.0, 0.5);  // METHODS 1-F: intercept within ±10 % of σ
    EXPECT_GT(*result.suggested_cutoff_hz, 5.0);
    EXPECT_LT(*result.suggested_cutoff_hz, 50.0);
}

}  // namespace
}  // namespace hoplab::processing
