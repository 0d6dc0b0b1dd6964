#include <hoplab/processing/analysis_json.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <vector>

namespace hoplab::processing {
namespace {

TEST(AnalysisJson, KeepsEveryDesignFieldAndProvenance) {
    std::vector<double> f(1500, 800.0);
    f.insert(f.end(), 400, 0.0);
    f.insert(f.end(), 1500, 800.0);
    std::vector<TrialAnalysis> trials{analyze_trial(f, 1000.0, Protocol::cmj, Limb::left)};
    trials.front().id = "t1";
    const auto rows = compare_limbs(trials.front(), trials.front(), std::nullopt);
    const auto report = analysis_report_json(trials, rows);
    EXPECT_EQ(report["software"]["name"], "hoplab");
    const auto& t = report["trials"][0];
    for (const char* key :
         {"id", "source", "protocol", "limb", "sample_rate_hz", "body_weight_N", "threshold_N",
          "contacts", "landing", "summary", "quality_flags", "provenance"}) {
        EXPECT_TRUE(t.contains(key)) << key;
    }
    EXPECT_EQ(t["protocol"], "cmj");
    EXPECT_NEAR(t["contacts"][0]["flight_time_after_s"].get<double>(), 0.39905,
                1e-12);  // oracle 3-C
    for (const char* key :
         {"index", "start_s", "end_s", "contact_time_s", "peak_force_N", "peak_force_bw",
          "time_to_peak_s", "impulse_Ns", "loading_rate_bw_per_s", "flight_time_before_s",
          "flight_time_after_s", "jump_height_m", "rsi"}) {
        EXPECT_TRUE(t["contacts"][0].contains(key)) << key;
    }
    EXPECT_TRUE(t["contacts"][0]["flight_time_before_s"].is_null());  // record starts in stance
    for (const char* key :
         {"start_s", "peak_force_N", "peak_force_bw", "time_to_stabilisation_s"}) {
        EXPECT_TRUE(t["landing"].contains(key)) << key;
    }
    EXPECT_DOUBLE_EQ(t["provenance"]["peak_force"]["cutoff_hz"].get<double>(), 50.0);
    EXPECT_EQ(t["provenance"]["software"]["name"], "hoplab");
    for (const char* key :
         {"metric", "left", "right", "lsi_pct", "asymmetry_pct", "weaker", "flag"}) {
        EXPECT_TRUE(report["symmetry"][0].contains(key)) << key;
    }
}

}  // namespace
}  // namespace hoplab::processing
