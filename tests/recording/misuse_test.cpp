// Misuse of the writer is std::invalid_argument, raised before anything reaches HDF5; unsafe names
// never become HDF5 paths.

#include "test_session.hpp"

#include <hoplab/recording/format.hpp>
#include <hoplab/recording/session_reader.hpp>
#include <hoplab/recording/session_writer.hpp>

#include <gtest/gtest.h>

namespace hoplab::recording {
namespace {

using testing::make_devices;
using testing::make_session;
using testing::ScratchDir;

const std::vector<std::string> kUnsafeNames{"a/b",
                                            "/abs",
                                            "..",
                                            ".",
                                            "../escape",
                                            "plate\xc3\xa9",
                                            "caf\xe9",
                                            "",
                                            std::string(65, 'x'),
                                            "with space",
                                            std::string("nul\0byte", 8),
                                            "tab\t",
                                            "dot.name"};

TEST(NameSafetyTest, OnlyShortAsciiWordsAreValid) {
    EXPECT_TRUE(is_valid_name("left"));
    EXPECT_TRUE(is_valid_name("trial-001"));
    EXPECT_TRUE(is_valid_name("Plate_2"));
    EXPECT_TRUE(is_valid_name(std::string(64, 'x')));
    for (const auto& name : kUnsafeNames) {
        EXPECT_FALSE(is_valid_name(name)) << name;
    }
}

TEST(NameSafetyTest, UnsafeDeviceNamesAreRefusedBeforeTheFileExists) {
    ScratchDir scratch;
    for (const auto& name : kUnsafeNames) {
        auto devices = make_devices();
        devices[1].name = name;
        const auto file = scratch.file("unsafe.h5");
        EXPECT_THROW(SessionWriter(file, make_session(), devices), std::invalid_argument) << name;
        EXPECT_FALSE(std::filesystem::exists(file)) << name;
    }
}

TEST(NameSafetyTest, UnsafeTrialIdsAreRefusedAndTheSessionGoesOn) {
    ScratchDir scratch;
    const auto file = scratch.file("trials.h5");
    {
        SessionWriter writer(file, make_session(), make_devices());
        for (const auto& id : kUnsafeNames) {
            EXPECT_THROW(writer.begin_trial(TrialStart{
                             id, processing::Protocol::cmj, processing::Limb::both, "", {}, ""}),
                         std::invalid_argument)
                << id;
            EXPECT_FALSE(writer.trial_open());
        }
        writer.begin_trial(
            TrialStart{"ok-1", processing::Protocol::cmj, processing::Limb::both, "", {}, ""});
        writer.end_trial(TrialEnd{});
    }
    const SessionReader reader(file);
    ASSERT_EQ(reader.trials().size(), 1U);
    EXPECT_EQ(reader.trials()[0].id, "ok-1");
}

TEST(NameSafetyTest, TheMessageShowsTheRefusedBytesEscaped) {
    try {
        require_valid_name("caf\xe9/..", "device name");
        FAIL() << "accepted";
    } catch (const std::invalid_argument& error) {
        EXPECT_EQ(std::string(error.what()),
                  "device name 'caf\\xe9/..' must be 1-64 characters of A-Z a-z 0-9 _ - (it "
                  "becomes an HDF5 path "
                  "component)");
    }
}

TEST(WriterMisuseTest, DevicesMustBeDistinctWithChannelsAndRate) {
    ScratchDir scratch;
    auto twins = make_devices();
    twins[1].name = twins[0].name;
    EXPECT_THROW(SessionWriter(scratch.file("a.h5"), make_session(), twins), std::invalid_argument);
    auto no_rate = make_devices();
    no_rate[0].rate_hz = 0.0;
    EXPECT_THROW(SessionWriter(scratch.file("b.h5"), make_session(), no_rate),
                 std::invalid_argument);
    auto no_channels = make_devices();
    no_channels[0].channel_names.clear();
    EXPECT_THROW(SessionWriter(scratch.file("c.h5"), make_session(), no_channels),
                 std::invalid_argument);
    WriterOptions zero_chunk;
    zero_chunk.chunk_rows = 0;
    EXPECT_THROW(SessionWriter(scratch.file("d.h5"), make_session(), make_devices(), zero_chunk),
                 std::invalid_argument);
}

TEST(WriterMisuseTest, AnExistingFileIsNeverOverwritten) {
    ScratchDir scratch;
    const auto file = scratch.file("exists.h5");
    { SessionWriter writer(file, make_session(), make_devices()); }
    const auto size = std::filesystem::file_size(file);
    EXPECT_THROW(SessionWriter(file, make_session(), make_devices()), RecordingError);
    EXPECT_EQ(std::filesystem::file_size(file), size);
}

TEST(WriterMisuseTest, AppendsAreChecked) {
    ScratchDir scratch;
    SessionWriter writer(scratch.file("appends.h5"), make_session(), make_devices());
    const std::vector<std::int32_t> six(6);
    EXPECT_THROW(writer.append_raw(2, BlockRecord{0, 1, 0, 0}, six),
                 std::invalid_argument);  // no device 2
    EXPECT_THROW(writer.append_raw(0, BlockRecord{0, 2, 0, 0}, six),
                 std::invalid_argument);  // 2 samples, 6 values
    EXPECT_THROW(writer.append_raw(0, BlockRecord{0, 1, 0, 0}, std::vector<float>(6)),
                 std::invalid_argument);
    writer.append_raw(0, BlockRecord{10, 1, 0, 0}, six);
    EXPECT_THROW(writer.append_raw(0, BlockRecord{10, 1, 0, 0}, six),
                 std::invalid_argument);  // goes back
    EXPECT_THROW(
        writer.record_tare(0, TareRecord{"", {1.0, 2.0}, {}}, make_devices()[0].calibration),
        std::invalid_argument);
    EXPECT_THROW(writer.append_trial_force(0, std::vector<calibration::Wrench>(1)),
                 std::invalid_argument);
    EXPECT_EQ(writer.raw_samples_written(0), 1U);
}

TEST(WriterMisuseTest, TrialCallsMustComeInOrder) {
    ScratchDir scratch;
    SessionWriter writer(scratch.file("order.h5"), make_session(), make_devices());
    EXPECT_THROW(writer.end_trial(TrialEnd{}), std::invalid_argument);
    EXPECT_THROW(writer.begin_trial(TrialStart{
                     "t1", processing::Protocol::cmj, processing::Limb::both, "", {1}, ""}),
                 std::invalid_argument);  // one start index for two devices
    writer.begin_trial(
        TrialStart{"t1", processing::Protocol::cmj, processing::Limb::both, "", {}, ""});
    EXPECT_THROW(writer.begin_trial(TrialStart{
                     "t2", processing::Protocol::cmj, processing::Limb::both, "", {}, ""}),
                 std::invalid_argument);
    EXPECT_THROW(writer.end_trial(TrialEnd{"", {}, "finished", {}, std::nullopt}),
                 std::invalid_argument);
    EXPECT_THROW(writer.end_trial(TrialEnd{"", {}, "aborted: ", {}, std::nullopt}),
                 std::invalid_argument);
    writer.end_trial(
        TrialEnd{"", {}, "aborted: no reason given by the operator", {}, std::nullopt});
    EXPECT_THROW(writer.begin_trial(TrialStart{
                     "t1", processing::Protocol::cmj, processing::Limb::both, "", {}, ""}),
                 std::invalid_argument);  // id already used
    writer.close();
    EXPECT_THROW(writer.flush(), std::invalid_argument);
}

// begin_trial with explicit start raw rows (hoplab recalibrate): one row per device, none past the
// rows written, only for a file with raw streams; the rows given are the ones stored.
TEST(WriterMisuseTest, StartRawRowsMustBeOnePerDeviceAndAlreadyWritten) {
    ScratchDir scratch;
    const auto file = scratch.file("start-rows.h5");
    const TrialStart start{"t1", processing::Protocol::cmj, processing::Limb::left, "", {}, ""};
    {
        SessionWriter writer(file, make_session(), make_devices());
        writer.append_raw(0, BlockRecord{0, 10, 0, 0}, testing::raw_counts(0, 0, 10, 6));
        const std::vector<std::uint64_t> one{5}, past{11, 0}, right_past{5, 1}, good{5, 0};
        EXPECT_THROW(writer.begin_trial(start, one), std::invalid_argument);
        EXPECT_THROW(writer.begin_trial(start, past), std::invalid_argument);
        EXPECT_THROW(writer.begin_trial(start, right_past), std::invalid_argument);
        EXPECT_FALSE(writer.trial_open());
        writer.begin_trial(start, good);
        writer.end_trial(TrialEnd{});
    }
    const SessionReader reader(file);
    ASSERT_EQ(reader.trials().size(), 1U);
    EXPECT_EQ(reader.trials()[0].start_raw_row, (std::vector<std::uint64_t>{5, 0}));

    WriterOptions analysis_only;
    analysis_only.raw_streams = false;
    SessionWriter writer(scratch.file("analysis-only.h5"), make_session(), make_devices(),
                         analysis_only);
    const std::vector<std::uint64_t> zeros{0, 0};
    EXPECT_THROW(writer.begin_trial(start, zeros), std::invalid_argument);
    writer.begin_trial(start);
    writer.end_trial(TrialEnd{});
    writer.close();
    EXPECT_FALSE(SessionReader(scratch.file("analysis-only.h5")).trials()[0].start_raw_row);
}

TEST(WriterMisuseTest, ClosingWithAnOpenTrialAbortsIt) {
    ScratchDir scratch;
    const auto file = scratch.file("abort.h5");
    {
        SessionWriter writer(file, make_session(), make_devices());
        writer.begin_trial(
            TrialStart{"t1", processing::Protocol::landing, processing::Limb::right, "", {}, ""});
        writer.append_trial_force(1, testing::trial_wrenches(1, 0, 10));
    }
    const SessionReader reader(file);
    ASSERT_EQ(reader.trials().size(), 1U);
    EXPECT_EQ(reader.trials()[0].status, "aborted: writer closed");
    EXPECT_EQ(reader.trial_force("t1", "right").samples.size(), 10U);
    EXPECT_EQ(reader.trial_force("t1", "left").samples.size(), 0U);
}

}  // namespace
}  // namespace hoplab::recording
