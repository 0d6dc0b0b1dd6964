// The NWB-like export against its source, read by h5py alone (scripts/golden/nwb_like_check.py),
// and its refusals.

#include "schema_check.hpp"
#include "test_session.hpp"

#include <hoplab/recording/nwb_export.hpp>
#include <hoplab/recording/recording_error.hpp>
#include <hoplab/recording/session_writer.hpp>

#include <gtest/gtest.h>

namespace hoplab::recording {
namespace {

using testing::make_devices;
using testing::make_session;
using testing::ScratchDir;

// Three trials 90 s, 150.25 s and 200 s after the session opened (created_utc 01:30:00.000Z).
std::filesystem::path write_three_trials(const ScratchDir& scratch) {
    const auto file = scratch.file("source.h5");
    WriterOptions options;
    options.raw_streams = false;
    options.swmr = false;
    auto session = make_session();
    session.created_utc = "2026-11-23T01:30:00.000Z";
    SessionWriter writer(file, session, make_devices(), options);
    const std::vector<std::pair<std::string, std::string>> trials{
        {"trial-001", "2026-11-23T01:31:30.000Z"},
        {"trial-002", "2026-11-23T01:32:30.250Z"},
        {"trial-003", "2026-11-23T01:33:20Z"}};
    for (const auto& [id, start_utc] : trials) {
        writer.begin_trial(TrialStart{
            id, processing::Protocol::single_leg_hop, processing::Limb::left, start_utc, {}, ""});
        for (std::size_t device = 0; device < 2; ++device) {
            writer.append_trial_force(device, testing::trial_wrenches(device, 0, 1500));
        }
        writer.end_trial(TrialEnd{start_utc, {}, "complete", {}, std::nullopt});
    }
    writer.close();
    return file;
}

// The checker with the source and the export as arguments (schema_check.hpp runs one file).
testing::SchemaCheckResult run_nwb_check(const std::filesystem::path& source,
                                         const std::filesystem::path& exported) {
    const std::string command = std::string(HOPLAB_PYTHON) + " '" + HOPLAB_NWB_CHECK_SCRIPT +
                                "' '" + source.string() + "' '" + exported.string() + "' 2>&1";
    return testing::run_command(command);
}

TEST(NwbExportTest, ChosenTrialsMatchTheSourceInH5py) {
    ScratchDir scratch;
    const auto source = write_three_trials(scratch);
    const auto out = scratch.file("subset.h5");
    const auto summary = export_nwb_like(source, out, {"trial-002", "trial-003"});
    EXPECT_EQ(summary.trials, 2U);
    EXPECT_EQ(summary.time_series, 16U);  // 2 trials × 2 plates × force, moment, cop, free moment
    const auto result = run_nwb_check(source, out);
    EXPECT_EQ(result.exit_code, 0) << result.output;
    EXPECT_NE(result.output.find("trial-002: 2 plates, starts 150.250 s after the session start"),
              std::string::npos)
        << result.output;
    EXPECT_NE(result.output.find("trial-003: 2 plates, starts 200.000 s"), std::string::npos)
        << result.output;
    EXPECT_EQ(result.output.find("trial-001"), std::string::npos) << result.output;
    // 2 trials × 2 plates × 1500 rows × (3 + 3 + 2 + 1) values.
    EXPECT_NE(result.output.find("nwb-like ok: 2 trials, 54000 values equal to the source"),
              std::string::npos)
        << result.output;
}

TEST(NwbExportTest, RefusesUnknownTrialsAndExistingFilesAndLeavesNothing) {
    ScratchDir scratch;
    const auto source = write_three_trials(scratch);
    const auto out = scratch.file("subset.h5");
    try {
        (void)export_nwb_like(source, out, {"trial-009"});
        FAIL() << "an unknown trial was accepted";
    } catch (const RecordingError& error) {
        EXPECT_EQ(error.object_path(), "/trials");
        EXPECT_EQ(error.problem(), "no trial 'trial-009'");
    }
    EXPECT_FALSE(std::filesystem::exists(out));
    (void)export_nwb_like(source, out, {});
    try {
        (void)export_nwb_like(source, out, {});
        FAIL() << "an existing file was overwritten";
    } catch (const RecordingError& error) {
        EXPECT_EQ(error.problem(), "already exists; not overwritten");
    }
}

}  // namespace
}  // namespace hoplab::recording
