#include <hoplab/cli/child_process.hpp>
#include <hoplab/viewer/pre_post_model.hpp>

#include <gtest/gtest.h>

#include "support/daemon_process.hpp"

#include <cmath>

namespace hoplab::viewer {
namespace {

class TwoSessions : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = testing::fresh_directory("viewer-pre-post");
        simulate("20", pre_ = dir_ / "pre.h5");
        simulate("5", post_ = dir_ / "post.h5");
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    void simulate(const std::string& asymmetry_pct, const std::filesystem::path& file) {
        cli::ChildProcess process(
            {HOPLAB_PATH,
             {"simulate", "--protocol", "repeated-hops", "--limb", "both", "--asymmetry",
              asymmetry_pct, "--weaker", "left", "--out", file.string()},
             dir_ / "simulate.log",
             false,
             false,
             {}});
        ASSERT_EQ(process.wait(std::chrono::seconds(60)), 0);
    }
    std::filesystem::path dir_, pre_, post_;
};

TEST_F(TwoSessions, LsiRisesAndTheChangeUsesTheGivenReliability) {
    const auto comparison = load_pre_post({pre_, post_});
    ASSERT_EQ(comparison.sessions.size(), 2u);
    EXPECT_EQ(comparison.athlete_id, "simulated-athlete");
    // The simulation's asymmetry of jump height is the LSI's complement (left weaker, involved not
    // given: LSI = weaker / stronger); ±1.5 % covers the analysis of simulated noise.
    const auto lsi_pre = lsi_pct(comparison.sessions[0], "jump_height_m");
    const auto lsi_post = lsi_pct(comparison.sessions[1], "jump_height_m");
    ASSERT_TRUE(lsi_pre && lsi_post);
    EXPECT_NEAR(*lsi_pre, 80.0, 1.5);
    EXPECT_NEAR(*lsi_post, 95.0, 1.5);

    const ChangeThresholds thresholds{0.01, 0.004};  // m
    const auto change =
        change_from_first(comparison, 1, "jump_height_m", processing::Limb::left, thresholds);
    ASSERT_TRUE(change);
    const double pre_m =
        *metric_value(comparison.sessions[0], "jump_height_m", processing::Limb::left);
    const double post_m =
        *metric_value(comparison.sessions[1], "jump_height_m", processing::Limb::left);
    EXPECT_DOUBLE_EQ(change->change, post_m - pre_m);
    EXPECT_NEAR(*change->mdc95, 1.96 * std::sqrt(2.0) * 0.01, 1e-12);  // METHODS §5.4
    EXPECT_DOUBLE_EQ(*change->swc, 0.004);
    EXPECT_EQ(*change->beyond_mdc, std::abs(post_m - pre_m) > *change->mdc95);
    // No reliability data: no bands, never a default.
    const auto bare = change_from_first(comparison, 1, "jump_height_m", processing::Limb::left, {});
    ASSERT_TRUE(bare);
    EXPECT_FALSE(bare->mdc95.has_value());
    EXPECT_FALSE(bare->beyond_mdc.has_value());
}

TEST_F(TwoSessions, MisuseAndTheCompareReportAreHandled) {
    EXPECT_THROW(load_pre_post({pre_}), std::invalid_argument);
    EXPECT_THROW(
        change_from_first(load_pre_post({pre_, post_}), 0, "rsi", processing::Limb::left, {}),
        std::invalid_argument);
    cli::ChildProcess viewer(
        {HOPLAB_VIEWER_PATH,
         {pre_.string(), "--compare", post_.string(), "--typical-error", "jump_height_m=0.01",
          "--screenshot", (dir_ / "pp.png").string(), "--report", (dir_ / "pp.pdf").string()},
         dir_ / "viewer.log",
         false,
         false,
         {{"QT_QPA_PLATFORM", "offscreen"}}});
    ASSERT_EQ(viewer.wait(std::chrono::seconds(60)), 0);
    EXPECT_GT(std::filesystem::file_size(dir_ / "pp.png"),
              20'000u);  // rendered charts, not an empty image
    EXPECT_GT(std::filesystem::file_size(dir_ / "pp.pdf"), 10'000u);
}

}  // namespace
}  // namespace hoplab::viewer
