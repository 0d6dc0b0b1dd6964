// The committed h5py checker (scripts/golden/recording_schema_check.py) walks a written file
// against docs/recording-format.md: the file must pass, and the checker must notice a missing
// piece.

#include "schema_check.hpp"
#include "test_session.hpp"

#include <hoplab/recording/session_writer.hpp>

#include <gtest/gtest.h>
#include <hdf5.h>

namespace hoplab::recording {
namespace {

using testing::make_devices;
using testing::make_session;
using testing::ScratchDir;

std::filesystem::path write_full_session(const ScratchDir& scratch) {
    const auto file = scratch.file("schema.h5");
    WriterOptions options;
    options.chunk_rows = 100;
    SessionWriter writer(file, make_session(), make_devices(), options);
    writer.record_tare(0,
                       TareRecord{"2026-11-23T01:31:00.000Z", std::vector<double>(6, 1.0),
                                  std::vector<double>(6, 0.1)},
                       make_devices()[0].calibration);
    std::uint64_t next = 0;
    for (int b = 0; b < 25; ++b) {
        if (b == 8) {
            writer.record_gap(1, GapRecord{next, 40, "ring overrun"});
        }
        for (std::size_t device = 0; device < 2; ++device) {
            const std::uint64_t first = device == 1 && b >= 8 ? next + 40 : next;
            writer.append_raw(device, BlockRecord{first, 40, 1'000'000LL * b, 2'000'000LL * b + 17},
                              testing::raw_counts(device, first, 40, 6));
        }
        next += 40;
        if (b == 5) {
            writer.begin_trial(TrialStart{"trial-001",
                                          processing::Protocol::drop_jump,
                                          processing::Limb::right,
                                          "2026-11-23T01:32:00.000Z",
                                          {},
                                          "drop 30 cm"});
        }
        if (writer.trial_open()) {
            for (std::size_t device = 0; device < 2; ++device) {
                writer.append_trial_force(device,
                                          testing::trial_wrenches(device, (b - 5) * 40, 40));
            }
        }
        if (b == 20) {
            processing::TrialAnalysis analysis{};
            analysis.id = "trial-001";
            writer.end_trial(TrialEnd{
                "2026-11-23T01:32:03.000Z", {}, "complete", {{"touchdown", 0.1}}, analysis});
        }
    }
    writer.begin_trial(TrialStart{
        "trial-002", processing::Protocol::quiet_stance, processing::Limb::both, "", {}, ""});
    writer.end_trial(TrialEnd{"", {}, "aborted: operator stopped", {}, std::nullopt});
    return file;
}

TEST(SchemaCheckTest, AWrittenSessionPassesTheChecker) {
    ScratchDir scratch;
    const auto file = write_full_session(scratch);
    const auto result = testing::run_schema_check(file, true);
    EXPECT_EQ(result.exit_code, 0) << result.output;
    // Groups: root, athlete, devices, 2 plates, 2 calibration, streams, 2 streams, trials, 2
    // trials, 2 force, 4 plate series groups, 1 metrics = 20. Datasets: 2 × (toml, offsets, tares),
    // 2 × (raw, blocks, gaps), 4 × (force, moment, cop, free_moment), 2 events, contacts,
    // analysis_json = 32.
    EXPECT_NE(result.output.find("schema ok: 20 groups, 32 datasets"), std::string::npos)
        << result.output;
}

TEST(SchemaCheckTest, TheCheckerNoticesAMissingUnit) {
    ScratchDir scratch;
    const auto file = write_full_session(scratch);
    {
        H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
        const hid_t id = H5Fopen(file.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
        ASSERT_GE(id, 0);
        EXPECT_GE(H5Adelete_by_name(id, "/trials/trial-001/force/left/cop", "unit", H5P_DEFAULT),
                  0);
        EXPECT_GE(H5Adelete_by_name(id, "/streams/right", "clock_slope", H5P_DEFAULT), 0);
        H5Fclose(id);
    }
    const auto result = testing::run_schema_check(file, true);
    EXPECT_EQ(result.exit_code, 1) << result.output;
    EXPECT_NE(result.output.find("/trials/trial-001/force/left/cop@unit: missing attribute"),
              std::string::npos)
        << result.output;
    EXPECT_NE(result.output.find("/streams/right@clock_slope: missing attribute"),
              std::string::npos)
        << result.output;
    EXPECT_NE(result.output.find("schema FAILED: 3 problems"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace hoplab::recording
