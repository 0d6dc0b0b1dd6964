#include <hoplab/cli/child_process.hpp>
#include <hoplab/viewer/comparison_model.hpp>

#include <gtest/gtest.h>

#include "support/daemon_process.hpp"

#include <cmath>
#include <random>

namespace hoplab::viewer {
namespace {

TEST(DecimateMinMax, KeepsEveryColumnsExtremes) {
    std::mt19937 random(5);
    std::normal_distribution<double> noise(0.0, 100.0);
    std::vector<Point> points;
    for (int i = 0; i < 100'000; ++i) {
        points.push_back({i * 0.001, noise(random)});
    }
    points[31'337].y = 5000.0;  // a one-sample spike must survive
    points[77'000].y = -4000.0;
    const auto reduced = decimate_min_max(points, 500);
    EXPECT_LE(reduced.size(), 1000u);
    double max = -1e9, min = 1e9;
    for (const auto& p : reduced) {
        max = std::max(max, p.y);
        min = std::min(min, p.y);
    }
    EXPECT_EQ(max, 5000.0);
    EXPECT_EQ(min, -4000.0);
    for (std::size_t i = 1; i < reduced.size(); ++i) {
        EXPECT_LE(reduced[i - 1].x, reduced[i].x);  // still a time series
    }
    EXPECT_EQ(decimate_min_max({{0, 1}, {1, 2}}, 500).size(), 2u);  // short inputs pass through
}

class SimulatedSession : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = testing::fresh_directory("viewer");
        file_ = dir_ / "session.h5";
        cli::ChildProcess simulate(
            {HOPLAB_PATH,
             {"simulate", "--protocol", "repeated-hops", "--limb", "both", "--asymmetry", "20",
              "--weaker", "left", "--out", file_.string()},
             dir_ / "simulate.log",
             false,
             false,
             {}});
        ASSERT_EQ(simulate.wait(std::chrono::seconds(60)), 0);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    std::filesystem::path dir_, file_;
};

TEST_F(SimulatedSession, ComparisonHoldsBothLimbsAndTheKnownAsymmetry) {
    const auto comparison = load_limb_comparison(file_);
    EXPECT_EQ(comparison.athlete_id, "simulated-athlete");
    EXPECT_EQ(comparison.protocol, "repeated-hops");
    std::size_t left = 0, right = 0;
    for (const auto& curve : comparison.curves) {
        (curve.limb == processing::Limb::left ? left : right) += 1;
        ASSERT_FALSE(curve.points.empty());
        EXPECT_NEAR(curve.points.front().x, -0.05,
                    0.002);  // aligned at touchdown, 50 ms of flight shown
    }
    EXPECT_EQ(left, 10u);
    EXPECT_EQ(right, 10u);
    const auto jump = std::find_if(comparison.metrics.begin(), comparison.metrics.end(),
                                   [](const auto& row) { return row.metric == "jump_height_m"; });
    ASSERT_NE(jump, comparison.metrics.end());
    EXPECT_NEAR(*jump->asymmetry_pct, 20.0, 1.0);
    EXPECT_EQ(*jump->weaker, processing::Limb::left);
    // A simulated 20 % sits on the red boundary (measured 19.9 %): the flag must follow the
    // measured value (attention ≥ 10 %, red ≥ 20 %), not the simulation's nominal one.
    EXPECT_EQ(*jump->flag, *jump->asymmetry_pct >= 20.0 ? processing::SymmetryFlag::red
                                                        : processing::SymmetryFlag::attention);
    // The overlay's axis range holds the highest contact force (3.78 BW for 75 kg).
    EXPECT_NEAR(comparison.max_force_n, 2773.0, 30.0);
}

TEST_F(SimulatedSession, ScreenshotAndReportAreWritten) {
    cli::ChildProcess viewer({HOPLAB_VIEWER_PATH,
                              {file_.string(), "--screenshot", (dir_ / "c.png").string(),
                               "--report", (dir_ / "r.pdf").string()},
                              dir_ / "viewer.log",
                              false,
                              false,
                              {{"QT_QPA_PLATFORM", "offscreen"}}});
    ASSERT_EQ(viewer.wait(std::chrono::seconds(60)), 0);
    EXPECT_GT(std::filesystem::file_size(dir_ / "c.png"),
              20'000u);  // a rendered chart, not an empty image
    EXPECT_GT(std::filesystem::file_size(dir_ / "r.pdf"), 10'000u);
}

TEST_F(SimulatedSession, ABadFileIsAMessageNotACrash) {
    std::ofstream(dir_ / "bad.h5") << "this is not HDF5";
    cli::ChildProcess viewer(
        {HOPLAB_VIEWER_PATH,
         {(dir_ / "bad.h5").string(), "--screenshot", (dir_ / "x.png").string()},
         dir_ / "bad.log",
         false,
         false,
         {{"QT_QPA_PLATFORM", "offscreen"}}});
    EXPECT_EQ(viewer.wait(std::chrono::seconds(60)), 1);
    std::ifstream in(dir_ / "bad.log");
    const std::string log(std::istreambuf_iterator<char>(in), {});
    EXPECT_NE(log.find("bad.h5"), std::string::npos) << log;
}

}  // namespace
}  // namespace hoplab::viewer
