#include <hoplab/processing/events.hpp>
#include <hoplab/processing/protocol.hpp>
#include <hoplab/processing/trial_analysis.hpp>

#include <gtest/gtest.h>

#include <cstddef>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

namespace hoplab::processing {
namespace {

constexpr double kFs = 1000.0;

// 10,007 samples at 1 kHz: flight at 0 N with three 300 ms contacts at 1000 N. The length is
// neither a multiple of the 16-sample groups nor of the 2048-sample chunks, so the last samples
// go through the scalar tail of the combined pass.
std::vector<double> three_hops() {
    std::vector<double> f(10007, 0.0);
    for (const std::size_t begin : {1000, 3000, 6000}) {
        for (std::size_t k = begin; k < begin + 300; ++k)
            f[k] = 1000.0;
    }
    return f;
}

TEST(EventDetection, StepContactsGiveTheirExactRuns) {
    // Noise-free flights: μ0 = σ0 = 0, so θ is the 20 N floor and every crossing is a step.
    const auto events = detect_events(three_hops(), kFs, {});
    EXPECT_EQ(events.threshold_N, 20.0);
    const std::vector<std::size_t> edges{0, 1000, 1300, 3000, 3300, 6000, 6300, 10007};
    ASSERT_EQ(events.runs.size(), edges.size() - 1);
    for (std::size_t i = 0; i < events.runs.size(); ++i) {
        EXPECT_EQ(events.runs[i].contact, i % 2 == 1) << "run " << i;
        EXPECT_EQ(events.runs[i].begin, edges[i]) << "run " << i;
        EXPECT_EQ(events.runs[i].end, edges[i + 1]) << "run " << i;
    }
}

std::string detection_error(const std::vector<double>& f) {
    try {
        detect_events(f, kFs, {});
    } catch (const std::invalid_argument& error) {
        return error.what();
    }
    return "accepted";
}

TEST(EventDetection, RefusesANonFiniteSampleNamingIt) {
    const std::vector<double> bad_values{std::numeric_limits<double>::quiet_NaN(),
                                         std::numeric_limits<double>::infinity(),
                                         -std::numeric_limits<double>::infinity()};
    // The first sample; inside a contact; inside a flight group the threshold scan skips; in the
    // first and the last group of a later chunk; the last sample (scalar tail).
    const std::vector<std::size_t> positions{0, 1100, 4100, 8192, 10000 - 1, 10006};
    for (const double bad : bad_values) {
        for (const std::size_t at : positions) {
            auto f = three_hops();
            f[at] = bad;
            EXPECT_EQ(detection_error(f),
                      "vertical force sample " + std::to_string(at) + " is not finite")
                << bad << " at " << at;
        }
    }
}

TEST(EventDetection, NamesTheFirstOfSeveralNonFiniteSamples) {
    auto f = three_hops();
    f[5000] = std::numeric_limits<double>::infinity();
    f[5001] = std::numeric_limits<double>::quiet_NaN();
    f[9000] = std::numeric_limits<double>::quiet_NaN();
    EXPECT_EQ(detection_error(f), "vertical force sample 5000 is not finite");
}

TEST(EventDetection, TrialAnalysisRefusesANonFiniteSampleWithTheSameMessage) {
    auto f = three_hops();
    f[10006] = std::numeric_limits<double>::quiet_NaN();
    try {
        analyze_trial(f, kFs, Protocol::repeated_hops, Limb::left, {});
        FAIL() << "a NaN sample was accepted";
    } catch (const std::invalid_argument& error) {
        EXPECT_STREQ(error.what(), "vertical force sample 10006 is not finite");
    }
}

}  // namespace
}  // namespace hoplab::processing
