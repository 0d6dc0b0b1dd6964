// The committed h5py checker (scripts/golden/recording_schema_check.py) walks a written file
// against docs/recording-format.md: the file must pass, and the checker must notice a missing
// piece.

#include "schema_check.hpp"
#include "test_session.hpp"

#include <hoplab/recording/session_reader.hpp>
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

// Format 1 (variable-length strings), written by hoplab 0.1.0 before the switch: see
// tests/golden/recording/README.md. The reader and the checker read it as before.
TEST(SchemaCheckTest, AFormatOneFileStillReads) {
    const std::filesystem::path file =
        std::filesystem::path(HOPLAB_GOLDEN_DIR) / "recording" / "format1-single-leg-hop.h5";
    const SessionReader reader(file);
    EXPECT_EQ(reader.format_version(), 1);
    EXPECT_EQ(reader.session().operator_name, "hoplab simulate");
    EXPECT_EQ(reader.session().notes, "seed 7, asymmetry 0 % on the right limb");
    const auto trials = reader.trials();
    ASSERT_EQ(trials.size(), 1U);
    EXPECT_EQ(trials[0].id, "trial-001");
    EXPECT_EQ(trials[0].status, "complete");
    EXPECT_EQ(trials[0].devices, (std::vector<std::string>{"left", "right"}));
    const auto force = reader.trial_force("trial-001", "left");
    EXPECT_EQ(force.samples.size(), 2775U);
    EXPECT_EQ(force.rate_hz, 500.0);
    const auto analysis = reader.trial_analysis_json("trial-001");
    ASSERT_TRUE(analysis.has_value());
    EXPECT_NE(analysis->find("\"protocol\""), std::string::npos);

    const auto result = testing::run_schema_check(file, true);
    EXPECT_EQ(result.exit_code, 0) << result.output;
}

// Format 2 writes no variable-length string anywhere; the checker says so when one appears.
TEST(SchemaCheckTest, TheCheckerRefusesAVariableLengthStringInFormatTwo) {
    ScratchDir scratch;
    const auto file = write_full_session(scratch);
    {
        H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
        const hid_t id = H5Fopen(file.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
        ASSERT_GE(id, 0);
        ASSERT_GE(H5Adelete_by_name(id, "/athlete", "id", H5P_DEFAULT), 0);
        const hid_t type = H5Tcopy(H5T_C_S1);
        H5Tset_size(type, H5T_VARIABLE);
        const hid_t space = H5Screate(H5S_SCALAR);
        const hid_t group = H5Gopen2(id, "/athlete", H5P_DEFAULT);
        const hid_t attribute = H5Acreate2(group, "id", type, space, H5P_DEFAULT, H5P_DEFAULT);
        const char* text = "athlete-007";
        EXPECT_GE(H5Awrite(attribute, type, &text), 0);
        H5Aclose(attribute);
        H5Gclose(group);
        H5Sclose(space);
        H5Tclose(type);
        H5Fclose(id);
    }
    const auto result = testing::run_schema_check(file, true);
    EXPECT_EQ(result.exit_code, 1) << result.output;
    EXPECT_NE(result.output.find("/athlete@id: variable-length string"), std::string::npos)
        << result.output;
}

}  // namespace
}  // namespace hoplab::recording
